"""Faceset enhance: seconds per face and peak memory of each Real-ESRGAN network (`facesettool enhance` on one face,
run in a child process so the peak is that run's own), and how well each restores held-out real faces: the face is
shrunk x4 (area), enlarged x4 by the network, and compared with the original (PSNR, SSIM), beside plain bicubic.

Faces: the original's aligned faces from ../shared/compat when present, else faces made from tests/data photos.
Run: python bench/bench_enhance.py [--faces N] [--size PX] [--big PX] [--skip-slow]
"""
import argparse
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from bench.benchlib import quick, record  # noqa: E402

FAST, SLOW = "realesr-animevideov3", "realesrgan-x4plus"


def held_out_faces(work, n):
    compat = REPO.parent / "shared" / "compat" / "aligned_whole_face"
    if compat.is_dir():
        paths = sorted(compat.glob("*.jpg"))
    else:
        from faceset_fixtures import make_aligned_faces
        paths = make_aligned_faces(work / "made", size=256)
    step = max(1, len(paths) // n)
    return paths[::step][:n]


def round_trip_quality(paths, names):
    """{method: (mean PSNR dB, mean SSIM)} of x4 down (area) then x4 up, against the original faces."""
    from core.dflimg import DFLJPG
    from mainscripts.report.metrics import psnr, ssim
    from merger.enhancers import get_enhancer
    ups = {"bicubic": lambda lo: cv2.resize(lo, (lo.shape[1] * 4, lo.shape[0] * 4), interpolation=cv2.INTER_CUBIC)}
    for name in names:
        ups[name] = get_enhancer(name)
    scores = {m: [] for m in ups}
    for p in paths:
        img = DFLJPG.load(p).get_img().astype(np.float32) / 255
        h, w = img.shape[:2]
        lo = cv2.resize(img, (w // 4, h // 4), interpolation=cv2.INTER_AREA)
        for m, up in ups.items():
            out = np.clip(up(lo), 0, 1)
            scores[m].append((psnr(img, out), ssim(img, out)))
    return {m: tuple(np.mean(v, axis=0)) for m, v in scores.items()}


def one_face_folder(work, src, size):
    from core.dflimg import DFLJPG
    d = work / f"face{size}" / "aligned"
    d.mkdir(parents=True)
    s = DFLJPG.load(src)
    face = DFLJPG.create(d / src.name, cv2.resize(s.get_img(), (size, size), interpolation=cv2.INTER_CUBIC),
                         quality=95, save=False)
    face.meta = s.meta.copy()
    face.save()
    return d


def speed_and_peak(folder, name, tile=None):
    from child_peak import run_main_measured
    shutil.rmtree(folder.parent / "aligned_enhanced", ignore_errors=True)
    argv = ["facesettool", "enhance", "--non-interactive", "--input-dir", str(folder), "--enhancer", name,
            "--merge", "n"] + (["--tile-size", str(tile)] if tile else [])
    r = run_main_measured(argv)
    if r["rc"] != 0:
        raise RuntimeError(r["output"][-2000:])
    return r["seconds"], r["peak_gb"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--faces", type=int, default=3 if quick() else 8, help="held-out faces for PSNR/SSIM")
    ap.add_argument("--size", type=int, default=256 if quick() else 512, help="face size for s/face and peak")
    ap.add_argument("--big", type=int, default=0 if quick() else 1024,
                    help="also the fast network's peak on a face this big, in tiles and in one piece (0: skip)")
    ap.add_argument("--skip-slow", action="store_true", help=f"leave {SLOW} out of the speed and peak runs")
    args = ap.parse_args()
    from core import interact
    interact.set_non_interactive(True)
    work = Path(tempfile.mkdtemp(prefix="bench_enhance_"))
    try:
        faces = held_out_faces(work, args.faces)
        q = round_trip_quality(faces, (FAST, SLOW))
        for m, (p, s) in q.items():
            print(f"x4 round trip on {len(faces)} held-out faces, {m}: PSNR {p:.2f} dB, SSIM {s:.4f}")
        for m in (FAST, SLOW):
            record("enhance", f"{m} x4 round trip PSNR", q[m][0], "dB", "bicubic", q["bicubic"][0],
                   f"{len(faces)} held-out faces; {SLOW if m == FAST else FAST}: {q[SLOW if m == FAST else FAST][0]:.2f}")
            record("enhance", f"{m} x4 round trip SSIM", q[m][1], "", "bicubic", q["bicubic"][1],
                   f"{len(faces)} held-out faces")

        folder = one_face_folder(work, faces[0], args.size)
        runs = {FAST: speed_and_peak(folder, FAST)}
        if not args.skip_slow:
            runs[SLOW] = speed_and_peak(folder, SLOW)
        for m, (sec, gb) in runs.items():
            print(f"{m}, {args.size} px face: {sec:.1f} s/face, peak {gb:.2f} GB")
        base = SLOW if SLOW in runs else FAST
        for m, (sec, gb) in runs.items():
            record("enhance", f"{m} {args.size} px face", sec, "s/face", base, runs[base][0],
                   f"1,000 faces: {sec * 1000 / 3600:.1f} h")
            record("enhance", f"{m} {args.size} px face peak (child process)", gb, "GB", base, runs[base][1])
        if args.big:
            big = one_face_folder(work, faces[0], args.big)
            tiled = speed_and_peak(big, FAST)
            whole = speed_and_peak(big, FAST, tile=args.big)
            record("enhance", f"{FAST} {args.big} px face peak, tiled (child process)", tiled[1], "GB",
                   "the same in one piece", whole[1], f"{tiled[0]:.1f} s tiled, {whole[0]:.1f} s in one piece")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
