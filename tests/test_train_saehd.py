"""SAEHD on real faces at tiny sizes: the original's model folder continues training, every archi builds and trains,
losses fall, and each option changes the losses, the weights or the batches the way it says.

Fixed batches are the original's own preview samples of its M1 model (4 src + 4 dst real faces at res 64 with their
masks), so most tests do not need the sample generators; generator options are checked on the real generators.
"""
import itertools
import json
import pickle

import numpy as np
import pytest

from core import interact
from core.errors import UserError

TINY = {"resolution": "64", "face_type": "wf", "archi": "liae-ud", "ae_dims": "32", "e_dims": "16", "d_dims": "16",
        "d_mask_dims": "16", "batch_size": "4"}


@pytest.fixture(autouse=True)
def _non_interactive():
    interact.set_non_interactive(True)
    yield
    interact.set_non_interactive(False)


@pytest.fixture(scope="module")
def batch(compat_dir):
    from models import model_files
    return model_files.read_data(compat_dir / "models/M1/M1_SAEHD_data.dat")["sample_for_preview"]


class Recorder:
    """Stands in for SampleGeneratorFace: records its arguments, yields one fixed real batch."""
    calls = []

    def __init__(self, samples_path, **kw):
        self.kw = dict(kw, samples_path=str(samples_path))
        Recorder.calls.append(self.kw)
        self.side = 0 if len(Recorder.calls) % 2 == 1 else 1

    def __next__(self):
        return [a.copy() for a in Recorder.batch[self.side]]

    def close(self):
        pass


@pytest.fixture
def fixed_generators(monkeypatch, batch):
    import samplelib.SampleGeneratorFace as sgf
    Recorder.calls = []
    Recorder.batch = batch
    monkeypatch.setattr(sgf, "SampleGeneratorFace", Recorder)
    return Recorder


def make(model_dir, fixed_generators=None, pretraining=None, **options):
    from models.Model_SAEHD.Model import Model
    values = dict(TINY)
    values.update({k: str(v) for k, v in options.items()})
    return Model(model_dir, training_data_src_path="src", training_data_dst_path="dst",
                 pretraining_data_path=pretraining, cpu_only=True, option_values=values, debug=True)


def test_original_model_folder_continues_training_and_keeps_its_keys(compat_dir, compat_copy, fixed_generators):
    from core.leras import weights
    from mainscripts import Trainer
    import queue
    d = compat_copy("models/M1")
    keys = json.loads((compat_dir / "models/M1_keys.json").read_text())
    before = weights.read_weight_file(d / "M1_SAEHD_encoder.npy")
    from models.Model_SAEHD.Model import Model
    m = Model(d, training_data_src_path="src", training_data_dst_path="dst", cpu_only=True,
              option_values={"target_iter": "32"}, debug=True)
    assert m.iter == 30 and m.options["archi"] == "liae-ud" and m.options["resolution"] == 64
    np.testing.assert_array_equal(m.ae.encoder.get_weights_dict()["down1/downs_0/conv1/weight:0"].numpy(),
                                  before["down1/downs_0/conv1/weight:0"])
    loop = Trainer.TrainingLoop(m, queue.Queue(), queue.Queue(), stop_at_goal=True)
    loop.run()
    assert loop.error is None and m.iter == 32
    for part in ("encoder", "inter_AB", "inter_B", "decoder", "src_dst_opt"):
        saved = weights.read_weight_file(d / f"M1_SAEHD_{part}.npy")
        expected = keys[f"M1_SAEHD_{part}.npy"]["keys"]
        assert list(saved) == list(expected), part
        assert all(list(saved[k].shape) == expected[k]["shape"] for k in saved), part
    after = weights.read_weight_file(d / "M1_SAEHD_encoder.npy")
    assert not np.array_equal(after["down1/downs_0/conv1/weight:0"], before["down1/downs_0/conv1/weight:0"])
    data = pickle.loads((d / "M1_SAEHD_data.dat").read_bytes())  # what the original does
    assert data["iter"] == 32 and len(data["loss_history"]) == 32 and data["options"]["target_iter"] == 32
    assert (d / "M1_SAEHD_summary.txt").read_text().count("Current iteration: 32") == 1


