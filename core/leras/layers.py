"""The original's layers with its exact conventions (weight shapes, padding, initialisers, variable names).

Conv2D: weight (k, k, in, out) HWIO + bias (out,); 'SAME' is symmetric zero padding of ((k-1)*dil+1)//2 then a
VALID convolution (a stride-2 5x5 conv pads 2 on every side, unlike TF's asymmetric SAME). Conv2DTranspose: weight
(k, k, out, in), TF SAME deconvolution. Dense: (in, out) or (in, out*maxout) with a max over the maxout axis.
Variables are float32; every layer casts them to the input's dtype (mixed precision).
"""
import numpy as np
import tensorflow as tf

from core.leras import config
from core.leras.base import LayerBase


def _cast(w, x):
    return w if w.dtype == x.dtype else tf.cast(w, x.dtype)


def _bias_shape(ch):
    return (1, 1, 1, ch) if config.data_format() == "NHWC" else (1, ch, 1, 1)


def _add_bias(x, bias):
    # BiasAdd (not a broadcast add) lets grappler fuse conv + bias + activation: ~1.8x faster fp32 on CPU
    return tf.nn.bias_add(x, _cast(bias, x), data_format="NHWC" if x.shape.rank == 2 else config.data_format())


def _hw4(v):
    return [1, v, v, 1] if config.data_format() == "NHWC" else [1, 1, v, v]


def _pad4(before, after):
    if config.data_format() == "NHWC":
        return [[0, 0], [before, after], [before, after], [0, 0]]
    return [[0, 0], [0, 0], [before, after], [before, after]]


def _same_padding(padding, kernel_size, dilations):
    if isinstance(padding, str):
        if padding == "SAME":
            return ((kernel_size - 1) * dilations + 1) // 2
        if padding == "VALID":
            return 0
        raise ValueError("padding must be 'SAME', 'VALID' or an int")
    return int(padding)


class Conv2D(LayerBase):
    def __init__(self, in_ch, out_ch, kernel_size, strides=1, padding="SAME", dilations=1, use_bias=True,
                 use_wscale=False, kernel_initializer=None, bias_initializer=None, trainable=True, name=None):
        super().__init__(name=name)
        self.in_ch, self.out_ch, self.kernel_size = int(in_ch), int(out_ch), int(kernel_size)
        self.strides, self.dilations = int(strides), int(dilations)
        self.padding = _same_padding(padding, self.kernel_size, self.dilations)
        self.use_bias, self.use_wscale, self.trainable = use_bias, use_wscale, trainable
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def build_weights(self):
        k_init = self.kernel_initializer
        if self.use_wscale:
            gain = 1.0 if self.kernel_size == 1 else np.sqrt(2)
            self.wscale = float(gain / np.sqrt(self.kernel_size * self.kernel_size * self.in_ch))
            k_init = k_init or "normal"
        self.weight = self.add_weight("weight", (self.kernel_size, self.kernel_size, self.in_ch, self.out_ch),
                                      k_init or "glorot_uniform", self.trainable)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.out_ch,), self.bias_initializer or "zeros", self.trainable)

    def forward(self, x):
        w = _cast(self.weight, x)
        if self.use_wscale:
            w = w * tf.cast(self.wscale, x.dtype)
        if self.padding:
            x = tf.pad(x, _pad4(self.padding, self.padding))
        x = tf.nn.conv2d(x, w, _hw4(self.strides), "VALID", dilations=_hw4(self.dilations),
                         data_format=config.data_format())
        if self.use_bias:
            x = _add_bias(x, self.bias)
        return x


