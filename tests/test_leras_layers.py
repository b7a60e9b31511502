"""core.leras layers and ops against NumPy references of the original's maths, in both layouts."""
import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from core.leras import config, layers, losses, ops  # noqa: E402

RNG = np.random.RandomState(0)


def _rand(*shape):
    return RNG.uniform(-1, 1, shape).astype(np.float32)


def _run(layer_or_fn, x_nhwc, fmt):
    """Call in layout `fmt` with an NHWC NumPy input; return the NHWC NumPy output."""
    with config.use_data_format(fmt):
        y = layer_or_fn(tf.constant(config.to_data_format(x_nhwc, fmt, "NHWC")))
        return config.to_data_format(y.numpy(), "NHWC", fmt)


def np_conv2d(x, w, stride, pad, dil=1):
    x = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    k = w.shape[0]
    ke = (k - 1) * dil + 1
    oh = (x.shape[1] - ke) // stride + 1
    ow = (x.shape[2] - ke) // stride + 1
    out = np.zeros((x.shape[0], oh, ow, w.shape[3]), np.float64)
    for a in range(k):
        for b in range(k):
            patch = x[:, a * dil:a * dil + stride * oh:stride, b * dil:b * dil + stride * ow:stride, :]
            out += patch @ w[a, b]
    return out


def _set(var, value):
    var.assign(value)
    return value


@pytest.mark.parametrize("fmt", ["NHWC", "NCHW"])
@pytest.mark.parametrize("k,stride,dil", [(5, 2, 1), (3, 1, 1), (4, 2, 1), (3, 1, 2), (1, 1, 1)])
def test_conv2d_symmetric_padding(fmt, k, stride, dil):
    conv = layers.Conv2D(3, 4, kernel_size=k, strides=stride, dilations=dil, padding="SAME")
    conv.build()
    w = _set(conv.weight, _rand(k, k, 3, 4))
    b = _set(conv.bias, _rand(4))
    x = _rand(2, 9, 9, 3)
    pad = ((k - 1) * dil + 1) // 2
    ref = np_conv2d(x, w, stride, pad, dil) + b
    out = _run(conv, x, fmt)
    assert out.shape == ref.shape
    np.testing.assert_allclose(out, ref, atol=1e-5)
    if (k, stride) == (5, 2):
        assert out.shape[1] == 5   # 9 + 2*2 - 5 = 8 -> 8//2 + 1: symmetric pad 2, not TF's SAME


def test_conv2d_weight_shape_and_names():
    conv = layers.Conv2D(3, 8, kernel_size=5, name="conv1")
    assert list(conv.get_weights_dict()) == ["weight:0", "bias:0"]
    assert tuple(conv.weight.shape) == (5, 5, 3, 8)


@pytest.mark.parametrize("fmt", ["NHWC", "NCHW"])
def test_conv2d_transpose(fmt):
    k, s = 3, 2
    tconv = layers.Conv2DTranspose(4, 2, kernel_size=k, strides=s)
    tconv.build()
    w = _set(tconv.weight, _rand(k, k, 2, 4))   # (k, k, out, in)
    b = _set(tconv.bias, _rand(2))
    x = _rand(1, 4, 5, 4)
    # TF SAME transposed conv = scatter each input pixel, offset by the lower half of max(k - s, 0).
    pad_before = max(k - s, 0) // 2
    full = np.zeros((1, 4 * s + k, 5 * s + k, 2))
    for i in range(4):
        for j in range(5):
            for a in range(k):
                for c in range(k):
                    full[0, i * s + a, j * s + c] += w[a, c] @ x[0, i, j]
    ref = full[:, pad_before:pad_before + 8, pad_before:pad_before + 10] + b
    out = _run(tconv, x, fmt)
    assert out.shape == (1, 8, 10, 2)
    np.testing.assert_allclose(out, ref, atol=1e-5)


@pytest.mark.parametrize("fmt", ["NHWC", "NCHW"])
def test_depthwise_conv2d(fmt):
    dw = layers.DepthwiseConv2D(3, kernel_size=3)
    dw.build()
    w = _set(dw.weight, _rand(3, 3, 3, 1))
    b = _set(dw.bias, _rand(3))
    x = _rand(2, 6, 6, 3)
    ref = np.stack([np_conv2d(x[..., c:c + 1], w[:, :, c:c + 1, :], 1, 1)[..., 0] for c in range(3)], -1) + b
    np.testing.assert_allclose(_run(dw, x, fmt), ref, atol=1e-5)


