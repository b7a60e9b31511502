"""Losses of the original: DSSIM with its softmax Gaussian window, style loss, total variation (MSE), masked MSE."""
import numpy as np
import tensorflow as tf

from core.leras import config
from core.leras.ops import depthwise_filter, gaussian_blur


def dssim_window(filter_size, filter_sigma=1.5):
    """The original's window: softmax over the 2-D grid of -d^2/(2 sigma^2), i.e. a normalised Gaussian."""
    filter_size = max(1, filter_size)
    k = np.arange(0, filter_size, dtype=np.float32)
    k -= (filter_size - 1) / 2.0
    k = k ** 2
    k *= -0.5 / (filter_sigma ** 2)
    k = np.reshape(k, (1, -1)) + np.reshape(k, (-1, 1))
    k = np.exp(k - k.max())
    return (k / k.sum()).astype(np.float32)


def dssim(img1, img2, max_val, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03):
    """(1 - SSIM) / 2 per image and channel, shape (N, C); computed in float32 whatever the input dtype."""
    out_dtype = img1.dtype
    img1 = tf.cast(img1, tf.float32)
    img2 = tf.cast(img2, tf.float32)
    window = dssim_window(filter_size, filter_sigma)

    def reducer(x):
        return depthwise_filter(x, window)

    c1 = (k1 * max_val) ** 2
    c2 = (k2 * max_val) ** 2
    mean0 = reducer(img1)
    mean1 = reducer(img2)
    num0 = mean0 * mean1 * 2.0
    den0 = tf.square(mean0) + tf.square(mean1)
    luminance = (num0 + c1) / (den0 + c1)
    num1 = reducer(img1 * img2) * 2.0
    den1 = reducer(tf.square(img1) + tf.square(img2))
    cs = (num1 - num0 + c2) / (den1 - den0 + c2)
    ssim_val = tf.reduce_mean(luminance * cs, axis=config.spatial_axes())
    return tf.cast((1.0 - ssim_val) / 2.0, out_dtype)


def style_loss(target, style, gaussian_blur_radius=0.0, loss_weight=1.0):
    """Sum over channels of squared differences of per-channel mean and std, times loss_weight / C; shape (N,)."""
    if gaussian_blur_radius > 0.0:
        target = gaussian_blur(target, gaussian_blur_radius)
        style = gaussian_blur(style, gaussian_blur_radius)
    axes = config.spatial_axes()
    c_mean, c_var = tf.nn.moments(target, axes=axes, keepdims=True)
    s_mean, s_var = tf.nn.moments(style, axes=axes, keepdims=True)
    c_std, s_std = tf.sqrt(c_var + 1e-5), tf.sqrt(s_var + 1e-5)
    mean_loss = tf.reduce_sum(tf.square(c_mean - s_mean), axis=[1, 2, 3])
    std_loss = tf.reduce_sum(tf.square(c_std - s_std), axis=[1, 2, 3])
    return (mean_loss + std_loss) * (loss_weight / int(target.shape[config.ch_axis()]))


def total_variation_mse(images):
    """Sum of squared neighbour differences over both spatial axes, shape (N,).

    The original indexes axes 1 and 2 whatever the layout (so in NCHW it mixes channels); we use the spatial axes,
    which is the original's NHWC result in both layouts.
    """
    if config.data_format() == "NCHW":
        images = tf.transpose(images, (0, 2, 3, 1))
    d1 = images[:, 1:, :, :] - images[:, :-1, :, :]
    d2 = images[:, :, 1:, :] - images[:, :, :-1, :]
    return tf.reduce_sum(tf.square(d1), axis=[1, 2, 3]) + tf.reduce_sum(tf.square(d2), axis=[1, 2, 3])


def mse(a, b):
    """Per-sample mean squared error over H, W, C, shape (N,)."""
    return tf.reduce_mean(tf.square(a - b), axis=[1, 2, 3])
