"""core.leras models, weight files, optimizers and the original's M1 model (compat)."""
import json
import pickle

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from core.errors import UserError  # noqa: E402
from core.leras import config, optimizers, predictors  # noqa: E402
from core.leras.archi import DeepFakeArchi, parse_archi  # noqa: E402
from core.leras.discriminators import CodeDiscriminator, UNetPatchDiscriminator, find_archi  # noqa: E402
from core.leras.xseg import XSeg  # noqa: E402
from core.safe_pickle import safe_load_file  # noqa: E402


def _liae(res=64, opts="ud", ae=32, e=16, d=16, m=16):
    a = DeepFakeArchi(res, opts)
    enc = a.Encoder(3, e, name="encoder")
    enc_out = enc.get_out_ch() * enc.get_out_res(res) ** 2
    parts = [enc, a.Inter(enc_out, ae, ae * 2, name="inter_AB"), a.Inter(enc_out, ae, ae * 2, name="inter_B"),
             a.Decoder(ae * 4, d, m, name="decoder")]
    for p in parts:
        p.build()
    return parts


def _expected_keys():
    """The documented key scheme (reference 2.3/2.4), written out independently of the model classes."""
    enc = [f"down1/downs_{i}/conv1/{w}:0" for i in range(4) for w in ("weight", "bias")]
    inter = [f"{n}/{w}:0" for n in ("dense1", "dense2", "upscale1/conv1") for w in ("weight", "bias")]
    dec = [f"{n}/{w}:0" for n in
           ["upscale0/conv1", "upscale1/conv1", "upscale2/conv1", "res0/conv1", "res0/conv2", "res1/conv1",
            "res1/conv2", "res2/conv1", "res2/conv2", "upscalem0/conv1", "upscalem1/conv1", "upscalem2/conv1",
            "out_conv", "out_conv1", "out_conv2", "out_conv3", "upscalem3/conv1", "out_convm"]
           for w in ("weight", "bias")]
    return enc, inter, dec


def test_modelbase_auto_naming():
    from core.leras.base import ModelBase
    from core.leras.layers import Dense

    class Toy(ModelBase):
        def on_build(self, n):
            self.single = Dense(2, 3)
            self.items = [Dense(3, 3) for _ in range(n)]
            self.named = {"a": Dense(3, 1)}
            yield                       # the original lets on_build yield to build dependencies part-way
            self.late = Dense(1, 1, name="custom")

    toy = Toy(2, name="toy")
    assert [k.rsplit("/", 1)[0] for k in toy.get_weights_dict()][::2] == \
        ["single", "items_0", "items_1", "named_a", "custom"]
    assert toy.late.weight.name == "toy/custom/weight:0"


def test_parse_archi():
    assert parse_archi("liae-ud") == ("liae", "ud")
    assert parse_archi("df") == ("df", "")
    for bad in ("foo", "df-x", "liae-uu", "df-u-d"):
        with pytest.raises(ValueError):
            parse_archi(bad)


def test_weight_file_of_original_format_loads_every_key(tmp_path):
    enc, inter_ab, _, dec = _liae(res=32, ae=8, e=4, d=4, m=4)
    exp_enc, exp_inter, exp_dec = _expected_keys()
    assert list(enc.get_weights_dict()) == exp_enc
    assert list(inter_ab.get_weights_dict()) == exp_inter
    assert list(dec.get_weights_dict()) == exp_dec
    assert enc.get_weights()[0].name == "encoder/down1/downs_0/conv1/weight:0"
    rng = np.random.RandomState(3)
    for model, keys in ((enc, exp_enc), (dec, exp_dec)):
        d = {k: rng.normal(size=v.shape).astype(np.float32) for k, v in zip(keys, model.get_weights())}
        path = tmp_path / f"new_SAEHD_{model.name}.npy"
        path.write_bytes(pickle.dumps(d, protocol=4))   # exactly what the original writes
        assert model.load_weights(path) is True
        for k, v in model.get_weights_dict().items():
            np.testing.assert_array_equal(v.numpy(), d[k])
    assert enc.load_weights(tmp_path / "absent.npy") is False


