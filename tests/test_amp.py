"""AMP on real faces at tiny sizes: it trains (losses fall, inter_src/inter_dst train too), the morph mixing and
the merge morph factor do what they say, files and options persist, and the network has the original's shapes.

Fixed batches are the original's M1 preview samples (4 src + 4 dst real faces at res 64 with their masks).
"""
import numpy as np
import pytest

from core import interact
from core.errors import UserError
from model_fixtures import FixedGenerator, make_model, read_batch, resize_batch, use_fixed_generators

TINY = {"resolution": "64", "face_type": "wf", "ae_dims": "32", "inter_dims": "32", "e_dims": "16", "d_dims": "16",
        "d_mask_dims": "16", "batch_size": "4"}


@pytest.fixture(autouse=True)
def _non_interactive():
    interact.set_non_interactive(True)
    yield
    interact.set_non_interactive(False)


@pytest.fixture(scope="module")
def batch(compat_dir):
    return read_batch(compat_dir)


@pytest.fixture
def fixed_generators(monkeypatch, batch):
    return use_fixed_generators(monkeypatch, batch)


def make(model_dir, is_training=True, **options):
    values = dict(TINY) if is_training else {}
    values.update(options)
    return make_model("AMP", model_dir, is_training=is_training, **values)


def _weights(parts):
    return [v.numpy().copy() for m in parts for v in m.get_weights()]


def test_tiny_amp_trains_losses_fall_and_inters_train(tmp_path, fixed_generators):
    m = make(tmp_path)
    inters = [m.net.inter_src, m.net.inter_dst]
    before = _weights(inters)
    losses = [m.train_one_iter() and m.loss_history[-1] for _ in range(40)]
    first, last = np.mean(losses[:5], axis=0), np.mean(losses[-5:], axis=0)
    assert (last < first * 0.85).all(), (first, last)
    assert all(not np.array_equal(a, b) for a, b in zip(before, _weights(inters)))


def test_without_random_warp_the_inters_stay_fixed(tmp_path, fixed_generators):
    m = make(tmp_path, random_warp="n")
    inters, enc = [m.net.inter_src, m.net.inter_dst], [m.net.encoder]
    before, enc_before = _weights(inters), _weights(enc)
    m.train_one_iter()
    assert all(np.array_equal(a, b) for a, b in zip(before, _weights(inters)))
    assert not np.array_equal(enc_before[0], _weights(enc)[0])


def test_training_morph_mask_has_exactly_k_channels_per_sample():
    from models.Model_AMP.amp_net import AmpNet
    net = AmpNet(64, ae_dims=32, inter_dims=40, e_dims=8, d_dims=8, d_mask_dims=8)
    masks = [net.random_morph_mask(6, 0.33).numpy() for _ in range(2)]
    for mask in masks:
        assert mask.shape == (6, 40) and set(np.unique(mask)) == {0.0, 1.0}
        assert (mask.sum(axis=1) == int(40 * 0.33)).all()
    assert not np.array_equal(masks[0], masks[1])          # fresh channels every step ...
    assert len({tuple(r) for r in masks[0]}) > 1            # ... and per sample


def test_morph_factor_0_and_1_give_different_swaps_and_0_is_the_dst_reconstruction(tmp_path, fixed_generators,
                                                                                      batch):
    m = make(tmp_path)
    for _ in range(3):
        m.train_one_iter()
    (_, ts, _, _), (_, td, _, _) = batch
    bgr0, m0, dm0 = m.get_predictor(0.0)(td)
    bgr1, m1, dm1 = m.get_predictor(1.0)(td)
    bgr_half, _, _ = m.get_predictor(0.5)(td)
    assert bgr0.shape == (4, 64, 64, 3) and m0.shape == dm0.shape == (4, 64, 64)
    assert np.abs(bgr0 - bgr1).mean() > 1e-3
    assert 0 < np.abs(bgr_half - bgr0).mean() < np.abs(bgr1 - bgr0).mean() * 1.5
    np.testing.assert_array_equal(dm0, dm1)                 # the dst mask does not depend on the morph
    _, dd, ddm, _, _ = m.ae_view(ts, td, 0.0)
    np.testing.assert_allclose(np.clip(bgr0, 0, 1), dd, atol=1e-5)   # morph 0 = dst-dst
    np.testing.assert_allclose(np.clip(dm0, 0, 1), ddm[..., 0], atol=1e-5)


def test_merge_morph_factor_is_asked_once_with_flag_value_and_range(tmp_path, fixed_generators, batch):
    m = make(tmp_path)
    m.train_one_iter()
    m.save()
    loaded = make(tmp_path, is_training=False)
    assert loaded.ask_merge_options({"morph_factor": "0"}) == {"morph_factor": 0.0}
    (_, _, _, _), (_, td, _, _) = batch
    np.testing.assert_allclose(loaded.get_predictor()(td)[0], loaded.get_predictor(0.0)(td)[0])
    with pytest.raises(UserError, match="Morph factor"):
        loaded.ask_merge_options({"morph_factor": "1.5"})
    saehd = make_model("SAEHD", tmp_path / "s", resolution=64, ae_dims=32, e_dims=16, d_dims=16, d_mask_dims=16,
                       batch_size=4)
    assert saehd.ask_merge_options({"morph_factor": None}) == {}
    with pytest.raises(UserError, match="--morph-factor: SAEHD models have no such merge option"):
        saehd.ask_merge_options({"morph_factor": "0.5"})


