"""Quick96: a fixed, fast DF model for a first try (reference §3.4); it asks nothing but the model and device.

res 96, full face, DF with archi opts 'ud', ae 128, e 64, d 64, mask 16; batch 4 per device; RMSprop lr 2e-4
with lr dropout 0.3; masked training and random warp always on, no flips. Every 3rd iteration trains again on the
previous batch with the unwarped faces as input. `--pretrained-model-dir` supplies missing parts as `<part>.npy`;
`--target-iter` (never prompted) stops an unattended run.
"""
import os

import numpy as np
import tensorflow as tf

from core.leras import config, losses, ops, optimizers, training
from facelib.FaceType import FaceType
from models.autoencoder import AutoEncoderViews, FaceAutoEncoder
from models.Model_Quick96.options import OPTIONS
from models.ModelBase import ModelBase

RESOLUTION = 96
LR = 2e-4
LR_DROPOUT = 0.3
BATCH_PER_DEVICE = 4
MIN_GPU_GB_FOR_MODELS = 4


class Model(AutoEncoderViews, ModelBase):
    OPTIONS = OPTIONS
    #: the merger's default mode for this model (the original's MergerConfigMasked default_mode)
    merger_default_mode = "seamless"

    def on_initialize_options(self):
        # Not prompted on a new model (Quick96 asks nothing); see options.py.
        if self.has_flag("target_iter") or "target_iter" in self.options:
            self.ask_option("target_iter")

    def on_initialize(self):
        ctx = self.leras
        self.resolution = RESOLUTION
        self.face_type = FaceType.FULL
        self.batch_size = BATCH_PER_DEVICE * ctx.num_replicas
        devices = self.device_config.devices
        models_on_gpu = bool(devices) and all(d.total_mem_gb >= MIN_GPU_GB_FOR_MODELS for d in devices)
        # Small GPUs keep models and optimizer on the CPU (one device only; several devices mirror the weights).
        with ctx.scope() if models_on_gpu or ctx.strategy is not None else tf.device("/CPU:0"):
            self.ae = FaceAutoEncoder("df", "ud", RESOLUTION, ae_dims=128, e_dims=64, d_dims=64, d_mask_dims=16,
                                      compute_dtype=ctx.compute_dtype)
            self.model_filename_list = [(m, f"{m.name}.npy", True) for m in self.ae.parts()]
            if self.is_training:
                self.src_dst_opt = optimizers.RMSprop(lr=LR, lr_dropout=LR_DROPOUT, name="src_dst_opt")
                self.src_dst_opt.initialize_variables(self.ae.parts(), vars_on_cpu=not models_on_gpu)
                self.model_filename_list.append((self.src_dst_opt, "src_dst_opt.npy", False))
        self.load_parts()
        fmt = config.data_format()
        if self.is_training:
            variables = [v for m in self.ae.parts() for v in m.get_weights()]
            # float16 (mixed precision on a GPU) needs loss scaling; bfloat16 and float32 do not.
            loss_scale = training.DynamicLossScale() if ctx.compute_dtype == tf.float16 else None
            self.src_dst_train = training.make_train_step(self._loss, self.src_dst_opt, variables, ctx.strategy,
                                                          loss_scale)
            self._make_generators()

        self._build_ae_view(fmt)
        self.last_batch = None

    def _make_generators(self):
        from samplelib.SampleGeneratorFace import SampleGeneratorFace
        from samplelib.SampleProcessor import ChannelType, FaceMaskType, Options, SampleType
        common = dict(face_type=self.face_type, resolution=RESOLUTION, data_format="NHWC")
        outputs = [
            dict(sample_type=SampleType.FACE_IMAGE, warp=True, transform=True, channel_type=ChannelType.BGR,
                 **common),
            dict(sample_type=SampleType.FACE_IMAGE, warp=False, transform=True, channel_type=ChannelType.BGR,
                 **common),
            dict(sample_type=SampleType.FACE_MASK, warp=False, transform=True, channel_type=ChannelType.G,
                 face_mask_type=FaceMaskType.FULL_FACE, **common),
        ]
        workers = 0 if self.debug else max(1, min(os.cpu_count() or 2, 8) // 2)
        self.set_training_data_generators([
            SampleGeneratorFace(path, debug=self.debug, batch_size=self.generator_batch_size,
                                sample_process_options=Options(random_flip=False), output_sample_types=outputs,
                                generators_count=workers)
            for path in (self.training_data_src_path, self.training_data_dst_path)])

    def _side_loss(self, target, targetm, pred, predm):
        m_blur = ops.gaussian_blur(targetm, max(1, RESOLUTION // 32))
        t, p = target * m_blur, pred * m_blur
        loss = tf.reduce_mean(10 * losses.dssim(t, p, max_val=1.0, filter_size=int(RESOLUTION / 11.6)), axis=1)
        loss += tf.reduce_mean(10 * tf.square(t - p), axis=[1, 2, 3])
        return loss + tf.reduce_mean(10 * tf.square(targetm - predm), axis=[1, 2, 3])

    def _loss(self, ws, ts, tsm, wd, td, tdm):
        ws, ts, tsm, wd, td, tdm = ops.to_data_format(ws, ts, tsm, wd, td, tdm)
        p = self.ae.forward(ws, wd)
        src_loss = self._side_loss(ts, tsm, p["pred_src_src"], p["pred_src_srcm"])
        dst_loss = self._side_loss(td, tdm, p["pred_dst_dst"], p["pred_dst_dstm"])
        return src_loss + dst_loss, {"src_loss": src_loss, "dst_loss": dst_loss}

    def on_train_one_iter(self):
        if self.iter % 3 == 0 and self.last_batch is not None:
            # Every third step: the previous batch again, unwarped (input = target).
            (_, ts, tsm), (_, td, tdm) = self.last_batch
            ws, wd = ts, td
        else:
            self.last_batch = self.generate_next_samples()
            (ws, ts, tsm), (wd, td, tdm) = self.last_batch
        out = self.src_dst_train(ws, ts, tsm, wd, td, tdm)
        return [("src_loss", float(np.mean(out["src_loss"]))), ("dst_loss", float(np.mean(out["dst_loss"])))]

    def on_get_preview(self, samples, for_history=False):
        (_, ts, tsm), (_, td, tdm) = samples[0][:3], samples[1][:3]
        S, D = np.clip(ts, 0, 1), np.clip(td, 0, 1)
        SS, DD, DDM, SD, SDM = self.ae_view(ts, td)
        DDM, SDM = np.repeat(DDM, 3, -1), np.repeat(SDM, 3, -1)
        n = min(4, len(S))
        plain = [np.concatenate([S[i], SS[i], D[i], DD[i], SD[i]], axis=1) for i in range(n)]
        masked = [np.concatenate([S[i] * tsm[i], SS[i], D[i] * tdm[i], DD[i] * DDM[i], SD[i] * DDM[i] * SDM[i]],
                                 axis=1) for i in range(n)]
        return [("Quick96", np.concatenate(plain, axis=0)), ("Quick96 masked", np.concatenate(masked, axis=0))]

    def get_predictor(self):
        return self.ae.make_predictor()
