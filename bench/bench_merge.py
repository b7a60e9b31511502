"""Merge speed (frames/s) on the demo frames: the 60 frames of the eriberto clip (20 with BENCH_QUICK=1), 2 worker
processes.

Settings measured: overlay + rct + dst mask (the usual), seamless, and overlay with super resolution (Real-ESRGAN
animevideov3 through ncnn, run in the main process). Baseline in the same run: mode `original` (read, label, write;
no compositing), which includes the same worker start-up. The faces' landmarks come from dlib; the model is the
deterministic stand-in predictor of the tests (a colour-shifted face, resolution 96 like Quick96) unless
--model-dir/--model name a trained model, so the figures measure the merger, not a network.
Run: python bench/bench_merge.py [--workers 2] [--model-dir workspace/model --model Quick96]
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

SETTINGS = [
    ("original (baseline: I/O + label)", dict(mode="original")),
    ("overlay + rct + dst mask", dict(mode="overlay", mask_mode=1, color_transfer_mode="rct")),
    ("seamless + dst mask", dict(mode="seamless", mask_mode=1, color_transfer_mode="rct")),
    ("overlay + rct + super resolution 100", dict(mode="overlay", mask_mode=1, color_transfer_mode="rct",
                                                  super_resolution_power=100)),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--model-dir")
    ap.add_argument("--model")
    args = ap.parse_args()

    from bench_smoothing import clip_landmarks
    from mainscripts.Merger import MergeContext, merge_all
    from merger.FrameInfo import FrameInfo
    from merger.MergerConfig import MergerConfigMasked
    from merger.Predictor import BatchPredictor
    from merger_data import extract_frames, fake_predictor, fake_predictor_batch

    from benchlib import quick, record

    n = 20 if quick() else 60
    tmp = Path(tempfile.mkdtemp(prefix="bench_merge_"))
    frames_dir = extract_frames(tmp / "data_dst", n=n)
    lms = clip_landmarks()[:n]
    frames = [FrameInfo(p, lm) for p, lm in zip(sorted(frames_dir.glob("*.png")), lms)]
    if args.model_dir:
        from mainscripts.Merger import _model_merger_config
        from models import import_model
        model = import_model(args.model)(args.model_dir, is_training=False, cpu_only=True)
        pf, bf, size, face_type, _ = _model_merger_config(model)
        predictor, what = BatchPredictor(pf, size, bf), f"model {args.model} ({size} px)"
    else:
        size, face_type = 96, "whole_face"
        predictor, what = BatchPredictor(fake_predictor, size, fake_predictor_batch), "stand-in predictor (96 px)"
    n_faces = sum(len(f.landmarks_list) for f in frames)
    print(f"{len(frames)} frames ({n_faces} faces, 252x188), {args.workers} workers, {what}")
    rates = []
    for k, (name, settings) in enumerate(SETTINGS):
        out = tmp / str(k)
        (out / "m").mkdir(parents=True)
        (out / "k").mkdir()
        ctx = MergeContext(frames, predictor, size, out / "m", out / "k")
        cfg = MergerConfigMasked(face_type, **settings)
        t = time.perf_counter()
        summary = merge_all(ctx, cfg, args.workers)
        dt = time.perf_counter() - t
        rates.append(len(frames) / dt)
        print(f"{name:40s} {rates[-1]:6.2f} frames/s ({dt:.1f} s; {summary.line()})")
    for (name, _), rate in zip(SETTINGS[1:], rates[1:]):
        record("merge", f"frames/s, {name}", rate, "frames/s", SETTINGS[0][0], rates[0],
               f"{len(frames)} frames, {args.workers} workers, {what}")


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    main()
