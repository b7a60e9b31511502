"""XSeg face masks (reference §3.5): the XSeg network with its weight files, for training, `xseg apply` and the merger.

Files as the original's: `<name>_<resolution>.npy` (weights, `XSeg_256.npy`) and `<name>_<resolution>_opt.npy` (the
optimizer, training only) in the model folder. `extract(faces)` masks aligned faces of the net's resolution in
batches: values clipped to 0..1, below 0.1 set to 0 (noise), as the original. Unlike the original, which silently
returns a constant 0.5 mask when the weights are missing, inference without `XSeg_256.npy` is a UserError.
The base channel count (32 in the original) is read from the weight file, so smaller test models load too.
"""
from pathlib import Path

import numpy as np
import tensorflow as tf

from core import interact
from core.errors import UserError
from core.leras import config, weights
from core.leras.xseg import XSeg

NAME = "XSeg"
RESOLUTION = 256
BASE_CH = 32
#: faces per network call in extract()
BATCH_SIZE = 8
_FIRST_KEY = "conv01/conv/weight:0"


def weights_filename(name=NAME, resolution=RESOLUTION):
    return f"{name}_{resolution}.npy"


def opt_filename(name=NAME, resolution=RESOLUTION):
    return f"{name}_{resolution}_opt.npy"


def has_weights(model_dir, name=NAME, resolution=RESOLUTION):
    return (Path(model_dir) / weights_filename(name, resolution)).is_file()


class XSegNet:
    """`XSegNet(model_dir)` loads a trained net for inference (UserError if its weight file is missing).

    `training=True` builds the net (and, with `optimizer`, its slots) without loading: the trainer loads and saves
    the files (`model_filename_list`). Build it inside the device scope the caller chose.
    """

    def __init__(self, weights_file_root, name=NAME, resolution=RESOLUTION, base_ch=None, training=False,
                 optimizer=None, opt_vars_on_cpu=False):
        self.name = name
        self.resolution = int(resolution)
        self.weights_file_root = Path(weights_file_root)
        self.weights_path = self.weights_file_root / weights_filename(name, resolution)
        arrays = None
        if not training:
            if not self.weights_path.is_file():
                raise UserError(f"{self.weights_path} is missing: put a trained XSeg model's {self.weights_path.name} "
                                f"(and XSeg_data.dat) into {self.weights_file_root}, or train one with "
                                f"'5.XSeg) train'")
            arrays = weights.read_weight_file(self.weights_path)
            if base_ch is None:
                base_ch = _base_ch_of(arrays, self.weights_path)
        self.base_ch = int(base_ch or BASE_CH)
        self.model = XSeg(3, self.base_ch, 1, resolution=self.resolution, name=name)
        self.model.build()
        self.opt = optimizer
        self.model_filename_list = [(self.model, weights_filename(name, resolution))]
        if optimizer is not None:
            optimizer.initialize_variables([self.model], vars_on_cpu=opt_vars_on_cpu)
            self.model_filename_list.insert(0, (optimizer, opt_filename(name, resolution)))
        if arrays is not None:
            missing = weights.assign_from_arrays(self.model, arrays, self.weights_path)
            if missing:
                raise UserError(f"{self.weights_path}: {len(missing)} weights missing (e.g. {missing[0]}): not an "
                                f"XSeg model's weight file")
        self._run = None

    def get_resolution(self):
        return self.resolution

    def flow(self, x, pretrain=False):
        """(logits, mask) tensors for a batch in the current data format (used inside training steps)."""
        return self.model(x, pretrain=pretrain)

    def get_weights(self):
        return self.model.get_weights()

    def _runner(self):
        if self._run is None:
            fmt = config.data_format()
            res = self.resolution

            # Any batch size in one trace (the last chunk of a folder is smaller).
            @tf.function(input_signature=[tf.TensorSpec([None, res, res, 3], tf.float32)])
            def run(x):
                with config.use_data_format(fmt):
                    if fmt == "NCHW":
                        x = tf.transpose(x, (0, 3, 1, 2))
                    _, mask = self.model(x)
                    return tf.transpose(mask, (0, 2, 3, 1)) if fmt == "NCHW" else mask
            self._run = run
        return self._run

    def predict(self, faces):
        """Raw sigmoid masks (N, res, res, 1) for NHWC float32 faces (N, res, res, 3) in 0..1, in batches."""
        faces = np.asarray(faces, np.float32)
        if faces.ndim != 4 or faces.shape[1:] != (self.resolution, self.resolution, 3):
            raise ValueError(f"XSeg expects faces of shape (N, {self.resolution}, {self.resolution}, 3), "
                             f"not {faces.shape}")
        run = self._runner()
        out = [run(faces[i:i + BATCH_SIZE]).numpy() for i in range(0, len(faces), BATCH_SIZE)]
        return np.concatenate(out, 0) if out else np.zeros((0, self.resolution, self.resolution, 1), np.float32)

    def extract(self, faces):
        """Masks for one face (res, res, 3) -> (res, res, 1) or a batch (N, res, res, 3) -> (N, res, res, 1)."""
        faces = np.asarray(faces, np.float32)
        single = faces.ndim == 3
        result = np.clip(self.predict(faces[None] if single else faces), 0, 1)
        result[result < 0.1] = 0
        return result[0] if single else result


def _base_ch_of(arrays, path):
    first = arrays.get(_FIRST_KEY)
    if first is None or first.ndim != 4:
        raise UserError(f"{path}: no {_FIRST_KEY} weight: not an XSeg model's weight file")
    return int(first.shape[-1])


def load_for_merger(model_dir):
    """The XSeg net of a face model's folder for the merger's XSeg mask modes, or None when there is none there.

    As the original, the merger looks for `XSeg_256.npy` next to the face model (copy the XSeg files there)."""
    if not has_weights(model_dir):
        return None
    interact.log_info(f"XSeg masks: using {Path(model_dir) / weights_filename()}")
    return XSegNet(model_dir)
