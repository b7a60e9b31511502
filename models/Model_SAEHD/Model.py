"""SAEHD: the configurable DF / LIAE face-swap auto-encoder with every option of the original (reference §3.2).

Losses per side: DSSIM (two window sizes from res 256) + MSE on the masked faces, eyes/mouth L1 (priority), mask MSE;
src also gets face style and background style losses (the background mask is the predicted-masks product as the
original intended, not its overwritten src mask, §12 item 7). True face (DF) trains a code discriminator; GAN a
U-Net patch discriminator on masked src. Pretrain mode forces its values and, when switched off, resets the
iteration count and re-initialises the inter part(s).
"""
import os

import numpy as np
import tensorflow as tf

from core import interact
from core.errors import UserError
from core.leras import config, losses, ops, optimizers, training
from core.leras.archi import parse_archi
from core.leras.discriminators import CodeDiscriminator, UNetPatchDiscriminator
from facelib.FaceType import FaceType
from models.autoencoder import AutoEncoderViews, FaceAutoEncoder
from models.Model_SAEHD.options import OPTIONS
from models.ModelBase import ModelBase

LR = 5e-5


def _dloss(labels_value, logits):
    labels = tf.fill(tf.shape(logits), labels_value)
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits), axis=[1, 2, 3])


def _validate_archi(value):
    parse_archi(value)
    return value


