"""Quick96: fixed settings (nothing asked), the original's sizes and optimizer, the every-3rd-iteration unwarped
step, its part files, and --pretrained-model-dir supplying missing parts. Real faces (the original's M1 preview
samples, resized to 96)."""
import cv2
import numpy as np
import pytest

from core import interact


@pytest.fixture(autouse=True)
def _non_interactive():
    interact.set_non_interactive(True)
    yield
    interact.set_non_interactive(False)


class FixedGenerator:
    made = []

    def __init__(self, samples_path, **kw):
        self.kw = kw
        self.side = len(FixedGenerator.made) % 2
        self.count = 0
        FixedGenerator.made.append(self)

    def __next__(self):
        self.count += 1
        ws, ts, tsm, _ = FixedGenerator.batch[self.side]
        up = [np.stack([cv2.resize(x, (96, 96), interpolation=cv2.INTER_LINEAR).reshape(96, 96, -1) for x in a])
              for a in (ws, ts, tsm)]
        return up

    def close(self):
        pass


@pytest.fixture
def model_cls(monkeypatch, compat_dir):
    import samplelib.SampleGeneratorFace as sgf
    from models import model_files
    FixedGenerator.batch = model_files.read_data(compat_dir / "models/M1/M1_SAEHD_data.dat")["sample_for_preview"]
    FixedGenerator.made = []
    monkeypatch.setattr(sgf, "SampleGeneratorFace", FixedGenerator)
    from models.Model_Quick96.Model import Model
    return Model


def test_quick96_fixed_settings_unwarped_third_step_and_files(model_cls, tmp_path):
    m = model_cls(tmp_path, training_data_src_path="s", training_data_dst_path="d", cpu_only=True, debug=True)
    assert m.options == {} and m.batch_size == 4 and m.resolution == 96
    assert type(m.src_dst_opt).__name__ == "RMSprop" and m.src_dst_opt.lr == 2e-4
    assert m.src_dst_opt.lr_dropout == 0.3 and m.src_dst_opt.lr_cos == 0
    total = sum(m.ae.count_params().values())
    assert abs(total / 1e6 - 38.29) < 0.01, total  # reference §3.1
    src_gen = FixedGenerator.made[0]
    assert src_gen.kw["sample_process_options"].random_flip is False
    assert src_gen.kw["output_sample_types"][0]["warp"] is True
    seen = []
    step = m.src_dst_train
    m.src_dst_train = lambda *a: (seen.append(np.array_equal(a[0], a[1])), step(*a))[1]
    for _ in range(4):
        m.train_one_iter()
    # Iterations 0, 1, 2 pull new (warped) batches; iteration 3 reuses the last one with input = target.
    m._prefetch.thread.join()
    # +1: the preview sample at start; +1: the batch after the last one, already fetched in the background
    assert src_gen.count == 3 + 1 + 1 and seen == [False, False, False, True]
    m.save()
    names = {p.name for p in tmp_path.iterdir()}
    assert {f"new_Quick96_{p}.npy" for p in ("encoder", "inter", "decoder_src", "decoder_dst", "src_dst_opt")} \
        <= names


def test_pretrained_model_dir_supplies_missing_parts(model_cls, tmp_path):
    from core.leras import weights
    pre = tmp_path / "pre"
    pre.mkdir()
    a = model_cls(tmp_path / "a", training_data_src_path="s", training_data_dst_path="d", cpu_only=True, debug=True)
    a.ae.encoder.save_weights(str(pre / "encoder.npy"))
    b = model_cls(tmp_path / "b", training_data_src_path="s", training_data_dst_path="d", cpu_only=True, debug=True,
                  pretrained_model_path=pre)
    k = "down1/downs_0/conv1/weight:0"
    np.testing.assert_array_equal(b.ae.encoder.get_weights_dict()[k].numpy(),
                                  weights.read_weight_file(pre / "encoder.npy")[k])
    assert not np.array_equal(b.ae.inter.get_weights()[0].numpy(), a.ae.inter.get_weights()[0].numpy())