def test_loss_falls_over_50_steps_on_a_fixed_batch(tmp_path, fixed_generators):
    m = make(tmp_path, archi="df-ud")
    losses = [m.train_one_iter() and m.loss_history[-1] for _ in range(50)]
    first, last = np.mean(losses[:5], axis=0), np.mean(losses[-5:], axis=0)
    assert (last < first * 0.8).all(), (first, last)


@pytest.mark.parametrize("archi", [f"{b}{'-' + o if o else ''}" for b in ("df", "liae")
                                   for o in ["".join(c for c, on in zip("udtc", bits) if on)
                                             for bits in itertools.product((0, 1), repeat=4)]])
def test_every_archi_builds_and_trains(archi, batch):
    import tensorflow as tf

    from core.leras import optimizers
    from core.leras.archi import parse_archi
    from models.autoencoder import FaceAutoEncoder
    archi_type, opts = parse_archi(archi)
    ae = FaceAutoEncoder(archi_type, opts, 64, ae_dims=16, e_dims=8, d_dims=8, d_mask_dims=8)
    opt = optimizers.AdaBelief(lr=1e-3, name="src_dst_opt")
    opt.initialize_variables(ae.parts())
    variables = [v for m in ae.parts() for v in m.get_weights()]
    start = [v.numpy().copy() for v in variables]
    (ws, ts, tsm, _), (wd, td, tdm, _) = batch
    losses = []
    for _ in range(2):
        with tf.GradientTape() as tape:
            p = ae.forward(ws, wd)
            loss = sum(tf.reduce_mean(tf.square(a - b)) for a, b in (
                (p["pred_src_src"], ts), (p["pred_dst_dst"], td), (p["pred_src_srcm"], tsm),
                (p["pred_dst_dstm"], tdm)))
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
        losses.append(float(loss))
    assert p["pred_src_dst"].shape == (4, 64, 64, 3) and p["pred_src_dstm"].shape == (4, 64, 64, 1)
    assert all(not np.array_equal(s, v.numpy()) for s, v in zip(start, variables))
    assert np.isfinite(losses).all()


def _g(m, b):
    (ws, ts, tsm, tsem), (wd, td, tdm, tdem) = b
    g, out = m._g_loss(ws, ts, tsm, tsem, wd, td, tdm, tdem)
    return float(np.mean(g)), float(np.mean(out["src_loss"])), float(np.mean(out["dst_loss"]))


def test_gan_true_face_and_styles_add_their_terms_and_train_their_discriminators(tmp_path, fixed_generators, batch):
    m = make(tmp_path, archi="df-ud", gan_power="0.5", gan_patch_size="8", gan_dims="8", true_face_power="0.5",
             face_style_power="10", bg_style_power="10", eyes_mouth_prio="y")
    assert m.D_src is not None and m.code_discriminator is not None
    full = _g(m, batch)
    # Each option's own term: switch it off on the same weights and batch and the loss drops.
    for attr, which in (("gan_power", 0), ("true_face_power", 0), ("face_style_power", 1),
                        ("bg_style_power", 1), ("eyes_mouth_prio", 1)):
        saved = getattr(m, attr)
        setattr(m, attr, 0.0 if attr != "eyes_mouth_prio" else False)
        assert _g(m, batch)[which] < full[which] - 1e-6, attr
        setattr(m, attr, saved)
    d_before = [v.numpy().copy() for v in m.D_src.get_weights()]
    c_before = [v.numpy().copy() for v in m.code_discriminator.get_weights()]
    m.train_one_iter()
    m.save()
    assert not np.array_equal(d_before[0], m.D_src.get_weights()[0].numpy())
    assert not np.array_equal(c_before[0], m.code_discriminator.get_weights()[0].numpy())
    names = {p.name for p in tmp_path.iterdir()}
    assert {"new_SAEHD_GAN.npy", "new_SAEHD_GAN_opt.npy", "new_SAEHD_code_discriminator.npy",
            "new_SAEHD_D_code_opt.npy", "new_SAEHD_inter.npy", "new_SAEHD_decoder_src.npy",
            "new_SAEHD_decoder_dst.npy"} <= names
    from core.leras import weights
    assert any(k.startswith("ms_D_src/") for k in weights.read_weight_file(tmp_path / "new_SAEHD_GAN_opt.npy"))


