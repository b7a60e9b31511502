"""core.leras training-step speed beside a plain-Keras implementation of the same network, fp32 and bf16.

Two sizes: Quick96 (df-ud, res 96, ae 128, e 64, d 64, m 16, batch 4 src + 4 dst, RMSprop) and the SAEHD default
(liae-ud, res 128, ae 256, e 64, d 64, m 22, batch 8 src + 8 dst, AdaBelief; Keras: Adam, which it lacks AdaBelief).
Both implementations compute the same graph and losses (10*DSSIM + 10*MSE on masked faces + 10*mask MSE per side)
in a `tf.function` step. Each size/precision runs in its own process holding both implementations, timed in blocks
of N steps in the order core.leras, Keras, Keras, core.leras (the machine is shared: both see the same drift in
load; interleaving single steps of two big models instead penalises whichever runs second by re-faulting memory).
Prints ms per step (median of the 2N timed steps after two warm-up steps) and the parameter counts beside reference
section 3.1's table. BENCH_QUICK=1 (run_all): 2 steps per block, SAEHD in fp32 only.

    python bench/bench_leras.py [--steps N] [--only quick96|saehd]
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.benchlib import quick, record  # noqa: E402

SIZES = {
    "quick96": dict(archi="df", opts="ud", res=96, ae=128, e=64, d=64, m=16, batch=4, ref_params=38.29),
    "saehd": dict(archi="liae", opts="ud", res=128, ae=256, e=64, d=64, m=22, batch=8, ref_params=82.38),
}


def _batch(cfg, np):
    rng = np.random.RandomState(0)
    r, b = cfg["res"], cfg["batch"]
    img = [rng.uniform(0, 1, (b, r, r, 3)).astype(np.float32) for _ in range(4)]
    masks = [(rng.uniform(0, 1, (b, r, r, 1)) > 0.3).astype(np.float32) for _ in range(2)]
    return img + masks   # warped_src, target_src, warped_dst, target_dst, srcm, dstm


def _losses(tf, losses, cfg, pred_src, pred_srcm, pred_dst, pred_dstm, target_src, target_dst, srcm, dstm):
    f = int(cfg["res"] / 11.6)

    def side(pred, pred_m, target, m):
        return (10 * losses.dssim(target * m, pred * m, 1.0, f)[:, 0]
                + 10 * tf.reduce_mean(tf.square(target * m - pred * m), [1, 2, 3])
                + 10 * tf.reduce_mean(tf.square(m - pred_m), [1, 2, 3]))

    return side(pred_src, pred_srcm, target_src, srcm) + side(pred_dst, pred_dstm, target_dst, dstm)


def build_leras(cfg, bf16):
    import numpy as np
    import tensorflow as tf

    from core.leras import losses, optimizers, training
    from core.leras.archi import DeepFakeArchi

    a = DeepFakeArchi(cfg["res"], cfg["opts"], compute_dtype=tf.bfloat16 if bf16 else tf.float32)
    enc = a.Encoder(3, cfg["e"], name="encoder")
    enc_out = enc.get_out_ch() * enc.get_out_res(cfg["res"]) ** 2
    ae = cfg["ae"]
    if cfg["archi"] == "df":
        inter = a.Inter(enc_out, ae, ae, name="inter")
        dec_src = a.Decoder(ae, cfg["d"], cfg["m"], name="decoder_src")
        dec_dst = a.Decoder(ae, cfg["d"], cfg["m"], name="decoder_dst")
        models = [enc, inter, dec_src, dec_dst]

        def forward(ws, wd):
            ps, psm = dec_src(inter(enc(ws)))
            pd, pdm = dec_dst(inter(enc(wd)))
            return ps, psm, pd, pdm
        opt = optimizers.RMSprop(lr=2e-4, name="src_dst_opt")
    else:
        inter_ab = a.Inter(enc_out, ae, ae * 2, name="inter_AB")
        inter_b = a.Inter(enc_out, ae, ae * 2, name="inter_B")
        dec = a.Decoder(ae * 4, cfg["d"], cfg["m"], name="decoder")
        models = [enc, inter_ab, inter_b, dec]

        def forward(ws, wd):
            cs, cd = enc(ws), enc(wd)
            ab_s = inter_ab(cs)
            ps, psm = dec(tf.concat([ab_s, ab_s], -1))
            pd, pdm = dec(tf.concat([inter_b(cd), inter_ab(cd)], -1))
            return ps, psm, pd, pdm
        opt = optimizers.AdaBelief(lr=5e-5, name="src_dst_opt")
    for m in models:
        m.build()
    opt.initialize_variables(models)
    variables = [v for m in models for v in m.get_weights()]

    def loss_fn(ws, ts, wd, td, sm, dm):
        ps, psm, pd, pdm = forward(ws, wd)
        return _losses(tf, losses, cfg, ps, psm, pd, pdm, ts, td, sm, dm), {}

    step = training.make_train_step(loss_fn, opt, variables)
    batch = [tf.constant(x) for x in _batch(cfg, np)]
    return (lambda: step(*batch)), sum(m.count_params() for m in models)


def build_keras(cfg, bf16):
    import keras
    import numpy as np
    import tensorflow as tf

    from core.leras import losses

    keras.mixed_precision.set_global_policy("mixed_bfloat16" if bf16 else "float32")
    L = keras.layers

    class D2S(L.Layer):
        def call(self, x):
            return tf.nn.depth_to_space(x, 2)

    class ChannelMajorFlatten(L.Layer):
        def call(self, x):
            x = tf.transpose(x, (0, 3, 1, 2))
            return tf.reshape(x, (-1, int(np.prod(x.shape[1:]))))

    class Reshape4D(L.Layer):
        def __init__(self, r, c, **kw):
            super().__init__(**kw)
            self.r, self.c = r, c

        def call(self, x):
            return tf.transpose(tf.reshape(x, (-1, self.c, self.r, self.r)), (0, 2, 3, 1))

    def conv(x, ch, k, s=1):
        p = ((k - 1) + 1) // 2
        if p:
            x = L.ZeroPadding2D(p)(x)
        return L.Conv2D(ch, k, strides=s, padding="valid")(x)

    def upscale(x, ch):
        return D2S()(L.LeakyReLU(0.1)(conv(x, ch * 4, 3)))

    def resblock(x, ch):
        y = L.LeakyReLU(0.2)(conv(x, ch, 3))
        return L.LeakyReLU(0.2)(L.Add()([x, conv(y, ch, 3)]))

    res, ae, e, d, m = cfg["res"], cfg["ae"], cfg["e"], cfg["d"], cfg["m"]
    ldr = res // 32

    def encoder():
        i = keras.Input((res, res, 3))
        x = i
        for n in range(4):
            x = L.LeakyReLU(0.1)(conv(x, e * min(2 ** n, 8), 5, 2))
        x = ChannelMajorFlatten()(x)
        x = L.Lambda(lambda t: t * tf.math.rsqrt(tf.reduce_mean(tf.square(t), -1, keepdims=True) + 1e-6))(x)
        return keras.Model(i, x)

    def inter(in_dim, out_ch):
        i = keras.Input((in_dim,))
        x = L.Dense(ldr * ldr * out_ch)(L.Dense(ae)(i))
        return keras.Model(i, upscale(Reshape4D(ldr, out_ch)(x), out_ch))

    def decoder(in_ch):
        i = keras.Input((ldr * 2, ldr * 2, in_ch))
        x = i
        for ch in (d * 8, d * 4, d * 2):
            x = resblock(upscale(x, ch), ch)
        x = L.Concatenate()([conv(x, 3, 1), conv(x, 3, 3), conv(x, 3, 3), conv(x, 3, 3)])
        x = L.Activation("sigmoid", dtype="float32")(D2S()(x))
        y = i
        for ch in (m * 8, m * 4, m * 2, m):
            y = upscale(y, ch)
        y = L.Activation("sigmoid", dtype="float32")(conv(y, 1, 1))
        return keras.Model(i, [x, y])

    enc = encoder()
    enc_out = enc.output_shape[-1]
    if cfg["archi"] == "df":
        it, ds, dd = inter(enc_out, ae), decoder(ae), decoder(ae)
        nets = [enc, it, ds, dd]

        def forward(ws, wd):
            ps, psm = ds(it(enc(ws)))
            pd, pdm = dd(it(enc(wd)))
            return ps, psm, pd, pdm
        opt = keras.optimizers.RMSprop(2e-4, rho=0.9)
    else:
        iab, ib, dec = inter(enc_out, ae * 2), inter(enc_out, ae * 2), decoder(ae * 4)
        nets = [enc, iab, ib, dec]

        def forward(ws, wd):
            cs, cd = enc(ws), enc(wd)
            ab_s = iab(cs)
            ps, psm = dec(tf.concat([ab_s, ab_s], -1))
            pd, pdm = dec(tf.concat([ib(cd), iab(cd)], -1))
            return ps, psm, pd, pdm
        opt = keras.optimizers.Adam(5e-5)
    variables = [v for n in nets for v in n.trainable_variables]

    @tf.function
    def step(ws, ts, wd, td, sm, dm):
        with tf.GradientTape() as tape:
            ps, psm, pd, pdm = forward(ws, wd)
            loss = tf.reduce_sum(_losses(tf, losses, cfg, ps, psm, pd, pdm, ts, td, sm, dm))
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    batch = [tf.constant(x) for x in _batch(cfg, np)]
    keras.mixed_precision.set_global_policy("float32")
    return (lambda: step(*batch)), sum(int(np.prod(v.shape)) for v in variables)


def _timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def worker(size, bf16, steps):
    cfg = SIZES[size]
    steps_fn, params = {}, {}
    for impl, build in (("leras", build_leras), ("keras", build_keras)):
        steps_fn[impl], params[impl] = build(cfg, bf16)
        for _ in range(2):   # trace + first run
            steps_fn[impl]()
    times = {"leras": [], "keras": []}
    for impl in ("leras", "keras", "keras", "leras"):   # ABBA blocks: both see the same drift in machine load
        for _ in range(steps):
            times[impl].append(_timed(steps_fn[impl]))
    ms = {k: sorted(v)[len(v) // 2] * 1000 for k, v in times.items()}
    print("RESULT " + json.dumps({"ms": ms, "params": params}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=2 if quick() else 5)
    ap.add_argument("--only", choices=list(SIZES))
    ap.add_argument("--worker", nargs=2, metavar=("SIZE", "BF16"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        size, bf16 = args.worker
        return worker(size, bf16 == "1", args.steps)

    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT))
    print(f"{'network':<9} {'precision':<9} {'core.leras ms':>13} {'Keras ms':>9} {'ratio':>6}  params (ref)")
    for size in ([args.only] if args.only else list(SIZES)):
        for bf16 in (False,) if quick() and size == "saehd" else (False, True):
            out = subprocess.run([sys.executable, __file__, "--steps", str(args.steps), "--worker", size,
                                  "1" if bf16 else "0"], capture_output=True, text=True, env=env)
            line = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
            if not line:
                sys.exit(f"{size} failed:\n{out.stderr[-3000:]}")
            res = json.loads(line[0][7:])
            lr, kr = res["ms"]["leras"], res["ms"]["keras"]
            print(f"{size:<9} {'bf16' if bf16 else 'fp32':<9} {lr:>13.0f} {kr:>9.0f} {lr / kr:>6.2f}  "
                  f"{res['params']['leras'] / 1e6:.2f} M ({SIZES[size]['ref_params']} M; "
                  f"Keras {res['params']['keras'] / 1e6:.2f} M)", flush=True)
            record("leras", f"{size} {'bf16' if bf16 else 'fp32'} training step, core.leras", lr, "ms",
                   "plain Keras, same network and losses", kr,
                   f"median of {2 * args.steps} steps; {res['params']['leras'] / 1e6:.2f} M params "
                   f"(Keras {res['params']['keras'] / 1e6:.2f} M, reference {SIZES[size]['ref_params']} M)")


if __name__ == "__main__":
    main()
