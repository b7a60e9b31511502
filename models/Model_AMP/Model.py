"""AMP ("Amplifier", reference §3.3): one encoder and decoder, inter_src/inter_dst, morphing between them.

Losses per side (always masked): 5·DSSIM(res/11.6) + 5·DSSIM(res/23.2) + 10·MSE + 300·eyes/mouth L1 + 10·mask MSE;
G also gets a weak dst background reconstruction (0.1·MSE + 1e-6·TV). GAN: one U-Net patch discriminator `GAN` on
masked src and dst. AdaBelief lr 5e-5 (lr dropout 0.3 + cos 500 when on). Unlike the original, inter_src/inter_dst
are trained (reference §12 item 8; see amp_net.AmpNet.trainable_parts). The merger asks the morph factor.
"""
import os

import numpy as np
import tensorflow as tf

from core import interact
from core.errors import UserError
from core.leras import config, losses, ops, optimizers, training
from core.leras.discriminators import UNetPatchDiscriminator
from facelib.FaceType import FaceType
from models.Model_AMP.amp_net import AmpNet
from models.Model_AMP.options import MERGE_OPTIONS, OPTIONS
from models.ModelBase import ModelBase

LR = 5e-5
#: morph values shown by the preview (the original's)
PREVIEW_MORPHS = (0.25, 0.5, 0.65, 0.75, 1.0)


def _dloss(labels_value, logits):
    labels = tf.fill(tf.shape(logits), labels_value)
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits), axis=[1, 2, 3])


def _even(v):
    return v + v % 2


