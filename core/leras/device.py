"""Device discovery and choice: CPUs/GPUs, "best" GPU, chosen indexes, CPU-only, multi-device strategy.

Listing GPUs needs TensorFlow, which must not be imported by the main process before the user has chosen devices
(and never by `main.py --help`): `list_gpus()` probes in a child process once and caches the result in
`NN_DEVICES_*` environment variables (as the original), so spawned workers read them instead of probing again.
`initialize(config)` then imports TensorFlow, hides unchosen GPUs, turns on memory growth and returns a
`LerasContext` with the data format (NCHW on GPU, NHWC on CPU), the compute dtype and, for several devices, a
`tf.distribute.MirroredStrategy`.

Several machines train one model through `tf.distribute.MultiWorkerMirroredStrategy`, configured by a `Cluster`
(the `train` flags --workers/--worker-index) or by the standard `TF_CONFIG` variable. Every worker runs the same
command; each generates its share of the batch, gradients are averaged over all devices of all workers (as the
original averages over GPUs), worker 0 (the chief) provides the starting weights and is the only one that saves.
"""
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field

from core import interact
from core.errors import UserError

_PROBE = r"""
import json, os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from tensorflow.python.client import device_lib
out = []
for d in device_lib.list_local_devices():
    if d.device_type == "GPU":
        desc = d.physical_device_desc
        name = desc.split("name: ")[1].split(",")[0] if "name: " in desc else d.name
        out.append({"name": name, "total_mem": int(d.memory_limit)})
print("NN_DEVICES=" + json.dumps(out))
"""


@dataclass
class Device:
    index: int
    name: str
    total_mem: int   # bytes

    @property
    def total_mem_gb(self):
        return self.total_mem / 1024 ** 3

    @property
    def tf_name(self):
        return f"/GPU:{self.index}"


class Devices(list):
    def get_best_device(self):
        """The GPU with the most memory (None without GPUs)."""
        return max(self, key=lambda d: d.total_mem) if self else None

    def get_worst_device(self):
        return min(self, key=lambda d: d.total_mem) if self else None

    def get_device_by_index(self, idx):
        for d in self:
            if d.index == idx:
                return d
        return None

    def get_equal_devices(self, device):
        return Devices(d for d in self if d.name == device.name)


def _probe_gpus():
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    try:
        res = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, env=env, timeout=300)
    except (OSError, subprocess.TimeoutExpired):
        return []
    for line in res.stdout.splitlines():
        if line.startswith("NN_DEVICES="):
            return json.loads(line[len("NN_DEVICES="):])
    return []


def list_gpus(refresh=False):
    """GPUs TensorFlow can use, probed once per process tree (result kept in NN_DEVICES_* env vars)."""
    if refresh or os.environ.get("NN_DEVICES_INITIALIZED") != "1":
        found = _probe_gpus()
        os.environ["NN_DEVICES_INITIALIZED"] = "1"
        os.environ["NN_DEVICES_COUNT"] = str(len(found))
        for i, d in enumerate(found):
            os.environ[f"NN_DEVICE_{i}_NAME"] = d["name"]
            os.environ[f"NN_DEVICE_{i}_TOTAL_MEM"] = str(d["total_mem"])
    count = int(os.environ.get("NN_DEVICES_COUNT", "0"))
    return Devices(Device(i, os.environ[f"NN_DEVICE_{i}_NAME"], int(os.environ[f"NN_DEVICE_{i}_TOTAL_MEM"]))
                   for i in range(count))


def cpu_count():
    return os.cpu_count() or 1


