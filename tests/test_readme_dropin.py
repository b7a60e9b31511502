"""The README's drop-in weights section names every weight file the code looks for in `_internal/` (and the
pretrain faceset), and for each says where it goes, what uses it, what works without it and the closest built-in
replacement; it says that `head` uses 2-D landmarks where the guides use 3-D."""
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def _section():
    text = README.read_text(encoding="utf-8")
    start = text.index("<!-- section:dropin -->")
    return text[start:text.index("\n## ", start)]


def test_every_drop_in_weight_has_a_row_with_every_column():
    from facelib.detectors.s3fd import WEIGHTS_FILE
    from facelib.FaceEnhancer import WEIGHTS_NAME
    from facelib.landmarkers.fan import FAN2DLandmarker, FAN3DLandmarker
    section = _section()
    rows = [r for r in section.splitlines() if r.startswith("| ") and not r.startswith("| what")]
    files = {WEIGHTS_FILE: "S3FD", FAN2DLandmarker.weights_file: "2D-FAN", FAN3DLandmarker.weights_file: "3D-FAN",
             WEIGHTS_NAME: "FaceEnhancer", "model_generic_xseg/XSeg_256.npy": "XSeg", "--pretraining-data-dir": "pretrain"}
    for needle, what in files.items():
        row = [r for r in rows if needle in r]
        assert len(row) == 1, needle
        cells = [c.strip() for c in row[0].strip("|").split("|")]
        assert len(cells) == 5 and all(cells) and what in cells[0], row


def test_head_landmarks_are_called_out():
    section = _section()
    assert re.search(r"`head`[^.]*2-D landmarks, where the guides[^.]*3-D", section)