class Model(AutoEncoderViews, ModelBase):
    OPTIONS = OPTIONS
    #: the merger's default mode for this model (the original's MergerConfigMasked default_mode)
    merger_default_mode = "overlay"

    # ------------------------------------------------------------------------------------------------- options
    def on_initialize_options(self):
        devices = self.device_config.devices
        self.ask_option("autobackup_hour")
        self.ask_option("write_preview_history")
        self.ask_choose_preview_history()
        for name in ("target_iter", "random_src_flip", "random_dst_flip"):
            self.ask_option(name)
        worst = min((d.total_mem_gb for d in devices), default=0)
        self.ask_option("batch_size", default=8 if worst >= 4 else 4)

        resolution = self.ask_option("resolution", validate=lambda r: int(np.clip((r // 16) * 16, 64, 640)))
        self.ask_option("face_type")
        archi = self.ask_option("archi", validate=_validate_archi)
        if "d" in parse_archi(archi)[1]:
            self.set_option("resolution", int(np.clip((resolution // 32) * 32, 64, 640)))
        self.ask_option("ae_dims")
        self.ask_option("e_dims", validate=lambda v: v + v % 2)
        d_dims = self.ask_option("d_dims", validate=lambda v: v + v % 2)
        mask_default = d_dims // 3 + (d_dims // 3) % 2
        self.ask_option("d_mask_dims", default=mask_default, validate=lambda v: v + v % 2)

        self.ask_option("masked_training")
        self.ask_option("eyes_mouth_prio")
        self.ask_option("uniform_yaw")
        self.ask_option("blur_out_mask")

        old_gan = (self.options.get("gan_patch_size"), self.options.get("gan_dims"))
        old_pretrain = bool(self.options.get("pretrain", False))
        if len(devices) == 1:
            self.ask_option("models_opt_on_gpu")
        else:
            self.keep_option("models_opt_on_gpu")
        self.ask_option("adabelief")
        self.ask_option("lr_dropout")
        self.ask_option("random_warp")
        self.ask_option("random_hsv_power")
        self.ask_option("gan_power")
        self.ask_option("gan_patch_size", default=self.options["resolution"] // 8)
        self.ask_option("gan_dims")
        self.ask_option("true_face_power")
        self.ask_option("face_style_power")
        self.ask_option("bg_style_power")
        self.ask_option("ct_mode")
        self.ask_option("clipgrad")
        pretrain = self.ask_option("pretrain")
        if pretrain and self.is_training and not self.pretraining_data_path:
            raise UserError("pretraining mode needs --pretraining-data-dir (a folder of aligned faces)")
        self.gan_model_changed = (not self.first_run and None not in old_gan
                                  and old_gan != (self.options["gan_patch_size"], self.options["gan_dims"]))
        self.pretrain_just_disabled = old_pretrain and not pretrain

    # ------------------------------------------------------------------------------------------------- networks
    def on_initialize(self):
        o = self.options
        ctx = self.leras
        self.resolution = res = int(o["resolution"])
        self.face_type = FaceType.from_option(o["face_type"])
        archi_type, opts = parse_archi(o["archi"])
        self.archi_type = archi_type
        self.pretrain = bool(o["pretrain"])
        if self.pretrain_just_disabled:
            interact.log_info("Pretraining switched off: iteration count reset to 0, inter weights re-initialised.")
            self.set_iter(0)
        self.batch_size = int(o["batch_size"])
        if self.batch_size % ctx.num_replicas:
            raise UserError(f"batch size {self.batch_size} must be a multiple of the {ctx.num_replicas} chosen "
                            f"devices")
        self.random_warp = False if self.pretrain else bool(o["random_warp"])
        self.masked_training = bool(o["masked_training"])
        self.eyes_mouth_prio = bool(o["eyes_mouth_prio"])
        self.blur_out_mask = bool(o["blur_out_mask"])
        self.gan_power = 0.0 if self.pretrain else float(o["gan_power"])
        self.true_face_power = 0.0 if self.pretrain else float(o["true_face_power"])
        self.face_style_power = 0.0 if self.pretrain else float(o["face_style_power"]) / 100.0
        self.bg_style_power = 0.0 if self.pretrain else float(o["bg_style_power"]) / 100.0
        lr_dropout = 0.3 if o["lr_dropout"] in ("y", "cpu") and not self.pretrain else 1.0
        lr_cos = 500 if lr_dropout != 1.0 else 0
        clipnorm = 1.0 if o["clipgrad"] else 0.0
        opt_cls = optimizers.AdaBelief if o["adabelief"] else optimizers.RMSprop
        on_cpu = not (o["models_opt_on_gpu"] and not self.device_config.cpu_only)

        # "Place models and optimizer on GPU" = n keeps them in CPU memory (one device; several mirror weights).
        with ctx.scope() if not on_cpu or ctx.strategy is not None else tf.device("/CPU:0"):
            self.ae = FaceAutoEncoder(archi_type, opts, res, int(o["ae_dims"]), int(o["e_dims"]), int(o["d_dims"]),
                                      int(o["d_mask_dims"]), compute_dtype=ctx.compute_dtype)
            self.model_filename_list = [(m, f"{m.name}.npy", True) for m in self.ae.parts()]
            if self.is_training:
                def make_opt(name):
                    return opt_cls(lr=LR, lr_dropout=lr_dropout, lr_cos=lr_cos, clipnorm=clipnorm, name=name)
                self.src_dst_opt = make_opt("src_dst_opt")
                self.src_dst_opt.initialize_variables(self.ae.parts(), vars_on_cpu=on_cpu,
                                                      lr_dropout_on_cpu=o["lr_dropout"] == "cpu")
                self.model_filename_list.append((self.src_dst_opt, "src_dst_opt.npy", False))
                self.code_discriminator = None
                if archi_type == "df" and self.true_face_power != 0:
                    self.code_discriminator = CodeDiscriminator(self.ae.code_ch, code_res=self.ae.code_res,
                                                                name="dis")
                    self.code_discriminator.build()
                    self.D_code_opt = make_opt("D_code_opt")
                    self.D_code_opt.initialize_variables([self.code_discriminator], vars_on_cpu=on_cpu)
                    self.model_filename_list += [(self.code_discriminator, "code_discriminator.npy", False),
                                                 (self.D_code_opt, "D_code_opt.npy", False)]
                self.D_src = None
                if self.gan_power != 0:
                    self.D_src = UNetPatchDiscriminator(patch_size=int(o["gan_patch_size"]), in_ch=3,
                                                        base_ch=int(o["gan_dims"]),
                                                        compute_dtype=ctx.compute_dtype, name="D_src")
                    self.D_src.build()
                    self.D_src_dst_opt = make_opt("GAN_opt")
                    self.D_src_dst_opt.initialize_variables([self.D_src], vars_on_cpu=on_cpu)
                    self.model_filename_list += [(self.D_src, "GAN.npy", False),
                                                 (self.D_src_dst_opt, "GAN_opt.npy", False)]
        self.load_parts()
        if self.pretrain_just_disabled:
            for m in self.ae.inters():
                m.init_weights()
        if self.is_training and self.D_src is not None and self.gan_model_changed:
            interact.log_info("GAN patch size or dimensions changed: the GAN starts from fresh weights.")
            self.D_src.init_weights()
            self.D_src_dst_opt.init_weights()

        self._build_functions()
        if self.is_training:
            if self.iter == 0 and not self.pretrain:
                interact.log_info("Model first run. Tip: starting from a pretrained model makes training faster.")
            self._make_generators()

    def _make_generators(self):
        from samplelib.SampleGeneratorFace import SampleGeneratorFace
        from samplelib.SampleProcessor import ChannelType, FaceMaskType, Options, SampleType
        o = self.options
        ct_mode = None if o["ct_mode"] == "none" else o["ct_mode"]
        hsv = 0.0 if self.pretrain else float(o["random_hsv_power"])
        common = dict(face_type=self.face_type, resolution=self.resolution, data_format="NHWC")

        def outputs(ct, hsv_amount):
            return [
                dict(sample_type=SampleType.FACE_IMAGE, warp=self.random_warp, transform=True,
                     channel_type=ChannelType.BGR, ct_mode=ct, random_hsv_shift_amount=hsv_amount, **common),
                dict(sample_type=SampleType.FACE_IMAGE, warp=False, transform=True, channel_type=ChannelType.BGR,
                     ct_mode=ct, **common),
                dict(sample_type=SampleType.FACE_MASK, warp=False, transform=True, channel_type=ChannelType.G,
                     face_mask_type=FaceMaskType.FULL_FACE, **common),
                dict(sample_type=SampleType.FACE_MASK, warp=False, transform=True, channel_type=ChannelType.G,
                     face_mask_type=FaceMaskType.EYES_MOUTH, **common),
            ]

        src_path = self.pretraining_data_path if self.pretrain else self.training_data_src_path
        dst_path = self.pretraining_data_path if self.pretrain else self.training_data_dst_path
        src_flip = True if self.pretrain else bool(o["random_src_flip"])
        dst_flip = True if self.pretrain else bool(o["random_dst_flip"])
        uniform_yaw = bool(o["uniform_yaw"]) or self.pretrain
        workers = 0 if self.debug else max(1, (os.cpu_count() or 2) // 2)
        src_ct = ct_mode if not self.pretrain else None
        self.set_training_data_generators([
            SampleGeneratorFace(src_path, debug=self.debug, batch_size=self.generator_batch_size,
                                random_ct_samples_path=dst_path if src_ct else None,
                                sample_process_options=Options(random_flip=src_flip, scale_range=(-0.15, 0.15)),
                                output_sample_types=outputs(src_ct, hsv), uniform_yaw_distribution=uniform_yaw,
                                generators_count=int(workers * 1.5) if src_ct else workers),
            SampleGeneratorFace(dst_path, debug=self.debug, batch_size=self.generator_batch_size,
                                sample_process_options=Options(random_flip=dst_flip, scale_range=(-0.15, 0.15)),
                                output_sample_types=outputs(None, 0.0), uniform_yaw_distribution=uniform_yaw,
                                generators_count=workers),
        ])

    # ------------------------------------------------------------------------------------------------- graph
    def _mask_blur(self, m):
        return tf.clip_by_value(ops.gaussian_blur(m, max(1, self.resolution // 32)), 0.0, 0.5) * 2.0

    def _rec_loss(self, target, pred):
        res = self.resolution
        if res < 256:
            loss = tf.reduce_mean(10 * losses.dssim(target, pred, max_val=1.0, filter_size=int(res / 11.6)), axis=1)
        else:
            loss = tf.reduce_mean(5 * losses.dssim(target, pred, max_val=1.0, filter_size=int(res / 11.6)), axis=1)
            loss += tf.reduce_mean(5 * losses.dssim(target, pred, max_val=1.0, filter_size=int(res / 23.2)), axis=1)
        return loss + tf.reduce_mean(10 * tf.square(target - pred), axis=[1, 2, 3])

    def _side_terms(self, target, targetm, targetm_em, pred, predm):
        """(loss, masked target, masked prediction, blurred mask) for one side."""
        if self.blur_out_mask:
            target = ops.blur_out_background(target, targetm, self.resolution)
        m_blur = self._mask_blur(targetm)
        t_opt = target * m_blur if self.masked_training else target
        p_opt = pred * m_blur if self.masked_training else pred
        loss = self._rec_loss(t_opt, p_opt)
        if self.eyes_mouth_prio:
            loss += tf.reduce_mean(300 * tf.abs(target * targetm_em - pred * targetm_em), axis=[1, 2, 3])
        loss += tf.reduce_mean(10 * tf.square(targetm - predm), axis=[1, 2, 3])
        return loss, target, t_opt, p_opt, m_blur

    def _g_loss(self, ws, ts, tsm, tsem, wd, td, tdm, tdem):
        ws, ts, tsm, tsem, wd, td, tdm, tdem = ops.to_data_format(ws, ts, tsm, tsem, wd, td, tdm, tdem)
        p = self.ae.forward(ws, wd)
        src_loss, ts_b, ts_opt, pss_opt, tsm_blur = self._side_terms(ts, tsm, tsem, p["pred_src_src"],
                                                                      p["pred_src_srcm"])
        dst_loss, td_b, _, _, _ = self._side_terms(td, tdm, tdem, p["pred_dst_dst"], p["pred_dst_dstm"])
        if self.face_style_power != 0:
            src_loss += losses.style_loss(
                p["pred_src_dst_no_code_grad"] * tf.stop_gradient(p["pred_src_dstm"]),
                tf.stop_gradient(p["pred_dst_dst"] * p["pred_dst_dstm"]),
                gaussian_blur_radius=self.resolution // 8, loss_weight=10000 * self.face_style_power)
        if self.bg_style_power != 0:
            # The intended style mask: where both the swap and the dst reconstruction see the face.
            style_m = tf.stop_gradient(tf.clip_by_value(
                ops.gaussian_blur(p["pred_src_dstm"] * p["pred_dst_dstm"], max(1, self.resolution // 32)), 0, 1))
            anti = 1.0 - style_m
            psd_bg, td_bg = p["pred_src_dst"] * anti, td_b * anti
            src_loss += tf.reduce_mean((10 * self.bg_style_power) * losses.dssim(
                psd_bg, td_bg, max_val=1.0, filter_size=int(self.resolution / 11.6)), axis=1)
            src_loss += tf.reduce_mean((10 * self.bg_style_power) * tf.square(psd_bg - td_bg), axis=[1, 2, 3])
        g_loss = src_loss + dst_loss
        if self.true_face_power != 0:
            src_code_d = self.code_discriminator(tf.cast(p["src_code"], tf.float32))
            g_loss += self.true_face_power * _dloss(1.0, src_code_d)
        if self.gan_power != 0:
            d, d2 = self.D_src(pss_opt)
            g_loss += self.gan_power * (_dloss(1.0, d) + _dloss(1.0, d2))
            if self.masked_training:
                # Minimal src-src background reconstruction to suppress the GAN's bright dots.
                g_loss += 0.000001 * losses.total_variation_mse(p["pred_src_src"])
                g_loss += 0.02 * tf.reduce_mean(tf.square(p["pred_src_src"] * (1.0 - tsm_blur)
                                                          - ts_b * (1.0 - tsm_blur)), axis=[1, 2, 3])
        return g_loss, {"src_loss": src_loss, "dst_loss": dst_loss}

    def _d_code_loss(self, ws, wd):
        ws, wd = ops.to_data_format(ws, wd)
        src_code = tf.stop_gradient(tf.cast(self.ae.inter(self.ae.encoder(ws)), tf.float32))
        dst_code = tf.stop_gradient(tf.cast(self.ae.inter(self.ae.encoder(wd)), tf.float32))
        loss = (_dloss(1.0, self.code_discriminator(dst_code)) + _dloss(0.0, self.code_discriminator(src_code))) * 0.5
        return loss, {"d_code_loss": loss}

    def _d_gan_loss(self, ws, ts, tsm):
        ws, ts, tsm = ops.to_data_format(ws, ts, tsm)
        if self.archi_type == "df":
            pred, _ = self.ae.decoder_src(self.ae.inter(self.ae.encoder(ws)))
        else:
            ab = self.ae.inter_AB(self.ae.encoder(ws))
            pred, _ = self.ae.decoder(ops.concat_ch((ab, ab)))
        pred = tf.stop_gradient(pred)
        if self.blur_out_mask:
            ts = ops.blur_out_background(ts, tsm, self.resolution)
        m_blur = self._mask_blur(tsm)
        t_opt = ts * m_blur if self.masked_training else ts
        p_opt = pred * m_blur if self.masked_training else pred
        t_d, t_d2 = self.D_src(t_opt)
        p_d, p_d2 = self.D_src(p_opt)
        loss = (_dloss(1.0, t_d) + _dloss(0.0, p_d)) * 0.5 + (_dloss(1.0, t_d2) + _dloss(0.0, p_d2)) * 0.5
        return loss, {"d_gan_loss": loss}

    def _build_functions(self):
        ctx = self.leras
        fmt = config.data_format()
        if self.is_training:
            # float16 (mixed precision on a GPU) needs loss scaling; bfloat16 and float32 do not.
            def scale():
                return training.DynamicLossScale() if ctx.compute_dtype == tf.float16 else None
            variables = [v for m in self.ae.trainable_parts(self.random_warp) for v in m.get_weights()]
            self.src_dst_train = training.make_train_step(self._g_loss, self.src_dst_opt, variables, ctx.strategy,
                                                          scale())
            if self.code_discriminator is not None and self.true_face_power != 0:
                self.D_train = training.make_train_step(self._d_code_loss, self.D_code_opt,
                                                        self.code_discriminator.get_weights(), ctx.strategy, scale())
            if self.D_src is not None:
                self.D_src_dst_train = training.make_train_step(self._d_gan_loss, self.D_src_dst_opt,
                                                                self.D_src.get_weights(), ctx.strategy, scale())

        self._build_ae_view(fmt)

    # ------------------------------------------------------------------------------------------------- training
    def on_train_one_iter(self):
        (ws, ts, tsm, tsem), (wd, td, tdm, tdem) = self.generate_next_samples()
        out = self.src_dst_train(ws, ts, tsm, tsem, wd, td, tdm, tdem)
        if self.code_discriminator is not None and self.true_face_power != 0:
            self.D_train(ws, wd)
        if self.D_src is not None:
            self.D_src_dst_train(ws, ts, tsm)
        return [("src_loss", float(np.mean(out["src_loss"]))), ("dst_loss", float(np.mean(out["dst_loss"])))]

    def on_get_preview(self, samples, for_history=False):
        (_, ts, tsm, _), (_, td, tdm, _) = samples
        S, D = np.clip(ts, 0, 1), np.clip(td, 0, 1)
        SS, DD, DDM, SD, SDM = self.ae_view(ts, td)
        DDM, SDM = np.repeat(DDM, 3, -1), np.repeat(SDM, 3, -1)
        n = min(4, len(S), max(1, 800 // self.resolution))
        sd_mask = DDM * SDM if self.face_type < FaceType.HEAD else SDM
        if self.resolution <= 256:
            plain = [[S[i], SS[i], D[i], DD[i], SD[i]] for i in range(n)]
            masked = [[S[i] * tsm[i], SS[i], D[i] * tdm[i], DD[i] * DDM[i], SD[i] * sd_mask[i]] for i in range(n)]
            return [("SAEHD", _grid(plain)), ("SAEHD masked", _grid(masked))]
        return [("SAEHD src-src", _grid([[S[i], SS[i]] for i in range(n)])),
                ("SAEHD dst-dst", _grid([[D[i], DD[i]] for i in range(n)])),
                ("SAEHD pred", _grid([[D[i], SD[i]] for i in range(n)])),
                ("SAEHD masked src-src", _grid([[S[i] * tsm[i], SS[i]] for i in range(n)])),
                ("SAEHD masked dst-dst", _grid([[D[i] * tdm[i], DD[i] * DDM[i]] for i in range(n)])),
                ("SAEHD masked pred", _grid([[D[i] * tdm[i], SD[i] * sd_mask[i]] for i in range(n)]))]

    def preview_history_period(self):
        return 10 * max(1, self.resolution // 64)

    def get_predictor(self):
        """Merge predictor (N,H,W,3) BGR -> (bgr, src_dst mask, dst_dst mask)."""
        return self.ae.make_predictor()


def _grid(rows):
    return np.concatenate([np.concatenate(r, axis=1) for r in rows], axis=0)
