"""core.leras devices, multi-device training (MirroredStrategy on logical CPUs), mixed precision, train steps."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from core import interact
from core.errors import UserError
from core.leras import device

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run_py(code, timeout=300):
    env = dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                          timeout=timeout, cwd=REPO)


def test_device_module_does_not_import_tensorflow():
    res = _run_py("""
        import sys, core.leras, core.leras.device, core.leras.config
        print('tensorflow' in sys.modules)
    """)
    assert res.stdout.strip() == "False", res.stderr


@pytest.fixture
def fake_gpus(monkeypatch):
    def install(gpus):
        monkeypatch.setenv("NN_DEVICES_INITIALIZED", "1")
        monkeypatch.setenv("NN_DEVICES_COUNT", str(len(gpus)))
        for i, (name, mem) in enumerate(gpus):
            monkeypatch.setenv(f"NN_DEVICE_{i}_NAME", name)
            monkeypatch.setenv(f"NN_DEVICE_{i}_TOTAL_MEM", str(mem))
    return install


def test_no_gpu_means_cpu_without_asking(fake_gpus, capsys):
    fake_gpus([])
    assert device.ask_choose_device_idxs() == []
    assert "Which GPU" not in capsys.readouterr().out
    assert device.DeviceConfig.BestGPU().cpu_only


def test_choose_gpu_indexes(fake_gpus, capsys):
    fake_gpus([("GeForce GTX 1080", 8 << 30), ("RTX 3090", 24 << 30), ("RTX 3090", 24 << 30)])
    gpus = device.list_gpus()
    assert gpus.get_best_device().index == 1 and gpus.get_worst_device().index == 0
    assert [d.index for d in gpus.get_equal_devices(gpus[1])] == [1, 2]
    interact.set_non_interactive(True)
    try:
        assert device.ask_choose_device_idxs() == [1]                               # default: best GPU
        assert device.ask_choose_device_idxs(suggest_best_multi_gpu=True) == [1, 2]
        assert device.ask_choose_device_idxs(value="0,2") == [0, 2]
        assert device.ask_choose_device_idxs(value="CPU") == []
        out = capsys.readouterr().out
        assert "Which GPU indexes to choose?" in out and "[1] : RTX 3090" in out
        for bad in ("5", "0,0", "x", "cpu"):
            with pytest.raises(UserError):
                device.ask_choose_device_idxs(value=bad, allow_cpu=(bad != "cpu"))
        with pytest.raises(UserError):
            device.ask_choose_device_idxs(choose_only_one=True, value="0,1")
    finally:
        interact.set_non_interactive(False)
    cfg = device.DeviceConfig.GPUIndexes([2])
    assert not cfg.cpu_only and cfg.devices[0].name == "RTX 3090"
    with pytest.raises(UserError):
        device.DeviceConfig.GPUIndexes([7])


def test_mirrored_step_on_two_logical_cpus_equals_single_device():
    # Logical devices must be configured before TensorFlow initialises: own process.
    res = _run_py("""
        import numpy as np, tensorflow as tf
        cpu = tf.config.list_physical_devices('CPU')[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        from core.leras import config, device, losses, optimizers, training
        from core.leras.archi import DeepFakeArchi
        from core.leras.mixed_precision import cpu_has_bf16

        ctx = device.initialize(device.DeviceConfig.CPU(), mixed_precision=True)
        assert ctx.strategy is None and ctx.data_format == config.data_format() == 'NHWC'
        assert ctx.compute_dtype == (tf.bfloat16 if cpu_has_bf16() else tf.float32)

        rng = np.random.RandomState(1)
        x = rng.uniform(0, 1, (4, 32, 32, 3)).astype(np.float32)
        y = rng.uniform(0, 1, (4, 32, 32, 3)).astype(np.float32)
        init = None

        def run(strategy):
            global init
            with (strategy.scope() if strategy else tf.device('/CPU:0')):
                a = DeepFakeArchi(32, 'ud')
                enc = a.Encoder(3, 4, name='encoder')
                inter = a.Inter(enc.get_out_ch() * enc.get_out_res(32) ** 2, 8, 8, name='inter')
                dec = a.Decoder(8, 4, 4, name='decoder')
                models = [enc, inter, dec]
                variables = [v for m in models for v in m.get_weights()]
                if init is None:
                    init = [rng.uniform(-0.2, 0.2, v.shape).astype(np.float32) for v in variables]
                for v, i in zip(variables, init):
                    v.assign(i)
                opt = optimizers.AdaBelief(lr=1e-2, clipnorm=1.0, name='opt')
                opt.initialize_variables(models)

            def loss_fn(a_, b_):
                p, m = dec(inter(enc(a_)))
                l = losses.dssim(p, b_, 1.0, 5)[:, 0] + tf.reduce_mean(tf.square(p - b_), [1, 2, 3]) \\
                    + tf.reduce_mean(tf.square(m - b_[..., :1]), [1, 2, 3])
                return tf.reduce_mean(l), {'loss': l, 'mean': tf.reduce_mean(l)}

            step = training.make_train_step(loss_fn, opt, variables, strategy)
            out = step(x, y)
            out = step(x, y)
            assert abs(float(out['mean']) - float(np.mean(out['loss']))) < 1e-6
            return np.concatenate([v.numpy().ravel() for v in variables]), out['loss'].numpy()

        single, l1 = run(None)
        mirrored, l2 = run(tf.distribute.MirroredStrategy(['/CPU:0', '/CPU:1']))
        moved = np.abs(single - np.concatenate([i.ravel() for i in init])).max()
        print('RESULT', moved, np.abs(single - mirrored).max(), l2.shape[0], np.abs(l1 - l2).max())
    """)
    line = [ln for ln in res.stdout.splitlines() if ln.startswith("RESULT")]
    assert line, res.stderr[-3000:]
    moved, diff, n, ldiff = line[0].split()[1:]
    assert float(moved) > 1e-3                  # the steps did train
    assert float(diff) < 1e-6 and float(ldiff) < 1e-6 and int(n) == 4


def test_single_device_train_step_and_float16_loss_scale():
    tf = pytest.importorskip("tensorflow")
    from core.leras import optimizers, training

    w = tf.Variable(np.ones((3,), np.float32))
    opt = optimizers.RMSprop(lr=0.1, name="opt")
    opt.initialize_variables([("m/w:0", w)])

    def loss_fn(x):
        return tf.reduce_sum(tf.square(tf.cast(w, x.dtype) * x), axis=1), {"y": x}

    step = training.make_train_step(loss_fn, opt, [w])
    step(tf.ones((2, 3)))
    assert np.all(w.numpy() < 1.0) and int(opt.iterations.numpy()) == 1

    scale = training.DynamicLossScale(initial_scale=2.0 ** 16, growth_interval=2)
    w16 = tf.Variable(np.ones((3,), np.float32))
    opt16 = optimizers.RMSprop(lr=0.1, name="opt16")
    opt16.initialize_variables([("m/w16:0", w16)])

    def loss16(x):
        y = tf.cast(w16, tf.float16) * tf.cast(x, tf.float16)
        return tf.cast(tf.reduce_sum(tf.square(y), axis=1), tf.float32), {}

    # d(scale * y^2)/dy = 2 * scale overflows float16 (max 65504) for scale >= 2^15
    step16 = training.make_train_step(loss16, opt16, [w16], loss_scale=scale)
    step16(tf.ones((1, 3)))
    assert int(opt16.iterations.numpy()) == 0 and np.all(w16.numpy() == 1.0)
    assert float(scale.scale.numpy()) == 2.0 ** 15
    step16(tf.ones((1, 3)))
    step16(tf.ones((1, 3)))
    assert int(opt16.iterations.numpy()) == 1 and np.all(w16.numpy() < 1.0)
    assert float(scale.scale.numpy()) == 2.0 ** 14
    step16(tf.ones((1, 3)))
    assert float(scale.scale.numpy()) == 2.0 ** 15   # grows after growth_interval good steps


def test_mixed_precision_choice_and_bf16_forward(fake_gpus):
    tf = pytest.importorskip("tensorflow")
    from core.leras import mixed_precision
    from core.leras.archi import DeepFakeArchi

    assert mixed_precision.compute_dtype_for(device.DeviceConfig.CPU(), False) == tf.float32
    fake_gpus([("RTX 3090", 24 << 30)])
    assert mixed_precision.compute_dtype_for(device.DeviceConfig.GPUIndexes([0]), True) == tf.float16
    cpu_dtype = mixed_precision.compute_dtype_for(device.DeviceConfig.CPU(), True)
    assert cpu_dtype == (tf.bfloat16 if mixed_precision.cpu_has_bf16() else tf.float32)

    x = np.random.RandomState(0).uniform(0, 1, (2, 32, 32, 3)).astype(np.float32)
    outs = []
    for dt in (tf.float32, tf.bfloat16):
        a = DeepFakeArchi(32, "ud", compute_dtype=dt)
        enc = a.Encoder(3, 4, name="encoder")
        inter = a.Inter(enc.get_out_ch() * enc.get_out_res(32) ** 2, 8, 8, name="inter")
        dec = a.Decoder(8, 4, 4, name="decoder")
        for m, seed in ((enc, 1), (inter, 2), (dec, 3)):
            rs = np.random.RandomState(seed)
            for v in m.get_weights():
                v.assign(rs.uniform(-0.3, 0.3, v.shape).astype(np.float32))
        rgb, mask = dec(inter(enc(tf.constant(x))))
        assert rgb.dtype == tf.float32 and all(v.dtype == tf.float32 for v in enc.get_weights())
        outs.append(rgb.numpy())
    assert np.abs(outs[0] - outs[1]).mean() < 0.02   # bfloat16 keeps 8 mantissa bits
