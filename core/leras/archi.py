"""DeepFakeArchi: the Encoder / Inter / Decoder family shared by SAEHD and Quick96 (reference section 3.1).

`DeepFakeArchi(resolution, opts)` returns a factory whose `Encoder`, `Inter` and `Decoder` classes reproduce the
original's layers, attribute names (hence weight keys) and maths for the archi letters:
`u` pixel-norm of the code, `d` double output resolution via depth_to_space of 4 RGB convs, `t` one more
downscale/upscale with residual blocks, `c` x*cos(x) instead of leaky ReLU.
With `compute_dtype` (tf.bfloat16 / tf.float16) the Encoder casts its input, everything downstream runs in that
dtype, and the Decoder returns float32 outputs.
"""
import tensorflow as tf

from core.leras import ops
from core.leras.base import ModelBase
from core.leras.layers import Conv2D, Dense

VALID_OPTS = "udtc"


def parse_archi(archi):
    """'liae-ud' -> ('liae', 'ud'); raises ValueError for anything the original would not accept."""
    parts = archi.split("-")
    base = parts[0]
    opts = parts[1] if len(parts) > 1 else ""
    if base not in ("df", "liae") or len(parts) > 2 or any(ch not in VALID_OPTS for ch in opts) \
            or len(set(opts)) != len(opts):
        raise ValueError(f"archi {archi!r}: expected df or liae, optionally followed by - and letters of u, d, t, c")
    return base, opts


