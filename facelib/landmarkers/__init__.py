"""68-point landmarker registry: name -> class. `create_landmarker(name).landmarks(bgr, rects)` -> [(68, 2)].

dlib68 (default; weights from a pip package), fan2d / fan3d (the original's FAN, with `_internal/2DFAN.npy` /
`3DFAN.npy`). Every landmarker also offers the original's `second_pass(bgr, landmarks, detector)`.
Importing this package imports neither TensorFlow nor any weights.
"""
from core.errors import UserError
from facelib.FaceType import FaceType
from facelib.landmarkers.dlib68 import Dlib68Landmarker
from facelib.landmarkers.fan import FAN2DLandmarker, FAN3DLandmarker

LANDMARKERS = {cls.name: cls for cls in (Dlib68Landmarker, FAN2DLandmarker, FAN3DLandmarker)}
LANDMARKER_NAMES = list(LANDMARKERS)
DEFAULT_LANDMARKER = "dlib68"


def available_landmarkers():
    return [name for name, cls in LANDMARKERS.items() if cls.available()]


def preferred_landmarker(face_type):
    """The original's choice when its weights are present (3DFAN for head, 2DFAN below), else dlib68."""
    wanted = "fan3d" if FaceType(face_type) >= FaceType.HEAD else "fan2d"
    return wanted if LANDMARKERS[wanted].available() else DEFAULT_LANDMARKER


def create_landmarker(name):
    """A ready landmarker; UserError (one line, with the fix) when its weights are missing."""
    if name not in LANDMARKERS:
        raise UserError(f"landmarker {name!r}: unknown — choose one of {', '.join(LANDMARKERS)}")
    return LANDMARKERS[name]()