def test_weight_file_save_roundtrip_keeps_previous(tmp_path):
    enc = _liae(res=32, ae=8, e=4, d=4, m=4)[0]
    path = tmp_path / "m_SAEHD_encoder.npy"
    enc.save_weights(path)
    first = safe_load_file(path)
    assert list(first) == list(enc.get_weights_dict()) and all(a.dtype == np.float32 for a in first.values())
    enc.init_weights()
    enc.save_weights(path)
    assert (tmp_path / "m_SAEHD_encoder.npy.bak").exists()
    assert not np.array_equal(safe_load_file(path)["down1/downs_0/conv1/weight:0"],
                              first["down1/downs_0/conv1/weight:0"])
    enc.load_weights(tmp_path / "m_SAEHD_encoder.npy.bak")
    np.testing.assert_array_equal(enc.get_weights()[0].numpy(), first["down1/downs_0/conv1/weight:0"])


def test_weight_file_missing_key_warns_and_initialises(tmp_path, capsys):
    enc = _liae(res=32, ae=8, e=4, d=4, m=4)[0]
    d = {k: np.full(v.shape, 7.0, np.float32) for k, v in enc.get_weights_dict().items()}
    del d["down1/downs_3/conv1/weight:0"]
    path = tmp_path / "enc.npy"
    path.write_bytes(pickle.dumps(d, protocol=4))
    assert enc.load_weights(path)
    assert "down1/downs_3/conv1/weight:0" in capsys.readouterr().err
    w = enc.get_weights_dict()["down1/downs_3/conv1/weight:0"].numpy()
    assert not np.any(w == 7.0) and np.abs(w).max() < 0.2   # glorot-uniform re-initialised


def test_weight_file_bad_input_is_user_error(tmp_path):
    enc = _liae(res=32, ae=8, e=4, d=4, m=4)[0]
    d = {k: np.zeros(v.shape, np.float32) for k, v in enc.get_weights_dict().items()}
    d["down1/downs_1/conv1/weight:0"] = np.zeros((3, 3, 4, 8), np.float32)
    bad_shape = tmp_path / "shape.npy"
    bad_shape.write_bytes(pickle.dumps(d, protocol=4))
    before = enc.get_weights()[0].numpy().copy()
    with pytest.raises(UserError, match=r"shape\.npy.*down1/downs_1/conv1/weight:0"):
        enc.load_weights(bad_shape)
    np.testing.assert_array_equal(enc.get_weights()[0].numpy(), before)   # nothing half-loaded

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))
    evil = tmp_path / "evil.npy"
    evil.write_bytes(pickle.dumps({"x": Evil()}, protocol=4))
    with pytest.raises(UserError, match="evil.npy"):
        enc.load_weights(evil)
    np_file = tmp_path / "plain.npy"
    np.save(np_file, np.zeros(3))
    with pytest.raises(UserError, match="plain.npy"):
        enc.load_weights(np_file)


@pytest.mark.parametrize("archi,res", [("df", 32), ("df-ud", 32), ("liae-udt", 64), ("liae-c", 32)])
def test_archi_shapes_and_layouts_agree(archi, res):
    base, opts = parse_archi(archi)
    a = DeepFakeArchi(res, opts)
    enc = a.Encoder(3, 4, name="encoder")
    enc_out = enc.get_out_ch() * enc.get_out_res(res) ** 2
    inter = a.Inter(enc_out, 8, 8, name="inter")
    dec = a.Decoder(8, 4, 4, name="decoder")
    x = np.random.RandomState(0).uniform(0, 1, (2, res, res, 3)).astype(np.float32)
    outs = {}
    for fmt in ("NHWC", "NCHW"):
        with config.use_data_format(fmt):
            code = inter(enc(tf.constant(config.to_data_format(x, fmt, "NHWC"))))
            assert code.shape[config.spatial_axes()[0]] == inter.get_out_res()
            rgb, m = dec(code)
            outs[fmt] = [config.to_data_format(t.numpy(), "NHWC", fmt) for t in (rgb, m)]
    assert outs["NHWC"][0].shape == (2, res, res, 3) and outs["NHWC"][1].shape == (2, res, res, 1)
    for a_, b_ in zip(outs["NHWC"], outs["NCHW"]):
        np.testing.assert_allclose(a_, b_, atol=2e-5)


def test_param_counts_match_reference():
    # reference 3.1: Quick96 38.29 M; XSeg 17.57 M
    a = DeepFakeArchi(96, "ud")
    enc = a.Encoder(3, 64, name="encoder")
    enc_out = enc.get_out_ch() * enc.get_out_res(96) ** 2
    parts = [enc, a.Inter(enc_out, 128, 128, name="inter"), a.Decoder(128, 64, 16, name="decoder_src"),
             a.Decoder(128, 64, 16, name="decoder_dst")]
    assert round(sum(p.count_params() for p in parts) / 1e6, 2) == 38.29
    del parts
    assert round(XSeg(3, 32, 1, name="XSeg").count_params() / 1e6, 2) == 17.57


