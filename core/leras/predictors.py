"""The SAEHD merge predictor maths (reference 3.2), shared by models/Model_SAEHD and the compatibility tests.

`saehd_merge(...)` maps a batch of aligned dst faces to (swapped face, swapped-face mask, dst mask), exactly as the
original's `AE_merge` graph: DF = decoder_src(inter(enc(dst))) with the dst mask from decoder_dst; LIAE = decoder
on [inter_AB(code), inter_AB(code)] with the dst mask from the decoder on [inter_B(code), inter_AB(code)].
"""
import numpy as np
import tensorflow as tf

from core.leras import config, ops


def saehd_merge(archi_type, encoder, decoder, inter=None, decoder_dst=None, inter_AB=None, inter_B=None,
                faces=None):
    """faces: (N, C, H, W) or (N, H, W, C) in the current layout. Returns (bgr, src_dst mask, dst_dst mask)."""
    code = encoder(faces)
    if archi_type == "df":
        code = inter(code)
        bgr, src_dstm = decoder(code)
        _, dst_dstm = decoder_dst(code)
    else:
        ab = inter_AB(code)
        b = inter_B(code)
        bgr, src_dstm = decoder(ops.concat_ch((ab, ab)))
        _, dst_dstm = decoder(ops.concat_ch((b, ab)))
    return bgr, src_dstm, dst_dstm


def make_saehd_predictor(archi_type, **parts):
    """A function (N,H,W,3) float32 BGR NumPy -> (bgr (N,H,W,3), src_dst mask (N,H,W), dst_dst mask (N,H,W)).

    parts: encoder, decoder and inter (df: plus decoder_dst) or inter_AB + inter_B (liae). The graph is traced
    once in the layout current at the first call.
    """
    fmt = config.data_format()

    @tf.function(autograph=False)  # plain Python on static settings: converting it only slows the first call
    def run(x):
        with config.use_data_format(fmt):
            return saehd_merge(archi_type, faces=x, **parts)

    def predict(faces_nhwc):
        x = config.to_data_format(np.asarray(faces_nhwc, np.float32), fmt, "NHWC")
        bgr, src_dstm, dst_dstm = (config.to_data_format(t.numpy(), "NHWC", fmt)
                                   for t in run(tf.constant(x)))
        return bgr, src_dstm[..., 0], dst_dstm[..., 0]

    return predict
