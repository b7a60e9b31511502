"""XSeg editor speed: opening a 1,000-face folder, saving a polygon edit, and moving to the next face after an edit.

Faces come from ../shared/compat (the original's 256 px faces) when present, else are made from tests/data photos;
they are copied under new names to reach N. Runs offscreen. In-run baselines: reading every file's bytes (for the
folder scan), an atomic write of the same file bytes (for a save), and DFLJPG.load + decode (for a navigation).
Run: python bench/bench_xseg_editor.py [N]
"""
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from benchlib import quick, record  # noqa: E402
from core.dflimg import DFLJPG  # noqa: E402
from core.pathex import write_bytes_atomic  # noqa: E402


def source_faces(work):
    compat = REPO.parent / "shared" / "compat" / "aligned_whole_face"
    if compat.is_dir():
        return sorted(compat.glob("*.jpg")), "the original's 256 px faces"
    from faceset_fixtures import make_aligned_faces
    return make_aligned_faces(work / "made", size=256), "faces made from tests/data (256 px)"


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else (200 if quick() else 1000)
    steps = 20 if quick() else 50
    from PyQt5.QtWidgets import QApplication
    from XSegEditor.faces import FaceFolder
    from XSegEditor.window import EditorWindow

    app = QApplication.instance() or QApplication([])
    work = Path(tempfile.mkdtemp(prefix="bench_xseg_editor_"))
    try:
        faces, what = source_faces(work)
        folder = work / "aligned"
        folder.mkdir()
        for i in range(n):
            shutil.copy(faces[i % len(faces)], folder / f"{i:05d}_{faces[i % len(faces)].name}")
        paths = sorted(folder.glob("*.jpg"))
        print(f"{n} faces ({what})")

        t_read, _ = timed(lambda: [p.read_bytes() for p in paths])
        t_scan, ff = timed(lambda: FaceFolder(folder))
        t_window, w = timed(lambda: EditorWindow(ff))
        w.show()
        app.processEvents()
        record("xseg editor", f"open {n} faces (scan + window)", t_scan + t_window, "s",
               "read every file's bytes", t_read, f"scan {t_scan:.2f} s, window {t_window:.2f} s")

        square = [(40, 40), (200, 40), (200, 200), (120, 230), (40, 200)]
        nav, base_load, base_write = [], [], []
        for i in range(steps):
            for x, y in square:                       # one edit per point, each saved
                if w.doc.drawing is None:
                    w.doc.start_poly(1, x + i, y)
                else:
                    w.doc.add_point(x + i, y)
            dt, _ = timed(lambda: w.go_to(w.index + 1))   # finish the polygon (one more save) + open the next face
            nav.append(dt)
            data = paths[i].read_bytes()
            base_write.append(timed(lambda: write_bytes_atomic(work / "copy.jpg", data))[0])
            base_load.append(timed(lambda: DFLJPG.load(paths[i + 1]).get_img())[0])
        save = statistics.median(w.save_times)
        record("xseg editor", "save after an edit (median)", save * 1000, "ms",
               "atomic write of the same bytes", statistics.median(base_write) * 1000,
               f"{len(w.save_times)} saves")
        record("xseg editor", "next face after an edit (median)", statistics.median(nav) * 1000, "ms",
               "DFLJPG.load + decode", statistics.median(base_load) * 1000, f"{steps} navigations")
        assert sum(f.labelled for f in ff.faces[:steps]) == steps
        w.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
