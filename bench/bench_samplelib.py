"""Training-sample generator throughput vs. the rate training steps consume samples.

For the SAEHD outputs (res 128, face type FULL from whole-face samples: warped input, target, full-face mask,
eyes+mouth mask) and Quick96 (res 96: warped input, target, full-face mask), both at batch 8, it prints samples/s
built in this thread (= the CPU cost of a sample) and with 1 and 2 worker processes, beside the consumption rates measured for the
training steps on this 2-core CPU (platform-notes: Quick96 batch 4+4 in ~1.1 s, SAEHD batch 8+8 in ~4 s fp32 /
~2.3 s bf16). The generator is not the bottleneck when it builds samples faster than a step uses them while taking
a small share of the CPU the step needs.

    python bench/bench_samplelib.py [--src DIR] [--dst DIR] [--batches N]
"""
import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from facelib.FaceType import FaceType  # noqa: E402
from samplelib.SampleGeneratorFace import SampleGeneratorFace  # noqa: E402
from samplelib.SampleProcessor import ChannelType, FaceMaskType, Options, SampleType  # noqa: E402

COMPAT = ROOT.parent / "shared" / "compat"
# samples consumed per second by a training step (both sides), from platform-notes' step timings
CONSUMPTION = {"Quick96": 8 / 1.1, "SAEHD fp32": 16 / 4.0, "SAEHD bf16": 16 / 2.3}


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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", type=Path, default=COMPAT / "aligned_whole_face")
    ap.add_argument("--dst", type=Path, default=COMPAT / "data_dst" / "aligned")
    ap.add_argument("--batches", type=int, default=12)
    args = ap.parse_args()
    if not args.src.is_dir() or not args.dst.is_dir():
        sys.exit(f"aligned faces folders not found ({args.src}, {args.dst}): pass --src and --dst")

    configs = [
        ("SAEHD res128", saehd_outputs(128, FaceType.FULL), 8, (-0.15, 0.15), "SAEHD fp32"),
        ("SAEHD res128 ct=rct", saehd_outputs(128, FaceType.FULL, "rct"), 8, (-0.15, 0.15), "SAEHD fp32"),
        ("Quick96 res96", saehd_outputs(96, FaceType.FULL)[:3], 8, (-0.05, 0.05), "Quick96"),
    ]
    print(f"{'outputs':22} {'batch':>5} {'in-thread':>10} {'1 worker':>10} {'2 workers':>10}   "
          f"step uses   CPU share at that rate")
    for name, outputs, batch, scale, step in configs:
        rates = [measure(args.src, args.dst, outputs, batch, w, args.batches, scale) for w in (0, 1, 2)]
        need = CONSUMPTION[step]
        need_bf16 = CONSUMPTION["SAEHD bf16"] if step.startswith("SAEHD") else None
        share = need / rates[0]  # seconds of one core per second of training
        line = (f"{name:22} {batch:5d} {rates[0]:8.1f}/s {rates[1]:8.1f}/s {rates[2]:8.1f}/s   "
                f"{need:5.1f}/s ({step})  {100 * share / 2:4.1f}% of 2 cores")
        if need_bf16:
            line += f"; bf16 {need_bf16:.1f}/s -> {100 * need_bf16 / rates[0] / 2:.1f}%"
        print(line)
    print("baseline: step consumption rates from platform-notes (2-core CPU); generator rates measured in this run")


if __name__ == "__main__":
    main()
