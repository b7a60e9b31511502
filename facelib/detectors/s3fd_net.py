"""The original's S3FD network in core.leras (reference 4.2), with its weight-file keys (`conv1_1/weight:0`, ...).

VGG16 trunk (fc6 is a plain 3x3 conv with padding 3, as the original's port), L2Norm with a learned per-channel
scale on conv3_3/4_3/5_3, six conf/loc heads at strides 4..128; the conv3_3 head's 3 background logits are maxed out
against the face logit. Imports TensorFlow: import this module only where the detector is created.
"""
import numpy as np
import tensorflow as tf

from core.leras import config
from core.leras.base import LayerBase, ModelBase
from core.leras.layers import Conv2D

MEAN_RGB = (104.0, 117.0, 123.0)   # the original subtracts these from the RGB channels (Caffe's BGR mean, as is)
HEADS = ("conv3_3_norm", "conv4_3_norm", "conv5_3_norm", "fc7", "conv6_2", "conv7_2")


class L2Norm(LayerBase):
    """x / (||x||_channels + 1e-10) * weight; weight shape (1, 1, 1, C) as in the original's file."""

    def __init__(self, n_channels, name=None):
        super().__init__(name=name)
        self.n_channels = int(n_channels)

    def build_weights(self):
        self.weight = self.add_weight("weight", (1, 1, 1, self.n_channels), "ones")

    def forward(self, x):
        norm = tf.sqrt(tf.reduce_sum(tf.square(x), axis=config.ch_axis(), keepdims=True)) + 1e-10
        w = self.weight if config.data_format() == "NHWC" else tf.reshape(self.weight, (1, self.n_channels, 1, 1))
        return x / norm * w


def _conv(in_ch, out_ch, k=3, s=1, padding="SAME"):
    return Conv2D(in_ch, out_ch, kernel_size=k, strides=s, padding=padding)


class S3FD(ModelBase):
    def __init__(self, name="S3FD"):
        super().__init__(name=name)

    def on_build(self):
        self.conv1_1, self.conv1_2 = _conv(3, 64), _conv(64, 64)
        self.conv2_1, self.conv2_2 = _conv(64, 128), _conv(128, 128)
        self.conv3_1, self.conv3_2, self.conv3_3 = _conv(128, 256), _conv(256, 256), _conv(256, 256)
        self.conv4_1, self.conv4_2, self.conv4_3 = _conv(256, 512), _conv(512, 512), _conv(512, 512)
        self.conv5_1, self.conv5_2, self.conv5_3 = _conv(512, 512), _conv(512, 512), _conv(512, 512)
        self.fc6 = _conv(512, 1024, 3, padding=3)
        self.fc7 = _conv(1024, 1024, 1)
        self.conv6_1, self.conv6_2 = _conv(1024, 256, 1), _conv(256, 512, 3, 2)
        self.conv7_1, self.conv7_2 = _conv(512, 128, 1), _conv(128, 256, 3, 2)
        self.conv3_3_norm, self.conv4_3_norm, self.conv5_3_norm = L2Norm(256), L2Norm(512), L2Norm(512)
        self.conv3_3_norm_mbox_conf, self.conv3_3_norm_mbox_loc = _conv(256, 4), _conv(256, 4)
        self.conv4_3_norm_mbox_conf, self.conv4_3_norm_mbox_loc = _conv(512, 2), _conv(512, 4)
        self.conv5_3_norm_mbox_conf, self.conv5_3_norm_mbox_loc = _conv(512, 2), _conv(512, 4)
        self.fc7_mbox_conf, self.fc7_mbox_loc = _conv(1024, 2), _conv(1024, 4)
        self.conv6_2_mbox_conf, self.conv6_2_mbox_loc = _conv(512, 2), _conv(512, 4)
        self.conv7_2_mbox_conf, self.conv7_2_mbox_loc = _conv(256, 2), _conv(256, 4)

    def forward(self, x):
        """x: RGB 0..255 float32 in the current layout -> [cls1, reg1, ..., cls6, reg6] (cls: 2 ch softmax)."""
        ch = config.ch_axis()
        mean = np.array(MEAN_RGB, np.float32).reshape((1, 1, 1, 3) if ch == 3 else (1, 3, 1, 1))
        x = x - mean

        def pool(t):
            return tf.nn.max_pool2d(t, 2, 2, "VALID", data_format=config.data_format())

        relu = tf.nn.relu
        x = pool(relu(self.conv1_2(relu(self.conv1_1(x)))))
        x = pool(relu(self.conv2_2(relu(self.conv2_1(x)))))
        f3_3 = relu(self.conv3_3(relu(self.conv3_2(relu(self.conv3_1(x))))))
        f4_3 = relu(self.conv4_3(relu(self.conv4_2(relu(self.conv4_1(pool(f3_3)))))))
        f5_3 = relu(self.conv5_3(relu(self.conv5_2(relu(self.conv5_1(pool(f4_3)))))))
        ffc7 = relu(self.fc7(relu(self.fc6(pool(f5_3)))))
        f6_2 = relu(self.conv6_2(relu(self.conv6_1(ffc7))))
        f7_2 = relu(self.conv7_2(relu(self.conv7_1(f6_2))))
        f3_3, f4_3, f5_3 = self.conv3_3_norm(f3_3), self.conv4_3_norm(f4_3), self.conv5_3_norm(f5_3)

        cls1 = self.conv3_3_norm_mbox_conf(f3_3)
        bg, face = tf.split(cls1, [3, 1], axis=ch)
        cls1 = tf.nn.softmax(tf.concat([tf.reduce_max(bg, axis=ch, keepdims=True), face], axis=ch), axis=ch)
        out = [cls1, self.conv3_3_norm_mbox_loc(f3_3)]
        for name, feat in zip(HEADS[1:], (f4_3, f5_3, ffc7, f6_2, f7_2)):
            out.append(tf.nn.softmax(getattr(self, f"{name}_mbox_conf")(feat), axis=ch))
            out.append(getattr(self, f"{name}_mbox_loc")(feat))
        return out
