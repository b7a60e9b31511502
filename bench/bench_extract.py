"""Extraction speed: frames/s and faces/s per detector on the demo data_dst frames (252x188) and on 720p frames, with
the detector / landmarks / align+write shares of the work; in-run baseline: the same extraction in one process (no
worker pool, the libraries using their own threads).

Wall-clock times of a fresh process each, so they include Python start-up, imports, starting the workers and
loading the models (what a user waits for). Faces are written whole_face 512, JPEG q90, without debug images,
second landmark pass on (the defaults).
720p frames: the KPhotoAlbum test photos letterboxed to 1280x720. BENCH_QUICK=1 (run_all): the 60 demo frames with
centerface only.

    python bench/bench_extract.py [--frames N] [--frames-720p N] [--workers N] [--detectors centerface,mt]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from bench.benchlib import quick, record  # noqa: E402
from core.workers import cpu_count  # noqa: E402
from facelib.FaceType import FaceType  # noqa: E402
from mainscripts.Extractor import plan_workers, run_pool  # noqa: E402
from mainscripts.extract.stages import ExtractConfig  # noqa: E402


def demo_frames(out, count):
    import imageio_ffmpeg
    reader = imageio_ffmpeg.read_frames(str(ROOT / "workspace" / "data_dst.mp4"))
    w, h = next(reader)["size"]
    frames = [np.frombuffer(raw, np.uint8).reshape(h, w, 3)[..., ::-1] for raw in reader]
    return write(out, [frames[i % len(frames)] for i in range(count)])


def frames_720p(out, count):
    photos = sorted((ROOT / "tests" / "data" / "jesper").glob("*.jpg"))
    frames = []
    for i in range(count):
        img = cv2.imread(str(photos[i % len(photos)]))
        s = min(1280 / img.shape[1], 720 / img.shape[0])
        img = cv2.resize(img, (int(img.shape[1] * s), int(img.shape[0] * s)), interpolation=cv2.INTER_CUBIC)
        canvas = np.zeros((720, 1280, 3), np.uint8)
        y, x = (720 - img.shape[0]) // 2, (1280 - img.shape[1]) // 2
        canvas[y:y + img.shape[0], x:x + img.shape[1]] = img
        frames.append(canvas)
    return write(out, frames)


def write(out, frames):
    out.mkdir(parents=True)
    paths = []
    for i, f in enumerate(frames):
        paths.append(out / f"{i:05d}.png")
        cv2.imwrite(str(paths[-1]), np.ascontiguousarray(f))
    return paths


def config(detector, out):
    return ExtractConfig(int(FaceType.WHOLE_FACE), 512, 90, 0, detector, "dlib68", str(out), None)


def measure(frames_dir, detector, out, workers):
    """One extraction; prints its face count and per-stage worker time as JSON (run in a fresh process)."""
    frames = sorted(Path(frames_dir).glob("*.png"))
    out.mkdir(parents=True)
    results = list(run_pool(frames, config(detector, out), workers=workers))
    stages = {k: sum(r.times.get(k, 0.0) for r in results) for k in ("read", "detect", "landmarks", "final")}
    print("MEASURE " + json.dumps({"faces": sum(r.faces for r in results), "stages": stages}))


def run(frames_dir, detector, out, workers):
    """`measure` in a new Python process, timed from its start: both runs pay for imports and model loading alike."""
    cmd = [sys.executable, __file__, "--measure", str(frames_dir), detector, str(out), str(workers or 0)]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    wall = time.perf_counter() - t
    line = next((x for x in proc.stdout.splitlines() if x.startswith("MEASURE ")), None)
    if line is None:
        sys.exit(f"measurement failed: {proc.stderr[-2000:]}")
    m = json.loads(line[len("MEASURE "):])
    return wall, m["faces"], m["stages"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=60 if quick() else 240, help="demo frames (60 = the whole clip)")
    ap.add_argument("--frames-720p", type=int, default=0 if quick() else 56, help="0: none")
    ap.add_argument("--workers", type=int, default=None, help="default: the extractor's own choice per detector")
    ap.add_argument("--detectors", default="centerface" if quick() else "centerface,mt")
    ap.add_argument("--measure", nargs=4, metavar=("FRAMES_DIR", "DETECTOR", "OUT", "WORKERS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        frames_dir, det, out, workers = args.measure
        measure(frames_dir, det, Path(out), int(workers) or None)
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    print(f"{cpu_count()} CPU cores", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sets = {"demo 252x188": (tmp / "demo", len(demo_frames(tmp / "demo", args.frames)))}
        if args.frames_720p:
            sets["720p"] = (tmp / "720p", len(frames_720p(tmp / "720p", args.frames_720p)))
        for name, (frames, n) in sets.items():
            for det in args.detectors.split(","):
                used = args.workers or plan_workers(config(det, tmp), [], None, n)[0]
                b_wall, b_faces, b_st = run(frames, det, tmp / f"out-{name}-{det}-base", 1)
                if used > 1:
                    wall, faces, st = run(frames, det, tmp / f"out-{name}-{det}-pool", used)
                else:   # the extractor itself would run this in one process: the baseline is the figure
                    wall, faces, st = b_wall, b_faces, b_st
                total = sum(st.values()) or 1.0
                shares = (f"detect {st['detect'] / total:.0%} / landmarks {st['landmarks'] / total:.0%} / "
                          f"align+write {st['final'] / total:.0%} / read {st['read'] / total:.0%}")
                record("extract", f"{name} {det} frames/s ({n} frames, {used} workers)", n / wall, "frames/s",
                       "1 process", n / b_wall)
                record("extract", f"{name} {det} faces/s ({faces} faces)", faces / wall, "faces/s", "1 process",
                       b_faces / b_wall, note=f"shares of worker time: {shares}")


if __name__ == "__main__":
    main()