def test_files_options_and_reload(tmp_path, fixed_generators):
    rounded = make(tmp_path / "r", resolution="100")
    assert rounded.options["resolution"] == 96 and rounded.net.inter_res == 3     # multiple of 32
    m = make(tmp_path, resolution="96", gan_power="0.1", gan_patch_size="8", gan_dims="8")
    fixed_generators.batch = resize_batch(fixed_generators.batch, 96)
    m.generator_list = [FixedGenerator("src"), FixedGenerator("dst")]
    m.train_one_iter()
    m.save()
    names = {p.name for p in tmp_path.iterdir()}
    assert {f"new_AMP_{p}.npy" for p in ("encoder", "inter_src", "inter_dst", "decoder", "src_dst_opt", "GAN",
                                         "GAN_opt")} <= names
    from core.leras import weights
    enc = weights.read_weight_file(tmp_path / "new_AMP_encoder.npy")
    assert enc["dense1/weight:0"].shape == (3 * 3 * 16 * 8, 32)         # (res/32)^2 * 8e -> ae
    assert weights.read_weight_file(tmp_path / "new_AMP_inter_src.npy")["dense2/weight:0"].shape == (32, 9 * 32)
    assert "upscalem4/conv1/weight:0" in weights.read_weight_file(tmp_path / "new_AMP_decoder.npy")
    opt = weights.read_weight_file(tmp_path / "new_AMP_src_dst_opt.npy")
    assert any(k.startswith("ms_inter_src/") for k in opt)               # inters are trained
    again = make(tmp_path, is_training=False)
    assert again.iter == 1 and again.options["morph_factor"] == 0.5 and again.options["gan_power"] == 0.1
    with pytest.raises(UserError, match="set when a model is created"):
        make(tmp_path, resolution="128")


def test_gan_trains_its_discriminator(tmp_path, fixed_generators):
    m = make(tmp_path, gan_power="0.1", gan_patch_size="8", gan_dims="8")
    before = _weights([m.GAN])
    m.train_one_iter()
    assert not np.array_equal(before[0], _weights([m.GAN])[0])


def test_preview_shows_the_morph_values(tmp_path, fixed_generators):
    m = make(tmp_path)
    m.train_one_iter()
    previews = dict(m.get_previews())
    assert list(previews) == ["AMP morph 1.0", "AMP morph list", "AMP morph list masked"]
    assert previews["AMP morph list"].shape == (4 * 64, 6 * 64, 3)
    assert all(np.isfinite(p).all() and 0 <= p.min() and p.max() <= 1 for p in previews.values())


def test_generators_use_the_model_settings(tmp_path, fixed_generators):
    make(tmp_path, ct_mode="rct", uniform_yaw="y", random_warp="n")
    src, dst = FixedGenerator.calls
    assert src["random_ct_samples_path"] == "dst" and dst.get("random_ct_samples_path") is None
    assert src["uniform_yaw_distribution"] and src["output_sample_types"][0]["warp"] is False
    assert [o["sample_type"].name for o in src["output_sample_types"]] == ["FACE_IMAGE", "FACE_IMAGE", "FACE_MASK",
                                                                           "FACE_MASK"]


def test_default_network_has_the_originals_parameter_counts():
    from models.Model_AMP.amp_net import AmpNet
    counts = AmpNet(224, ae_dims=256, inter_dims=1024, e_dims=64, d_dims=64, d_mask_dims=22).count_params()
    assert {k: round(v / 1e6, 2) for k, v in counts.items()} == {
        "encoder": 22.08, "inter_src": 12.90, "inter_dst": 12.90, "decoder": 53.48}


def test_training_losses_are_the_same_in_nchw_as_on_a_gpu(tmp_path, fixed_generators, batch):
    """GPUs train in NCHW: the morph mixing and every loss term must not depend on the layout."""
    import tensorflow as tf

    from core.leras import config
    m = make(tmp_path, gan_power="0.1", gan_patch_size="8", gan_dims="8", blur_out_mask="y")
    args = [a for side in batch for a in side]
    results = []
    for fmt in ("NHWC", "NCHW"):
        with config.use_data_format(fmt):
            tf.random.set_seed(7)
            g, out = m._g_loss(*args)
            tf.random.set_seed(7)
            d, _ = m._d_gan_loss(*args[:3], *args[4:7])
            results.append([g.numpy(), out["src_loss"].numpy(), out["dst_loss"].numpy(), d.numpy()])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
