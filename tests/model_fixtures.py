"""Tiny trainable models on a fixed real batch (the original's M1 preview samples: 4 src + 4 dst faces, res 64),
shared by the AMP, preset and export tests."""
import numpy as np


class FixedGenerator:
    """Stands in for SampleGeneratorFace: records its arguments, yields one fixed real batch (src, dst alternate)."""
    calls = []
    batch = None

    def __init__(self, samples_path, **kw):
        FixedGenerator.calls.append(dict(kw, samples_path=str(samples_path)))
        self.side = (len(FixedGenerator.calls) - 1) % 2

    def __next__(self):
        return [a.copy() for a in FixedGenerator.batch[self.side]]

    def close(self):
        pass


def read_batch(compat_dir):
    from models import model_files
    return model_files.read_data(compat_dir / "models/M1/M1_SAEHD_data.dat")["sample_for_preview"]


def use_fixed_generators(monkeypatch, batch):
    import samplelib.SampleGeneratorFace as sgf
    FixedGenerator.calls = []
    FixedGenerator.batch = batch
    monkeypatch.setattr(sgf, "SampleGeneratorFace", FixedGenerator)
    return FixedGenerator


def resize_batch(batch, size):
    import cv2

    def one(a):
        out = np.stack([cv2.resize(x, (size, size)) for x in a])
        return out if out.ndim == 4 else out[..., None]
    return [[one(a) for a in side] for side in batch]


def make_model(name, model_dir, is_training=True, **options):
    """`models.import_model(name)` on the CPU with string option flags, samples built in this process."""
    import models
    return models.import_model(name)(model_dir, is_training=is_training, training_data_src_path="src",
                                     training_data_dst_path="dst", cpu_only=True,
                                     option_values={k: str(v) for k, v in options.items()}, debug=True)
