"""The DF / LIAE face auto-encoder of SAEHD and Quick96 (reference §3.2 "Graph"), built from core.leras parts.

DF: shared `encoder` + `inter`, `decoder_src` and `decoder_dst`; swap = decoder_src(inter(enc(dst))).
LIAE: shared `encoder`, `inter_AB`, `inter_B` (2·ae channels each) and one `decoder` on a 4·ae concat:
src code = [AB(src), AB(src)], dst code = [B(dst), AB(dst)], swap code = [AB(dst), AB(dst)].
Part names are the weight files' names (`<name>_<Model>_<part>.npy`) and the keys' first scope.
"""
import numpy as np
import tensorflow as tf

from core.leras import config, ops, predictors
from core.leras.archi import DeepFakeArchi


class FaceAutoEncoder:
    def __init__(self, archi_type, opts, resolution, ae_dims, e_dims, d_dims, d_mask_dims, compute_dtype=None):
        self.archi_type = archi_type
        self.config = dict(archi_type=archi_type, opts=opts, resolution=resolution, ae_dims=ae_dims, e_dims=e_dims,
                           d_dims=d_dims, d_mask_dims=d_mask_dims)
        archi = DeepFakeArchi(resolution, opts, compute_dtype=compute_dtype)
        self.encoder = archi.Encoder(in_ch=3, e_ch=e_dims, name="encoder")
        enc_out_ch = self.encoder.get_out_ch() * self.encoder.get_out_res(resolution) ** 2
        if archi_type == "df":
            self.inter = archi.Inter(in_ch=enc_out_ch, ae_ch=ae_dims, ae_out_ch=ae_dims, name="inter")
            self.decoder_src = archi.Decoder(in_ch=ae_dims, d_ch=d_dims, d_mask_ch=d_mask_dims, name="decoder_src")
            self.decoder_dst = archi.Decoder(in_ch=ae_dims, d_ch=d_dims, d_mask_ch=d_mask_dims, name="decoder_dst")
            self.code_res, self.code_ch = self.inter.get_out_res(), ae_dims
        else:
            self.inter_AB = archi.Inter(in_ch=enc_out_ch, ae_ch=ae_dims, ae_out_ch=ae_dims * 2, name="inter_AB")
            self.inter_B = archi.Inter(in_ch=enc_out_ch, ae_ch=ae_dims, ae_out_ch=ae_dims * 2, name="inter_B")
            self.decoder = archi.Decoder(in_ch=ae_dims * 4, d_ch=d_dims, d_mask_ch=d_mask_dims, name="decoder")
            self.code_res, self.code_ch = self.inter_AB.get_out_res(), ae_dims * 2
        for m in self.parts():
            m.build()

    def parts(self):
        if self.archi_type == "df":
            return [self.encoder, self.inter, self.decoder_src, self.decoder_dst]
        return [self.encoder, self.inter_AB, self.inter_B, self.decoder]

    def inters(self):
        """The parts re-initialised when pretraining is switched off."""
        return [self.inter] if self.archi_type == "df" else [self.inter_AB, self.inter_B]

    def trainable_parts(self, random_warp=True):
        """LIAE without random warp keeps inter_AB fixed ("keeps the face more src-like")."""
        if self.archi_type == "liae" and not random_warp:
            return [self.encoder, self.inter_B, self.decoder]
        return self.parts()

    def count_params(self):
        return {m.name: m.count_params() for m in self.parts()}

    def with_compute_dtype(self, compute_dtype):
        """A copy computing in `compute_dtype` (e.g. float16 for a quantized DFM export) over copied weights."""
        other = FaceAutoEncoder(compute_dtype=compute_dtype, **self.config)
        for mine, theirs in zip(self.parts(), other.parts()):
            for v_mine, v_theirs in zip(mine.get_weights(), theirs.get_weights()):
                v_theirs.assign(v_mine)
        return other

    def forward(self, warped_src, warped_dst):
        """Dict of predictions (float32, current layout) and the codes used by 'true face'."""
        if self.archi_type == "df":
            src_code = self.inter(self.encoder(warped_src))
            dst_code = self.inter(self.encoder(warped_dst))
            pred_src_src, pred_src_srcm = self.decoder_src(src_code)
            pred_dst_dst, pred_dst_dstm = self.decoder_dst(dst_code)
            pred_src_dst, pred_src_dstm = self.decoder_src(dst_code)
            pred_src_dst_no_code_grad, _ = self.decoder_src(tf.stop_gradient(dst_code))
        else:
            src_enc = self.encoder(warped_src)
            dst_enc = self.encoder(warped_dst)
            src_ab = self.inter_AB(src_enc)
            dst_b = self.inter_B(dst_enc)
            dst_ab = self.inter_AB(dst_enc)
            src_code = ops.concat_ch((src_ab, src_ab))
            dst_code = ops.concat_ch((dst_b, dst_ab))
            swap_code = ops.concat_ch((dst_ab, dst_ab))
            pred_src_src, pred_src_srcm = self.decoder(src_code)
            pred_dst_dst, pred_dst_dstm = self.decoder(dst_code)
            pred_src_dst, pred_src_dstm = self.decoder(swap_code)
            pred_src_dst_no_code_grad, _ = self.decoder(tf.stop_gradient(swap_code))
        return dict(src_code=src_code, dst_code=dst_code, pred_src_src=pred_src_src, pred_src_srcm=pred_src_srcm,
                    pred_dst_dst=pred_dst_dst, pred_dst_dstm=pred_dst_dstm, pred_src_dst=pred_src_dst,
                    pred_src_dstm=pred_src_dstm, pred_src_dst_no_code_grad=pred_src_dst_no_code_grad)

    def make_predictor(self):
        """Merge predictor: (N,H,W,3) BGR -> (bgr, src_dst mask, dst_dst mask), as the original's AE_merge."""
        if self.archi_type == "df":
            return predictors.make_saehd_predictor("df", encoder=self.encoder, inter=self.inter,
                                                   decoder=self.decoder_src, decoder_dst=self.decoder_dst)
        return predictors.make_saehd_predictor("liae", encoder=self.encoder, inter_AB=self.inter_AB,
                                               inter_B=self.inter_B, decoder=self.decoder)


class AutoEncoderViews:
    """Views of a model's FaceAutoEncoder (`self.ae`) for previews and the quality report."""

    def _build_ae_view(self, fmt):
        """Trace the view function for the model's data format `fmt`; inputs and outputs are NHWC."""
        @tf.function
        def ae_view(target_src, target_dst):
            with config.use_data_format(fmt):
                ts, td = ops.to_data_format(target_src, target_dst)
                p = self.ae.forward(ts, td)
                outs = [p["pred_src_src"], p["pred_dst_dst"], p["pred_dst_dstm"], p["pred_src_dst"],
                        p["pred_src_dstm"]]
                return [tf.transpose(x, (0, 2, 3, 1)) for x in outs] if fmt == "NCHW" else outs

        self._ae_view = ae_view

    def ae_view(self, target_src, target_dst):
        """[src->src, dst->dst, dst->dst mask, src->dst, src->dst mask], NHWC float32 clipped to 0..1."""
        return [np.clip(x.numpy(), 0.0, 1.0) for x in self._ae_view(np.asarray(target_src, np.float32),
                                                                    np.asarray(target_dst, np.float32))]

    def reconstruct_dst(self, faces):
        """dst->dst reconstruction (N,R,R,3) of model-space faces, 0..1: what the quality report measures."""
        return self.ae_view(faces, faces)[1]