def test_true_face_is_not_asked_for_liae(tmp_path, fixed_generators):
    with pytest.raises(UserError, match="--true-face-power"):
        make(tmp_path, true_face_power="0.5")


def test_lr_dropout_updates_about_30_percent_of_weights(tmp_path, fixed_generators):
    m = make(tmp_path, lr_dropout="y")
    assert m.src_dst_opt.lr_dropout == 0.3 and m.src_dst_opt.lr_cos == 500
    w = m.ae.decoder.get_weights()[0]
    before = w.numpy().copy()
    m.train_one_iter()
    changed = np.mean(before != w.numpy())
    assert 0.2 < changed < 0.4, changed


def test_clipgrad_bounds_the_global_gradient_norm(tmp_path, fixed_generators):
    def first_moment_norm(clip, d):
        m = make(d, clipgrad=clip)
        m.train_one_iter()
        ms = [v.numpy() for k, v in m.src_dst_opt.get_weights_dict().items() if k.startswith("ms_")]
        return np.sqrt(sum(float(np.sum(x ** 2)) for x in ms)), m.src_dst_opt.clipnorm
    # AdaBelief's first moment after one step is 0.1 * gradient.
    clipped, c = first_moment_norm("y", tmp_path / "a")
    free, c0 = first_moment_norm("n", tmp_path / "b")
    assert c == 1.0 and c0 == 0.0
    assert clipped <= 0.1 * 1.0001 and free > 0.1


def test_blur_out_mask_changes_only_the_background(tmp_path, fixed_generators, batch):
    import tensorflow as tf
    m = make(tmp_path, blur_out_mask="y")
    (_, ts, tsm, _), _ = batch
    from core.leras import ops
    out = ops.blur_out_background(tf.constant(ts), tf.constant(tsm), m.resolution).numpy()
    inside, outside = tsm[..., 0] > 0.99, tsm[..., 0] < 0.01
    np.testing.assert_allclose(out[inside], ts[inside], atol=3e-3)
    assert np.abs(out[outside] - ts[outside]).mean() > 0.01
    off = _g(m, batch)
    m.blur_out_mask = False
    assert abs(_g(m, batch)[1] - off[1]) > 1e-6


def test_pretrain_forces_its_values_and_switching_it_off_resets_inters(tmp_path, fixed_generators):
    from core.leras import weights
    with pytest.raises(UserError, match="pretraining-data-dir"):
        make(tmp_path / "x", pretrain="y")
    m = make(tmp_path, pretraining="pre", pretrain="y", gan_power="0.5", random_warp="y", lr_dropout="y",
             face_style_power="5")
    assert not m.random_warp and m.gan_power == 0 and m.face_style_power == 0 and m.src_dst_opt.lr_dropout == 1.0
    src_kw, dst_kw = Recorder.calls[-2], Recorder.calls[-1]
    assert src_kw["samples_path"] == dst_kw["samples_path"] == "pre"
    assert src_kw["uniform_yaw_distribution"] and src_kw["sample_process_options"].random_flip
    assert src_kw["output_sample_types"][0]["warp"] is False
    for _ in range(2):
        m.train_one_iter()
    m.save()
    enc = weights.read_weight_file(tmp_path / "new_SAEHD_encoder.npy")
    inter = weights.read_weight_file(tmp_path / "new_SAEHD_inter_AB.npy")
    m2 = make(tmp_path, pretrain="n")
    assert m2.iter == 0 and m2.loss_history == [] and m2.random_warp
    k = "down1/downs_0/conv1/weight:0"
    np.testing.assert_array_equal(m2.ae.encoder.get_weights_dict()[k].numpy(), enc[k])
    assert not np.array_equal(m2.ae.inter_AB.get_weights_dict()["dense1/weight:0"].numpy(), inter["dense1/weight:0"])


