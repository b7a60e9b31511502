"""MT face detector: MTCNN (P/R/O-Net cascade) from the `mtcnn` package, on TensorFlow, as in the original's 1.0.

Faces whose 5 keypoints are not upright are dropped (`boxes.is_upright`); TensorFlow and the package are imported
when the detector is created, never at module import. The frame is used as it is whatever the minimum face size:
MTCNN's pyramid starts at 20 px faces, and enlarging the frame 2x for 16 px faces found fewer faces on the crowd
benchmark (bench/bench_crowd.py), at 4x the cost.
"""
import importlib.util

import numpy as np

from core.errors import UserError
from facelib.detectors import boxes

# MTCNN boxes are, like CenterFace's, ~10% narrower than dlib's frontal-detector boxes (median 1.11 over 25 faces).
WIDEN = 1.1


def _tf_device():
    import tensorflow as tf
    return "GPU:0" if tf.config.list_logical_devices("GPU") else "CPU:0"


class MTDetector:
    name = "mt"

    @staticmethod
    def available():
        return importlib.util.find_spec("mtcnn") is not None

    def __init__(self, min_face_size=None):
        if not self.available():
            raise UserError("mtcnn: package not installed — the MT detector needs it; "
                            "run `pip install -r requirements.txt`")
        from mtcnn import MTCNN
        self.model = MTCNN(device=_tf_device())

    def raw_detect(self, image_bgr):
        """Rows (l, t, r, b, score) and (5, 2) keypoints in frame pixels, before the upright filter and the
        original's post-processing."""
        rgb = np.ascontiguousarray(image_bgr[:, :, ::-1])
        # default min_face_size (20): mtcnn 1.0.0 sizes its pyramid for 20 px and fails on larger minimums
        res = self.model.detect_faces(rgb, box_format="xyxy", output_type="numpy")
        # rows: image index, x1, y1, x2, y2, confidence, then the x of 5 keypoints (eyes, nose, mouth corners),
        # then their y
        res = np.asarray(res, dtype=np.float32).reshape(-1, 16)
        return res[:, 1:6], res[:, 6:16].reshape(-1, 2, 5).transpose(0, 2, 1)

    def detect(self, image_bgr):
        return self.detect_and_turn(image_bgr)[0]

    def detect_and_turn(self, image_bgr):
        """(upright boxes, the clockwise quarter turn that would make the most of the faces found upright)."""
        return boxes.upright_and_turn(*self.raw_detect(image_bgr), widen=WIDEN)
