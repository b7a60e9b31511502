"""The 1.0 models as presets of SAEHD: each builds with its documented settings and size, the preset's values are
fixed on creation, a model made with other values is refused, and the files are plain SAEHD files."""
import gc

import numpy as np
import pytest

from core import interact
from core.errors import UserError
from model_fixtures import make_model, read_batch, use_fixed_generators

#: the README's table: options and parameter counts (millions) per part
DOCUMENTED = {
    "H64": ("64 h df 1024 128 64 32", {"encoder": 17.21, "inter": 71.32, "decoder_src": 41.89, "decoder_dst": 41.89}),
    "H128": ("128 h df 512 128 64 32", {"encoder": 17.21, "inter": 59.8, "decoder_src": 27.73, "decoder_dst": 27.73}),
    "DF": ("128 f df 512 128 64 32", {"encoder": 17.21, "inter": 59.8, "decoder_src": 27.73, "decoder_dst": 27.73}),
    "LIAEF128": ("128 f liae 256 128 64 32", {"encoder": 17.21, "inter_AB": 34.64, "inter_B": 34.64,
                                              "decoder": 41.89}),
    "SAE": ("128 f df 512 126 64 22", {"encoder": 16.68, "inter": 59.28, "decoder_src": 25.48, "decoder_dst": 25.48}),
}
KEYS = ("resolution", "face_type", "archi", "ae_dims", "e_dims", "d_dims", "d_mask_dims")


@pytest.fixture(autouse=True)
def _non_interactive():
    interact.set_non_interactive(True)
    yield
    interact.set_non_interactive(False)


@pytest.fixture
def fixed_generators(monkeypatch, compat_dir):
    return use_fixed_generators(monkeypatch, read_batch(compat_dir))


def test_presets_are_model_choices_everywhere():
    import main
    import models
    assert models.list_presets() == sorted(DOCUMENTED)
    parser = main.build_parser()
    for cmd in (["train", "--training-data-src-dir", "s", "--training-data-dst-dir", "d"],
                ["merge", "--input-dir", "i", "--output-dir", "o", "--output-mask-dir", "m"], ["exportdfm"]):
        args = parser.parse_args(cmd + ["--model-dir", "x", "--model", "H128"])
        assert args.model == "H128"
    assert [o.name for o in models.model_options("H128")] == [o.name for o in models.model_options("SAEHD")]


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_every_preset_builds_with_its_documented_settings(name, tmp_path, fixed_generators):
    m = make_model(name, tmp_path, batch_size=4)
    settings, counts = DOCUMENTED[name]
    assert " ".join(str(m.options[k]) for k in KEYS) == settings
    assert m.model_class_name == "SAEHD" and m.model_name == "new"
    assert {k: round(v / 1e6, 2) for k, v in m.ae.count_params().items()} == counts
    assert m.masked_training and m.resolution == m.options["resolution"]
    del m
    gc.collect()


def _tiny_preset():
    import models
    from models.presets import Preset, preset_class
    preset = Preset("TINY", "SAEHD", dict(resolution=64, face_type="wf", archi="df", ae_dims=32, e_dims=16,
                                          d_dims=16, d_mask_dims=16))
    return preset_class(preset, models.import_model("SAEHD"))


def _make(cls, d, is_training=True, **options):
    return cls(d, is_training=is_training, training_data_src_path="src", training_data_dst_path="dst",
               cpu_only=True, option_values=options, debug=True)


def test_preset_files_are_saehd_files_and_other_models_are_refused(tmp_path, fixed_generators):
    cls = _tiny_preset()
    with pytest.raises(UserError, match="the TINY preset has 32"):
        _make(cls, tmp_path, ae_dims="64")
    m = _make(cls, tmp_path, batch_size="4", random_warp="n")
    m.train_one_iter()
    m.save()
    assert (tmp_path / "new_SAEHD_decoder_src.npy").is_file() and m.options["random_warp"] is False
    # The same model opens as plain SAEHD and again through the preset (prediction unchanged).
    faces = np.full((1, 64, 64, 3), 0.5, np.float32)
    as_saehd = make_model("SAEHD", tmp_path, is_training=False)
    as_preset = _make(cls, tmp_path, is_training=False)
    np.testing.assert_allclose(as_saehd.get_predictor()(faces)[0], as_preset.get_predictor()(faces)[0], atol=1e-6)
    # A SAEHD model with another architecture is not a TINY model.
    other = make_model("SAEHD", tmp_path / "o", resolution=64, face_type="wf", archi="liae-ud", ae_dims=32,
                       e_dims=16, d_dims=16, d_mask_dims=16, batch_size=4)
    other.save()
    with pytest.raises(UserError, match='model "new" was not made with the TINY preset \\(archi is liae-ud'):
        _make(cls, tmp_path / "o", is_training=False)
