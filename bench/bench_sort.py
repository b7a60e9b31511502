"""Seconds per 1,000 faces for every sort method, on 2 worker processes (the CPU this project targets).

The faces of --faces (default: the original's 22 aligned faces beside a development checkout, else faces made from
tests/data photos) are replicated to --count files; each method sorts a fresh copy (copying is not timed; process
start-up is). Wall time and CPU time (this process and its workers) are printed: on a shared machine the CPU time is
the steadier figure. The in-run baseline is the time to just read and decode the same faces once in one process.
Then absdiff's peak memory (NumPy/Python allocations, tracemalloc) at --count and 3 x --count faces shows that it
grows with N, not N x N. BENCH_QUICK=1 (run_all): 200 faces, identity (dlib embeddings) on 50.

    python bench/bench_sort.py [--faces DIR] [--count 1000] [--identity-count N] [--workers 2] [--methods blur,...]
"""
import argparse
import contextlib
import io
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchlib import quick, record  # noqa: E402
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


def default_faces(work):
    if DEFAULT_FACES.is_dir():
        return DEFAULT_FACES
    sys.path.insert(0, str(ROOT / "tests"))
    from faceset_fixtures import make_aligned_faces
    make_aligned_faces(work / "made", size=256)
    return work / "made"


def clock():
    """(wall, CPU of this process and of its finished workers) in seconds."""
    t = os.times()
    return time.perf_counter(), t.user + t.system + t.children_user + t.children_system


def timed(fn):
    w0, c0 = clock()
    fn()
    w1, c1 = clock()
    return w1 - w0, c1 - c0


def baseline(folder):
    from core.dflimg import DFLJPG
    return timed(lambda: [DFLJPG.load(p).get_img() for p in sorted(folder.glob("*.jpg"))])


def absdiff_peak_mb(faces, tmp, count, workers):
    work = Path(tmp) / "mem" / "aligned"
    shutil.rmtree(work.parent, ignore_errors=True)
    replicate(faces, work, count)
    tracemalloc.start()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            sorter.run(work, registry.resolve("absdiff"), ANSWERS, workers=workers)
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--faces", type=Path)
    ap.add_argument("--count", type=int, default=200 if quick() else 1000)
    ap.add_argument("--identity-count", type=int, help="faces for the identity method (default: --count)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--methods", default=",".join(registry.names()))
    args = ap.parse_args()
    identity_count = args.identity_count or (50 if quick() else args.count)
    interact.set_non_interactive(True)

    with tempfile.TemporaryDirectory() as tmp:
        faces = args.faces or default_faces(Path(tmp))
        masters = {}

        def master(count):
            """The replicated faces and the read + decode baseline (wall, CPU) at `count`."""
            if count not in masters:
                folder = Path(tmp) / f"master{count}"
                replicate(faces, folder, count)
                masters[count] = folder, baseline(folder)
            return masters[count]
        per_k = 1000.0 / args.count
        print(f"{args.count} faces from {faces}, {args.workers} workers; seconds per 1000 faces")
        print(f"{'':<40} {'wall':>8} {'CPU':>8}")
        _, (wall, cpu) = master(args.count)
        print(f"{'baseline: read + decode, 1 process':<40} {wall * per_k:8.2f} {cpu * per_k:8.2f}")
        for name in args.methods.split(","):
            method = registry.resolve(name)
            count = identity_count if name == "identity" else args.count
            folder, (b_wall, b_cpu) = master(count)
            work = Path(tmp) / "run" / "aligned"
            shutil.rmtree(work.parent, ignore_errors=True)
            shutil.copytree(folder, work)
            with contextlib.redirect_stdout(io.StringIO()):
                wall, cpu = timed(lambda: sorter.run(work, method, ANSWERS, workers=args.workers))
            k = 1000.0 / count
            print(f"[{method.number:2d}] {method.name:<35} {wall * k:8.2f} {cpu * k:8.2f}"
                  f"{f'   ({count} faces)' if count != args.count else ''}", flush=True)
            record("sort", f"[{method.number}] {method.name}, s per 1000 faces", wall * k, "s",
                   "read + decode, 1 process", b_wall * k,
                   f"{count} faces, {args.workers} workers; CPU {cpu * k:.2f} s (baseline {b_cpu * k:.2f} s)")
        if "absdiff" in args.methods.split(","):
            for n in (args.count, 3 * args.count):
                mb = absdiff_peak_mb(faces, tmp, n, args.workers)
                print(f"absdiff peak memory, {n} faces: {mb:7.1f} MB = {mb * 1e3 / n:5.1f} KB per face "
                      f"(an N x N float32 table alone: {n * n * 4 / 1e6:7.1f} MB)", flush=True)
                record("sort", f"absdiff peak memory, {n} faces", mb, "MB", "an N x N float32 table alone",
                       n * n * 4 / 1e6, "NumPy/Python allocations (tracemalloc)")


if __name__ == "__main__":
    main()
