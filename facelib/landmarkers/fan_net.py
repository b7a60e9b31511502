"""The original's FAN landmark network in core.leras (reference 4.3; ported by the original from 1adrianb/
face-alignment), with its weight-file keys (`conv1/weight:0`, `m_0/b2_plus/b1/bn1/running_mean:0`, ...).

Stem (7x7/2 conv + BN, three ConvBlocks, one 2x2 average pool), 4 stacked hourglasses of depth 4 at 256 channels,
68 heatmaps of 64x64 per stack; the last stack is the output. Imports TensorFlow.
"""
import tensorflow as tf

from core.leras import config
from core.leras.base import ModelBase
from core.leras.layers import BatchNorm2D, Conv2D

STACKS = 4
DEPTH = 4
POINTS = 68


def _avg_pool(x):
    return tf.nn.avg_pool2d(x, 2, 2, "VALID", data_format=config.data_format())


def _upsample2d(x):
    """Nearest-neighbour x2 (the original's nn.upsample2d)."""
    for axis in config.spatial_axes():
        x = tf.repeat(x, 2, axis=axis)
    return x


class ConvBlock(ModelBase):
    """Pre-activation bottleneck: three BN-ReLU-conv steps (out/2, out/4, out/4 channels) concatenated, plus a
    BN-ReLU-1x1 projection of the input when the channel count changes."""

    def on_build(self, in_planes, out_planes):
        self.in_planes, self.out_planes = in_planes, out_planes
        self.bn1 = BatchNorm2D(in_planes)
        self.conv1 = Conv2D(in_planes, out_planes // 2, kernel_size=3, padding="SAME", use_bias=False)
        self.bn2 = BatchNorm2D(out_planes // 2)
        self.conv2 = Conv2D(out_planes // 2, out_planes // 4, kernel_size=3, padding="SAME", use_bias=False)
        self.bn3 = BatchNorm2D(out_planes // 4)
        self.conv3 = Conv2D(out_planes // 4, out_planes // 4, kernel_size=3, padding="SAME", use_bias=False)
        if in_planes != out_planes:
            self.down_bn1 = BatchNorm2D(in_planes)
            self.down_conv1 = Conv2D(in_planes, out_planes, kernel_size=1, padding="VALID", use_bias=False)

    def forward(self, inp):
        out1 = self.conv1(tf.nn.relu(self.bn1(inp)))
        out2 = self.conv2(tf.nn.relu(self.bn2(out1)))
        out3 = self.conv3(tf.nn.relu(self.bn3(out2)))
        x = tf.concat([out1, out2, out3], axis=config.ch_axis())
        if self.in_planes != self.out_planes:
            return x + self.down_conv1(tf.nn.relu(self.down_bn1(inp)))
        return x + inp


class HourGlass(ModelBase):
    def on_build(self, in_planes, depth):
        self.b1 = ConvBlock(in_planes, 256)
        self.b2 = ConvBlock(in_planes, 256)
        self.b2_plus = HourGlass(256, depth - 1) if depth > 1 else ConvBlock(256, 256)
        self.b3 = ConvBlock(256, 256)

    def forward(self, inp):
        up1 = self.b1(inp)
        low = self.b3(self.b2_plus(self.b2(_avg_pool(inp))))
        return up1 + _upsample2d(low)


class FAN(ModelBase):
    def __init__(self, name="FAN"):
        super().__init__(name=name)

    def on_build(self):
        self.conv1 = Conv2D(3, 64, kernel_size=7, strides=2, padding="SAME")
        self.bn1 = BatchNorm2D(64)
        self.conv2 = ConvBlock(64, 128)
        self.conv3 = ConvBlock(128, 128)
        self.conv4 = ConvBlock(128, 256)
        self.m = [HourGlass(256, DEPTH) for _ in range(STACKS)]
        self.top_m = [ConvBlock(256, 256) for _ in range(STACKS)]
        self.conv_last = [Conv2D(256, 256, kernel_size=1, padding="VALID") for _ in range(STACKS)]
        self.bn_end = [BatchNorm2D(256) for _ in range(STACKS)]
        self.l = [Conv2D(256, POINTS, kernel_size=1, padding="VALID") for _ in range(STACKS)]
        self.bl = [Conv2D(256, 256, kernel_size=1, padding="VALID") for _ in range(STACKS - 1)]
        self.al = [Conv2D(POINTS, 256, kernel_size=1, padding="VALID") for _ in range(STACKS - 1)]

    def forward(self, x):
        """x: RGB / 255, (N, 256, 256, 3) in the current layout -> heatmaps of the last stack in that layout."""
        x = tf.nn.relu(self.bn1(self.conv1(x)))
        x = self.conv4(self.conv3(_avg_pool(self.conv2(x))))
        previous = x
        for i in range(STACKS):
            ll = self.top_m[i](self.m[i](previous))
            ll = tf.nn.relu(self.bn_end[i](self.conv_last[i](ll)))
            out = self.l[i](ll)
            if i < STACKS - 1:
                previous = previous + self.bl[i](ll) + self.al[i](out)
        return out