class Conv2DTranspose(LayerBase):
    def __init__(self, in_ch, out_ch, kernel_size, strides=2, padding="SAME", use_bias=True, use_wscale=False,
                 kernel_initializer=None, bias_initializer=None, trainable=True, name=None):
        super().__init__(name=name)
        if padding not in ("SAME", "VALID"):
            raise ValueError("padding must be 'SAME' or 'VALID'")
        self.in_ch, self.out_ch, self.kernel_size = int(in_ch), int(out_ch), int(kernel_size)
        self.strides, self.padding = int(strides), padding
        self.use_bias, self.use_wscale, self.trainable = use_bias, use_wscale, trainable
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def build_weights(self):
        k_init = self.kernel_initializer
        if self.use_wscale:
            gain = 1.0 if self.kernel_size == 1 else np.sqrt(2)
            self.wscale = float(gain / np.sqrt(self.kernel_size * self.kernel_size * self.in_ch))
            k_init = k_init or "normal"
        self.weight = self.add_weight("weight", (self.kernel_size, self.kernel_size, self.out_ch, self.in_ch),
                                      k_init or "glorot_uniform", self.trainable)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.out_ch,), self.bias_initializer or "zeros", self.trainable)

    def _deconv_length(self, size):
        if self.padding == "VALID":
            return size * self.strides + max(self.kernel_size - self.strides, 0)
        return size * self.strides

    def forward(self, x):
        w = _cast(self.weight, x)
        if self.use_wscale:
            w = w * tf.cast(self.wscale, x.dtype)
        n = tf.shape(x)[0]
        if config.data_format() == "NHWC":
            h, wd = x.shape[1], x.shape[2]
            out_shape = tf.stack((n, self._deconv_length(h), self._deconv_length(wd), self.out_ch))
        else:
            h, wd = x.shape[2], x.shape[3]
            out_shape = tf.stack((n, self.out_ch, self._deconv_length(h), self._deconv_length(wd)))
        x = tf.nn.conv2d_transpose(x, w, out_shape, _hw4(self.strides), padding=self.padding,
                                   data_format=config.data_format())
        if self.use_bias:
            x = _add_bias(x, self.bias)
        return x


class DepthwiseConv2D(LayerBase):
    def __init__(self, in_ch, kernel_size, strides=1, padding="SAME", depth_multiplier=1, dilations=1,
                 use_bias=True, use_wscale=False, kernel_initializer=None, bias_initializer=None, trainable=True,
                 name=None):
        super().__init__(name=name)
        self.in_ch, self.kernel_size = int(in_ch), int(kernel_size)
        self.strides, self.dilations, self.depth_multiplier = int(strides), int(dilations), int(depth_multiplier)
        self.padding = _same_padding(padding, self.kernel_size, self.dilations)
        self.use_bias, self.use_wscale, self.trainable = use_bias, use_wscale, trainable
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def build_weights(self):
        k_init = self.kernel_initializer
        if self.use_wscale:
            gain = 1.0 if self.kernel_size == 1 else np.sqrt(2)
            self.wscale = float(gain / np.sqrt(self.kernel_size * self.kernel_size * self.in_ch))
            k_init = k_init or "normal"
        self.weight = self.add_weight(
            "weight", (self.kernel_size, self.kernel_size, self.in_ch, self.depth_multiplier),
            k_init or "glorot_uniform", self.trainable)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.in_ch * self.depth_multiplier,),
                                        self.bias_initializer or "zeros", self.trainable)

    def forward(self, x):
        w = _cast(self.weight, x)
        if self.use_wscale:
            w = w * tf.cast(self.wscale, x.dtype)
        if self.padding:
            x = tf.pad(x, _pad4(self.padding, self.padding))
        x = tf.nn.depthwise_conv2d(x, w, _hw4(self.strides), "VALID", dilations=(self.dilations, self.dilations),
                                   data_format=config.data_format())
        if self.use_bias:
            x = _add_bias(x, self.bias)
        return x


class Dense(LayerBase):
    """x @ W + b; with maxout_ch > 1, W is (in, out*maxout) and the output is the max over each group."""

    def __init__(self, in_ch, out_ch, use_bias=True, use_wscale=False, maxout_ch=0, kernel_initializer=None,
                 bias_initializer=None, trainable=True, name=None):
        super().__init__(name=name)
        self.in_ch, self.out_ch, self.maxout_ch = int(in_ch), int(out_ch), int(maxout_ch)
        self.use_bias, self.use_wscale, self.trainable = use_bias, use_wscale, trainable
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def build_weights(self):
        shape = (self.in_ch, self.out_ch * self.maxout_ch) if self.maxout_ch > 1 else (self.in_ch, self.out_ch)
        k_init = self.kernel_initializer
        if self.use_wscale:
            self.wscale = float(1.0 / np.sqrt(self.in_ch))
            k_init = k_init or "normal"
        self.weight = self.add_weight("weight", shape, k_init or "glorot_uniform", self.trainable)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.out_ch,), self.bias_initializer or "zeros", self.trainable)

    def forward(self, x):
        w = _cast(self.weight, x)
        if self.use_wscale:
            w = w * tf.cast(self.wscale, x.dtype)
        x = tf.matmul(x, w)
        if self.maxout_ch > 1:
            x = tf.reduce_max(tf.reshape(x, (-1, self.out_ch, self.maxout_ch)), axis=-1)
        if self.use_bias:
            x = _add_bias(x, self.bias)
        return x


