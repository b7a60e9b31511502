"""Seconds per 1,000 faces for every sort method, on 2 worker processes (the CPU this project targets).

The faces of --faces (default: the original's 22 aligned faces beside a development checkout) are replicated to
--count files; each method sorts a fresh copy (copying is not timed; process start-up is). The in-run baseline is
the time to just read and decode the same faces once in one process.

    python bench/bench_sort.py [--faces DIR] [--count 1000] [--workers 2] [--methods blur,hist,...]
"""
import argparse
import contextlib
import io
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core import interact  # noqa: E402
from mainscripts.sort import registry, sorter  # noqa: E402

DEFAULT_FACES = ROOT.parent / "shared" / "compat" / "aligned_whole_face"
ANSWERS = {"target_count": 500, "absdiff_similar": True, "identity_threshold": 0.6, "identity_trash": False}


def replicate(src, dst, count):
    faces = sorted(src.glob("*.jpg"))
    if not faces:
        sys.exit(f"no aligned faces (*.jpg) in {src}: pass --faces DIR")
    dst.mkdir(parents=True)
    for i in range(count):
        shutil.copy(faces[i % len(faces)], dst / f"{i:05d}_{faces[i % len(faces)].name}")


def baseline(folder):
    from core.dflimg import DFLJPG
    t = time.perf_counter()
    for p in sorted(folder.glob("*.jpg")):
        DFLJPG.load(p).get_img()
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--faces", type=Path, default=DEFAULT_FACES)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--methods", default=",".join(registry.names()))
    args = ap.parse_args()
    interact.set_non_interactive(True)

    with tempfile.TemporaryDirectory() as tmp:
        master = Path(tmp) / "master"
        replicate(args.faces, master, args.count)
        per_k = 1000.0 / args.count
        base = baseline(master)
        print(f"{args.count} faces from {args.faces}, {args.workers} workers")
        print(f"{'baseline: read + decode, 1 process':<40} {base * per_k:8.2f} s / 1000 faces")
        for name in args.methods.split(","):
            method = registry.resolve(name)
            work = Path(tmp) / "run" / "aligned"
            shutil.rmtree(work.parent, ignore_errors=True)
            shutil.copytree(master, work)
            t = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                sorter.run(work, method, ANSWERS, workers=args.workers)
            dt = time.perf_counter() - t
            print(f"[{method.number:2d}] {method.name:<35} {dt * per_k:8.2f} s / 1000 faces", flush=True)


if __name__ == "__main__":
    main()
