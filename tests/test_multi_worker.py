"""Training across machines: two worker processes on localhost (MultiWorkerMirroredStrategy over gRPC) train the
original's M1 SAEHD model; their step equals the single-process two-device step on the same global batch, only the
chief saves, and the saved model resumes on one machine."""
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

from core.errors import UserError
from core.leras.device import Cluster

M1_OPTIONS = dict(resolution="64", face_type="wf", archi="liae-ud", ae_dims="32", e_dims="16", d_dims="16",
                  d_mask_dims="16", batch_size="4")

SCRIPT = r"""
import itertools, json, sys
import numpy as np
from core import interact
from core.leras import device
from models import model_files
from models.Model_SAEHD.Model import Model
interact.set_non_interactive(True)
mode, model_dir, data_path, out_path, options = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
batch = model_files.read_data(data_path)["sample_for_preview"]      # the global batch: 4 src + 4 dst
cluster = None
if mode.startswith("worker"):
    index = int(mode[len("worker"):])
    cluster = device.Cluster.parse(sys.argv[6], index)
    batch = [[x[index * 2:(index + 1) * 2] for x in side] for side in batch]   # this worker's share
elif mode == "mirrored":
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

    def two_devices(config, mixed_precision=False, data_format=None, cluster=None):
        strategy = tf.distribute.MirroredStrategy(["/CPU:0", "/CPU:1"])
        return device.LerasContext(config, "NHWC", tf.float32, strategy, "/CPU:0")
    device.initialize = two_devices
Model._make_generators = lambda self: self.set_training_data_generators(
    [itertools.repeat(batch[0]), itertools.repeat(batch[1])])
m = Model(model_dir, training_data_src_path="s", training_data_dst_path="d", cpu_only=True,
          force_model_name="M1", option_values=json.loads(options), cluster=cluster)
assert m.generator_batch_size == (2 if cluster else 4)
start = m.get_iter()
weights = lambda: [v.numpy() for s, _, _ in m.model_filename_list for v in s.get_weights()]
np.savez(out_path[:-4] + "_start.npz", *weights())
for _ in range(int(sys.argv[7] if len(sys.argv) > 7 else 2)):
    m.train_one_iter()
m.save()
np.savez(out_path, *weights())
print("DONE", start, m.get_iter(), m.leras.num_replicas, flush=True)
"""


def _free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _weights(path):
    with np.load(path) as z:
        return [z[k] for k in sorted(z.files, key=lambda k: int(k.split("_")[1]))]


def test_cluster_flags_and_tf_config(monkeypatch):
    c = Cluster.parse("10.0.0.1:2222, 10.0.0.2:2222", 1)
    assert c.workers == ["10.0.0.1:2222", "10.0.0.2:2222"] and not c.is_chief
    assert '"index": 1' in c.tf_config()
    monkeypatch.setenv("TF_CONFIG", c.tf_config())
    assert Cluster.from_env() == c
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 0}}')
    assert Cluster.from_env() is None           # one worker: ordinary training
    monkeypatch.setenv("TF_CONFIG", "not json")
    with pytest.raises(UserError, match="TF_CONFIG"):
        Cluster.from_env()
    for workers, index in (("a:1", 0), ("a:1,b", 0), ("a:1,b:2", 2)):
        with pytest.raises(UserError):
            Cluster.parse(workers, index)


def test_two_workers_step_like_one_process_chief_saves_and_model_resumes(tmp_path, compat_dir, compat_copy,
                                                                        repo_root):
    import json
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(repo_root), CUDA_VISIBLE_DEVICES="-1")
    env.pop("TF_CONFIG", None)
    data = str(compat_dir / "models/M1/M1_SAEHD_data.dat")
    opts = json.dumps(M1_OPTIONS)
    chief_dir = compat_copy("models/M1").rename(tmp_path / "chief")
    other_dir = tmp_path / "worker1_model"          # a new, empty folder: starts from the chief's weights
    other_dir.mkdir()
    workers = ",".join(f"127.0.0.1:{p}" for p in _free_ports(2))

    def start(mode, model_dir, out, *extra):
        return subprocess.Popen([sys.executable, "-c", SCRIPT, mode, str(model_dir), data, str(out), opts, *extra],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                cwd=str(repo_root))

    procs = [start("worker0", chief_dir, tmp_path / "w0.npz", workers),
             start("worker1", other_dir, tmp_path / "w1.npz", workers)]
    outs = []
    try:
        for p in procs:
            out, err = p.communicate(timeout=600)
            outs.append(out)
            assert p.returncode == 0 and "DONE" in out, err[-3000:]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    assert all(o.split("DONE")[1].split() == ["30", "32", "2"] for o in outs)   # iter 30 -> 32, 2 replicas
    mirrored_dir = compat_copy("models/M1").rename(tmp_path / "mirrored")
    r = subprocess.run([sys.executable, "-c", SCRIPT, "mirrored", str(mirrored_dir), data,
                        str(tmp_path / "one.npz"), opts], capture_output=True, text=True, env=env, timeout=600,
                       cwd=str(repo_root))
    assert r.returncode == 0 and "DONE 30 32 2" in r.stdout, r.stderr[-3000:]

    w0, w1, one = (_weights(tmp_path / f"{n}.npz") for n in ("w0", "w1", "one"))
    assert len(w0) == len(w1) == len(one)
    assert max(np.abs(a - b).max() for a, b in zip(w0, w1)) == 0.0          # the workers stay identical
    assert max(np.abs(a - b).max() for a, b in zip(w0, one)) < 1e-5          # = one process, same global batch
    assert max(np.abs(a - b).max() for a, b in zip(w0, _weights(tmp_path / "w0_start.npz"))) > 1e-4  # trained

    # Only the chief saved (iteration 32, with the optimizer state); the other worker's folder stays empty.
    from models import model_files
    assert model_files.read_data(chief_dir / "M1_SAEHD_data.dat")["iter"] == 32
    assert (chief_dir / "M1_SAEHD_src_dst_opt.npy").is_file()
    assert not any(other_dir.iterdir())

    # The chief's folder resumes on one machine: iteration 32, the workers' weights, and trains on.
    r = subprocess.run([sys.executable, "-c", SCRIPT, "single", str(chief_dir), data, str(tmp_path / "res.npz"),
                        opts, "", "1"], capture_output=True, text=True, env=env, timeout=600, cwd=str(repo_root))
    assert r.returncode == 0 and "DONE 32 33 1" in r.stdout, r.stderr[-3000:]
    assert all(np.array_equal(a, b) for a, b in zip(w0, _weights(tmp_path / "res_start.npz")))


def test_train_flags_give_one_line_errors(tmp_path, repo_root):
    base = [sys.executable, "main.py", "train", "--model", "SAEHD", "--model-dir", str(tmp_path),
            "--training-data-src-dir", str(tmp_path), "--training-data-dst-dir", str(tmp_path)]
    for extra, message in ((["--workers", "127.0.0.1:1,127.0.0.1:2"], "go together"),
                           (["--workers", "127.0.0.1:1", "--worker-index", "0"], "at least two")):
        r = subprocess.run(base + extra, capture_output=True, text=True, cwd=str(repo_root), timeout=300,
                           env=dict(os.environ, PYTHONPATH=str(repo_root)))
        assert r.returncode != 0 and message in r.stdout + r.stderr and "Traceback" not in r.stderr
