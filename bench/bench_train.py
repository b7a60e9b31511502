"""Training speed and memory of the real models: ms per training step and peak memory for Quick96 (batch 4) and
the SAEHD default (liae-ud, res 128, ae 256, e 64, d 64, m 22, batch 8, AdaBelief), fp32 and bf16.

Each configuration runs in its own process through the models' own code (options, losses, optimizer, compiled
step) on a fixed random batch (the sample generators are bypassed, so the figure is the network step alone). The
in-run baseline is the plain-Keras build of the same network from bench_leras.py (same losses, Keras optimizers).
Peak memory = the process's maximum resident set (CPU) or TensorFlow's peak GPU allocation.
BENCH_QUICK=1 (run_all): 2 timed steps, SAEHD in fp32 only.

    python bench/bench_train.py [--steps N] [--only quick96|saehd] [--no-keras]
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchlib import quick, record  # noqa: E402

SAEHD_DEFAULT = {"resolution": "128", "face_type": "f", "archi": "liae-ud", "ae_dims": "256", "e_dims": "64",
                 "d_dims": "64", "d_mask_dims": "22", "batch_size": "8"}


def _fixed_batch(res, batch, n_masks):
    import numpy as np
    rng = np.random.RandomState(0)
    imgs = [rng.uniform(0, 1, (batch, res, res, 3)).astype(np.float32) for _ in range(2)]
    masks = [(rng.uniform(0, 1, (batch, res, res, 1)) > 0.3).astype(np.float32) for _ in range(n_masks)]
    return imgs + masks


def _peak_mb():
    import tensorflow as tf
    if tf.config.list_physical_devices("GPU"):
        return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2 ** 20, "GPU"
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "RSS"


def run_model(size, bf16, steps, cpu_only):
    import itertools

    from core import interact
    interact.set_non_interactive(True)
    if size == "quick96":
        from models.Model_Quick96.Model import Model
        res, batch, n_masks, options = 96, 4, 1, {}
    else:
        from models.Model_SAEHD.Model import Model
        res, batch, n_masks, options = 128, 8, 2, dict(SAEHD_DEFAULT)

    def fixed_generators(self):
        self.set_training_data_generators([itertools.repeat(_fixed_batch(res, batch, n_masks)) for _ in range(2)])

    Model._make_generators = fixed_generators
    with tempfile.TemporaryDirectory() as d:
        m = Model(d, training_data_src_path=d, training_data_dst_path=d, cpu_only=cpu_only, option_values=options,
                  mixed_precision=bf16)
        params = sum(m.ae.count_params().values())
        parts = {k: round(v / 1e6, 2) for k, v in m.ae.count_params().items()}
        for _ in range(2):   # trace + first run
            m.train_one_iter()
        times = []
        for _ in range(steps):
            t = time.perf_counter()
            m.train_one_iter()
            times.append(time.perf_counter() - t)
        times.sort()
        peak, kind = _peak_mb()
        return {"ms": times[len(times) // 2] * 1000, "params": params, "parts": parts, "peak_mb": peak,
                "mem": kind, "dtype": m.leras.compute_dtype.name}


def run_keras(size, bf16, steps):
    import bench_leras
    step, params = bench_leras.build_keras(bench_leras.SIZES[size], bf16)
    for _ in range(2):   # trace + first run
        step()
    times = sorted(bench_leras._timed(step) for _ in range(steps))
    peak, kind = _peak_mb()
    return {"ms": times[len(times) // 2] * 1000, "params": params, "peak_mb": peak, "mem": kind}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=2 if quick() else 5)
    ap.add_argument("--only", choices=("quick96", "saehd"))
    ap.add_argument("--no-keras", action="store_true", help="skip the plain-Keras baseline")
    ap.add_argument("--gpu", action="store_true", help="train on the first GPU (default: CPU)")
    ap.add_argument("--worker", nargs=3, metavar=("IMPL", "SIZE", "BF16"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        impl, size, bf16 = args.worker
        if impl == "model":
            r = run_model(size, bf16 == "1", args.steps, cpu_only=not args.gpu)
        else:
            r = run_keras(size, bf16 == "1", args.steps)
        print("RESULT " + json.dumps(r))
        return

    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    if not args.gpu:
        env["CUDA_VISIBLE_DEVICES"] = "-1"
    ref = {"quick96": 38.29, "saehd": 82.38}
    print(f"{'model':<8} {'prec':<5} {'ms/step':>8} {'peak MB':>8} {'Keras ms':>9} {'Keras MB':>9}  params (ref §3.1)")
    for size in ([args.only] if args.only else ["quick96", "saehd"]):
        for bf16 in (False,) if quick() and size == "saehd" else (False, True):
            res = {}
            for impl in ("model",) + (() if args.no_keras else ("keras",)):
                cmd = [sys.executable, __file__, "--steps", str(args.steps), "--worker", impl, size,
                       "1" if bf16 else "0"] + (["--gpu"] if args.gpu else [])
                out = subprocess.run(cmd, capture_output=True, text=True, env=env)
                line = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
                if not line:
                    sys.exit(f"{impl} {size} failed:\n{out.stderr[-3000:]}")
                res[impl] = json.loads(line[0][7:])
            r, k = res["model"], res.get("keras")
            prec = "bf16" if bf16 else "fp32"
            if bf16 and r["dtype"] != "bfloat16":
                prec = r["dtype"][:5]
            keras_txt = f"{k['ms']:>9.0f} {k['peak_mb']:>9.0f}" if k else f"{'-':>9} {'-':>9}"
            print(f"{size:<8} {prec:<5} {r['ms']:>8.0f} {r['peak_mb']:>8.0f} {keras_txt}  "
                  f"{r['params'] / 1e6:.2f} M ({ref[size]} M) {r['parts']} [{r['mem']}]", flush=True)
            device = "GPU" if args.gpu else "CPU"
            keras = ("plain Keras, same network", k["ms"], k["peak_mb"]) if k else ("none (--no-keras)", "-", "-")
            record("train", f"{size} {prec} ms per training step", r["ms"], "ms", keras[0], keras[1],
                   f"median of {args.steps} steps, {device}, fixed batch; {r['params'] / 1e6:.2f} M params")
            record("train", f"{size} {prec} peak memory", r["peak_mb"], "MB", keras[0], keras[2],
                   f"{r['mem']}, whole process")


if __name__ == "__main__":
    main()
