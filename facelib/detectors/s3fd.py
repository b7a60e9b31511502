"""S3FD face detector: the original's network and weights (`_internal/S3FD.npy`), its input rule and box decoding.

Decoding as the original's `refine`: at level i (stride 2^(i+2) = 4..128) every cell whose face score is > 0.05 gives
a box from a square prior of side 4*stride centred on the cell, with variances 0.1 (centre) and 0.2 (log size);
NMS at IoU 0.3; boxes scoring >= 0.5 are kept, truncated to int, then post-processed (`boxes.finalize`).
Input size: the original's rule (`boxes.network_input_size`), enlarged when needed so that faces of the minimum face
size span 20 network pixels, as the original's 40 px faces do in its halved frames (at most 2x the frame).
"""
import cv2
import numpy as np

from facelib import internal_weights
from facelib.detectors import boxes
from facelib.face_measure import DEFAULT_MIN_FACE_SIZE

WEIGHTS_FILE = "S3FD.npy"
MIN_SCORE, NMS_IOU, KEEP_SCORE = 0.05, 0.3, 0.5
NET_FACE_PX = 20


def decode(olist):
    """[cls1, reg1, ..., cls6, reg6], each (H_i, W_i, C) NHWC without batch -> int boxes (l, t, r, b) in network
    input pixels, best first."""
    dets = []
    for i, (ocls, oreg) in enumerate(zip(olist[::2], olist[1::2])):
        stride = 2 ** (i + 2)
        ys, xs = np.nonzero(ocls[..., 1] > MIN_SCORE)
        if len(ys) == 0:
            continue
        loc = oreg[ys, xs, :].astype(np.float64)
        prior_c = np.stack([xs * stride + stride / 2, ys * stride + stride / 2], axis=1)
        prior_s = stride * 4
        centre = prior_c + loc[:, :2] * 0.1 * prior_s
        size = prior_s * np.exp(loc[:, 2:] * 0.2)
        lt = centre - size / 2
        dets.append(np.concatenate([lt, lt + size, ocls[ys, xs, 1:2]], axis=1))
    if not dets:
        return []
    dets = np.concatenate(dets, axis=0)
    dets = dets[boxes.nms(dets, NMS_IOU)]
    return [d[:4].astype(int) for d in dets if d[4] >= KEEP_SCORE]


class S3FDDetector:
    name = "s3fd"

    @staticmethod
    def available():
        return internal_weights.is_present(WEIGHTS_FILE)

    def __init__(self, weights_path=None, min_face_size=DEFAULT_MIN_FACE_SIZE):
        self.min_face_size = min_face_size
        path = weights_path or internal_weights.require(WEIGHTS_FILE, "the S3FD detector")
        import tensorflow as tf

        from core.leras import config
        from facelib.detectors.s3fd_net import S3FD

        self.model = S3FD()
        self.model.load_weights(path)

        @tf.function(input_signature=[tf.TensorSpec((1, None, None, 3), tf.float32)])
        def run(x):
            nchw = config.data_format() == "NCHW"   # the layout at trace time, which the layers also use
            outs = self.model(tf.transpose(x, (0, 3, 1, 2)) if nchw else x)
            return [tf.transpose(o, (0, 2, 3, 1)) if nchw else o for o in outs]

        self._run = run

    def forward(self, image_rgb):
        """The network's 12 outputs (H_i, W_i, C) for one RGB uint8/float image of any size."""
        outs = self._run(np.asarray(image_rgb, np.float32)[None])
        return [o.numpy()[0] for o in outs]

    def detect(self, image_bgr):
        h, w = image_bgr.shape[:2]
        nw, nh, input_scale = boxes.network_input_size(h, w)
        wanted = 2.0 if self.min_face_size <= 0 else min(2.0, NET_FACE_PX / self.min_face_size)
        if wanted > 1 / input_scale:
            input_scale = 1 / wanted
            nw, nh = max(1, round(w * wanted)), max(1, round(h * wanted))
        rgb = cv2.resize(np.ascontiguousarray(image_bgr[:, :, ::-1]), (nw, nh), interpolation=cv2.INTER_LINEAR)
        return boxes.finalize(decode(self.forward(rgb)), scale=input_scale)
