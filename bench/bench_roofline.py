"""Roofline of training: per model and precision, ms per step, FLOPs per step counted from the step's graph,
achieved GFLOP/s, and this machine's peak (a large matmul in fp32 and bf16) measured in the same run (at the
start and again in each configuration's process right after its steps; the higher one is the limit).

Models (batch 4, the original's default options otherwise): Quick96, SAEHD liae-ud 128, SAEHD df-ud 128, AMP 224,
XSeg 256. Each configuration runs in its own process through the model's own code (options, losses, optimizer,
compiled steps) on a fixed random batch, so the figure is the network step alone (sample generators bypassed).
FLOPs are those of convolutions and matrix products, forward and backward (the graph's Conv2D, Conv2DBackprop*,
DepthwiseConv2dNative*, MatMul, BatchMatMul ops, 2 per multiply-add, from their static shapes), summed over every
compiled function one training iteration calls. Element-wise work (losses, optimizer) is not counted: the figure
is the arithmetic the step cannot avoid, so GFLOP/s against the matmul peak says how far from the limit it is.
The anchor rows are the original program's step (TF 2.21 port of DFL 2.0) measured on this machine type.

    python bench/bench_roofline.py [--steps N] [--only NAME ...] [--precision fp32|bf16] [--xla]
                                   [--compare-to OLD_CHECKOUT]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if os.environ.get("ROOFLINE_CODE"):   # a worker timing another checkout's code (--compare-to)
    sys.path.insert(0, os.environ["ROOFLINE_CODE"])

from bench.benchlib import quick, record  # noqa: E402

BATCH = 4
SAEHD_128 = {"resolution": "128", "face_type": "f", "ae_dims": "256", "e_dims": "64", "d_dims": "64",
             "d_mask_dims": "22", "batch_size": str(BATCH)}
# name -> (model package, option flags, resolution, tensors per side in a generator batch: images then masks)
MODELS = {
    "Quick96": ("Quick96", {}, 96, (2, 1)),
    "SAEHD liae-ud 128": ("SAEHD", dict(SAEHD_128, archi="liae-ud"), 128, (2, 2)),
    "SAEHD df-ud 128": ("SAEHD", dict(SAEHD_128, archi="df-ud"), 128, (2, 2)),
    "AMP 224": ("AMP", {"batch_size": str(BATCH)}, 224, (2, 2)),
    "XSeg 256": ("XSeg", {"batch_size": str(BATCH)}, 256, (1, 1)),
}
# The original's step on this machine type, batch 4 (issue 15), and ours before that work.
ANCHORS = {("Quick96", "fp32"): 1005.0, ("SAEHD liae-ud 128", "fp32"): 4903.0}
OURS_BEFORE = {("Quick96", "fp32"): 845.0, ("SAEHD liae-ud 128", "fp32"): 4461.0,
               ("Quick96", "bf16"): 451.0, ("SAEHD liae-ud 128", "bf16"): 2262.0}


# ---------------------------------------------------------------------------------------------- FLOP counting
def _dims(t):
    return [int(d) for d in t.shape]


def _prod(xs):
    p = 1
    for x in xs:
        p *= x
    return p


def op_flops(op):
    """FLOPs of one graph op (2 per multiply-add) for the arithmetic-heavy kinds, else 0."""
    t = op.type
    try:
        if t == "Conv2D":
            kh, kw, cin, _ = _dims(op.inputs[1])
            return 2 * _prod(_dims(op.outputs[0])) * kh * kw * cin
        if t == "Conv2DBackpropInput":      # (input_sizes, filter, out_backprop)
            kh, kw, cin, _ = _dims(op.inputs[1])
            return 2 * _prod(_dims(op.inputs[2])) * kh * kw * cin
        if t == "Conv2DBackpropFilter":     # (input, filter_sizes, out_backprop)
            kh, kw, cin, _ = _dims(op.outputs[0])
            return 2 * _prod(_dims(op.inputs[2])) * kh * kw * cin
        if t in ("DepthwiseConv2dNative", "DepthwiseConv2dNativeBackpropInput",
                 "DepthwiseConv2dNativeBackpropFilter"):
            out = op.outputs[0] if t == "DepthwiseConv2dNative" else op.inputs[2]
            filt = op.inputs[1]
            kh, kw = (_dims(filt)[:2] if t != "DepthwiseConv2dNativeBackpropFilter"
                      else _dims(op.outputs[0])[:2])
            return 2 * _prod(_dims(out)) * kh * kw
        if t == "MatMul":
            a = _dims(op.inputs[0])
            k = a[0] if op.get_attr("transpose_a") else a[1]
            return 2 * _prod(_dims(op.outputs[0])) * k
        if t in ("BatchMatMul", "BatchMatMulV2", "BatchMatMulV3"):
            a = _dims(op.inputs[0])
            k = a[-2] if op.get_attr("adj_x") else a[-1]
            return 2 * _prod(_dims(op.outputs[0])) * k
    except (ValueError, TypeError):
        raise ValueError(f"{op.name} ({t}) has no static shape: cannot count its FLOPs")
    return 0


def _live_ops(graph):
    """Ops the function runs: those its outputs and stateful ops depend on (the rest is pruned at run time)."""
    todo = [t.op for t in graph.outputs] + list(graph.control_outputs)
    seen = set()
    while todo:
        op = todo.pop()
        if op.name in seen:
            continue
        seen.add(op.name)
        todo.extend(t.op for t in op.inputs)
        todo.extend(op.control_inputs)
    return [op for op in graph.get_operations() if op.name in seen]


def graph_flops(graph):
    """Sum of op_flops over the live ops of a graph and the functions they call (each call counted once)."""
    total = 0
    for op in _live_ops(graph):
        total += op_flops(op)
        if op.type in ("PartitionedCall", "StatefulPartitionedCall"):
            fn = graph._get_function(op.get_attr("f").name)   # noqa: SLF001 - the called function's graph
            if fn is not None:
                total += graph_flops(fn.graph)
    return total


# ---------------------------------------------------------------------------------------------- workers
def _fixed_batch(res, n_img, n_mask):
    import numpy as np
    rng = np.random.RandomState(0)
    imgs = [rng.uniform(0, 1, (BATCH, res, res, 3)).astype(np.float32) for _ in range(n_img)]
    masks = [(rng.uniform(0, 1, (BATCH, res, res, 1)) > 0.3).astype(np.float32) for _ in range(n_mask)]
    return imgs + masks


def run_model(name, bf16, steps, xla=False):
    import importlib
    import itertools

    import tensorflow as tf

    from core import interact
    from core.leras import config
    interact.set_non_interactive(True)
    if xla:
        config.set_jit_compile(True)
    pkg, options, res, (n_img, n_mask) = MODELS[name]
    Model = importlib.import_module(f"models.Model_{pkg}.Model").Model
    sides = 1 if pkg == "XSeg" else 2

    def fixed_generators(self):
        self.preview_sides = []
        self.set_training_data_generators([itertools.repeat(_fixed_batch(res, n_img, n_mask))
                                           for _ in range(sides)])

    Model._make_generators = fixed_generators
    calls = {}

    def recorded(attr, fn):
        def call(*args):
            calls[attr] = args
            return fn(*args)
        return call

    with tempfile.TemporaryDirectory() as d:
        m = Model(d, training_data_src_path=d, training_data_dst_path=d, cpu_only=True, option_values=options,
                  mixed_precision=bf16, override_wait_seconds=0)
        steps_fns = {k: v for k, v in vars(m).items() if isinstance(v, tf.types.experimental.PolymorphicFunction)}
        for k, v in steps_fns.items():
            setattr(m, k, recorded(k, v))
        for _ in range(3):   # trace + first runs (Quick96's every-3rd-step repeat uses the same function)
            m.train_one_iter()
        flops = sum(graph_flops(steps_fns[k].get_concrete_function(*a).graph) for k, a in calls.items())
        times = []
        for _ in range(steps):
            t = time.perf_counter()
            m.train_one_iter()
            times.append(time.perf_counter() - t)
        m.finalize()
        times.sort()
        # The peak again, right after the steps in the same process: on a shared machine the load moves.
        return {"ms": times[len(times) // 2] * 1000, "ms_min": times[0] * 1000, "flops": flops,
                "dtype": m.leras.compute_dtype.name, "functions": sorted(calls), "peak": run_peak(2048, 3)}


def run_peak(n, reps):
    """Best GFLOP/s of an n x n matmul in float32 and bfloat16."""
    import tensorflow as tf
    out = {}
    for dt in (tf.float32, tf.bfloat16):
        a = tf.cast(tf.random.uniform((n, n)), dt)
        b = tf.cast(tf.random.uniform((n, n)), dt)
        mm = tf.function(lambda x, y: tf.reduce_sum(tf.cast(tf.matmul(x, y)[:1, :1], tf.float32)))
        mm(a, b).numpy()
        best = min(_timed(lambda: mm(a, b).numpy()) for _ in range(reps))
        out[dt.name] = 2 * n ** 3 / best / 1e9
    return out


def _timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def _spawn(worker_args, steps, env):
    cmd = [sys.executable, __file__, "--steps", str(steps), "--worker", *worker_args]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
    if not line:
        sys.exit(f"{' '.join(worker_args)} failed:\n{out.stderr[-3000:]}")
    return json.loads(line[0][7:])


def _report(name, r, peak, label, steps):
    got = "bf16" if r["dtype"] == "bfloat16" else "fp32"
    gflop = r["flops"] / 1e9
    rate = gflop / (r["ms"] / 1000)
    pk = max(peak["bfloat16" if got == "bf16" else "float32"], r["peak"]["bfloat16" if got == "bf16" else "float32"])
    orig = ANCHORS.get((name, "fp32"))
    before = OURS_BEFORE.get((name, got))
    ratio = f"{r['ms'] / orig:.2f}" if orig else "-"
    print(f"{name:<19} {got + label:<11} {r['ms']:>8.0f} {gflop:>10.1f} {rate:>8.0f} {100 * rate / pk:>6.0f}% "
          f"{orig or '-':>11} {ratio:>6} {before or '-':>11}", flush=True)
    record("roofline", f"{name} {got}{label} ms per training step", r["ms"], "ms",
           "original DFL 2.0 fp32 (issue 15, this machine type)" if orig else "none", orig if orig else "-",
           f"batch {BATCH}, median of {steps}; {gflop:.1f} GFLOP/step, {rate:.0f} GFLOP/s = "
           f"{100 * rate / pk:.0f}% of the {got} matmul peak ({pk:.0f} GFLOP/s, best of the run's start and this "
           f"configuration's process)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=3 if quick() else 6, help="timed steps per configuration")
    ap.add_argument("--only", nargs="+", choices=list(MODELS), help="these models only")
    ap.add_argument("--precision", choices=("fp32", "bf16"), help="this precision only")
    ap.add_argument("--xla", action="store_true", help="also time the steps compiled whole with XLA")
    ap.add_argument("--compare-to", metavar="DIR", help="also time each configuration with the code of another "
                    "checkout (e.g. the previous commit), alternately in the same run")
    ap.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        if args.worker[0] == "peak":
            r = run_peak(int(args.worker[1]), int(args.worker[2]))
        else:
            r = run_model(args.worker[0], args.worker[1] == "bf16", args.steps, xla=args.worker[2] == "xla")
        print("RESULT " + json.dumps(r))
        return

    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=str(ROOT), CUDA_VISIBLE_DEVICES="-1")
    n = 2048 if quick() else 4096
    peak = _spawn(["peak", str(n), "3" if quick() else "5"], args.steps, env)
    print(f"peak: {n}x{n} matmul fp32 {peak['float32']:.0f} GFLOP/s, bf16 {peak['bfloat16']:.0f} GFLOP/s")
    record("roofline", "peak matmul fp32", peak["float32"], "GFLOP/s", "none (machine limit)", "-",
           f"{n}x{n}, best of runs")
    record("roofline", "peak matmul bf16", peak["bfloat16"], "GFLOP/s", "none (machine limit)", "-",
           f"{n}x{n}, best of runs")
    precisions = [args.precision] if args.precision else ["fp32", "bf16"]
    print(f"{'model':<19} {'prec':<11} {'ms/step':>8} {'GFLOP/step':>10} {'GFLOP/s':>8} {'% peak':>7} "
          f"{'original ms':>11} {'ratio':>6} {'ours before':>11}")
    modes = [("", "plain")] + ([("+xla", "xla")] if args.xla else [])
    trees = [("", None)] + ([(" (old)", args.compare_to)] if args.compare_to else [])
    for name in args.only or list(MODELS):
        for prec in precisions:
            for mode_label, mode in modes:
                for tree_label, tree in trees:
                    r = _spawn([name, prec, mode], args.steps, dict(env, ROOFLINE_CODE=tree) if tree else env)
                    _report(name, r, peak, mode_label + tree_label, args.steps)
    for (name, prec), ms in ANCHORS.items():
        print(f"anchor: original {name} {prec} {ms:.0f} ms/step (batch {BATCH})")


if __name__ == "__main__":
    main()
