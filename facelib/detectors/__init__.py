"""Face detector registry: name -> class. `create_detector(name).detect(bgr)` -> [(l, t, r, b)], largest first.

Every detector returns boxes in the original's S3FD convention (see `boxes.py`): bottom extended by 10% for the chin,
sorted by area. `min_face_size` (frame pixels, as measured by `facelib/face_measure.py`) sets the resolution each
detector looks at, so that faces of that size are found; the extractor drops smaller faces after landmarks.
"manual" is the extractor's interactive window and has no class.
Importing this package imports neither TensorFlow nor any weights; creating a detector loads its weights once.
"""
from core.errors import UserError
from facelib.face_measure import DEFAULT_MIN_FACE_SIZE
from facelib.detectors.centerface import CenterFaceDetector
from facelib.detectors.mt import MTDetector
from facelib.detectors.s3fd import S3FDDetector

DETECTORS = {cls.name: cls for cls in (CenterFaceDetector, MTDetector, S3FDDetector)}
MANUAL = "manual"
DETECTOR_NAMES = [*DETECTORS, MANUAL]
DEFAULT_DETECTOR = "centerface"


def available_detectors():
    """Names usable now, in DETECTOR_NAMES order: s3fd only with `_internal/S3FD.npy`; manual always."""
    return [name for name in DETECTOR_NAMES if name == MANUAL or DETECTORS[name].available()]


def create_detector(name, min_face_size=DEFAULT_MIN_FACE_SIZE):
    """A ready detector; UserError (one line, with the fix) when its weights are missing."""
    if name not in DETECTORS:
        raise UserError(f"face detector {name!r}: not a detector with a network — choose one of "
                        f"{', '.join(DETECTORS)} ('manual' is the extractor's window)")
    return DETECTORS[name](min_face_size=min_face_size)
