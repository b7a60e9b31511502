"""AMP's networks (reference §3.3): one encoder with its own dense bottleneck, `inter_src` / `inter_dst`, one decoder.

The blocks are DeepFakeArchi's with archi letters `udt`: the encoder is the `t` encoder (5 downscales, residual
blocks) + pixel norm + Dense(ae_dims); each inter is one Dense reshaped to inter_dims x (res/32)²; the decoder is
the `t`+`d` decoder (4 upscales with residual blocks, 4 RGB convs -> depth_to_space, 5 mask upscales). Attribute
names are the original's, so weight keys (`dense1/weight:0`, `upscalem4/conv1/weight:0`, ...) match its files.

Morphing: a code for the decoder takes some channels from inter_src and the rest from inter_dst. Training mixes a
random `int(inter_dims * morph_factor)` channels per sample (src side); the swap takes channels [0, k) from
inter_src(dst code) and [k, inter_dims) from inter_dst(dst code), k = int(inter_dims * morph_value).
"""
import tensorflow as tf

from core.leras import config, ops
from core.leras.archi import DeepFakeArchi
from core.leras.base import ModelBase
from core.leras.layers import Dense


class Inter(ModelBase):
    def on_build(self, ae_ch, inter_res, inter_ch):
        self.inter_res, self.inter_ch = inter_res, inter_ch
        self.dense2 = Dense(ae_ch, inter_res * inter_res * inter_ch)

    def forward(self, x):
        return ops.reshape_4D(self.dense2(x), self.inter_res, self.inter_res, self.inter_ch)


def _channel_mask(mask_c, x):
    """(N, C) or (C,) 0/1 channel mask -> broadcastable against `x` in the current layout."""
    if config.data_format() == "NCHW":
        return mask_c[..., None, None]
    return mask_c[..., None, None, :] if mask_c.shape.rank == 2 else mask_c


class AmpNet:
    def __init__(self, resolution, ae_dims, inter_dims, e_dims, d_dims, d_mask_dims, compute_dtype=None):
        self.resolution, self.inter_dims = resolution, inter_dims
        self.dims = dict(ae_dims=ae_dims, inter_dims=inter_dims, e_dims=e_dims, d_dims=d_dims,
                         d_mask_dims=d_mask_dims)
        self.inter_res = resolution // 32
        archi = DeepFakeArchi(resolution, "udt", compute_dtype=compute_dtype)
        enc_flat = self.inter_res * self.inter_res * e_dims * 8

        class Encoder(archi.Encoder):
            def on_build(self):
                super().on_build()
                self.dense1 = Dense(enc_flat, ae_dims)

            def forward(self, x):
                return self.dense1(super().forward(x))

        self.encoder = Encoder(in_ch=3, e_ch=e_dims, name="encoder")
        self.inter_src = Inter(ae_dims, self.inter_res, inter_dims, name="inter_src")
        self.inter_dst = Inter(ae_dims, self.inter_res, inter_dims, name="inter_dst")
        self.decoder = archi.Decoder(in_ch=inter_dims, d_ch=d_dims, d_mask_ch=d_mask_dims, name="decoder")
        for m in self.parts():
            m.build()

    def parts(self):
        return [self.encoder, self.inter_src, self.inter_dst, self.decoder]

    def trainable_parts(self, random_warp=True):
        """The original trains only encoder + decoder (reference §12 item 8); we train the inters too, except
        without random warp, where they stay fixed like SAEHD's inter_AB (its earlier "don't train inters with
        random_warp-off")."""
        if random_warp:
            return self.parts()
        return [self.encoder, self.decoder]

    def count_params(self):
        return {m.name: m.count_params() for m in self.parts()}

    def with_compute_dtype(self, compute_dtype):
        """A copy computing in `compute_dtype` (e.g. float16 for a quantized DFM export) over copied weights."""
        other = AmpNet(self.resolution, compute_dtype=compute_dtype, **self.dims)
        for mine, theirs in zip(self.parts(), other.parts()):
            for v_mine, v_theirs in zip(mine.get_weights(), theirs.get_weights()):
                v_theirs.assign(v_mine)
        return other

    def random_morph_mask(self, batch, morph_factor):
        """(N, inter_dims) float: exactly int(inter_dims*morph_factor) ones per row, at random channels."""
        k = int(self.inter_dims * morph_factor)
        ranks = tf.argsort(tf.argsort(tf.random.uniform((batch, self.inter_dims)), axis=1), axis=1)
        return tf.cast(ranks < k, tf.float32)

    def forward_train(self, warped_src, warped_dst, morph_factor):
        """Predictions for the training losses (float32, current layout)."""
        src_code = self.encoder(warped_src)
        dst_code = self.encoder(warped_dst)
        src_inter_src = self.inter_src(src_code)
        src_inter_dst = self.inter_dst(src_code)
        mask = tf.stop_gradient(self.random_morph_mask(tf.shape(warped_src)[0], morph_factor))
        mask = tf.cast(_channel_mask(mask, src_inter_src), src_inter_src.dtype)
        src_mix = src_inter_src * mask + src_inter_dst * (1 - mask)
        pred_src_src, pred_src_srcm = self.decoder(src_mix)
        pred_dst_dst, pred_dst_dstm = self.decoder(self.inter_dst(dst_code))
        return dict(pred_src_src=pred_src_src, pred_src_srcm=pred_src_srcm, pred_dst_dst=pred_dst_dst,
                    pred_dst_dstm=pred_dst_dstm)

    def swap_code(self, dst_code, morph_value):
        """Channels [0, k) of inter_src(dst_code), the rest of inter_dst(dst_code); morph_value: float tensor (1,)."""
        a, b = self.inter_src(dst_code), self.inter_dst(dst_code)
        k = tf.cast(tf.cast(self.inter_dims, tf.float32) * tf.reshape(morph_value, ()), tf.int32)
        take_src = _channel_mask(tf.range(self.inter_dims) < k, a)
        return tf.where(take_src, a, b), b

    def view(self, target_src, target_dst, morph_value):
        """Preview: src-src (all inter_src), dst-dst, dst mask, swap at morph_value and its mask."""
        pred_src_src, _ = self.decoder(self.inter_src(self.encoder(target_src)))
        swap, dst_inter = self.swap_code(self.encoder(target_dst), morph_value)
        pred_dst_dst, pred_dst_dstm = self.decoder(dst_inter)
        pred_src_dst, pred_src_dstm = self.decoder(swap)
        return pred_src_src, pred_dst_dst, pred_dst_dstm, pred_src_dst, pred_src_dstm

    def merge(self, faces, morph_value):
        """Merge predictor graph: (swap bgr, swap mask, dst-dst mask)."""
        swap, dst_inter = self.swap_code(self.encoder(faces), morph_value)
        bgr, src_dstm = self.decoder(swap)
        _, dst_dstm = self.decoder(dst_inter)
        return bgr, src_dstm, dst_dstm
