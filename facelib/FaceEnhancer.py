"""The original's x4 FaceEnhancer network (reference §4.5), run from its weight file `_internal/FaceEnhancer.npy`.

The weights cannot be downloaded (they ship only with the original's Windows builds): a user copies FaceEnhancer.npy
into `_internal/`. Keys and shapes are the original's (`conv1/weight:0` (3, 3, 3, 64), `dense1/weight:0` (1, 64),
...; float16 in the released file, biases stored (1, 1, 1, C) or (C,)); a file missing any of them is refused.
`enhance(img)` tiles the image in 192 px patches with stride 96 and blends them with a tent window, exactly as the
original's `FaceEnhancer.enhance`.
"""
from pathlib import Path

import cv2
import numpy as np
import tensorflow as tf

from core.errors import UserError
from core.leras import config, weights
from core.leras.base import ModelBase
from core.leras.layers import Conv2D, Dense

WEIGHTS_NAME = "FaceEnhancer.npy"
PATCH = 192
UP = 4
PARAMS = (0.2, 1.0)  # the two fixed "param" inputs the original feeds the network
BATCH = 4  # patches per network call

_ENCODER = ((64, 64), (64, 112), (112, 192), (192, 336), (336, 512))  # (in, out) of e0..e4
_DECODER = ((1024, 512), (848, 512), (704, 288), (400, 160), (224, 96))  # d4..d0


def _lrelu(x):
    return tf.nn.leaky_relu(x, 0.1)


def _up2(x):
    """The original's resize2d_bilinear: TF1 bilinear without half-pixel centres."""
    return tf.raw_ops.ResizeBilinear(images=x, size=tf.shape(x)[1:3] * 2, align_corners=False,
                                     half_pixel_centers=False)


def _pool(x):
    return tf.nn.avg_pool2d(x, 2, 2, "VALID")


def _conv(i, o):
    return Conv2D(i, o, kernel_size=3, strides=1, padding="SAME")


class FaceEnhancerNet(ModelBase):
    """The U-Net: NHWC (N, 192, 192, 3) in tanh range plus two (N, 1) params -> (N, 768, 768, 3)."""

    def on_build(self):
        self.conv1 = _conv(3, 64)
        self.dense1 = Dense(1, 64, use_bias=False)
        self.dense2 = Dense(1, 64, use_bias=False)
        for k, (i, o) in enumerate(_ENCODER):
            setattr(self, f"e{k}_conv0", _conv(i, o))
            setattr(self, f"e{k}_conv1", _conv(o, o))
        for k in range(4):
            setattr(self, f"center_conv{k}", _conv(512, 512))
        for k, (i, o) in zip(range(4, -1, -1), _DECODER):
            setattr(self, f"d{k}_conv0", _conv(i, o))
            setattr(self, f"d{k}_conv1", _conv(o, o))
        self.out1x_conv0, self.out1x_conv1 = _conv(96, 48), _conv(48, 3)
        self.dec2x_conv0, self.dec2x_conv1 = _conv(96, 96), _conv(96, 96)
        self.out2x_conv0, self.out2x_conv1 = _conv(96, 48), _conv(48, 3)
        self.dec4x_conv0, self.dec4x_conv1 = _conv(96, 72), _conv(72, 72)
        self.out4x_conv0, self.out4x_conv1 = _conv(72, 36), _conv(36, 3)

    def forward(self, bgr, param, param1):
        a = tf.reshape(self.dense1(param), (-1, 1, 1, 64))
        b = tf.reshape(self.dense2(param1), (-1, 1, 1, 64))
        x = _lrelu(self.conv1(bgr) + a + b)
        skips = []
        for k in range(5):
            if k:
                x = _pool(x)
            x = _lrelu(getattr(self, f"e{k}_conv0")(x))
            x = _lrelu(getattr(self, f"e{k}_conv1")(x))
            skips.append(x)
        x = _pool(x)
        for k in range(4):
            x = _lrelu(getattr(self, f"center_conv{k}")(x))
        for k in range(4, -1, -1):
            x = tf.concat([_up2(x), skips[k]], -1)
            x = _lrelu(getattr(self, f"d{k}_conv0")(x))
            x = _lrelu(getattr(self, f"d{k}_conv1")(x))
        d0 = x
        out1x = bgr + tf.nn.tanh(self.out1x_conv1(_lrelu(self.out1x_conv0(d0))))
        d2x = _up2(_lrelu(self.dec2x_conv1(_lrelu(self.dec2x_conv0(d0)))))
        out2x = _up2(out1x) + tf.nn.tanh(self.out2x_conv1(_lrelu(self.out2x_conv0(d2x))))
        d4x = _up2(_lrelu(self.dec4x_conv1(_lrelu(self.dec4x_conv0(d2x)))))
        return _up2(out2x) + tf.nn.tanh(self.out4x_conv1(_lrelu(self.out4x_conv0(d4x))))


