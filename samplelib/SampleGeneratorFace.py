"""Training batches of face samples for SAEHD / Quick96 / AMP (reference §6 "SampleGeneratorFace").

Samples come from `SampleLoader` (a folder of aligned faces or its faceset.pak); indices from a shuffled cycle or,
with `uniform_yaw_distribution`, from 128 yaw bins; each batch is built by `SampleProcessor.process` in background
worker processes (see SampleGeneratorBase). Each batch is a list of numpy arrays, one per output type.
"""
import numpy as np

from core.errors import UserError
from samplelib import SampleLoader, SampleProcessor
from samplelib.IndexHost import Index2DHost, IndexHost, yaw_bins
from samplelib.SampleGeneratorBase import SampleError, SampleGeneratorBase


def _build_batch(state, task):
    samples, ct_samples, options, output_sample_types = state
    indexes, ct_indexes, seeds = task
    batches = [[] for _ in output_sample_types]
    for n, idx in enumerate(indexes):
        sample = samples[idx]
        ct_sample = ct_samples[ct_indexes[n]] if ct_indexes is not None else None
        try:
            outputs = SampleProcessor.process(sample, options, output_sample_types, seeds[n], ct_sample=ct_sample)
        except (OSError, ValueError, UserError) as e:
            raise SampleError(f"sample {sample.filename}: {e}") from None
        for i, out in enumerate(outputs):
            batches[i].append(out)
    return [np.stack(b) for b in batches]


class SampleGeneratorFace(SampleGeneratorBase):
    """`samples_path`: aligned faces folder. `random_ct_samples_path`: faces whose colours `ct_mode` outputs take
    (one random face per sample). `generators_count`: worker processes (0 or `debug`: build in this thread).
    `seed`: fixes the batch sequence (None: a fresh random one)."""

    def __init__(self, samples_path, debug=False, batch_size=1, random_ct_samples_path=None,
                 sample_process_options=None, output_sample_types=(), uniform_yaw_distribution=False,
                 generators_count=4, raise_on_no_data=True, seed=None):
        self.batch_size = batch_size
        samples = SampleLoader.load_face_samples(samples_path)
        self.samples_len = len(samples)
        if self.samples_len == 0 and raise_on_no_data:
            raise UserError(f"No training data in {samples_path}: extract aligned faces into it first")
        self.rnd = np.random.RandomState(np.random.SeedSequence(seed).generate_state(1)[0])
        if uniform_yaw_distribution:
            yaws = [s.get_pitch_yaw_roll()[1] for s in samples]
            self.index_host = Index2DHost(yaw_bins(yaws), self.rnd)
        else:
            self.index_host = IndexHost(self.samples_len, self.rnd)
        ct_samples = None
        self.ct_index_host = None
        if random_ct_samples_path is not None:
            ct_samples = SampleLoader.load_face_samples(random_ct_samples_path)
            if ct_samples:
                self.ct_index_host = IndexHost(len(ct_samples), self.rnd)
            else:
                ct_samples = None
        options = sample_process_options or SampleProcessor.Options()
        state = (samples, ct_samples, options, list(output_sample_types))
        workers = 0 if debug or self.samples_len == 0 else generators_count
        super().__init__(_build_batch, state, self._next_task, workers, name=str(samples_path))

    def _next_task(self):
        if self.samples_len == 0:
            raise UserError("no samples to make a batch from")
        indexes = self.index_host.multi_get(self.batch_size)
        ct_indexes = self.ct_index_host.multi_get(self.batch_size) if self.ct_index_host is not None else None
        seeds = self.rnd.randint(0x80000000, size=self.batch_size).tolist()
        return indexes, ct_indexes, seeds

    def is_initialized(self):
        return True