def test_liae_without_random_warp_keeps_inter_ab_fixed(tmp_path, fixed_generators):
    m = make(tmp_path, random_warp="n")
    ab = m.ae.inter_AB.get_weights()[0].numpy().copy()
    b = m.ae.inter_B.get_weights()[0].numpy().copy()
    m.train_one_iter()
    assert np.array_equal(ab, m.ae.inter_AB.get_weights()[0].numpy())
    assert not np.array_equal(b, m.ae.inter_B.get_weights()[0].numpy())


def test_generator_options_reach_the_generators(tmp_path, fixed_generators):
    make(tmp_path, uniform_yaw="y", ct_mode="rct", random_hsv_power="0.1", random_src_flip="y",
         random_dst_flip="n")
    src_kw, dst_kw = Recorder.calls[-2], Recorder.calls[-1]
    assert src_kw["uniform_yaw_distribution"] and dst_kw["uniform_yaw_distribution"]
    assert src_kw["random_ct_samples_path"] == "dst" and dst_kw.get("random_ct_samples_path") is None
    assert [o.get("ct_mode") for o in src_kw["output_sample_types"][:2]] == ["rct", "rct"]
    assert src_kw["output_sample_types"][0]["random_hsv_shift_amount"] == 0.1
    assert src_kw["sample_process_options"].random_flip and not dst_kw["sample_process_options"].random_flip


def test_uniform_yaw_and_ct_change_real_batches(compat_dir):
    """On the real generators: uniform yaw uses yaw bins; rct moves src colours toward the dst faces."""
    from samplelib.IndexHost import Index2DHost
    from samplelib.SampleGeneratorFace import SampleGeneratorFace
    from samplelib.SampleProcessor import ChannelType, Options, SampleType
    from facelib.FaceType import FaceType
    src, dst = compat_dir / "aligned_whole_face", compat_dir / "data_dst/aligned"

    def outs(ct):
        return [dict(sample_type=SampleType.FACE_IMAGE, warp=False, transform=False, channel_type=ChannelType.BGR,
                     ct_mode=ct, face_type=FaceType.WHOLE_FACE, resolution=32, data_format="NHWC")]
    g = SampleGeneratorFace(src, batch_size=8, output_sample_types=outs(None), uniform_yaw_distribution=True,
                            generators_count=0, seed=1, sample_process_options=Options(random_flip=False))
    assert isinstance(g.index_host, Index2DHost)
    plain = next(g)[0]
    g_ct = SampleGeneratorFace(src, batch_size=8, output_sample_types=outs("rct"), random_ct_samples_path=dst,
                               generators_count=0, seed=1, sample_process_options=Options(random_flip=False))
    ct = next(g_ct)[0]
    dst_mean = next(SampleGeneratorFace(dst, batch_size=8, output_sample_types=outs(None), generators_count=0,
                                        seed=1))[0].mean(axis=(0, 1, 2))
    assert np.abs(ct.mean(axis=(0, 1, 2)) - dst_mean).sum() < np.abs(plain.mean(axis=(0, 1, 2)) - dst_mean).sum()
    g.close()
    g_ct.close()


MULTI_DEVICE = r"""
import itertools, sys
import numpy as np
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from core import interact
from core.leras import device
from models import model_files
from models.Model_SAEHD.Model import Model
interact.set_non_interactive(True)

def two_devices(config, mixed_precision=False, data_format=None, cluster=None):
    strategy = tf.distribute.MirroredStrategy(["/CPU:0", "/CPU:1"])
    return device.LerasContext(config, "NHWC", tf.float32, strategy, "/CPU:0")

device.initialize = two_devices
batch = model_files.read_data(sys.argv[2])["sample_for_preview"]
Model._make_generators = lambda self: self.set_training_data_generators(
    [itertools.repeat(batch[0]), itertools.repeat(batch[1])])
m = Model(sys.argv[1], training_data_src_path="s", training_data_dst_path="d", cpu_only=True,
          option_values=dict(resolution="64", face_type="wf", archi="liae-ud", ae_dims="32", e_dims="16",
                             d_dims="16", d_mask_dims="16", batch_size="4"))
assert m.leras.num_replicas == 2
w = m.ae.encoder.get_weights()[0]
before = w.numpy().copy()
for _ in range(3):
    m.train_one_iter()
assert not np.array_equal(before, w.numpy())
assert np.isfinite(m.loss_history).all()
print("MULTI-DEVICE OK", m.loss_history[-1])
"""


