"""ONNX export of trained models: DeepFaceLive's `.dfm` (SAEHD, AMP, Quick96) and XSeg (reference §8.10).

DFM contract (DeepFaceLive `DFMModel`): input 0 `in_face:0` float32 [N, H, W, 3] NHWC BGR 0..1; AMP adds input 1
`morph_value:0` float32 [1]; outputs in this order `out_face_mask:0` [N,H,W,1] (the dst face's own mask, from the
dst path), `out_celeb_face:0` [N,H,W,3] (the swap) and `out_celeb_face_mask:0` [N,H,W,1] (the swap's mask). XSeg:
`in_face:0` [N,256,256,3] -> `out_mask:0` [N,256,256,1] (the raw sigmoid mask). As the original: the graph is traced
in NCHW (ONNX's own layout: no transposes around every conv), opset 12 (XSeg 13); "quantized" = float16 weights and
compute.

An `ExportGraph` is `fn(*inputs NHWC) -> tuple of 4-D outputs in the current layout`, its input `tf.TensorSpec`s
(named like the ONNX inputs, without `:0`) and the model parts whose weights it uses. `to_onnx` traces it with the
kernels and matrices as extra inputs, converts that small graph with tf2onnx and then bakes them in, folding the
weight-only ops (transposes to ONNX's layouts, float16 casts). Freezing the weights into the TensorFlow graph
instead makes TensorFlow and tf2onnx copy them dozens of times (16+ GB for the AMP defaults); this way the export
holds a few copies (under 4 GB). `compare` runs the file in onnxruntime against the TensorFlow graph.
"""
from dataclasses import dataclass
from typing import Callable

import numpy as np
import tensorflow as tf

from core.leras import config, predictors
from core.leras.base import LayerBase

DFM_OUTPUTS = ("out_face_mask", "out_celeb_face", "out_celeb_face_mask")
DFM_OPSET = 12
XSEG_OUTPUTS = ("out_mask",)
XSEG_OPSET = 13


@dataclass
class ExportGraph:
    fn: Callable
    input_specs: list
    parts: list


def _face_spec(res):
    return tf.TensorSpec((None, res, res, 3), tf.float32, name="in_face")


def autoencoder_graph(ae, resolution, fp16=False):
    """SAEHD / Quick96 (a models.autoencoder.FaceAutoEncoder): the merge predictor's graph."""
    ae = ae.with_compute_dtype(tf.float16) if fp16 else ae
    parts = ({"encoder": ae.encoder, "inter": ae.inter, "decoder": ae.decoder_src, "decoder_dst": ae.decoder_dst}
             if ae.archi_type == "df" else
             {"encoder": ae.encoder, "inter_AB": ae.inter_AB, "inter_B": ae.inter_B, "decoder": ae.decoder})

    def fn(in_face):
        bgr, src_dstm, dst_dstm = predictors.saehd_merge(ae.archi_type, faces=_to_layout(in_face), **parts)
        return dst_dstm, bgr, src_dstm

    return ExportGraph(fn, [_face_spec(int(resolution))], ae.parts())


def amp_graph(net, fp16=False):
    """AMP (a models.Model_AMP.amp_net.AmpNet): the swap at the `morph_value` input (DeepFaceLive's slider)."""
    net = net.with_compute_dtype(tf.float16) if fp16 else net

    def fn(in_face, morph_value):
        bgr, src_dstm, dst_dstm = net.merge(_to_layout(in_face), morph_value)
        return dst_dstm, bgr, src_dstm

    return ExportGraph(fn, [_face_spec(net.resolution), tf.TensorSpec((1,), tf.float32, name="morph_value")],
                       net.parts())


#: model class name -> graph(model, fp16) for DeepFaceLive
DFM_EXPORTERS = {
    "SAEHD": lambda model, fp16: autoencoder_graph(model.ae, model.resolution, fp16),
    "Quick96": lambda model, fp16: autoencoder_graph(model.ae, model.resolution, fp16),
    "AMP": lambda model, fp16: amp_graph(model.net, fp16),
}


def xseg_graph(model_dir):
    """The trained XSeg net of `model_dir` (`XSeg_256.npy`, loaded by facelib.XSegNet) -> its mask graph."""
    from facelib.XSegNet import XSegNet
    xseg = XSegNet(model_dir)

    def fn(in_face):
        _, mask = xseg.model(_to_layout(in_face))
        return (mask,)

    return ExportGraph(fn, [_face_spec(xseg.resolution)], [xseg.model])


def _to_layout(x):
    return tf.transpose(x, (0, 3, 1, 2)) if config.data_format() == "NCHW" else x


def _to_nhwc(x):
    return tf.transpose(x, (0, 2, 3, 1)) if config.data_format() == "NCHW" else x


def _named(fn, output_names):
    def wrapped(*inputs):
        return tuple(tf.identity(tf.cast(_to_nhwc(x), tf.float32), name=name)
                     for x, name in zip(fn(*inputs), output_names))
    return wrapped


