"""Training-sample generator throughput vs. the rate training steps consume samples, both measured in this run.

1. Training with the real generators beside the same model trained on one fixed batch (in-run baseline), for
   Quick96 (4 src + 4 dst per step, fp32) and the SAEHD default (res 128 liae-ud, 8 + 8, bf16: the fastest
   consumer): ms per step each way, in ABBA blocks (fixed, real, real, fixed) so both see the same drift in load.
   The generator is not the bottleneck when the two are about equal; the fixed-batch step gives the consumption rate.
2. Samples/s built in this thread (= the CPU cost of a sample) and with 1 and 2 worker processes for the SAEHD
   outputs (res 128, FULL from whole-face samples: warped input, target, full-face mask, eyes+mouth mask; with and
   without ct) and the Quick96 outputs (res 96), at batch 8, beside the consumption rates of part 1.
BENCH_QUICK=1 (run_all): 1 step per block in part 1, 4 batches in part 2.

    python bench/bench_samplelib.py [--src DIR] [--dst DIR] [--batches N] [--steps N] [--no-train]
"""
import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchlib import quick, record  # noqa: E402
from facelib.FaceType import FaceType  # noqa: E402
from samplelib.SampleGeneratorFace import SampleGeneratorFace  # noqa: E402
from samplelib.SampleProcessor import ChannelType, FaceMaskType, Options, SampleType  # noqa: E402

COMPAT = ROOT.parent / "shared" / "compat"
SAEHD_DEFAULT = {"resolution": "128", "face_type": "f", "archi": "liae-ud", "ae_dims": "256", "e_dims": "64",
                 "d_dims": "64", "d_mask_dims": "22", "batch_size": "8"}
TRAIN = {"Quick96": (False, 8), "SAEHD": (True, 16)}   # model: (bf16, samples per step)


def saehd_outputs(res, face_type, ct_mode=None):
    common = dict(resolution=res, face_type=face_type, data_format="NHWC")
    return [
        dict(sample_type=SampleType.FACE_IMAGE, warp=True, transform=True, channel_type=ChannelType.BGR,
             ct_mode=ct_mode, **common),
        dict(sample_type=SampleType.FACE_IMAGE, warp=False, transform=True, channel_type=ChannelType.BGR,
             ct_mode=ct_mode, **common),
        dict(sample_type=SampleType.FACE_MASK, warp=False, transform=True, channel_type=ChannelType.G,
             face_mask_type=FaceMaskType.FULL_FACE, **common),
        dict(sample_type=SampleType.FACE_MASK, warp=False, transform=True, channel_type=ChannelType.G,
             face_mask_type=FaceMaskType.EYES_MOUTH, **common),
    ]


def measure(src, dst, outputs, batch, workers, n_batches, scale_range):
    gen = SampleGeneratorFace(src, debug=workers == 0, batch_size=batch, generators_count=workers, seed=0,
                              random_ct_samples_path=dst if outputs[0].get("ct_mode") else None,
                              sample_process_options=Options(random_flip=True, scale_range=scale_range),
                              output_sample_types=outputs)
    try:
        for _ in range(max(2, workers * 2)):  # start-up and the first prefetched batches
            gen.generate_next()
        t = time.perf_counter()
        for _ in range(n_batches):
            gen.generate_next()
        dt = time.perf_counter() - t
    finally:
        gen.close()
    return n_batches * batch / dt