class DeepFakeArchi:
    def __init__(self, resolution, opts="", compute_dtype=None):
        opts = opts or ""
        compute_dtype = compute_dtype or tf.float32
        self.resolution, self.opts, self.compute_dtype = resolution, opts, compute_dtype

        if "c" in opts:
            def act(x, alpha=0.1):
                return x * tf.cos(x)
        else:
            def act(x, alpha=0.1):
                return tf.nn.leaky_relu(x, alpha)

        class Downscale(ModelBase):
            def __init__(self, in_ch, out_ch, kernel_size=5, name=None):
                super().__init__(name=name)
                self.in_ch, self.out_ch, self.kernel_size = in_ch, out_ch, kernel_size

            def on_build(self):
                self.conv1 = Conv2D(self.in_ch, self.out_ch, kernel_size=self.kernel_size, strides=2,
                                    padding="SAME")

            def forward(self, x):
                return act(self.conv1(x), 0.1)

            def get_out_ch(self):
                return self.out_ch

        class DownscaleBlock(ModelBase):
            def on_build(self, in_ch, ch, n_downscales, kernel_size):
                self.downs = []
                last_ch = in_ch
                for i in range(n_downscales):
                    cur_ch = ch * min(2 ** i, 8)
                    self.downs.append(Downscale(last_ch, cur_ch, kernel_size=kernel_size))
                    last_ch = self.downs[-1].get_out_ch()

            def forward(self, x):
                for down in self.downs:
                    x = down(x)
                return x

        class Upscale(ModelBase):
            def on_build(self, in_ch, out_ch, kernel_size=3):
                self.conv1 = Conv2D(in_ch, out_ch * 4, kernel_size=kernel_size, padding="SAME")

            def forward(self, x):
                return ops.depth_to_space(act(self.conv1(x), 0.1), 2)

        class ResidualBlock(ModelBase):
            def on_build(self, ch, kernel_size=3):
                self.conv1 = Conv2D(ch, ch, kernel_size=kernel_size, padding="SAME")
                self.conv2 = Conv2D(ch, ch, kernel_size=kernel_size, padding="SAME")

            def forward(self, inp):
                x = act(self.conv1(inp), 0.2)
                x = self.conv2(x)
                return act(inp + x, 0.2)

        class Encoder(ModelBase):
            def __init__(self, in_ch, e_ch, name=None):
                super().__init__(name=name)
                self.in_ch, self.e_ch = in_ch, e_ch

            def on_build(self):
                if "t" in opts:
                    self.down1 = Downscale(self.in_ch, self.e_ch, kernel_size=5)
                    self.res1 = ResidualBlock(self.e_ch)
                    self.down2 = Downscale(self.e_ch, self.e_ch * 2, kernel_size=5)
                    self.down3 = Downscale(self.e_ch * 2, self.e_ch * 4, kernel_size=5)
                    self.down4 = Downscale(self.e_ch * 4, self.e_ch * 8, kernel_size=5)
                    self.down5 = Downscale(self.e_ch * 8, self.e_ch * 8, kernel_size=5)
                    self.res5 = ResidualBlock(self.e_ch * 8)
                else:
                    self.down1 = DownscaleBlock(self.in_ch, self.e_ch, n_downscales=4, kernel_size=5)

            def forward(self, x):
                x = tf.cast(x, compute_dtype)
                if "t" in opts:
                    for layer in (self.down1, self.res1, self.down2, self.down3, self.down4, self.down5,
                                  self.res5):
                        x = layer(x)
                else:
                    x = self.down1(x)
                x = ops.flatten(x)
                if "u" in opts:
                    x = ops.pixel_norm(x, axes=-1)
                return x

            def get_out_res(self, res):
                return res // (2 ** 4 if "t" not in opts else 2 ** 5)

            def get_out_ch(self):
                return self.e_ch * 8

        lowest_dense_res = resolution // (32 if "d" in opts else 16)

        class Inter(ModelBase):
            def __init__(self, in_ch, ae_ch, ae_out_ch, name=None):
                super().__init__(name=name)
                self.in_ch, self.ae_ch, self.ae_out_ch = in_ch, ae_ch, ae_out_ch

            def on_build(self):
                self.dense1 = Dense(self.in_ch, self.ae_ch)
                self.dense2 = Dense(self.ae_ch, lowest_dense_res * lowest_dense_res * self.ae_out_ch)
                if "t" not in opts:
                    self.upscale1 = Upscale(self.ae_out_ch, self.ae_out_ch)

            def forward(self, x):
                x = self.dense2(self.dense1(x))
                x = ops.reshape_4D(x, lowest_dense_res, lowest_dense_res, self.ae_out_ch)
                if "t" not in opts:
                    x = self.upscale1(x)
                return x

            def get_out_res(self):
                return lowest_dense_res * 2 if "t" not in opts else lowest_dense_res

            def get_out_ch(self):
                return self.ae_out_ch

        class Decoder(ModelBase):
            def on_build(self, in_ch, d_ch, d_mask_ch):
                if "t" not in opts:
                    self.upscale0 = Upscale(in_ch, d_ch * 8, kernel_size=3)
                    self.upscale1 = Upscale(d_ch * 8, d_ch * 4, kernel_size=3)
                    self.upscale2 = Upscale(d_ch * 4, d_ch * 2, kernel_size=3)
                    self.res0 = ResidualBlock(d_ch * 8, kernel_size=3)
                    self.res1 = ResidualBlock(d_ch * 4, kernel_size=3)
                    self.res2 = ResidualBlock(d_ch * 2, kernel_size=3)
                    self.upscalem0 = Upscale(in_ch, d_mask_ch * 8, kernel_size=3)
                    self.upscalem1 = Upscale(d_mask_ch * 8, d_mask_ch * 4, kernel_size=3)
                    self.upscalem2 = Upscale(d_mask_ch * 4, d_mask_ch * 2, kernel_size=3)
                    self.out_conv = Conv2D(d_ch * 2, 3, kernel_size=1, padding="SAME")
                    if "d" in opts:
                        self.out_conv1 = Conv2D(d_ch * 2, 3, kernel_size=3, padding="SAME")
                        self.out_conv2 = Conv2D(d_ch * 2, 3, kernel_size=3, padding="SAME")
                        self.out_conv3 = Conv2D(d_ch * 2, 3, kernel_size=3, padding="SAME")
                        self.upscalem3 = Upscale(d_mask_ch * 2, d_mask_ch * 1, kernel_size=3)
                        self.out_convm = Conv2D(d_mask_ch * 1, 1, kernel_size=1, padding="SAME")
                    else:
                        self.out_convm = Conv2D(d_mask_ch * 2, 1, kernel_size=1, padding="SAME")
                else:
                    self.upscale0 = Upscale(in_ch, d_ch * 8, kernel_size=3)
                    self.upscale1 = Upscale(d_ch * 8, d_ch * 8, kernel_size=3)
                    self.upscale2 = Upscale(d_ch * 8, d_ch * 4, kernel_size=3)
                    self.upscale3 = Upscale(d_ch * 4, d_ch * 2, kernel_size=3)
                    self.res0 = ResidualBlock(d_ch * 8, kernel_size=3)
                    self.res1 = ResidualBlock(d_ch * 8, kernel_size=3)
                    self.res2 = ResidualBlock(d_ch * 4, kernel_size=3)
                    self.res3 = ResidualBlock(d_ch * 2, kernel_size=3)
                    self.upscalem0 = Upscale(in_ch, d_mask_ch * 8, kernel_size=3)
                    self.upscalem1 = Upscale(d_mask_ch * 8, d_mask_ch * 8, kernel_size=3)
                    self.upscalem2 = Upscale(d_mask_ch * 8, d_mask_ch * 4, kernel_size=3)
                    self.upscalem3 = Upscale(d_mask_ch * 4, d_mask_ch * 2, kernel_size=3)
                    self.out_conv = Conv2D(d_ch * 2, 3, kernel_size=1, padding="SAME")
                    if "d" in opts:
                        self.out_conv1 = Conv2D(d_ch * 2, 3, kernel_size=3, padding="SAME")
                        self.out_conv2 = Conv2D(d_ch * 2, 3, kernel_size=3, padding="SAME")
                        self.out_conv3 = Conv2D(d_ch * 2, 3, kernel_size=3, padding="SAME")
                        self.upscalem4 = Upscale(d_mask_ch * 2, d_mask_ch * 1, kernel_size=3)
                        self.out_convm = Conv2D(d_mask_ch * 1, 1, kernel_size=1, padding="SAME")
                    else:
                        self.out_convm = Conv2D(d_mask_ch * 2, 1, kernel_size=1, padding="SAME")

            def forward(self, z):
                x = self.res0(self.upscale0(z))
                x = self.res1(self.upscale1(x))
                x = self.res2(self.upscale2(x))
                if "t" in opts:
                    x = self.res3(self.upscale3(x))
                if "d" in opts:
                    x = ops.concat_ch((self.out_conv(x), self.out_conv1(x), self.out_conv2(x), self.out_conv3(x)))
                    x = tf.nn.sigmoid(ops.depth_to_space(x, 2))
                else:
                    x = tf.nn.sigmoid(self.out_conv(x))

                m = self.upscalem2(self.upscalem1(self.upscalem0(z)))
                if "t" in opts:
                    m = self.upscalem3(m)
                    if "d" in opts:
                        m = self.upscalem4(m)
                elif "d" in opts:
                    m = self.upscalem3(m)
                m = tf.nn.sigmoid(self.out_convm(m))
                return tf.cast(x, tf.float32), tf.cast(m, tf.float32)

        self.Downscale, self.DownscaleBlock, self.Upscale, self.ResidualBlock = \
            Downscale, DownscaleBlock, Upscale, ResidualBlock
        self.Encoder, self.Inter, self.Decoder = Encoder, Inter, Decoder