def test_dense_and_maxout():
    d = layers.Dense(6, 4)
    d.build()
    w, b = _set(d.weight, _rand(6, 4)), _set(d.bias, _rand(4))
    x = _rand(3, 6)
    np.testing.assert_allclose(d(tf.constant(x)).numpy(), x @ w + b, atol=1e-5)
    m = layers.Dense(6, 4, maxout_ch=3)
    m.build()
    assert tuple(m.weight.shape) == (6, 12)
    w, b = _set(m.weight, _rand(6, 12)), _set(m.bias, _rand(4))
    ref = (x @ w).reshape(3, 4, 3).max(-1) + b
    np.testing.assert_allclose(m(tf.constant(x)).numpy(), ref, atol=1e-5)


@pytest.mark.parametrize("fmt", ["NHWC", "NCHW"])
def test_depth_to_space_is_dcr(fmt):
    x = _rand(2, 3, 4, 8)   # C_out = 2
    out = _run(lambda t: ops.depth_to_space(t, 2), x, fmt)
    ref = np.zeros((2, 6, 8, 2), np.float32)
    for y in range(3):
        for xx in range(4):
            for i in range(2):
                for j in range(2):
                    for c in range(2):
                        ref[:, y * 2 + i, xx * 2 + j, c] = x[:, y, xx, (i * 2 + j) * 2 + c]
    np.testing.assert_array_equal(out, ref)
    back = _run(lambda t: ops.space_to_depth(t, 2), out, fmt)
    np.testing.assert_array_equal(back, x)


@pytest.mark.parametrize("fmt", ["NHWC", "NCHW"])
def test_flatten_is_channel_major(fmt):
    x = _rand(2, 3, 4, 5)
    with config.use_data_format(fmt):
        flat = ops.flatten(tf.constant(config.to_data_format(x, fmt, "NHWC"))).numpy()
        np.testing.assert_array_equal(flat, x.transpose(0, 3, 1, 2).reshape(2, -1))
        back = ops.reshape_4D(tf.constant(flat), 4, 3, 5).numpy()
        np.testing.assert_array_equal(config.to_data_format(back, "NHWC", fmt), x)


@pytest.mark.parametrize("fmt", ["NHWC", "NCHW"])
def test_frn_tlu(fmt):
    frn, tlu = layers.FRNorm2D(3), layers.TLU(3)
    frn.build()
    tlu.build()
    assert frn.eps.numpy()[0] == pytest.approx(1e-6)
    wt, bs, eps = _set(frn.weight, _rand(3)), _set(frn.bias, _rand(3)), _set(frn.eps, np.float32([-1e-3]))
    tau = _set(tlu.tau, _rand(3))
    x = _rand(2, 5, 5, 3)
    nu2 = (x ** 2).mean(axis=(1, 2), keepdims=True)
    ref = x / np.sqrt(nu2 + abs(eps)) * wt + bs   # learned eps is used as |eps|
    np.testing.assert_allclose(_run(frn, x, fmt), ref, atol=1e-5)
    np.testing.assert_allclose(_run(tlu, x, fmt), np.maximum(x, tau), atol=0)


def test_pixel_norm():
    x = _rand(3, 10)
    ref = x / np.sqrt((x ** 2).mean(-1, keepdims=True) + 1e-6)
    np.testing.assert_allclose(ops.pixel_norm(tf.constant(x), axes=-1).numpy(), ref, rtol=1e-5)


@pytest.mark.parametrize("fmt", ["NHWC", "NCHW"])
def test_instance_and_batch_norm(fmt):
    inn = layers.InstanceNorm2D(3)
    inn.build()
    w, b = _set(inn.weight, _rand(3)), _set(inn.bias, _rand(3))
    x = _rand(2, 4, 4, 3)
    ref = (x - x.mean((1, 2), keepdims=True)) / (x.std((1, 2), keepdims=True) + 1e-5) * w + b
    np.testing.assert_allclose(_run(inn, x, fmt), ref, atol=1e-4)
    bn = layers.BatchNorm2D(3)
    bn.build()
    w, b = _set(bn.weight, _rand(3)), _set(bn.bias, _rand(3))
    mean, var = _set(bn.running_mean, _rand(3)), _set(bn.running_var, np.abs(_rand(3)))
    ref = (x - mean) / np.sqrt(var + 1e-5) * w + b
    np.testing.assert_allclose(_run(bn, x, fmt), ref, atol=1e-4)
    assert [v.trainable for v in bn.get_weights()] == [True, True, False, False]