def test_training_on_two_devices_splits_the_batch(tmp_path, compat_dir, repo_root):
    """Two logical CPU devices under the leras MirroredStrategy train one model (batch split 2 + 2)."""
    import subprocess
    import sys
    env = dict(__import__("os").environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(repo_root))
    r = subprocess.run([sys.executable, "-c", MULTI_DEVICE, str(tmp_path),
                        str(compat_dir / "models/M1/M1_SAEHD_data.dat")],
                       capture_output=True, text=True, env=env, timeout=300, cwd=str(repo_root))
    assert r.returncode == 0 and "MULTI-DEVICE OK" in r.stdout, r.stderr[-3000:]


def test_original_model_predicts_like_the_original(compat_dir, compat_copy):
    """Loaded for merging, M1 gives the original's predictor outputs on the original's inputs."""
    from models.Model_SAEHD.Model import Model
    d = compat_copy("models/M1")
    m = Model(d, is_training=False, cpu_only=True)
    assert m.merger_default_mode == "overlay" and m.resolution == 64
    io_dir = compat_dir / "predictor_io"
    bgr, src_dstm, dst_dstm = m.get_predictor()(np.load(io_dir / "M1_pred_in.npy"))
    np.testing.assert_allclose(bgr, np.load(io_dir / "M1_pred_out_bgr.npy"), atol=1e-5)
    np.testing.assert_allclose(src_dstm, np.load(io_dir / "M1_pred_out_mask_src_dstm.npy"), atol=1e-5)
    np.testing.assert_allclose(dst_dstm, np.load(io_dir / "M1_pred_out_mask_dst_dstm.npy"), atol=1e-5)
    with pytest.raises(UserError, match="no trained SAEHD model"):
        Model(d, is_training=False, cpu_only=True, force_model_name="absent")


class AskedLog:
    """Records the options a model asks, in order (the question a refusal comes at is the last one)."""
    def __init__(self, monkeypatch):
        from models.ModelBase import ModelBase
        self.names = []
        original = ModelBase._ask_option_once

        def once(model, name, *a, **kw):
            self.names.append(name)
            return original(model, name, *a, **kw)
        monkeypatch.setattr(ModelBase, "_ask_option_once", once)


def _make_bare(tmp_path, **options):
    """Like make() without TINY's face type / archi: the unattended defaults (face type f, archi liae-ud) apply."""
    from models.Model_SAEHD.Model import Model
    values = {k: v for k, v in TINY.items() if k not in ("face_type", "archi")}
    values.update({k: str(v) for k, v in options.items()})
    return Model(tmp_path, training_data_src_path="src", training_data_dst_path="dst", cpu_only=True,
                 option_values=values, debug=True)


@pytest.mark.parametrize("flags, question, reason", [
    ({"masked_training": "n", "face_type": "f"}, "face_type", "face type wf or head"),
    ({"true_face_power": "0.5", "archi": "liae-ud"}, "archi", "df architectures"),
    ({"true_face_power": "0.5"}, "archi", "df architectures"),            # unattended default liae-ud
    ({"gan_dims": "8"}, "gan_power", "GAN power above 0"),                 # unattended default GAN power 0
])
def test_conflicting_flags_are_refused_at_the_question_that_decides(tmp_path, monkeypatch, flags, question, reason):
    asked = AskedLog(monkeypatch)
    with pytest.raises(UserError, match=reason) as e:
        _make_bare(tmp_path, **flags)
    assert asked.names[-1] == question, asked.names
    assert "conflicts with --" in str(e.value) and "not used by this" not in str(e.value)
    assert not list(tmp_path.glob("*_data.dat"))


