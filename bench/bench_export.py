"""Issue 10's figures: DFM export time, DFM inference ms/face in onnxruntime (CPU) vs the TensorFlow model, AMP ms per
training step vs SAEHD's at the same resolution and batch (faceset enhance: bench_enhance.py).

Models are the defaults (SAEHD liae-ud res 128 ae 256 e 64 d 64 m 22; AMP res 224 ae 256 inter 1024 e 64 d 64
m 22) with fresh weights; `BENCH_QUICK=1` (run_all) uses res 64 and small dims. Baselines measured in the same run:
export time vs saving the same weights as the model's .npy files; onnxruntime vs TensorFlow (the merger's
predictor) on the same faces; AMP step vs SAEHD step.

    python bench/bench_export.py [--runs N] [--steps N] [--only export|train]
"""
import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchlib import quick, record  # noqa: E402


def sizes():
    if quick():
        return dict(saehd=dict(res=64, ae=64, e=16, d=16, m=16), amp=dict(res=64, ae=64, inter=64, e=16, d=16, m=16),
                    batch=4)
    return dict(saehd=dict(res=128, ae=256, e=64, d=64, m=22), amp=dict(res=224, ae=256, inter=1024, e=64, d=64, m=22),
                batch=4)


def _median_ms(fn, runs):
    fn()  # warm-up (tracing, session init)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def bench_export(runs):
    import tensorflow as tf

    from models import dfm_export
    from models.autoencoder import FaceAutoEncoder
    from models.Model_AMP.amp_net import AmpNet
    s = sizes()
    c, a = s["saehd"], s["amp"]
    ae = FaceAutoEncoder("liae", "ud", c["res"], c["ae"], c["e"], c["d"], c["m"])
    net = AmpNet(a["res"], a["ae"], a["inter"], a["e"], a["d"], a["m"])
    cases = [("SAEHD", c["res"], lambda fp16: dfm_export.autoencoder_graph(ae, c["res"], fp16), ae.parts()),
             ("AMP", a["res"], lambda fp16: dfm_export.amp_graph(net, fp16), net.parts())]
    for name, res, graph, parts in cases:
        with tempfile.TemporaryDirectory() as d:
            t0 = time.perf_counter()
            for p in parts:
                p.save_weights(str(Path(d) / f"{p.name}.npy"))
            t_save = time.perf_counter() - t0
        g32 = graph(False)
        t0 = time.perf_counter()
        data = dfm_export.to_onnx(g32, dfm_export.DFM_OUTPUTS, dfm_export.DFM_OPSET).SerializeToString()
        t_export = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20
        params = sum(p.count_params() for p in parts) / 1e6
        record("export", f"{name} res {res} ({params:.1f} M params) .dfm export time", t_export, "s",
               "saving its weights as .npy", t_save, f"{len(data) / 2 ** 20:.0f} MB file, process peak {peak:.1f} GB")
        data16 = dfm_export.to_onnx(graph(True), dfm_export.DFM_OUTPUTS, dfm_export.DFM_OPSET).SerializeToString()
        inputs = dfm_export.sample_inputs(g32.input_specs, n=1)
        import onnxruntime as ort
        names = [f"{sp.name}:0" for sp in g32.input_specs]
        sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
        sess16 = ort.InferenceSession(data16, providers=["CPUExecutionProvider"])
        tf_fn = tf.function(dfm_export._named(g32.fn, dfm_export.DFM_OUTPUTS))
        tensors = [tf.constant(x) for x in inputs]
        ms_tf = _median_ms(lambda: [o.numpy() for o in tf_fn(*tensors)], runs)
        ms_ort = _median_ms(lambda: sess.run(None, dict(zip(names, inputs))), runs)
        ms_ort16 = _median_ms(lambda: sess16.run(None, dict(zip(names, inputs))), runs)
        diff = max(dfm_export.compare(data, g32, dfm_export.DFM_OUTPUTS, inputs).values())
        diff16 = max(dfm_export.compare(data16, g32, dfm_export.DFM_OUTPUTS, inputs).values())
        record("export", f"{name} res {res} onnxruntime fp32 inference", ms_ort, "ms/face", "TensorFlow model",
               ms_tf, f"max |diff| {diff:.1e}")
        record("export", f"{name} res {res} onnxruntime quantized (fp16) inference", ms_ort16, "ms/face",
               "TensorFlow model", ms_tf, f"max |diff| {diff16:.1e}, {len(data16) / 2 ** 20:.0f} MB")


def bench_train(steps):
    import itertools

    from core import interact
    from models.Model_AMP.Model import Model as AMP
    from models.Model_SAEHD.Model import Model as SAEHD
    interact.set_non_interactive(True)
    s = sizes()
    a, batch = s["amp"], s["batch"]
    res = a["res"]
    rng = np.random.RandomState(0)
    fixed = [rng.uniform(0, 1, (batch, res, res, 3)).astype(np.float32) for _ in range(2)]
    fixed += [(rng.uniform(0, 1, (batch, res, res, 1)) > 0.3).astype(np.float32) for _ in range(2)]

    def generators(self):
        self.set_training_data_generators([itertools.repeat(fixed) for _ in range(2)])

    amp_opts = dict(resolution=res, face_type="wf", ae_dims=a["ae"], inter_dims=a["inter"], e_dims=a["e"],
                    d_dims=a["d"], d_mask_dims=a["m"], batch_size=batch)
    saehd_opts = dict(resolution=res, face_type="wf", archi="liae-ud", ae_dims=a["ae"], e_dims=a["e"],
                      d_dims=a["d"], d_mask_dims=a["m"], batch_size=batch)
    result = {}
    for name, cls, opts in (("AMP", AMP, amp_opts), ("SAEHD", SAEHD, saehd_opts)):
        cls._make_generators = generators
        with tempfile.TemporaryDirectory() as d:
            m = cls(d, training_data_src_path="s", training_data_dst_path="d", cpu_only=True, debug=True,
                    option_values={k: str(v) for k, v in opts.items()})
            m.train_one_iter()
            times = []
            for _ in range(steps):
                t0 = time.perf_counter()
                m.train_one_iter()
                times.append((time.perf_counter() - t0) * 1000)
            result[name] = statistics.median(times)
    record("train", f"AMP res {res} batch {batch} training step", result["AMP"], "ms",
           f"SAEHD liae-ud res {res} batch {batch}", result["SAEHD"], "same ae/e/d/mask dims, fp32 CPU")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--only", choices=("export", "train"))
    args = ap.parse_args()
    from core.leras import device
    device.initialize(device.DeviceConfig.CPU())
    if args.only in (None, "export"):
        bench_export(args.runs)
    if args.only in (None, "train"):
        bench_train(args.steps)


if __name__ == "__main__":
    main()
