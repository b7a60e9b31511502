"""fan2d / fan3d landmarkers: the original's FAN network with its weights `_internal/2DFAN.npy` / `3DFAN.npy`.

Crop (as the original): centre = box centre, scale = (w + h) / 195, a 200*scale px square around it resized to
256x256 RGB / 255. Decode: per-heatmap argmax on the 64x64 grid, shifted 0.25 px towards the larger neighbour,
+0.5, mapped back through the crop. The second pass averages 5 crops (centre and +-1 px diagonals).
"""
import cv2
import numpy as np

from facelib import internal_weights
from facelib.landmarkers.base import Landmarker

INPUT_SIZE = 256
HEATMAP_SIZE = 64
MULTI_SAMPLE_SHIFTS = ((0, 0), (-1, -1), (1, -1), (1, 1), (-1, 1))


def crop_scale(rect):
    l, t, r, b = (float(v) for v in rect)
    return (r - l + b - t) / 195.0, np.array([(l + r) / 2.0, (t + b) / 2.0])


def to_image(points, center, scale, resolution):
    """Points on a `resolution` grid of the crop -> image coordinates (the original's inverted `transform`)."""
    h = 200.0 * scale
    return (np.asarray(points, np.float64) - resolution * (0.5 - center / h)) * (h / resolution)


def crop(image, center, scale, resolution=INPUT_SIZE):
    """The original's crop: the 200*scale square around `center` (zero outside the image), resized (bilinear)."""
    ul = to_image([1, 1], center, scale, resolution).astype(np.int32)
    br = to_image([resolution, resolution], center, scale, resolution).astype(np.int32)
    ht, wd = image.shape[:2]
    out = np.zeros((br[1] - ul[1], br[0] - ul[0], image.shape[2]), dtype=np.uint8)
    new_x = (max(1, -ul[0] + 1), min(br[0], wd) - ul[0])
    new_y = (max(1, -ul[1] + 1), min(br[1], ht) - ul[1])
    old_x = (max(1, ul[0] + 1), min(br[0], wd))
    old_y = (max(1, ul[1] + 1), min(br[1], ht))
    if new_x[1] >= new_x[0] and new_y[1] >= new_y[0]:
        out[new_y[0] - 1:new_y[1], new_x[0] - 1:new_x[1]] = image[old_y[0] - 1:old_y[1], old_x[0] - 1:old_x[1]]
    return cv2.resize(out, (resolution, resolution), interpolation=cv2.INTER_LINEAR)


def decode(heatmaps, center, scale):
    """(68, 64, 64) heatmaps -> (68, 2) image points."""
    n, hh, ww = heatmaps.shape
    idx = heatmaps.reshape(n, -1).argmax(axis=1)
    px, py = idx % ww, idx // ww
    pts = np.stack([px, py], axis=1).astype(np.float64)
    inner = (px > 0) & (px < ww - 1) & (py > 0) & (py < hh - 1)
    i = np.nonzero(inner)[0]
    x, y = px[i], py[i]
    diff = np.stack([heatmaps[i, y, x + 1] - heatmaps[i, y, x - 1], heatmaps[i, y + 1, x] - heatmaps[i, y - 1, x]],
                    axis=1)
    pts[i] += np.sign(diff) * 0.25
    return to_image(pts + 0.5, center, scale, ww)


class FANLandmarker(Landmarker):
    name = None
    weights_file = None

    @classmethod
    def available(cls):
        return internal_weights.is_present(cls.weights_file)

    def __init__(self, weights_path=None):
        path = weights_path or internal_weights.require(self.weights_file, f"the {self.name} landmarker")
        import tensorflow as tf

        from core.leras import config
        from facelib.landmarkers.fan_net import FAN

        self.model = FAN()
        self.model.load_weights(path)

        @tf.function(input_signature=[tf.TensorSpec((None, INPUT_SIZE, INPUT_SIZE, 3), tf.float32)])
        def run(x):
            if config.data_format() == "NCHW":   # the layout at trace time, which the layers also use
                return self.model(tf.transpose(x, (0, 3, 1, 2)))
            return tf.transpose(self.model(x), (0, 3, 1, 2))

        self._run = run

    def heatmaps(self, crops_rgb):
        """(N, 256, 256, 3) RGB uint8 crops -> (N, 68, 64, 64) heatmaps."""
        return self._run(np.asarray(crops_rgb, np.float32) / 255.0).numpy()

    def _landmarks_one(self, image_bgr, rect, refine):
        rgb = image_bgr[:, :, ::-1]
        scale, center = crop_scale(rect)
        centers = [center + shift for shift in (MULTI_SAMPLE_SHIFTS if refine else MULTI_SAMPLE_SHIFTS[:1])]
        maps = self.heatmaps(np.stack([crop(rgb, c, scale) for c in centers]))
        return np.mean([decode(m, c, scale) for m, c in zip(maps, centers)], axis=0).astype(np.float32)


class FAN2DLandmarker(FANLandmarker):
    name = "fan2d"
    weights_file = "2DFAN.npy"


class FAN3DLandmarker(FANLandmarker):
    name = "fan3d"
    weights_file = "3DFAN.npy"