def train_worker(model_name, src, dst, steps):
    """Runs in its own process: ms per step with the model's real generators and with one fixed batch."""
    from core import interact
    interact.set_non_interactive(True)
    bf16, _ = TRAIN[model_name]
    if model_name == "Quick96":
        from models.Model_Quick96.Model import Model
        options = {}
    else:
        from models.Model_SAEHD.Model import Model
        options = dict(SAEHD_DEFAULT)
    with tempfile.TemporaryDirectory() as d:
        m = Model(d, training_data_src_path=src, training_data_dst_path=dst, cpu_only=True, option_values=options,
                  mixed_precision=bf16)
        real = list(m.generator_list)
        workers = [g.workers for g in real]
        fixed = [itertools.repeat(b) for b in m.generate_next_samples()]
        times = {"fixed": [], "real": []}

        def block(kind, n):
            m.set_training_data_generators(fixed if kind == "fixed" else real)
            for _ in range(n):
                times[kind].append(m.train_one_iter()[1])
        block("fixed", 2)          # trace + first run
        times["fixed"].clear()
        for kind in ("fixed", "real", "real", "fixed"):
            block(kind, steps)
        m.set_training_data_generators(real)
        m.finalize()
    ms = {k: sorted(v)[len(v) // 2] * 1000 for k, v in times.items()}
    print("RESULT " + json.dumps({"ms": ms, "workers": workers}))


def train_rates(src, dst, steps):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT), CUDA_VISIBLE_DEVICES="-1")
    rates = {}
    print(f"{'training':<8} {'prec':<5} {'fixed batch ms':>14} {'real generators ms':>18} {'slowdown':>8}   "
          f"samples/s used   workers/side")
    for name, (bf16, per_step) in TRAIN.items():
        out = subprocess.run([sys.executable, __file__, "--steps", str(steps), "--src", str(src), "--dst", str(dst),
                              "--train-worker", name], capture_output=True, text=True, env=env)
        line = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
        if not line:
            sys.exit(f"{name} failed:\n{out.stderr[-3000:]}")
        r = json.loads(line[0][7:])
        fixed, real = r["ms"]["fixed"], r["ms"]["real"]
        rates[name] = per_step / (fixed / 1000)
        print(f"{name:<8} {'bf16' if bf16 else 'fp32':<5} {fixed:>14.0f} {real:>18.0f} "
              f"{100 * (real / fixed - 1):>+7.0f}%   {rates[name]:>10.1f}/s   {r['workers']}", flush=True)
        record("samplelib", f"{name} {'bf16' if bf16 else 'fp32'} training step with the real generators", real,
               "ms", "same step on one fixed batch", fixed,
               f"median of {2 * steps} steps each; generator workers per side {r['workers']}")
    return rates


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", type=Path, default=COMPAT / "aligned_whole_face")
    ap.add_argument("--dst", type=Path, default=COMPAT / "data_dst" / "aligned")
    ap.add_argument("--batches", type=int, default=4 if quick() else 12)
    ap.add_argument("--steps", type=int, default=1 if quick() else 3, help="timed training steps per block (4 blocks)")
    ap.add_argument("--no-train", action="store_true", help="skip part 1 (no consumption rates)")
    ap.add_argument("--train-worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if not args.src.is_dir() or not args.dst.is_dir():
        sys.exit(f"aligned faces folders not found ({args.src}, {args.dst}): pass --src and --dst")
    if args.train_worker:
        return train_worker(args.train_worker, args.src, args.dst, args.steps)
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    consumption = {} if args.no_train else train_rates(args.src, args.dst, args.steps)

    configs = [
        ("SAEHD res128", saehd_outputs(128, FaceType.FULL), 8, (-0.15, 0.15), "SAEHD"),
        ("SAEHD res128 ct=rct", saehd_outputs(128, FaceType.FULL, "rct"), 8, (-0.15, 0.15), "SAEHD"),
        ("Quick96 res96", saehd_outputs(96, FaceType.FULL)[:3], 8, (-0.05, 0.05), "Quick96"),
    ]
    print(f"\n{'outputs':22} {'batch':>5} {'in-thread':>10} {'1 worker':>10} {'2 workers':>10}   "
          f"step uses (part 1)   CPU share at that rate")
    for name, outputs, batch, scale, model in configs:
        rates = [measure(args.src, args.dst, outputs, batch, w, args.batches, scale) for w in (0, 1, 2)]
        line = f"{name:22} {batch:5d} {rates[0]:8.1f}/s {rates[1]:8.1f}/s {rates[2]:8.1f}/s"
        need = consumption.get(model)
        if need:
            # seconds of one core per second of training spent building samples
            line += f"   {need:8.1f}/s          {100 * need / rates[0] / os.cpu_count():4.1f}% of the CPUs"
        print(line)
        base = (f"samples/s a {model} step uses", need) if need else ("built in this thread", rates[0])
        record("samplelib", f"{name} samples/s, 2 worker processes", rates[2], "samples/s", base[0], base[1],
               f"batch {batch}, {args.batches} batches; in this thread {rates[0]:.1f}/s, 1 worker {rates[1]:.1f}/s")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
