"""Discriminators of the original: PatchDiscriminator, UNetPatchDiscriminator (SAEHD/AMP GAN), CodeDiscriminator
(SAEHD 'true face'). Attribute names, hence weight keys, match the original's (`convs_0`, `upconvs_0`, ...)."""
import numpy as np
import tensorflow as tf

from core.leras import ops
from core.leras.base import ModelBase
from core.leras.layers import Conv2D, Conv2DTranspose

# patch size -> (suggested base channels, [[kernel, stride], ...])
PATCH_DISCRIMINATOR_KERNELS = {
    1: (512, [[1, 1]]), 2: (512, [[2, 1]]), 3: (512, [[2, 1], [2, 1]]), 4: (512, [[2, 2], [2, 2]]),
    5: (512, [[3, 2], [2, 2]]), 6: (512, [[4, 2], [2, 2]]), 7: (512, [[3, 2], [3, 2]]), 8: (512, [[4, 2], [3, 2]]),
    9: (512, [[3, 2], [4, 2]]), 10: (512, [[4, 2], [4, 2]]), 11: (512, [[3, 2], [3, 2], [2, 1]]),
    12: (512, [[4, 2], [3, 2], [2, 1]]), 13: (512, [[3, 2], [4, 2], [2, 1]]), 14: (512, [[4, 2], [4, 2], [2, 1]]),
    15: (512, [[3, 2], [3, 2], [3, 1]]), 16: (512, [[4, 2], [3, 2], [3, 1]]), 17: (512, [[3, 2], [4, 2], [3, 1]]),
    18: (512, [[4, 2], [4, 2], [3, 1]]), 19: (512, [[3, 2], [3, 2], [4, 1]]), 20: (512, [[4, 2], [3, 2], [4, 1]]),
    21: (512, [[3, 2], [4, 2], [4, 1]]), 22: (512, [[4, 2], [4, 2], [4, 1]]),
    23: (256, [[3, 2], [3, 2], [3, 2], [2, 1]]), 24: (256, [[4, 2], [3, 2], [3, 2], [2, 1]]),
    25: (256, [[3, 2], [4, 2], [3, 2], [2, 1]]), 26: (256, [[4, 2], [4, 2], [3, 2], [2, 1]]),
    27: (256, [[3, 2], [4, 2], [4, 2], [2, 1]]), 28: (256, [[4, 2], [3, 2], [4, 2], [2, 1]]),
    29: (256, [[3, 2], [4, 2], [4, 2], [2, 1]]), 30: (256, [[4, 2], [4, 2], [4, 2], [2, 1]]),
    31: (256, [[3, 2], [3, 2], [3, 2], [3, 1]]), 32: (256, [[4, 2], [3, 2], [3, 2], [3, 1]]),
    33: (256, [[3, 2], [4, 2], [3, 2], [3, 1]]), 34: (256, [[4, 2], [4, 2], [3, 2], [3, 1]]),
    35: (256, [[3, 2], [4, 2], [4, 2], [3, 1]]), 36: (256, [[4, 2], [3, 2], [4, 2], [3, 1]]),
    37: (256, [[3, 2], [4, 2], [4, 2], [3, 1]]), 38: (256, [[4, 2], [4, 2], [4, 2], [3, 1]]),
    39: (256, [[3, 2], [3, 2], [3, 2], [4, 1]]), 40: (256, [[4, 2], [3, 2], [3, 2], [4, 1]]),
    41: (256, [[3, 2], [4, 2], [3, 2], [4, 1]]), 42: (256, [[4, 2], [4, 2], [3, 2], [4, 1]]),
    43: (256, [[3, 2], [4, 2], [4, 2], [4, 1]]), 44: (256, [[4, 2], [3, 2], [4, 2], [4, 1]]),
    45: (256, [[3, 2], [4, 2], [4, 2], [4, 1]]), 46: (256, [[4, 2], [4, 2], [4, 2], [4, 1]]),
}


class PatchDiscriminator(ModelBase):
    def on_build(self, patch_size, in_ch, base_ch=None):
        suggested_base_ch, kernels_strides = PATCH_DISCRIMINATOR_KERNELS[patch_size]
        base_ch = base_ch or suggested_base_ch
        prev_ch = in_ch
        self.convs = []
        for i, (kernel_size, strides) in enumerate(kernels_strides):
            cur_ch = base_ch * min(2 ** i, 8)
            self.convs.append(Conv2D(prev_ch, cur_ch, kernel_size=kernel_size, strides=strides, padding="SAME"))
            prev_ch = cur_ch
        self.out_conv = Conv2D(prev_ch, 1, kernel_size=1, padding="VALID")

    def forward(self, x):
        for conv in self.convs:
            x = tf.nn.leaky_relu(conv(x), 0.1)
        return self.out_conv(x)


