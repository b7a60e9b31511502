"""ONNX export of trained models: DeepFaceLive's `.dfm` (SAEHD, AMP, Quick96) and XSeg (reference §8.10).

DFM contract (DeepFaceLive `DFMModel`): input 0 `in_face:0` float32 [N, H, W, 3] NHWC BGR 0..1; AMP adds input 1
`morph_value:0` float32 [1]; outputs in this order `out_face_mask:0` [N,H,W,1] (the dst face's own mask, from the
dst path), `out_celeb_face:0` [N,H,W,3] (the swap) and `out_celeb_face_mask:0` [N,H,W,1] (the swap's mask). XSeg:
`in_face:0` [N,256,256,3] -> `out_mask:0` [N,256,256,1] (the raw sigmoid mask). As the original: the graph is traced in NCHW (ONNX's own
layout: no transposes around every conv), opset 12 (XSeg 13); "quantized" = float16 weights and compute.

A model graph is `fn(*inputs NHWC) -> tuple of 4-D outputs in the current layout` plus its `tf.TensorSpec`s (named
like the ONNX inputs, without `:0`); `to_onnx` freezes it and `compare` runs the file in onnxruntime against it.
"""
import contextlib

import numpy as np
import tensorflow as tf

from core.leras import config, predictors

DFM_OUTPUTS = ("out_face_mask", "out_celeb_face", "out_celeb_face_mask")
DFM_OPSET = 12
XSEG_OUTPUTS = ("out_mask",)
XSEG_OPSET = 13


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

    return fn, [_face_spec(int(resolution))]


def amp_graph(net, fp16=False):
    """AMP (a models.Model_AMP.amp_net.AmpNet): the swap at the `morph_value` input (DeepFaceLive's slider)."""
    net = net.with_compute_dtype(tf.float16) if fp16 else net

    def fn(in_face, morph_value):
        bgr, src_dstm, dst_dstm = net.merge(_to_layout(in_face), morph_value)
        return dst_dstm, bgr, src_dstm

    return fn, [_face_spec(net.resolution), tf.TensorSpec((1,), tf.float32, name="morph_value")]


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

    return fn, [_face_spec(xseg.resolution)]


def _to_layout(x):
    return tf.transpose(x, (0, 3, 1, 2)) if config.data_format() == "NCHW" else x


def _to_nhwc(x):
    return tf.transpose(x, (0, 2, 3, 1)) if config.data_format() == "NCHW" else x


def _named(fn, output_names):
    def wrapped(*inputs):
        return tuple(tf.identity(tf.cast(_to_nhwc(x), tf.float32), name=name)
                     for x, name in zip(fn(*inputs), output_names))
    return wrapped


@contextlib.contextmanager
def _fresh_node_protos():
    """tf2onnx rewrites every node's NodeProto after each of its ~24 optimizer passes. Under protobuf's upb
    arenas the replaced attribute copies (the weights) stay allocated while the message lives: +1 model size per
    pass, 10+ GB for the AMP defaults. A fresh message per rewrite keeps memory flat; the output is unchanged."""
    from onnx import NodeProto
    from tf2onnx import graph as tf2onnx_graph
    original = tf2onnx_graph.Node.update_proto

    def update_proto(self, external_tensor_storage=None):
        old, self._op = self._op, NodeProto()
        for field in ("name", "op_type", "domain", "doc_string"):
            if old.HasField(field):
                setattr(self._op, field, getattr(old, field))
        original(self, external_tensor_storage)

    tf2onnx_graph.Node.update_proto = update_proto
    try:
        yield
    finally:
        tf2onnx_graph.Node.update_proto = original


def to_onnx(fn, input_specs, output_names, opset):
    """The ONNX ModelProto of `fn` traced in NCHW with the given input specs and output names (`name:0`)."""
    import onnx
    import tf2onnx
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
    with config.use_data_format("NCHW"):
        concrete = tf.function(_named(fn, output_names)).get_concrete_function(*input_specs)
        frozen = convert_variables_to_constants_v2(concrete)
    graph_def = frozen.graph.as_graph_def()
    del concrete, frozen
    with _fresh_node_protos():
        model, _ = tf2onnx.convert.from_graph_def(graph_def, input_names=[f"{s.name}:0" for s in input_specs],
                                                  output_names=[f"{n}:0" for n in output_names], opset=opset)
    onnx.checker.check_model(model)
    return model


def run_tf(fn, input_specs, output_names, inputs):
    """The outputs of `fn` in TensorFlow (NHWC, as the merger runs it on a CPU) for NumPy `inputs`, NHWC."""
    with config.use_data_format("NHWC"):
        outs = tf.function(_named(fn, output_names))(*[tf.constant(a) for a in inputs])
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


def compare(model_bytes, fn, input_specs, output_names, inputs=None):
    """Max |onnxruntime - TensorFlow| per output name on `inputs` (default: sample_inputs)."""
    inputs = sample_inputs(input_specs) if inputs is None else inputs
    ref = run_tf(fn, input_specs, output_names, inputs)
    got = run_onnx(model_bytes, inputs, [f"{s.name}:0" for s in input_specs])
    return {name: float(np.max(np.abs(a - b))) for name, a, b in zip(output_names, got, ref)}