def test_unattended_masked_training_picks_a_compatible_face_type(tmp_path, fixed_generators, capsys):
    m = _make_bare(tmp_path, masked_training="n")               # no face type given: wf instead of f, with a note
    assert m.options["face_type"] == "wf" and m.options["masked_training"] is False
    assert "default wf instead of f (--masked-training n needs face type wf or head)" in capsys.readouterr().out
    m = _make_bare(tmp_path / "b", masked_training="y")         # f always trains masked: y is no conflict
    assert m.options["face_type"] == "f" and m.options["masked_training"] is True
    m = _make_bare(tmp_path / "c", true_face_power="0", gan_power="0")
    assert m.options["true_face_power"] == 0.0 and m.options["gan_dims"] == 16


def test_conflicting_answer_is_refused_and_asked_again_at_a_terminal(tmp_path, monkeypatch, fixed_generators,
                                                                     capsys):
    answers = {"Face type": iter(["f", "head"])}
    monkeypatch.setitem(interact._state, "non_interactive", False)
    monkeypatch.setattr(interact, "is_interactive", lambda: True)
    monkeypatch.setattr("builtins.input",
                        lambda prompt="": next(answers["Face type"]) if "] Face type" in prompt else "")
    m = _make_bare(tmp_path, masked_training="n")
    assert m.options["face_type"] == "head" and m.options["masked_training"] is False
    err = capsys.readouterr().err
    assert "f conflicts with --masked-training n: Masked training applies only to face type wf or head" in err


def test_fixed_option_of_a_saved_model_refuses_a_conflicting_flag_at_once(tmp_path, fixed_generators, monkeypatch):
    make(tmp_path).save()                                       # liae-ud, wf
    asked = AskedLog(monkeypatch)
    from models.Model_SAEHD.Model import Model
    with pytest.raises(UserError, match=r"AE architecture \(--archi\): liae-ud conflicts with --true-face-power"):
        Model(tmp_path, training_data_src_path="src", training_data_dst_path="dst", cpu_only=True,
              option_values={"true_face_power": "0.3"}, debug=True, override_wait_seconds=0)
    assert asked.names[-1] == "archi"


def test_choose_image_for_the_preview_history(tmp_path, fixed_generators, qapp, monkeypatch):
    """The original's "Choose image for the preview history": P draws the next faces, Space switches the preview
    type, Enter keeps the faces shown; they become the history's faces. A one-off choice: not saved, not asked
    again on later runs (unless overriding)."""
    from PyQt5 import QtCore
    from PyQt5.QtTest import QTest
    from mainscripts.PreviewChooser import TITLE
    seen = {}

    def drive():
        win = next(w for w in qapp.topLevelWidgets() if w.windowTitle() == TITLE and w.isVisible())
        first = win.label.pixmap().toImage()
        for k in (QtCore.Qt.Key_P, QtCore.Qt.Key_P, QtCore.Qt.Key_Space):
            QTest.keyClick(win, k)
        seen.update(batches=win.batches_seen, index=win.preview_index,
                    switched=win.label.pixmap().toImage() != first)
        QTest.keyClick(win, QtCore.Qt.Key_Return)

    QtCore.QTimer.singleShot(0, drive)
    m = make(tmp_path, write_preview_history="y", choose_preview_history="y")
    assert seen == {"batches": 3, "index": 1, "switched": True}
    assert m.sample_for_preview is m.last_sample                       # the third batch drawn, the one shown
    assert "choose_preview_history" not in m.options
    m.save()
    from models import model_files
    saved = model_files.read_data(tmp_path / "new_SAEHD_data.dat")
    assert "choose_preview_history" not in saved["options"] and saved["sample_for_preview"] is not None
    monkeypatch.setattr("mainscripts.PreviewChooser.choose_preview_sample",
                        lambda *a: pytest.fail("asked again on a later run"))
    make(tmp_path)                                                    # later run, no override: no window
    with pytest.raises(UserError, match=r"Write preview history \(--write-preview-history\): n conflicts with "
                                        r"--choose-preview-history y"):
        make(tmp_path / "b", choose_preview_history="y")