def receptive_field_size(layers):
    rf, ts = 0, 1
    for i, (k, s) in enumerate(layers):
        rf = k if i == 0 else rf + (k - 1) * ts
        ts *= s
    return rf


def find_archi(target_patch_size, max_layers=9):
    """3x3 conv stacks (first stride 2, others 1 or 2) with receptive field closest to the patch size; fewest
    layers first, then the most total stride (the original's search)."""
    s = {}
    for layers_count in range(1, max_layers + 1):
        val = 1 << (layers_count - 1)
        while True:
            val -= 1
            layers = [[3, 2]]
            sum_st = 2
            for i in range(layers_count - 1):
                st = 1 + (1 if val & (1 << i) != 0 else 0)
                layers.append([3, st])
                sum_st += st
            rf = receptive_field_size(layers)
            prev = s.get(rf)
            if prev is None or layers_count < prev[0] or (layers_count == prev[0] and sum_st > prev[1]):
                s[rf] = (layers_count, sum_st, layers)
            if val == 0:
                break
    keys = sorted(s.keys())
    q = keys[np.abs(np.array(keys) - target_patch_size).argmin()]
    return s[q][2]


class UNetPatchDiscriminator(ModelBase):
    """U-Net discriminator (arXiv 2002.12655): returns (center logits at the bottleneck, full-resolution logits).
    Input is cast to `compute_dtype`; outputs are float32."""

    def on_build(self, patch_size, in_ch, base_ch=16, compute_dtype=None):
        self.compute_dtype = compute_dtype or tf.float32
        self.convs = []
        self.upconvs = []
        layers = find_archi(patch_size)
        level_chs = {i - 1: v for i, v in enumerate([min(base_ch * (2 ** i), 512) for i in range(len(layers) + 1)])}
        self.in_conv = Conv2D(in_ch, level_chs[-1], kernel_size=1, padding="VALID")
        for i, (kernel_size, strides) in enumerate(layers):
            self.convs.append(Conv2D(level_chs[i - 1], level_chs[i], kernel_size=kernel_size, strides=strides,
                                     padding="SAME"))
            self.upconvs.insert(0, Conv2DTranspose(level_chs[i] * (2 if i != len(layers) - 1 else 1),
                                                   level_chs[i - 1], kernel_size=kernel_size, strides=strides,
                                                   padding="SAME"))
        self.out_conv = Conv2D(level_chs[-1] * 2, 1, kernel_size=1, padding="VALID")
        self.center_out = Conv2D(level_chs[len(layers) - 1], 1, kernel_size=1, padding="VALID")
        self.center_conv = Conv2D(level_chs[len(layers) - 1], level_chs[len(layers) - 1], kernel_size=1,
                                  padding="VALID")

    def forward(self, x):
        x = tf.cast(x, self.compute_dtype)
        x = tf.nn.leaky_relu(self.in_conv(x), 0.2)
        encs = []
        for conv in self.convs:
            encs.insert(0, x)
            x = tf.nn.leaky_relu(conv(x), 0.2)
        center_out, x = self.center_out(x), tf.nn.leaky_relu(self.center_conv(x), 0.2)
        for upconv, enc in zip(self.upconvs, encs):
            x = tf.nn.leaky_relu(upconv(x), 0.2)
            x = ops.concat_ch((enc, x))
        x = self.out_conv(x)
        return tf.cast(center_out, tf.float32), tf.cast(x, tf.float32)


class CodeDiscriminator(ModelBase):
    """SAEHD 'true face': 1 + code_res//8 stride-2 convs (k4 first, then k3), 256*min(2^i, 8) channels."""

    def on_build(self, in_ch, code_res, ch=256):
        n_downscales = 1 + code_res // 8
        self.convs = []
        prev_ch = in_ch
        for i in range(n_downscales):
            cur_ch = ch * min(2 ** i, 8)
            self.convs.append(Conv2D(prev_ch, cur_ch, kernel_size=4 if i == 0 else 3, strides=2, padding="SAME"))
            prev_ch = cur_ch
        self.out_conv = Conv2D(prev_ch, 1, kernel_size=1, padding="VALID")

    def forward(self, x):
        for conv in self.convs:
            x = tf.nn.leaky_relu(conv(x), 0.1)
        return self.out_conv(x)