class Model(ModelBase):
    OPTIONS = OPTIONS
    MERGE_OPTIONS = MERGE_OPTIONS
    #: the merger's default mode for this model (the original's MergerConfigMasked default_mode)
    merger_default_mode = "overlay"

    # ------------------------------------------------------------------------------------------------- options
    def on_initialize_options(self):
        self.ask_option("autobackup_hour")
        self.ask_option("write_preview_history")
        self.ask_choose_preview_history()
        for name in ("target_iter", "random_src_flip", "random_dst_flip"):
            self.ask_option(name)
        self.ask_option("batch_size", default=8)
        resolution = self.ask_option("resolution", validate=lambda r: int(np.clip((r // 32) * 32, 64, 640)))
        self.ask_option("face_type")
        self.ask_option("ae_dims")
        self.ask_option("inter_dims")
        self.ask_option("e_dims", validate=_even)
        self.ask_option("d_dims", validate=_even)
        self.ask_option("d_mask_dims", validate=_even)
        self.ask_option("morph_factor")
        self.ask_option("uniform_yaw")
        self.ask_option("blur_out_mask")
        self.ask_option("lr_dropout")
        old_gan = (self.options.get("gan_patch_size"), self.options.get("gan_dims"))
        if len(self.device_config.devices) == 1:
            self.ask_option("models_opt_on_gpu")
        else:
            self.keep_option("models_opt_on_gpu")
        self.ask_option("random_warp")
        self.ask_option("gan_power")
        self.ask_option("gan_patch_size", default=resolution // 8)
        self.ask_option("gan_dims")
        self.ask_option("ct_mode")
        self.ask_option("clipgrad")
        self.gan_model_changed = (not self.first_run and None not in old_gan
                                  and old_gan != (self.options["gan_patch_size"], self.options["gan_dims"]))

    # ------------------------------------------------------------------------------------------------- networks
    def on_initialize(self):
        o = self.options
        ctx = self.leras
        self.resolution = res = int(o["resolution"])
        self.face_type = FaceType.from_option(o["face_type"])
        self.morph_factor = float(o["morph_factor"])
        self.batch_size = int(o["batch_size"])
        if self.batch_size % ctx.num_replicas:
            raise UserError(f"batch size {self.batch_size} must be a multiple of the {ctx.num_replicas} chosen "
                            f"devices")
        self.random_warp = bool(o["random_warp"])
        self.blur_out_mask = bool(o["blur_out_mask"])
        self.gan_power = float(o["gan_power"])
        lr_dropout = 0.3 if o["lr_dropout"] in ("y", "cpu") else 1.0
        lr_cos = 500 if lr_dropout != 1.0 else 0
        clipnorm = 1.0 if o["clipgrad"] else 0.0
        on_cpu = not (o["models_opt_on_gpu"] and not self.device_config.cpu_only)

        with ctx.scope() if not on_cpu or ctx.strategy is not None else tf.device("/CPU:0"):
            self.net = AmpNet(res, int(o["ae_dims"]), int(o["inter_dims"]), int(o["e_dims"]), int(o["d_dims"]),
                              int(o["d_mask_dims"]), compute_dtype=ctx.compute_dtype)
            self.model_filename_list = [(m, f"{m.name}.npy", True) for m in self.net.parts()]
            self.GAN = None
            if self.is_training:
                def make_opt(name):
                    return optimizers.AdaBelief(lr=LR, lr_dropout=lr_dropout, lr_cos=lr_cos, clipnorm=clipnorm,
                                                name=name)
                self.src_dst_opt = make_opt("src_dst_opt")
                self.src_dst_opt.initialize_variables(self.net.parts(), vars_on_cpu=on_cpu,
                                                      lr_dropout_on_cpu=o["lr_dropout"] == "cpu")
                self.model_filename_list.append((self.src_dst_opt, "src_dst_opt.npy", False))
                if self.gan_power != 0:
                    self.GAN = UNetPatchDiscriminator(patch_size=int(o["gan_patch_size"]), in_ch=3,
                                                      base_ch=int(o["gan_dims"]), compute_dtype=ctx.compute_dtype,
                                                      name="GAN")
                    self.GAN.build()
                    self.GAN_opt = make_opt("GAN_opt")
                    self.GAN_opt.initialize_variables([self.GAN], vars_on_cpu=on_cpu)
                    self.model_filename_list += [(self.GAN, "GAN.npy", False), (self.GAN_opt, "GAN_opt.npy", False)]
        self.load_parts()
        if self.GAN is not None and self.gan_model_changed:
            interact.log_info("GAN patch size or dimensions changed: the GAN starts from fresh weights.")
            self.GAN.init_weights()
            self.GAN_opt.init_weights()
        self._build_functions()
        if self.is_training:
            self._make_generators()

    def _make_generators(self):
        from samplelib.SampleGeneratorFace import SampleGeneratorFace
        from samplelib.SampleProcessor import ChannelType, FaceMaskType, Options, SampleType
        o = self.options
        ct_mode = None if o["ct_mode"] == "none" else o["ct_mode"]
        common = dict(face_type=self.face_type, resolution=self.resolution, data_format="NHWC")

        def outputs(ct):
            return [
                dict(sample_type=SampleType.FACE_IMAGE, warp=self.random_warp, transform=True,
                     channel_type=ChannelType.BGR, ct_mode=ct, **common),
                dict(sample_type=SampleType.FACE_IMAGE, warp=False, transform=True, channel_type=ChannelType.BGR,
                     ct_mode=ct, **common),
                dict(sample_type=SampleType.FACE_MASK, warp=False, transform=True, channel_type=ChannelType.G,
                     face_mask_type=FaceMaskType.FULL_FACE, **common),
                dict(sample_type=SampleType.FACE_MASK, warp=False, transform=True, channel_type=ChannelType.G,
                     face_mask_type=FaceMaskType.EYES_MOUTH, **common),
            ]

        workers = 0 if self.debug else max(1, (os.cpu_count() or 2) // 2)
        uniform_yaw = bool(o["uniform_yaw"])
        dst_path = self.training_data_dst_path
        self.set_training_data_generators([
            SampleGeneratorFace(self.training_data_src_path, debug=self.debug, batch_size=self.generator_batch_size,
                                random_ct_samples_path=dst_path if ct_mode else None,
                                sample_process_options=Options(random_flip=bool(o["random_src_flip"]),
                                                               scale_range=(-0.15, 0.15)),
                                output_sample_types=outputs(ct_mode), uniform_yaw_distribution=uniform_yaw,
                                generators_count=int(workers * 1.5) if ct_mode else workers),
            SampleGeneratorFace(dst_path, debug=self.debug, batch_size=self.generator_batch_size,
                                sample_process_options=Options(random_flip=bool(o["random_dst_flip"]),
                                                               scale_range=(-0.15, 0.15)),
                                output_sample_types=outputs(None), uniform_yaw_distribution=uniform_yaw,
                                generators_count=workers),
        ])

    # ------------------------------------------------------------------------------------------------- graph
    def _masked(self, target, targetm):
        """(target, blurred mask) with the blur-out option applied; mask = clip(blur(m), 0, 0.5) * 2."""
        if self.blur_out_mask:
            target = ops.blur_out_background(target, targetm, self.resolution)
        m_blur = tf.clip_by_value(ops.gaussian_blur(targetm, max(1, self.resolution // 32)), 0.0, 0.5) * 2.0
        return target, m_blur

    def _side_loss(self, target, m_blur, targetm, targetm_em, pred, predm):
        res = self.resolution
        t, p = target * m_blur, pred * m_blur
        loss = tf.reduce_mean(5 * losses.dssim(t, p, max_val=1.0, filter_size=int(res / 11.6)), axis=1)
        loss += tf.reduce_mean(5 * losses.dssim(t, p, max_val=1.0, filter_size=int(res / 23.2)), axis=1)
        loss += tf.reduce_mean(10 * tf.square(t - p), axis=[1, 2, 3])
        loss += tf.reduce_mean(300 * tf.abs(target * targetm_em - pred * targetm_em), axis=[1, 2, 3])
        return loss + tf.reduce_mean(10 * tf.square(targetm - predm), axis=[1, 2, 3])

    def _g_loss(self, ws, ts, tsm, tsem, wd, td, tdm, tdem):
        ws, ts, tsm, tsem, wd, td, tdm, tdem = ops.to_data_format(ws, ts, tsm, tsem, wd, td, tdm, tdem)
        p = self.net.forward_train(ws, wd, self.morph_factor)
        ts, tsm_blur = self._masked(ts, tsm)
        td, tdm_blur = self._masked(td, tdm)
        src_loss = self._side_loss(ts, tsm_blur, tsm, tsem, p["pred_src_src"], p["pred_src_srcm"])
        dst_loss = self._side_loss(td, tdm_blur, tdm, tdem, p["pred_dst_dst"], p["pred_dst_dstm"])
        g_loss = src_loss + dst_loss
        # Weak dst-dst background reconstruction.
        pdd_anti = p["pred_dst_dst"] * (1.0 - tdm_blur)
        g_loss += tf.reduce_mean(0.1 * tf.square(pdd_anti - td * (1.0 - tdm_blur)), axis=[1, 2, 3])
        g_loss += 0.000001 * losses.total_variation_mse(pdd_anti)
        if self.GAN is not None:
            pss_d, pss_d2 = self.GAN(p["pred_src_src"] * tsm_blur)
            pdd_d, pdd_d2 = self.GAN(p["pred_dst_dst"] * tdm_blur)
            g_loss += self.gan_power * (_dloss(1.0, pss_d) + _dloss(1.0, pss_d2)
                                        + _dloss(1.0, pdd_d) + _dloss(1.0, pdd_d2))
            # Minimal src-src background reconstruction to suppress the GAN's bright dots.
            g_loss += 0.000001 * losses.total_variation_mse(p["pred_src_src"])
            g_loss += 0.02 * tf.reduce_mean(tf.square(p["pred_src_src"] * (1.0 - tsm_blur)
                                                      - ts * (1.0 - tsm_blur)), axis=[1, 2, 3])
        return g_loss, {"src_loss": src_loss, "dst_loss": dst_loss}

    def _d_gan_loss(self, ws, ts, tsm, wd, td, tdm):
        ws, ts, tsm, wd, td, tdm = ops.to_data_format(ws, ts, tsm, wd, td, tdm)
        p = self.net.forward_train(ws, wd, self.morph_factor)
        ts, tsm_blur = self._masked(ts, tsm)
        td, tdm_blur = self._masked(td, tdm)
        real_s = self.GAN(ts * tsm_blur)
        real_d = self.GAN(td * tdm_blur)
        fake_s = self.GAN(tf.stop_gradient(p["pred_src_src"]) * tsm_blur)
        fake_d = self.GAN(tf.stop_gradient(p["pred_dst_dst"]) * tdm_blur)
        loss = sum(_dloss(1.0, d) for d in real_s + real_d) + sum(_dloss(0.0, d) for d in fake_s + fake_d)
        loss = loss * (1.0 / 8)
        return loss, {"gan_loss": loss}

    def _build_functions(self):
        ctx = self.leras
        fmt = config.data_format()
        if self.is_training:
            scale = training.DynamicLossScale if ctx.compute_dtype == tf.float16 else (lambda: None)
            variables = [v for m in self.net.trainable_parts(self.random_warp) for v in m.get_weights()]
            self.src_dst_train = training.make_train_step(self._g_loss, self.src_dst_opt, variables, ctx.strategy,
                                                          scale())
            if self.GAN is not None:
                self.GAN_train = training.make_train_step(self._d_gan_loss, self.GAN_opt, self.GAN.get_weights(),
                                                          ctx.strategy, scale())

        def nhwc(xs):
            return [tf.transpose(x, (0, 2, 3, 1)) for x in xs] if fmt == "NCHW" else list(xs)

        @tf.function
        def view(target_src, target_dst, morph_value):
            with config.use_data_format(fmt):
                ts, td = ops.to_data_format(target_src, target_dst)
                return nhwc(self.net.view(ts, td, morph_value))

        @tf.function
        def merge(faces, morph_value):
            with config.use_data_format(fmt):
                return nhwc(self.net.merge(ops.to_data_format(faces)[0], morph_value))

        self._view, self._merge = view, merge

    # ------------------------------------------------------------------------------------------------- training
    def on_train_one_iter(self):
        (ws, ts, tsm, tsem), (wd, td, tdm, tdem) = self.generate_next_samples()
        out = self.src_dst_train(ws, ts, tsm, tsem, wd, td, tdm, tdem)
        if self.GAN is not None:
            self.GAN_train(ws, ts, tsm, wd, td, tdm)
        return [("src_loss", float(np.mean(out["src_loss"]))), ("dst_loss", float(np.mean(out["dst_loss"])))]

    def ae_view(self, target_src, target_dst, morph_value):
        """[SS, DD, DDM, SD, SDM] NHWC float32 0..1 for the preview at `morph_value`."""
        outs = self._view(np.asarray(target_src, np.float32), np.asarray(target_dst, np.float32),
                          np.array([morph_value], np.float32))
        return [np.clip(x.numpy(), 0.0, 1.0) for x in outs]

    def reconstruct_dst(self, faces):
        """dst->dst reconstruction (N,R,R,3) of model-space faces, 0..1: what the quality report measures."""
        return self.ae_view(faces, faces, 0.0)[1]

    def on_get_preview(self, samples, for_history=False):
        (_, ts, tsm, _), (_, td, tdm, _) = samples
        S, D = np.clip(ts, 0, 1), np.clip(td, 0, 1)
        SS, DD, DDM, _, _ = self.ae_view(ts, td, 0.0)
        swaps = {m: self.ae_view(ts, td, m)[2:] for m in PREVIEW_MORPHS}
        n = min(4, len(S), max(1, 800 // self.resolution))

        def masked(m, i):
            ddm, sd, sdm = swaps[m]
            return sd[i] * ddm[i] * sdm[i]

        rows = [[S[i], D[i], DD[i] * DDM[i], SS[i], DD[i], swaps[1.0][1][i]] for i in range(n)]
        morph = [[DD[i]] + [swaps[m][1][i] for m in PREVIEW_MORPHS] for i in range(n)]
        morph_m = [[DD[i] * DDM[i]] + [masked(m, i) for m in PREVIEW_MORPHS] for i in range(n)]
        return [("AMP morph 1.0", _grid(rows)), ("AMP morph list", _grid(morph)),
                ("AMP morph list masked", _grid(morph_m))]

    def preview_history_period(self):
        return 10 * max(1, self.resolution // 64)

    # ------------------------------------------------------------------------------------------------- merge
    def get_predictor(self, morph_factor=None):
        """Merge predictor (N,H,W,3) BGR -> (bgr, src_dst mask, dst_dst mask) at the merge morph factor (asked, or
        from `merge --morph-factor`)."""
        if morph_factor is None:
            morph_factor = (self.merge_options or self.ask_merge_options())["morph_factor"]
        morph = np.array([morph_factor], np.float32)

        def predict(faces_nhwc):
            bgr, src_dstm, dst_dstm = (x.numpy() for x in self._merge(np.asarray(faces_nhwc, np.float32), morph))
            return bgr, src_dstm[..., 0], dst_dstm[..., 0]

        return predict


def _grid(rows):
    return np.concatenate([np.concatenate(r, axis=1) for r in rows], axis=0)