@dataclass
class DeviceConfig:
    """Which devices to use: `devices` empty means CPU only."""
    devices: Devices = field(default_factory=Devices)

    @property
    def cpu_only(self):
        return len(self.devices) == 0

    @staticmethod
    def CPU():
        return DeviceConfig(Devices())

    @staticmethod
    def BestGPU():
        best = list_gpus().get_best_device()
        return DeviceConfig(Devices([best] if best else []))

    @staticmethod
    def WorstGPU():
        worst = list_gpus().get_worst_device()
        return DeviceConfig(Devices([worst] if worst else []))

    @staticmethod
    def GPUIndexes(indexes):
        gpus = list_gpus()
        chosen = []
        for i in indexes:
            d = gpus.get_device_by_index(i)
            if d is None:
                raise UserError(f"GPU index {i} does not exist (available: "
                                f"{', '.join(str(g.index) for g in gpus) or 'none'})")
            chosen.append(d)
        return DeviceConfig(Devices(chosen))


def _parse_indexes(text, gpus, allow_cpu, choose_only_one):
    t = text.strip().lower()
    if allow_cpu and t == "cpu":
        return []
    try:
        idxs = [int(x) for x in t.split(",") if x.strip() != ""]
    except ValueError:
        return None
    if not idxs or len(set(idxs)) != len(idxs) or (choose_only_one and len(idxs) != 1):
        return None
    if not all(gpus.get_device_by_index(i) is not None for i in idxs):
        return None
    return idxs


def ask_choose_device_idxs(choose_only_one=False, allow_cpu=True, suggest_best_multi_gpu=False,
                           suggest_all_gpu=False, value=None):
    """The original's "Which GPU indexes to choose?" prompt. Returns GPU indexes, [] for CPU.

    Without GPUs nothing is asked and [] is returned. `value` is the command-line answer (e.g. "0,1" or "cpu").
    """
    gpus = list_gpus()
    if not gpus:
        return []
    interact.log_info("")
    if allow_cpu:
        interact.log_info("  [CPU] : CPU")
    for d in gpus:
        interact.log_info(f"  [{d.index}] : {d.name}")
    interact.log_info("")
    best = gpus.get_best_device()
    if suggest_all_gpu:
        default = ",".join(str(d.index) for d in gpus)
    elif suggest_best_multi_gpu:
        default = ",".join(str(d.index) for d in gpus.get_equal_devices(best))
    else:
        default = str(best.index)
    prompt = "Which GPU index to choose?" if choose_only_one else "Which GPU indexes to choose?"
    help_message = "Comma-separated GPU indexes, e.g. 0,1" + (", or cpu to train on the processor." if allow_cpu
                                                              else ".")
    while True:
        text = interact.input_str(prompt, default, help_message=help_message, value=value)
        idxs = _parse_indexes(text, gpus, allow_cpu, choose_only_one)
        if idxs is not None:
            return idxs
        if value is not None or not interact.is_interactive():
            raise UserError(f"{prompt} '{text}' is not a valid choice: give existing GPU indexes"
                            f"{' or cpu' if allow_cpu else ''}")
        interact.log_err(f"'{text}' is not a valid choice. Try again.")


def ask_choose_device(*args, **kwargs):
    return DeviceConfig.GPUIndexes(ask_choose_device_idxs(*args, **kwargs))


@dataclass
class Cluster:
    """The machines of a multi-worker training: `workers` as 'host:port', this process is `workers[index]`."""
    workers: list
    index: int

    def __post_init__(self):
        if len(self.workers) < 2:
            raise UserError("--workers: give at least two host:port addresses (one per machine, the chief first)")
        for w in self.workers:
            host, _, port = w.rpartition(":")
            if not host or not port.isdigit():
                raise UserError(f"--workers: '{w}' is not host:port (e.g. 192.168.1.10:12345)")
        if not 0 <= self.index < len(self.workers):
            raise UserError(f"--worker-index {self.index}: expected 0..{len(self.workers) - 1} (0 is the chief)")

    @property
    def is_chief(self):
        return self.index == 0

    def tf_config(self):
        return json.dumps({"cluster": {"worker": list(self.workers)}, "task": {"type": "worker", "index": self.index}})

    @staticmethod
    def parse(workers, index):
        """From the `train` flags: comma-separated host:port list and this worker's index."""
        return Cluster([w.strip() for w in workers.split(",") if w.strip()], int(index))

    @staticmethod
    def from_env():
        """The cluster described by TF_CONFIG, or None when it is unset or names a single worker."""
        text = os.environ.get("TF_CONFIG")
        if not text:
            return None
        try:
            conf = json.loads(text)
            workers = list(conf["cluster"]["worker"])
            task = conf["task"]
            if task.get("type", "worker") != "worker":
                raise ValueError("only 'worker' tasks train")
            index = int(task["index"])
        except (ValueError, KeyError, TypeError) as e:
            raise UserError(f"TF_CONFIG is not a worker cluster description ({e}): expected "
                            '{"cluster": {"worker": ["host:port", ...]}, "task": {"type": "worker", "index": N}}')
        return Cluster(workers, index) if len(workers) > 1 else None