_BINOMIAL = {1: [1.], 2: [1., 1.], 3: [1., 2., 1.], 4: [1., 3., 3., 1.], 5: [1., 4., 6., 4., 1.],
             6: [1., 5., 10., 10., 5., 1.], 7: [1., 6., 15., 20., 15., 6., 1.]}


class BlurPool(LayerBase):
    """Anti-aliased downsampling: binomial filter (sizes 1..7), padding [floor, ceil] of (k-1)/2, then stride."""

    def __init__(self, filt_size=3, stride=2, name=None):
        super().__init__(name=name)
        if filt_size not in _BINOMIAL:
            raise ValueError("BlurPool filt_size must be 1..7")
        a = np.array(_BINOMIAL[filt_size])
        a = a[:, None] * a[None, :]
        self.kernel = (a / np.sum(a)).astype(np.float32)
        self.stride = int(stride)
        self.pad = (int((filt_size - 1) / 2), int(np.ceil((filt_size - 1) / 2)))

    def forward(self, x):
        k = tf.constant(self.kernel[:, :, None, None], dtype=x.dtype)
        k = tf.tile(k, (1, 1, x.shape[config.ch_axis()], 1))
        x = tf.pad(x, _pad4(*self.pad))
        return tf.nn.depthwise_conv2d(x, k, _hw4(self.stride), "VALID", data_format=config.data_format())


class FRNorm2D(LayerBase):
    """Filter Response Normalization: x * rsqrt(mean_hw(x^2) + |eps|) * weight + bias; eps learned, init 1e-6."""

    def __init__(self, in_ch, name=None):
        super().__init__(name=name)
        self.in_ch = int(in_ch)

    def build_weights(self):
        self.weight = self.add_weight("weight", (self.in_ch,), "ones")
        self.bias = self.add_weight("bias", (self.in_ch,), "zeros")
        self.eps = self.add_weight("eps", (1,), ("constant", 1e-6))

    def forward(self, x):
        shape = _bias_shape(self.in_ch)
        nu2 = tf.reduce_mean(tf.square(x), axis=config.spatial_axes(), keepdims=True)
        x = x * (1.0 / tf.sqrt(nu2 + tf.abs(_cast(self.eps, x))))
        return x * tf.reshape(_cast(self.weight, x), shape) + tf.reshape(_cast(self.bias, x), shape)


class TLU(LayerBase):
    """Thresholded linear unit: max(x, tau), tau per channel (init 0)."""

    def __init__(self, in_ch, name=None):
        super().__init__(name=name)
        self.in_ch = int(in_ch)

    def build_weights(self):
        self.tau = self.add_weight("tau", (self.in_ch,), "zeros")

    def forward(self, x):
        return tf.maximum(x, tf.reshape(_cast(self.tau, x), _bias_shape(self.in_ch)))


class InstanceNorm2D(LayerBase):
    """(x - mean_hw) / (std_hw + 1e-5) * weight + bias; weight glorot-initialised as in the original."""

    def __init__(self, in_ch, name=None):
        super().__init__(name=name)
        self.in_ch = int(in_ch)

    def build_weights(self):
        self.weight = self.add_weight("weight", (self.in_ch,), "glorot_uniform")
        self.bias = self.add_weight("bias", (self.in_ch,), "zeros")

    def forward(self, x):
        shape = _bias_shape(self.in_ch)
        axes = config.spatial_axes()
        mean = tf.reduce_mean(x, axis=axes, keepdims=True)
        std = tf.math.reduce_std(x, axis=axes, keepdims=True) + 1e-5
        x = (x - mean) / std
        return x * tf.reshape(_cast(self.weight, x), shape) + tf.reshape(_cast(self.bias, x), shape)


class BatchNorm2D(LayerBase):
    """Inference-only batch norm with running statistics (as the original: 'currently not for training')."""

    def __init__(self, dim, eps=1e-05, name=None):
        super().__init__(name=name)
        self.dim, self.eps = int(dim), float(eps)

    def build_weights(self):
        self.weight = self.add_weight("weight", (self.dim,), "ones")
        self.bias = self.add_weight("bias", (self.dim,), "zeros")
        self.running_mean = self.add_weight("running_mean", (self.dim,), "zeros", trainable=False)
        self.running_var = self.add_weight("running_var", (self.dim,), "zeros", trainable=False)

    def forward(self, x):
        shape = _bias_shape(self.dim)
        mean = tf.reshape(_cast(self.running_mean, x), shape)
        var = tf.reshape(_cast(self.running_var, x), shape)
        x = (x - mean) / tf.sqrt(var + self.eps)
        return x * tf.reshape(_cast(self.weight, x), shape) + tf.reshape(_cast(self.bias, x), shape)
