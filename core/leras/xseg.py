"""The XSeg segmentation network (reference 3.5): a U-Net of conv + FRN + TLU blocks with BlurPool downsampling,
256 -> 4 with a dense bottleneck; `pretrain=True` zeroes the skip connections. Weight keys as the original's
(`conv01/conv/weight:0`, `conv01/frn/eps:0`, `dense1/weight:0`, ...).

The original is built for 256 px only; `resolution` (a multiple of 64) lets tests build small nets: the bottleneck
is then resolution/64 px instead of 4."""
import tensorflow as tf

from core.leras import ops
from core.leras.base import ModelBase
from core.leras.layers import BlurPool, Conv2D, Conv2DTranspose, Dense, FRNorm2D, TLU


class ConvBlock(ModelBase):
    def on_build(self, in_ch, out_ch):
        self.conv = Conv2D(in_ch, out_ch, kernel_size=3, padding="SAME")
        self.frn = FRNorm2D(out_ch)
        self.tlu = TLU(out_ch)

    def forward(self, x):
        return self.tlu(self.frn(self.conv(x)))


class UpConvBlock(ModelBase):
    def on_build(self, in_ch, out_ch):
        self.conv = Conv2DTranspose(in_ch, out_ch, kernel_size=3, padding="SAME")
        self.frn = FRNorm2D(out_ch)
        self.tlu = TLU(out_ch)

    def forward(self, x):
        return self.tlu(self.frn(self.conv(x)))


class XSeg(ModelBase):
    """XSeg(in_ch=3, base_ch=32, out_ch=1, name='XSeg'); input 256x256; returns (logits, sigmoid(logits))."""

    def on_build(self, in_ch, base_ch, out_ch, resolution=256):
        if resolution % 64 or resolution <= 0:
            raise ValueError(f"XSeg resolution must be a multiple of 64, not {resolution}")
        self.base_ch = base_ch
        self.bottleneck_res = r = resolution // 64
        self.conv01 = ConvBlock(in_ch, base_ch)
        self.conv02 = ConvBlock(base_ch, base_ch)
        self.bp0 = BlurPool(filt_size=4)
        self.conv11 = ConvBlock(base_ch, base_ch * 2)
        self.conv12 = ConvBlock(base_ch * 2, base_ch * 2)
        self.bp1 = BlurPool(filt_size=3)
        self.conv21 = ConvBlock(base_ch * 2, base_ch * 4)
        self.conv22 = ConvBlock(base_ch * 4, base_ch * 4)
        self.bp2 = BlurPool(filt_size=2)
        self.conv31 = ConvBlock(base_ch * 4, base_ch * 8)
        self.conv32 = ConvBlock(base_ch * 8, base_ch * 8)
        self.conv33 = ConvBlock(base_ch * 8, base_ch * 8)
        self.bp3 = BlurPool(filt_size=2)
        self.conv41 = ConvBlock(base_ch * 8, base_ch * 8)
        self.conv42 = ConvBlock(base_ch * 8, base_ch * 8)
        self.conv43 = ConvBlock(base_ch * 8, base_ch * 8)
        self.bp4 = BlurPool(filt_size=2)
        self.conv51 = ConvBlock(base_ch * 8, base_ch * 8)
        self.conv52 = ConvBlock(base_ch * 8, base_ch * 8)
        self.conv53 = ConvBlock(base_ch * 8, base_ch * 8)
        self.bp5 = BlurPool(filt_size=2)
        self.dense1 = Dense(r * r * base_ch * 8, 512)
        self.dense2 = Dense(512, r * r * base_ch * 8)
        self.up5 = UpConvBlock(base_ch * 8, base_ch * 4)
        self.uconv53 = ConvBlock(base_ch * 12, base_ch * 8)
        self.uconv52 = ConvBlock(base_ch * 8, base_ch * 8)
        self.uconv51 = ConvBlock(base_ch * 8, base_ch * 8)
        self.up4 = UpConvBlock(base_ch * 8, base_ch * 4)
        self.uconv43 = ConvBlock(base_ch * 12, base_ch * 8)
        self.uconv42 = ConvBlock(base_ch * 8, base_ch * 8)
        self.uconv41 = ConvBlock(base_ch * 8, base_ch * 8)
        self.up3 = UpConvBlock(base_ch * 8, base_ch * 4)
        self.uconv33 = ConvBlock(base_ch * 12, base_ch * 8)
        self.uconv32 = ConvBlock(base_ch * 8, base_ch * 8)
        self.uconv31 = ConvBlock(base_ch * 8, base_ch * 8)
        self.up2 = UpConvBlock(base_ch * 8, base_ch * 4)
        self.uconv22 = ConvBlock(base_ch * 8, base_ch * 4)
        self.uconv21 = ConvBlock(base_ch * 4, base_ch * 4)
        self.up1 = UpConvBlock(base_ch * 4, base_ch * 2)
        self.uconv12 = ConvBlock(base_ch * 4, base_ch * 2)
        self.uconv11 = ConvBlock(base_ch * 2, base_ch * 2)
        self.up0 = UpConvBlock(base_ch * 2, base_ch)
        self.uconv02 = ConvBlock(base_ch * 2, base_ch)
        self.uconv01 = ConvBlock(base_ch, base_ch)
        self.out_conv = Conv2D(base_ch, out_ch, kernel_size=3, padding="SAME")

    def forward(self, inp, pretrain=False):
        def skip(t):
            return tf.zeros_like(t) if pretrain else t

        x = self.conv01(inp)
        x = x0 = self.conv02(x)
        x = self.bp0(x)
        x = self.conv11(x)
        x = x1 = self.conv12(x)
        x = self.bp1(x)
        x = self.conv21(x)
        x = x2 = self.conv22(x)
        x = self.bp2(x)
        x = self.conv31(x)
        x = self.conv32(x)
        x = x3 = self.conv33(x)
        x = self.bp3(x)
        x = self.conv41(x)
        x = self.conv42(x)
        x = x4 = self.conv43(x)
        x = self.bp4(x)
        x = self.conv51(x)
        x = self.conv52(x)
        x = x5 = self.conv53(x)
        x = self.bp5(x)

        x = ops.flatten(x)
        x = self.dense2(self.dense1(x))
        x = ops.reshape_4D(x, self.bottleneck_res, self.bottleneck_res, self.base_ch * 8)

        x = self.up5(x)
        x = self.uconv51(self.uconv52(self.uconv53(ops.concat_ch((x, skip(x5))))))
        x = self.up4(x)
        x = self.uconv41(self.uconv42(self.uconv43(ops.concat_ch((x, skip(x4))))))
        x = self.up3(x)
        x = self.uconv31(self.uconv32(self.uconv33(ops.concat_ch((x, skip(x3))))))
        x = self.up2(x)
        x = self.uconv21(self.uconv22(ops.concat_ch((x, skip(x2)))))
        x = self.up1(x)
        x = self.uconv11(self.uconv12(ops.concat_ch((x, skip(x1)))))
        x = self.up0(x)
        x = self.uconv01(self.uconv02(ops.concat_ch((x, skip(x0)))))
        logits = self.out_conv(x)
        return logits, tf.nn.sigmoid(logits)
