"""Tensor operations with the original's layout conventions (channel-major flatten, DCR depth_to_space, ...).

Every op here gives the same numbers in NHWC and NCHW for the same weights, exactly as the original's `nn.*` ops:
flatten and reshape_4D always use (C, H, W) order so Dense weights do not depend on the layout.
"""
import numpy as np
import tensorflow as tf

from core.leras import config


def flatten(x):
    """(N, ...) -> (N, C*H*W), channel-major whatever the layout."""
    if config.data_format() == "NHWC":
        x = tf.transpose(x, (0, 3, 1, 2))
    return tf.reshape(x, (-1, int(np.prod(x.shape[1:]))))


def reshape_4D(x, w, h, c):
    """Inverse of `flatten`: (N, C*H*W) -> a 4-D tensor in the current layout."""
    x = tf.reshape(x, (-1, c, h, w))
    if config.data_format() == "NHWC":
        x = tf.transpose(x, (0, 2, 3, 1))
    return x


def depth_to_space(x, size):
    """TensorFlow's DCR order: output (y*s+i, x*s+j, c) takes input channel (i*s+j)*C_out + c."""
    if config.data_format() == "NHWC":
        return tf.nn.depth_to_space(x, size)
    # NCHW DepthToSpace has no CPU kernel; the reshape form is the same DCR order and runs everywhere.
    _, c, h, w = x.shape
    oc = c // (size * size)
    x = tf.reshape(x, (-1, size, size, oc, h, w))
    x = tf.transpose(x, (0, 3, 4, 1, 5, 2))
    return tf.reshape(x, (-1, oc, h * size, w * size))


def space_to_depth(x, size):
    """Inverse of `depth_to_space` (same DCR order)."""
    if config.data_format() == "NHWC":
        return tf.nn.space_to_depth(x, size)
    _, c, h, w = x.shape
    oh, ow = h // size, w // size
    x = tf.reshape(x, (-1, c, oh, size, ow, size))
    x = tf.transpose(x, (0, 3, 5, 1, 2, 4))
    return tf.reshape(x, (-1, size * size * c, oh, ow))


def pixel_norm(x, axes=-1):
    return x * tf.math.rsqrt(tf.reduce_mean(tf.square(x), axis=axes, keepdims=True) + 1e-06)


def concat_ch(tensors):
    """Concatenate along the channel axis of the current layout."""
    return tf.concat(list(tensors), config.ch_axis())


def gaussian_kernel(sigma):
    """The original's blur kernel: size max(3, int(4*sigma)) made odd, centred, normalised (float32 NumPy)."""
    size = max(3, int(2 * 2 * sigma))
    if size % 2 == 0:
        size += 1
    mean = np.floor(0.5 * size)
    k1 = np.exp(-(np.arange(size, dtype=np.float64) - mean) ** 2 / (2 * sigma ** 2))
    k2 = np.outer(k1, k1).astype(np.float32)
    return k2 / np.sum(k2)


def _pad_spatial(x, before, after):
    if config.data_format() == "NHWC":
        return tf.pad(x, [[0, 0], [before, after], [before, after], [0, 0]])
    return tf.pad(x, [[0, 0], [0, 0], [before, after], [before, after]])


def _strides(s):
    return [1, s, s, 1] if config.data_format() == "NHWC" else [1, 1, s, s]


def depthwise_filter(x, kernel_2d, stride=1):
    """Apply one 2-D kernel to every channel (VALID; pad first for 'same')."""
    k = tf.constant(kernel_2d[:, :, None, None], dtype=x.dtype)
    k = tf.tile(k, (1, 1, x.shape[config.ch_axis()], 1))
    return tf.nn.depthwise_conv2d(x, k, _strides(stride), "VALID", data_format=config.data_format())


def gaussian_blur(x, radius=2.0):
    """Gaussian blur with zero 'same' padding, as `nn.gaussian_blur`."""
    k = gaussian_kernel(radius)
    pad = k.shape[0] // 2
    return depthwise_filter(_pad_spatial(x, pad, pad), k)


def random_binomial(shape, p, dtype=tf.float32):
    """1 with probability p, else 0 (a fresh sample every time the graph runs)."""
    return tf.cast(tf.random.uniform(shape, dtype=tf.float32) < p, dtype)


def to_data_format(*xs):
    """NHWC tensors in the current data format (transposed to NCHW when that is set): model inputs come as NHWC."""
    if config.data_format() == "NCHW":
        return [tf.transpose(x, (0, 3, 1, 2)) for x in xs]
    return list(xs)


def blur_out_background(target, mask, resolution):
    """Replace the background outside `mask` by a normalised blur of it (the blur_out_mask option)."""
    sigma = resolution / 128
    anti = 1.0 - mask
    x = gaussian_blur(target * anti, sigma)
    y = 1.0 - gaussian_blur(mask, sigma)
    y = tf.where(tf.equal(y, 0.0), tf.ones_like(y), y)
    return target * mask + (x / y) * anti
