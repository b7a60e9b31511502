"""The training paths keep the maths: the step compiled with XLA equals the plain step, bfloat16 compute still
learns, and the samples of the next step are prefetched while a step runs."""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from core.leras import losses, optimizers, training  # noqa: E402
from models.autoencoder import FaceAutoEncoder  # noqa: E402


def _seeded(ae, seed=0):
    rs = np.random.RandomState(seed)
    for part in ae.parts():
        for v in part.get_weights():
            v.assign(rs.uniform(-0.2, 0.2, v.shape).astype(np.float32))
    return ae


def _faces(n, res=32, seed=1):
    rs = np.random.RandomState(seed)
    return [tf.constant(rs.uniform(0, 1, (n, res, res, c)).astype(np.float32)) for c in (3, 3, 1, 3, 3, 1)]


def _tiny_training(compute_dtype=None, jit_compile=False, opt_cls=optimizers.AdaBelief, steps=2, lr=1e-3):
    ae = _seeded(FaceAutoEncoder("liae", "ud", 32, ae_dims=16, e_dims=8, d_dims=8, d_mask_dims=8,
                                 compute_dtype=compute_dtype))
    opt = opt_cls(lr=lr, clipnorm=1.0, name="src_dst_opt")
    opt.initialize_variables(ae.parts())
    variables = [v for m in ae.parts() for v in m.get_weights()]

    def loss_fn(ws, ts, tsm, wd, td, tdm):
        p = ae.forward(ws, wd)

        def side(t, m, pred, predm):
            return (10 * tf.reduce_mean(losses.dssim(t * m, pred * m, 1.0, 5), axis=1)
                    + 10 * tf.reduce_mean(tf.square(t * m - pred * m), axis=[1, 2, 3])
                    + 10 * tf.reduce_mean(tf.square(m - predm), axis=[1, 2, 3]))
        src = side(ts, tsm, p["pred_src_src"], p["pred_src_srcm"])
        dst = side(td, tdm, p["pred_dst_dst"], p["pred_dst_dstm"])
        return src + dst, {"loss": src + dst}

    step = training.make_train_step(loss_fn, opt, variables, jit_compile=jit_compile)
    batch = _faces(4, seed=5)
    history = [float(np.mean(step(*batch)["loss"])) for _ in range(steps)]
    return np.concatenate([v.numpy().ravel() for v in variables]), history


@pytest.mark.parametrize("opt_cls", [optimizers.AdaBelief, optimizers.RMSprop])
def test_xla_step_equals_plain_step(opt_cls):
    # Two steps: the second loss is computed on the weights after the first update.
    plain, plain_losses = _tiny_training(jit_compile=False, opt_cls=opt_cls, steps=2)
    xla, xla_losses = _tiny_training(jit_compile=True, opt_cls=opt_cls, steps=2)
    start = np.concatenate([v.numpy().ravel() for m in _seeded(FaceAutoEncoder(
        "liae", "ud", 32, ae_dims=16, e_dims=8, d_dims=8, d_mask_dims=8)).parts() for v in m.get_weights()])
    assert np.abs(plain - start).max() > 1e-4                     # the steps trained
    np.testing.assert_allclose(plain_losses, xla_losses, rtol=1e-5)
    # Adaptive steps are ~lr * sign(g): a gradient at rounding level may flip a few weights by up to ~lr; the
    # typical weight agrees to float precision (the gradients and the update are compared exactly below).
    assert np.median(np.abs(plain - xla)) < 1e-5


def test_xla_gradients_and_update_equal_plain():
    ae = _seeded(FaceAutoEncoder("df", "ud", 32, ae_dims=16, e_dims=8, d_dims=8, d_mask_dims=8))
    variables = [v for m in ae.parts() for v in m.get_weights()]
    ws, ts, _, wd, td, _ = _faces(2, seed=3)

    def grads():
        with tf.GradientTape() as tape:
            p = ae.forward(ws, wd)
            loss = sum(tf.reduce_sum(tf.square(p[k] - t)) for k, t in (
                ("pred_src_src", ts), ("pred_dst_dst", td), ("pred_src_srcm", ts[..., :1]),
                ("pred_dst_dstm", td[..., :1])))
        return tape.gradient(loss, variables)

    g_plain = tf.function(grads)()
    g_xla = tf.function(grads, jit_compile=True)()
    for a, b in zip(g_plain, g_xla):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-5 * float(tf.reduce_max(tf.abs(a))) + 1e-9)

    updated = []
    for jit in (False, True):
        _seeded(ae)
        opt = optimizers.AdaBelief(lr=1e-3, clipnorm=1.0, lr_cos=500, name="o")
        opt.initialize_variables(ae.parts())
        tf.function(lambda: opt.apply_gradients(zip(g_plain, variables)), jit_compile=jit)()
        updated.append(np.concatenate([v.numpy().ravel() for v in variables]))
    assert np.abs(updated[0] - updated[1]).max() < 1e-6


def test_bfloat16_training_learns():
    _, history = _tiny_training(compute_dtype=tf.bfloat16, steps=40, opt_cls=optimizers.RMSprop)
    assert np.isfinite(history).all()
    assert np.mean(history[-5:]) < 0.7 * np.mean(history[:3]), history


def test_next_samples_are_fetched_while_the_step_runs():
    import threading
    import types

    from models.ModelBase import ModelBase
    asked = {n: threading.Event() for n in ("src", "dst", "new", "other")}

    def gen(name, fail_at=None):
        i = 0
        while True:
            if i == 1:
                asked[name].set()
            if i == fail_at:
                raise RuntimeError(f"{name} broke")
            yield f"{name}{i}"
            i += 1

    m = types.SimpleNamespace(generator_list=[gen("src"), gen("dst")], _prefetch=None, last_sample=None)
    assert ModelBase.generate_next_samples(m) == ["src0", "dst0"]
    # Batch 1 is fetched in the background, before anyone asks for it (i.e. while the step trains).
    assert asked["src"].wait(10) and asked["dst"].wait(10)
    assert ModelBase.generate_next_samples(m) == ["src1", "dst1"]
    assert m.last_sample == ["src1", "dst1"]
    m.generator_list = [gen("new"), gen("other", fail_at=1)]        # replaced generators: nothing stale
    assert ModelBase.generate_next_samples(m) == ["new0", "other0"]
    with pytest.raises(RuntimeError, match="other broke"):          # a generator's error reaches the trainer
        ModelBase.generate_next_samples(m)
