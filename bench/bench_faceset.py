"""Faceset speed: metadata read (files/s) over a 1,000-face folder, pack and unpack (MB/s).

Faces come from ../shared/compat (the original's) when present, else are made from tests/data photos; they are
copied under new names to reach 1,000. In-run baselines: plain file reads and a full JPEG decode (for metadata),
and a plain folder copy (for pack/unpack). Each rate is given by wall time and, in brackets, by this process's CPU
time (steadier on a shared machine; unpack also waits for the disk).
Run: python bench/bench_faceset.py [N]
"""
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from bench.benchlib import record  # noqa: E402
from core import interact  # noqa: E402
from core.dflimg import iter_dfl_images  # noqa: E402
from samplelib import PackedFaceset  # noqa: E402


def source_faces(work):
    compat = REPO.parent / "shared" / "compat" / "aligned_whole_face"
    if compat.is_dir():
        return sorted(compat.glob("*.jpg")), "the original's 256 px faces"
    from faceset_fixtures import make_aligned_faces
    return make_aligned_faces(work / "made", size=256), "faces made from tests/data (256 px)"


class Took:
    def __init__(self, wall, cpu):
        self.wall, self.cpu = wall, cpu

    def rate(self, amount, fmt=",.0f"):
        return f"{amount / self.wall:{fmt}} ({amount / self.cpu:{fmt}} CPU)"


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return Took(time.perf_counter() - w, max(time.process_time() - c, 1e-9)), out


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    interact.set_non_interactive(True)
    work = Path(tempfile.mkdtemp(prefix="bench_faceset_"))
    try:
        faces, what = source_faces(work)
        folder = work / "aligned"
        folder.mkdir()
        for i in range(n):
            shutil.copy(faces[i % len(faces)], folder / f"{i:05d}_{faces[i % len(faces)].name}")
        paths = sorted(folder.glob("*.jpg"))
        mb = sum(p.stat().st_size for p in paths) / 1e6
        print(f"{n} faces ({what}), {mb:.1f} MB")

        t_read, _ = timed(lambda: [p.read_bytes() for p in paths])
        t_decode, _ = timed(lambda: [cv2.imdecode(np.fromfile(p, np.uint8), cv2.IMREAD_COLOR) for p in paths])
        t_meta, got = timed(lambda: [d.get_landmarks() for _, d in iter_dfl_images(paths)])
        assert len(got) == n
        print(f"metadata read: {t_meta.rate(n)} files/s   "
              f"(baseline: plain read {t_read.rate(n)} files/s, full JPEG decode {t_decode.rate(n)} files/s)")
        record("faceset", "metadata read (landmarks)", n / t_meta.wall, "files/s", "full JPEG decode",
               n / t_decode.wall, f"{n} faces; plain read {n / t_read.wall:,.0f} files/s")

        copy_dir = work / "copy"
        t_copy, _ = timed(lambda: shutil.copytree(folder, copy_dir))
        t_pack, _ = timed(lambda: PackedFaceset.pack(folder, delete_originals=False))
        for p in paths:
            p.unlink()
        t_unpack, _ = timed(lambda: PackedFaceset.unpack(folder))
        assert len(list(folder.glob("*.jpg"))) == n
        print(f"pack: {t_pack.rate(mb, ',.1f')} MB/s, {t_pack.rate(n)} faces/s")
        print(f"unpack: {t_unpack.rate(mb, ',.1f')} MB/s, {t_unpack.rate(n)} faces/s")
        print(f"(baseline: folder copy {t_copy.rate(mb, ',.1f')} MB/s)")
        for name, took in (("pack", t_pack), ("unpack", t_unpack)):
            record("faceset", name, mb / took.wall, "MB/s", "folder copy", mb / t_copy.wall,
                   f"{n} faces, {mb:.1f} MB; {n / took.wall:,.0f} faces/s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
