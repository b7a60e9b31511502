"""XSeg: trains the face segmentation network on the faces labelled in the XSeg editor (reference §3.5).

One model per folder (files `XSeg_256.npy`, `XSeg_256_opt.npy`, `XSeg_data.dat`, no user name). Training samples
come from data_src and data_dst together: faces with polygons (else faces with an applied mask), heavily augmented by
samplelib.SampleGeneratorFaceXSeg. Loss: mean sigmoid cross-entropy; RMSprop lr 1e-4 with lr dropout 0.3.
Pretrain mode (no skip connections) learns to reproduce the grey face from warped faces of --pretraining-data-dir:
5·DSSIM(res/11.6) + 5·DSSIM(res/23.2) + 10·MSE. Previews: the training faces with their label and prediction over
green, then src and dst faces with the predicted mask.

`RESOLUTION`, `BASE_CH`, `LR` are the original's fixed 256, 32, 1e-4; a subclass may change them (the tests
train a 64 px net with a larger learning rate, to converge in a few hundred steps on a CPU).
"""
import os

import numpy as np
import tensorflow as tf

from core import interact
from core.errors import UserError
from core.leras import config, losses, optimizers, training
from facelib import XSegNet as xsegnet
from facelib.FaceType import FaceType
from models.Model_XSeg.options import OPTIONS
from models.ModelBase import ModelBase

_GREEN = np.array([0, 1, 0], np.float32)


def _overlay(img, mask):
    """The face where the mask is, half face / half green elsewhere (the original's preview)."""
    return img * mask + 0.5 * img * (1 - mask) + 0.5 * _GREEN * (1 - mask)