def default_weights_path():
    from facelib.internal_weights import internal_path
    return internal_path(WEIGHTS_NAME)


class FaceEnhancer:
    """`FaceEnhancer(path=None)` loads `_internal/FaceEnhancer.npy` (or `path`); UserError when it is missing or not
    the enhancer's weights. `enhance(img)` as the original."""

    def __init__(self, weights_path=None):
        path = Path(weights_path) if weights_path else default_weights_path()
        if not path.is_file():
            raise UserError(f"{path}: not found — the FaceEnhancer super resolution needs the original DeepFaceLab's "
                            f"{WEIGHTS_NAME} (from its facelib/ folder) in {path.parent}; or choose a Real-ESRGAN "
                            f"super resolution model")
        arrays = weights.read_weight_file(path)
        with config.use_data_format("NHWC"):
            self.net = FaceEnhancerNet(name="FaceEnhancer")
            self.net.build()
            expected = set(self.net.get_weights_dict())
            missing = sorted(expected - set(arrays))
            if missing:
                raise UserError(f"{path}: not the FaceEnhancer's weights ({len(missing)} of {len(expected)} layers "
                                f"missing, e.g. {missing[0]}); copy FaceEnhancer.npy from the original again")
            weights.assign_from_arrays(self.net, arrays, path)

        @tf.function(input_signature=[tf.TensorSpec((None, PATCH, PATCH, 3), tf.float32)])
        def run(patches):
            with config.use_data_format("NHWC"):
                n = tf.shape(patches)[0]
                p0 = tf.fill((n, 1), tf.constant(PARAMS[0], tf.float32))
                p1 = tf.fill((n, 1), tf.constant(PARAMS[1], tf.float32))
                return self.net(patches, p0, p1)
        self._run = run

    def run_patches(self, patches):
        """(N, 192, 192, 3) float32 in tanh range -> (N, 768, 768, 3)."""
        patches = np.asarray(patches, np.float32)
        return np.concatenate([self._run(patches[i:i + BATCH]).numpy() for i in range(0, len(patches), BATCH)])

    def enhance(self, inp_img, is_tanh=False, preserve_size=True, on_batch=None):
        """x4 image of `inp_img` (H, W, 3) float32: 0..1 (or -1..1 with is_tanh). With preserve_size the result is
        resized back to (W, H) (Lanczos), as the faceset enhancer uses it; the merger takes the x4 image.
        Patches are blended in as each batch comes out (memory does not grow with their count);
        `on_batch(done, total)` follows the batches."""
        img = np.asarray(inp_img, np.float32)
        if not is_tanh:
            img = np.clip(img * 2 - 1, -1, 1)
        ih, iw = img.shape[:2]
        t = max(0, (PATCH - ih) // 2)
        b = max(0, PATCH - ih - t)
        left = max(0, (PATCH - iw) // 2)
        r = max(0, PATCH - iw - left)
        img = np.pad(img, ((t, b), (left, r), (0, 0)))
        h, w = img.shape[:2]
        ys, xs = _patch_starts(h), _patch_starts(w)
        coords = [(y, x) for y in ys for x in xs]
        line = np.concatenate([np.linspace(0, 1, PATCH // 2 * UP), np.linspace(1, 0, PATCH // 2 * UP)])
        window = np.outer(line, line).astype(np.float32)[..., None]
        final = np.zeros((h * UP, w * UP, 3), np.float32)
        div = np.zeros((h * UP, w * UP, 1), np.float32)
        n_batches = -(-len(coords) // BATCH)
        for k in range(n_batches):
            part = coords[k * BATCH:(k + 1) * BATCH]
            outs = self.run_patches([img[y:y + PATCH, x:x + PATCH] for y, x in part])
            for (y, x), out in zip(part, outs):
                final[y * UP:(y + PATCH) * UP, x * UP:(x + PATCH) * UP] += out * window
                div[y * UP:(y + PATCH) * UP, x * UP:(x + PATCH) * UP] += window
            if on_batch:
                on_batch(k + 1, n_batches)
        div[div == 0] = 1.0
        final = (final / div)[t * UP:(h - b) * UP, left * UP:(w - r) * UP]
        if preserve_size:
            final = cv2.resize(final, (iw, ih), interpolation=cv2.INTER_LANCZOS4)
        if not is_tanh:
            final = np.clip(final / 2 + 0.5, 0, 1)
        return final


def _patch_starts(length):
    """Patch offsets along one axis: stride 96, the last patch flush with the end (the original's loop)."""
    last = length - PATCH
    starts, pos = [], 0
    while True:
        starts.append(pos)
        if pos == last:
            return starts
        pos = min(pos + PATCH // 2, last)