@dataclass
class LerasContext:
    """What a model needs to know about where it runs. `strategy` is None on one device of one machine."""
    device_config: DeviceConfig
    data_format: str
    compute_dtype: object      # tf.float32, tf.bfloat16 or tf.float16
    strategy: object
    device_name: str           # '/GPU:0' or '/CPU:0' (the first chosen device)
    cluster: Cluster = None    # several machines (MultiWorkerMirroredStrategy)

    @property
    def num_replicas(self):
        """Devices training together, over all workers."""
        return self.strategy.num_replicas_in_sync if self.strategy is not None else 1

    @property
    def num_local_replicas(self):
        return len(self.strategy.extended.worker_devices) if self.strategy is not None else 1

    @property
    def is_chief(self):
        """True where model files are written: always, except on the non-chief workers of a cluster."""
        return self.cluster is None or self.cluster.is_chief

    def local_batch(self, batch_size):
        """This worker's share of a whole-cluster batch (the whole batch on one machine)."""
        return batch_size * self.num_local_replicas // self.num_replicas

    def scope(self):
        """Create models and optimizers inside `with ctx.scope():` (the strategy's scope, or the device)."""
        import tensorflow as tf
        return self.strategy.scope() if self.strategy is not None else tf.device(self.device_name)


def initialize(device_config, mixed_precision=False, data_format=None, cluster=None):
    """Import TensorFlow configured for `device_config` (and `cluster`, else TF_CONFIG, for several machines).
    Call once, before any other TensorFlow use."""
    import tensorflow as tf

    from core.leras import config
    from core.leras.mixed_precision import compute_dtype_for

    gpus = tf.config.list_physical_devices("GPU")
    missing = [d.index for d in device_config.devices if d.index >= len(gpus)]
    if missing:
        raise UserError(f"GPU {missing[0]} is not available to TensorFlow (it sees {len(gpus)} GPU(s)); "
                        "choose another index or cpu")
    chosen = [gpus[d.index] for d in device_config.devices]
    try:
        tf.config.set_visible_devices(chosen, "GPU")
        for g in chosen:
            tf.config.experimental.set_memory_growth(g, True)
    except RuntimeError as e:
        raise RuntimeError(f"core.leras.device.initialize must run before TensorFlow is used: {e}")
    fmt = data_format or ("NHWC" if device_config.cpu_only else "NCHW")
    config.set_data_format(fmt)
    n = len(chosen)
    names = [f"/GPU:{i}" for i in range(n)] if n else ["/CPU:0"]
    cluster = cluster or Cluster.from_env()
    if cluster is not None:
        os.environ["TF_CONFIG"] = cluster.tf_config()
        # Ring all-reduce over gRPC on CPUs; NCCL between GPUs when there are some.
        comm = tf.distribute.experimental.CommunicationImplementation
        options = tf.distribute.experimental.CommunicationOptions(
            implementation=comm.RING if device_config.cpu_only else comm.AUTO)
        strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    else:
        strategy = tf.distribute.MirroredStrategy(names) if n > 1 else None
    return LerasContext(device_config, fmt, compute_dtype_for(device_config, mixed_precision), strategy, names[0],
                        cluster)