@pytest.mark.parametrize("fmt", ["NHWC", "NCHW"])
@pytest.mark.parametrize("filt", [2, 3, 4])
def test_blurpool(fmt, filt):
    bp = layers.BlurPool(filt_size=filt)
    x = _rand(1, 8, 8, 2)
    a = {2: [1, 1], 3: [1, 2, 1], 4: [1, 3, 3, 1]}[filt]
    k = np.outer(a, a) / np.sum(np.outer(a, a))
    pad = ((filt - 1) // 2, int(np.ceil((filt - 1) / 2)))
    xp = np.pad(x, ((0, 0), pad, pad, (0, 0)))
    ref = np.stack([np_conv2d(xp[..., c:c + 1], k[:, :, None, None], 2, 0)[..., 0] for c in range(2)], -1)
    out = _run(bp, x, fmt)
    assert out.shape == (1, 4, 4, 2)
    np.testing.assert_allclose(out, ref, atol=1e-5)


@pytest.mark.parametrize("fmt", ["NHWC", "NCHW"])
def test_gaussian_blur(fmt):
    sigma = 1.0   # kernel size max(3, int(4)) -> 5 (made odd)
    k = ops.gaussian_kernel(sigma)
    assert k.shape == (5, 5) and k.sum() == pytest.approx(1.0)
    g = np.exp(-(np.arange(5) - 2.0) ** 2 / 2)
    np.testing.assert_allclose(k, np.outer(g, g) / np.outer(g, g).sum(), rtol=1e-6)
    x = _rand(1, 7, 7, 2)
    ref = np.stack([np_conv2d(x[..., c:c + 1], k[:, :, None, None], 1, 2)[..., 0] for c in range(2)], -1)
    np.testing.assert_allclose(_run(lambda t: ops.gaussian_blur(t, sigma), x, fmt), ref, atol=1e-5)


def test_dssim_identical_zero_and_grows_with_noise():
    img = np.clip(RNG.uniform(0, 1, (2, 32, 32, 3)), 0, 1).astype(np.float32)
    t = tf.constant(img)
    assert np.abs(losses.dssim(t, t, 1.0, filter_size=7).numpy()).max() < 1e-6
    prev = 0.0
    for noise in (0.02, 0.1, 0.3):
        noisy = tf.constant(np.clip(img + RNG.normal(0, noise, img.shape), 0, 1).astype(np.float32))
        d = float(tf.reduce_mean(losses.dssim(t, noisy, 1.0, filter_size=7)))
        assert d > prev
        prev = d
    assert losses.dssim(t, t, 1.0, filter_size=7).shape == (2, 3)


def test_dssim_window_is_normalised_gaussian():
    w = losses.dssim_window(5, 1.5)
    g = np.exp(-(np.arange(5) - 2.0) ** 2 / (2 * 1.5 ** 2))
    np.testing.assert_allclose(w, np.outer(g, g) / np.outer(g, g).sum(), rtol=1e-5)


def test_style_loss_and_total_variation():
    a = _rand(2, 6, 6, 3)
    b = _rand(2, 6, 6, 3)
    assert np.abs(losses.style_loss(tf.constant(a), tf.constant(a)).numpy()).max() < 1e-7
    ref = (((a.mean((1, 2)) - b.mean((1, 2))) ** 2).sum(-1)
           + ((np.sqrt(a.var((1, 2)) + 1e-5) - np.sqrt(b.var((1, 2)) + 1e-5)) ** 2).sum(-1)) * (10.0 / 3)
    np.testing.assert_allclose(losses.style_loss(tf.constant(a), tf.constant(b), loss_weight=10.0).numpy(), ref,
                               rtol=1e-4)
    tv_ref = ((a[:, 1:] - a[:, :-1]) ** 2).sum((1, 2, 3)) + ((a[:, :, 1:] - a[:, :, :-1]) ** 2).sum((1, 2, 3))
    np.testing.assert_allclose(losses.total_variation_mse(tf.constant(a)).numpy(), tv_ref, rtol=1e-5)
    with config.use_data_format("NCHW"):
        tv = losses.total_variation_mse(tf.constant(a.transpose(0, 3, 1, 2))).numpy()
    np.testing.assert_allclose(tv, tv_ref, rtol=1e-5)