def _layer_weights(parts):
    """[(layer, attribute, variable)] of every weight of `parts` (layers keep each variable under its own name)."""
    found = []

    def walk(m):
        if isinstance(m, LayerBase):
            found.extend((m, name, var) for name, var in m._vars.items())
        else:
            for sub in m.get_layers():
                walk(sub)
    for p in parts:
        walk(p)
    return found


def _traced_with_weight_inputs(graph, output_names):
    """The graph traced in NCHW with every kernel / matrix as an input `weight_<i>`; returns (graph_def, weights).

    1-D weights (biases, FRN/TLU parameters) stay constants: they are small, and tf2onnx handles an NCHW BiasAdd
    only with a constant bias."""
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
    weights = [w for w in _layer_weights(graph.parts) if len(w[2].shape) >= 2]
    n = len(graph.input_specs)
    w_specs = [tf.TensorSpec(var.shape, var.dtype, name=f"weight_{i}") for i, (_, _, var) in enumerate(weights)]
    named = _named(graph.fn, output_names)

    def traced(*args):
        for (layer, attr, _), t in zip(weights, args[n:]):
            setattr(layer, attr, t)
        try:
            return named(*args[:n])
        finally:
            for layer, attr, var in weights:
                setattr(layer, attr, var)

    with config.use_data_format("NCHW"):
        concrete = tf.function(traced).get_concrete_function(*graph.input_specs, *w_specs)
        big = [v.name for v in concrete.variables if len(v.shape) >= 2]
        if big:
            raise RuntimeError(f"export graph reads {len(big)} weights outside its layers, e.g. {big[0]}")
        frozen = convert_variables_to_constants_v2(concrete)
    return frozen.graph.as_graph_def(), weights


def _bake_weights(model, values, opset):
    """Turn the weight inputs into initializers, folding every node that depends on constants only."""
    import onnx
    from onnx import helper, numpy_helper
    from onnx.reference import ReferenceEvaluator
    g = model.graph
    known = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    known.update(values)
    keep = []
    for node in g.node:   # tf2onnx writes nodes in topological order
        ins = [i for i in node.input if i]
        if ins and all(i in known for i in ins):
            outs = ReferenceEvaluator(node, opsets={"": opset}).run(None, {i: known[i] for i in ins})
            known.update(zip(node.output, outs))
        else:
            keep.append(node)
    used = {i for node in keep for i in node.input} | {o.name for o in g.output}
    initializers = [numpy_helper.from_array(np.asarray(known[name]), name) for name in sorted(used & set(known))]
    inputs = [i for i in g.input if i.name not in values]
    new_graph = helper.make_graph(keep, g.name, inputs, list(g.output), initializers,
                                  value_info=[v for v in g.value_info if v.name in used])
    baked = helper.make_model(new_graph, opset_imports=list(model.opset_import), producer_name=model.producer_name,
                              producer_version=model.producer_version)
    baked.ir_version = model.ir_version
    onnx.checker.check_model(baked)
    return baked


def to_onnx(graph, output_names, opset):
    """The ONNX ModelProto of an ExportGraph, traced in NCHW, with the given output names (`name:0`)."""
    import tf2onnx
    graph_def, weights = _traced_with_weight_inputs(graph, output_names)
    input_names = [f"{s.name}:0" for s in graph.input_specs] + [f"weight_{i}:0" for i in range(len(weights))]
    model, _ = tf2onnx.convert.from_graph_def(graph_def, input_names=input_names,
                                              output_names=[f"{n}:0" for n in output_names], opset=opset)
    values = {f"weight_{i}:0": var.numpy() for i, (_, _, var) in enumerate(weights)}
    return _bake_weights(model, values, opset)


def run_tf(graph, output_names, inputs):
    """The outputs of the graph in TensorFlow (NHWC, as the merger runs it on a CPU) for NumPy `inputs`, NHWC."""
    with config.use_data_format("NHWC"):
        outs = tf.function(_named(graph.fn, output_names))(*[tf.constant(a) for a in inputs])
    return [o.numpy() for o in outs]


def run_onnx(model_bytes, inputs, input_names):
    import onnxruntime as ort
    session = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    return session.run(None, dict(zip(input_names, inputs)))


def sample_inputs(input_specs, n=2, seed=0):
    """Smooth random faces (and morph 0.75, DeepFaceLive's default) to compare the exported file with TF."""
    import cv2
    rng = np.random.default_rng(seed)
    out = []
    for spec in input_specs:
        if spec.shape.rank == 4:
            _, h, w, c = spec.shape
            small = rng.random((n, 8, 8, c), dtype=np.float32)
            out.append(np.stack([cv2.resize(s, (w, h), interpolation=cv2.INTER_CUBIC) for s in small]).clip(0, 1))
        else:
            out.append(np.full(spec.shape, 0.75, np.float32))
    return out


def compare(model_bytes, graph, output_names, inputs=None):
    """Max |onnxruntime - TensorFlow| per output name on `inputs` (default: sample_inputs)."""
    inputs = sample_inputs(graph.input_specs) if inputs is None else inputs
    ref = run_tf(graph, output_names, inputs)
    got = run_onnx(model_bytes, inputs, [f"{s.name}:0" for s in graph.input_specs])
    return {name: float(np.max(np.abs(a - b))) for name, a, b in zip(output_names, got, ref)}