class Model(ModelBase):
    OPTIONS = OPTIONS
    NAME = "XSeg"
    FORCE_MODEL_CLASS_NAME = "XSeg"
    RESOLUTION = xsegnet.RESOLUTION
    BASE_CH = xsegnet.BASE_CH
    LR = 1e-4
    LR_DROPOUT = 0.3

    # ------------------------------------------------------------------------------------------------- options
    def on_initialize_options(self):
        self.restart = False
        if not self.first_run and (self.ask_override or "restart_training" in self._flags):
            self.restart = self.ask_option("restart_training")
        self.options.pop("restart_training", None)   # a one-time answer, not a setting
        if self.restart:
            self.set_iter(0)
        old_pretrain = bool(self.options.get("pretrain", False))
        self.ask_option("face_type")
        self.ask_option("target_iter")
        self.ask_option("batch_size")
        pretrain = self.ask_option("pretrain")
        if pretrain and self.is_training and not self.pretraining_data_path:
            raise UserError("XSeg pretraining mode needs --pretraining-data-dir (a folder of aligned faces)")
        self.pretrain_just_disabled = old_pretrain and not pretrain

    # ------------------------------------------------------------------------------------------------- networks
    def on_initialize(self):
        ctx = self.leras
        self.resolution = res = int(self.RESOLUTION)
        self.face_type = FaceType.from_option(self.options["face_type"])
        self.pretrain = bool(self.options["pretrain"])
        n = ctx.num_replicas
        self.batch_size = n * max(1, int(self.options["batch_size"]) // n)
        with ctx.scope():
            opt = optimizers.RMSprop(lr=self.LR, lr_dropout=self.LR_DROPOUT, name="opt") if self.is_training else None
            self.net = xsegnet.XSegNet(self.model_dir, resolution=res, base_ch=self.BASE_CH, training=True,
                                       optimizer=opt, opt_vars_on_cpu=self.device_config.cpu_only)
        # XSegNet's file names (XSeg_256.npy) are this model's file prefix (XSeg_) + the rest.
        self.model_filename_list = [(m, name[len(self.file_prefix):], m is self.net.model)
                                    for m, name in self.net.model_filename_list]
        if self.restart:
            for saveable, _, _ in self.model_filename_list:
                saveable.init_weights()
        else:
            self.load_parts()
        if self.pretrain_just_disabled:
            interact.log_info("Pretraining switched off: iteration count reset to 0.")
            self.set_iter(0)

        fmt = config.data_format()
        dtype = ctx.compute_dtype

        @tf.function(input_signature=[tf.TensorSpec([None, res, res, 3], tf.float32)])
        def view(x):
            with config.use_data_format(fmt):
                x = tf.cast(x, dtype)
                _, mask = self.net.flow(tf.transpose(x, (0, 3, 1, 2)) if fmt == "NCHW" else x,
                                        pretrain=self.pretrain)
                mask = tf.cast(mask, tf.float32)
                return tf.transpose(mask, (0, 2, 3, 1)) if fmt == "NCHW" else mask
        self._view = view

        if self.is_training:
            loss_scale = training.DynamicLossScale() if dtype == tf.float16 else None
            self.train_step = training.make_train_step(self._loss, self.net.opt, self.net.get_weights(),
                                                       ctx.strategy, loss_scale)
            self._make_generators()
            if self.sample_for_preview is not None and len(self.sample_for_preview) != len(self.generator_list):
                self.sample_for_preview = None   # pretrain switched or a folder emptied: take a new one

    def _loss(self, image, target):
        fmt = config.data_format()
        if fmt == "NCHW":
            image, target = tf.transpose(image, (0, 3, 1, 2)), tf.transpose(target, (0, 3, 1, 2))
        logits, pred = self.net.flow(tf.cast(image, self.leras.compute_dtype), pretrain=self.pretrain)
        logits, pred = tf.cast(logits, tf.float32), tf.cast(pred, tf.float32)
        if self.pretrain:
            res = self.resolution
            loss = tf.reduce_mean(5 * losses.dssim(target, pred, max_val=1.0, filter_size=int(res / 11.6)), axis=1)
            loss += tf.reduce_mean(5 * losses.dssim(target, pred, max_val=1.0, filter_size=int(res / 23.2)), axis=1)
            loss += tf.reduce_mean(10 * tf.square(target - pred), axis=[1, 2, 3])
        else:
            loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=target, logits=logits),
                                  axis=[1, 2, 3])
        return loss, {"loss": loss}

    def _make_generators(self):
        from samplelib.SampleGeneratorFace import SampleGeneratorFace
        from samplelib.SampleGeneratorFaceXSeg import SampleGeneratorFaceXSeg
        from samplelib.SampleProcessor import ChannelType, Options, SampleType
        cpus = min(os.cpu_count() or 2, 8)
        workers = 0 if self.debug else max(1, cpus // 2)
        common = dict(face_type=self.face_type, resolution=self.resolution, data_format="NHWC")
        if self.pretrain:
            outputs = [dict(sample_type=SampleType.FACE_IMAGE, warp=True, transform=True,
                            channel_type=ChannelType.BGR, **common),
                       dict(sample_type=SampleType.FACE_IMAGE, warp=True, transform=True,
                            channel_type=ChannelType.G, **common)]
            self.preview_sides = []
            self.set_training_data_generators([
                SampleGeneratorFace(self.pretraining_data_path, debug=self.debug, batch_size=self.generator_batch_size,
                                    sample_process_options=Options(random_flip=True), output_sample_types=outputs,
                                    generators_count=0 if self.debug else cpus)])
            return
        gens = [SampleGeneratorFaceXSeg([self.training_data_src_path, self.training_data_dst_path],
                                        face_type=self.face_type, debug=self.debug,
                                        batch_size=self.generator_batch_size, resolution=self.resolution,
                                        generators_count=workers)]
        self.preview_sides = []
        plain = [dict(sample_type=SampleType.FACE_IMAGE, warp=False, transform=False, channel_type=ChannelType.BGR,
                      border_replicate=False, **common)]
        for side, path in (("src", self.training_data_src_path), ("dst", self.training_data_dst_path)):
            gen = SampleGeneratorFace(path, debug=self.debug, batch_size=self.generator_batch_size,
                                      sample_process_options=Options(random_flip=False), output_sample_types=plain,
                                      generators_count=workers, raise_on_no_data=False)
            if gen.samples_len:
                gens.append(gen)
                self.preview_sides.append(side)
            else:
                gen.close()
        self.set_training_data_generators(gens)

    # ------------------------------------------------------------------------------------------------- training
    def on_train_one_iter(self):
        image, target = self.generate_next_samples()[0]
        out = self.train_step(image, target)
        return [("loss", float(np.mean(out["loss"])))]

    def predict_masks(self, faces):
        """Predicted masks (N, res, res, 1) for NHWC faces at the model's resolution (preview, tests)."""
        faces = np.asarray(faces, np.float32)
        return np.concatenate([self._view(faces[i:i + 8]).numpy() for i in range(0, len(faces), 8)], 0)

    def on_get_preview(self, samples, for_history=False):
        n = min(4, self.batch_size, max(1, 800 // self.resolution))
        image, mask = (np.clip(np.asarray(x, np.float32), 0, 1) for x in samples[0][:2])
        pred = np.repeat(np.clip(self.predict_masks(image[:n]), 0, 1), 3, -1)
        rows = []
        for i in range(n):
            if self.pretrain:
                rows.append(np.concatenate([image[i], pred[i]], axis=1))
            else:
                m = np.repeat(mask[i], 3, -1)
                rows.append(np.concatenate([_overlay(image[i], m), pred[i], _overlay(image[i], pred[i])], axis=1))
        result = [("XSeg training faces", np.concatenate(rows, axis=0))]
        for side, batch in zip(self.preview_sides, samples[1:]):
            faces = np.clip(np.asarray(batch[0][:n], np.float32), 0, 1)
            pm = np.repeat(np.clip(self.predict_masks(faces), 0, 1), 3, -1)
            rows = [np.concatenate([faces[i], pm[i], _overlay(faces[i], pm[i])], axis=1) for i in range(len(faces))]
            result.append((f"XSeg {side} faces", np.concatenate(rows, axis=0)))
        return result