def test_discriminators():
    assert find_archi(16) == [[3, 2], [3, 2], [3, 2]]
    d = UNetPatchDiscriminator(16, 3, 8, name="D_src")
    center, full = d(tf.zeros((2, 32, 32, 3)))
    assert center.shape == (2, 4, 4, 1) and full.shape == (2, 32, 32, 1)
    keys = list(d.get_weights_dict())
    assert keys[0] == "convs_0/weight:0" and "upconvs_2/weight:0" in keys and keys[-1] == "center_conv/bias:0"
    cd = CodeDiscriminator(16, 8, name="D_code")
    assert cd(tf.zeros((2, 8, 8, 16))).shape == (2, 3, 3, 1)   # k4 s2 pad 2: 8 -> 5, then k3 s2: 5 -> 3


def test_xseg_forward_and_keys():
    x = XSeg(3, 4, 1, name="XSeg")
    logits, mask = x(tf.zeros((1, 256, 256, 3)))
    assert logits.shape == (1, 256, 256, 1)
    keys = list(x.get_weights_dict())
    assert keys[:6] == ["conv01/conv/weight:0", "conv01/conv/bias:0", "conv01/frn/weight:0", "conv01/frn/bias:0",
                        "conv01/frn/eps:0", "conv01/tlu/tau:0"]
    assert "dense1/weight:0" in keys and keys[-1] == "out_conv/bias:0"
    _, pre = x(tf.ones((1, 256, 256, 3)), pretrain=True)
    assert pre.shape == (1, 256, 256, 1)


# ---- optimizers ---------------------------------------------------------------------------------------------

def _np_rmsprop(w, grads, lr, rho, lr_cos=0):
    a = np.zeros_like(w)
    for it, g in enumerate(grads, 1):
        a = rho * a + (1 - rho) * g * g
        cur = lr * ((np.cos(it * 2 * 3.1415926535 / lr_cos) + 1) / 2 if lr_cos else 1.0)
        w = w - cur * g / (np.sqrt(a) + 1e-6)
    return w, a


def _np_adabelief(w, grads, lr, b1, b2, clipnorm=0.0):
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for g in grads:
        n = np.sqrt((g.astype(np.float64) ** 2).sum())
        if clipnorm and n >= clipnorm:
            g = g * (clipnorm / n)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * (g - m) ** 2
        w = w - lr * m / (np.sqrt(v) + 1e-6)
    return w, m, v


def _one_var_model(value):
    a = DeepFakeArchi(16, "")
    dense = a.Inter(4, 3, 1, name="inter")   # any model; we drive a single weight
    dense.build()
    var = dense.get_weights_dict()["dense1/weight:0"]
    var.assign(value)
    return dense, var


def test_rmsprop_matches_numpy():
    rng = np.random.RandomState(0)
    w0 = rng.normal(size=(4, 3)).astype(np.float32)
    grads = [rng.normal(size=(4, 3)).astype(np.float32) for _ in range(3)]
    model, var = _one_var_model(w0)
    opt = optimizers.RMSprop(lr=0.01, rho=0.9, lr_cos=7, name="opt")
    opt.initialize_variables([("inter/dense1/weight:0", var)])
    for g in grads:
        opt.apply_gradients([(tf.constant(g), var)])
    w_ref, a_ref = _np_rmsprop(w0.astype(np.float64), grads, 0.01, 0.9, lr_cos=7)
    np.testing.assert_allclose(var.numpy(), w_ref, rtol=1e-4, atol=1e-6)
    d = opt.get_weights_dict()
    assert list(d) == ["iters:0", "acc_inter/dense1/weight_0:0"] and int(d["iters:0"].numpy()) == 3
    np.testing.assert_allclose(d["acc_inter/dense1/weight_0:0"].numpy(), a_ref, rtol=1e-5)


def test_adabelief_matches_numpy_with_clipnorm():
    rng = np.random.RandomState(1)
    w0 = rng.normal(size=(4, 3)).astype(np.float32)
    grads = [rng.normal(size=(4, 3)).astype(np.float32) * s for s in (1, 0.1, 3)]
    _, var = _one_var_model(w0)
    opt = optimizers.AdaBelief(lr=0.01, clipnorm=1.0, name="opt")
    opt.initialize_variables([("inter/dense1/weight:0", var)])
    for g in grads:
        opt.apply_gradients([(tf.constant(g), var)])
    w_ref, m_ref, v_ref = _np_adabelief(w0.astype(np.float64), grads, 0.01, 0.9, 0.999, clipnorm=1.0)
    np.testing.assert_allclose(var.numpy(), w_ref, rtol=1e-4, atol=1e-6)
    d = opt.get_weights_dict()
    np.testing.assert_allclose(d["ms_inter/dense1/weight_0:0"].numpy(), m_ref, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(d["vs_inter/dense1/weight_0:0"].numpy(), v_ref, rtol=1e-4, atol=1e-9)


def test_lr_dropout_masks_updates_each_step():
    w0 = np.zeros((64, 64), np.float32)
    _, var = _one_var_model(np.zeros((4, 3), np.float32))
    big = tf.Variable(w0)
    opt = optimizers.RMSprop(lr=0.1, lr_dropout=0.3, name="opt")
    opt.initialize_variables([("x/weight:0", big)], lr_dropout_on_cpu=True)
    opt.apply_gradients([(tf.ones_like(big), big)])
    moved1 = big.numpy() != 0
    opt.apply_gradients([(tf.ones_like(big), big)])
    moved2 = (big.numpy() != 0) & ~moved1
    assert 0.2 < moved1.mean() < 0.4          # p is the keep probability, as the original's random_binomial
    assert moved2.any()                       # a fresh mask each step


def test_optimizer_file_roundtrip(tmp_path):
    parts = _liae(res=32, ae=8, e=4, d=4, m=4)
    opt = optimizers.AdaBelief(lr=1e-3, name="src_dst_opt")
    opt.initialize_variables(parts)
    keys = list(opt.get_weights_dict())
    n = sum(len(p.get_weights()) for p in parts)
    assert len(keys) == 1 + 2 * n and keys[0] == "iters:0"
    assert keys[1] == "ms_encoder/down1/downs_0/conv1/weight_0:0" and keys[n + 1].startswith("vs_encoder/")
    opt.iterations.assign(5)
    path = tmp_path / "x_SAEHD_src_dst_opt.npy"
    opt.save_weights(path)
    d = safe_load_file(path)
    assert d["iters:0"].dtype == np.int64 and int(d["iters:0"]) == 5
    opt.iterations.assign(0)
    opt.load_weights(path)
    assert int(opt.iterations.numpy()) == 5


# ---- the original's model M1 (compat) -------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["NHWC", "NCHW"])
def test_m1_predictor_matches_original(compat_dir, fmt):
    m1 = compat_dir / "models" / "M1"
    keys = json.loads((compat_dir / "models" / "M1_keys.json").read_text())
    with config.use_data_format(fmt):
        parts = _liae(res=64, opts="ud", ae=32, e=16, d=16, m=16)
        for p in parts:
            fname = f"M1_SAEHD_{p.name}.npy"
            assert p.load_weights(m1 / fname)
            file_keys = keys[fname]["keys"]
            assert list(p.get_weights_dict()) == list(file_keys)
            assert all(list(v.shape) == file_keys[k]["shape"] for k, v in p.get_weights_dict().items())
        enc, inter_ab, inter_b, dec = parts
        predict = predictors.make_saehd_predictor("liae", encoder=enc, decoder=dec, inter_AB=inter_ab,
                                                  inter_B=inter_b)
        x = np.load(compat_dir / "predictor_io" / "M1_pred_in.npy")
        bgr, src_dstm, dst_dstm = predict(x)
    io = compat_dir / "predictor_io"
    np.testing.assert_allclose(bgr, np.load(io / "M1_pred_out_bgr.npy"), atol=1e-5)
    np.testing.assert_allclose(src_dstm, np.load(io / "M1_pred_out_mask_src_dstm.npy"), atol=1e-5)
    np.testing.assert_allclose(dst_dstm, np.load(io / "M1_pred_out_mask_dst_dstm.npy"), atol=1e-5)

    opt = optimizers.AdaBelief(lr=5e-5, name="src_dst_opt")
    opt.initialize_variables(parts)
    opt_keys = keys["M1_SAEHD_src_dst_opt.npy"]["keys"]
    assert list(opt.get_weights_dict()) == list(opt_keys)
    assert all(list(v.shape) == opt_keys[k]["shape"] and v.dtype.name == opt_keys[k]["dtype"]
               for k, v in opt.get_weights_dict().items())
