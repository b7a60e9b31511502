"""`exportdfm`: the original's SAEHD model folder exports to the original's DFM contract and predictions; tiny SAEHD
and AMP models and an XSeg net export to files that pass onnx.checker, carry exactly DeepFaceLive's names, shapes
and order, and match TensorFlow in onnxruntime (1e-4, quantized 1e-2)."""
import json

import numpy as np
import pytest

from core import interact
from model_fixtures import make_model, read_batch, resize_batch, use_fixed_generators

TINY = dict(resolution=64, face_type="wf", ae_dims=32, e_dims=16, d_dims=16, d_mask_dims=16, batch_size=4)


@pytest.fixture(autouse=True)
def _non_interactive():
    interact.set_non_interactive(True)
    yield
    interact.set_non_interactive(False)


@pytest.fixture(scope="module")
def batch(compat_dir):
    return read_batch(compat_dir)


def _shape(value_info):
    return [d.dim_value if d.HasField("dim_value") else None for d in value_info.type.tensor_type.shape.dim]


def _io(path):
    import onnx
    m = onnx.load(str(path))
    onnx.checker.check_model(m)
    return m, [(i.name, _shape(i)) for i in m.graph.input], [(o.name, _shape(o)) for o in m.graph.output]


def _session(path):
    import onnxruntime as ort
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _export(model_dir, model, *extra):
    import main
    return main.main(["exportdfm", "--model-dir", str(model_dir), "--model", model, "--non-interactive", *extra])


def test_original_saehd_exports_with_the_originals_contract_and_predictions(compat_dir, compat_copy):
    d = compat_copy("models/M1")
    assert _export(d, "SAEHD") == 0
    ref = json.loads((compat_dir / "models/M1_dfm_onnx.json").read_text())
    m, inputs, outputs = _io(d / ref["file"])
    assert inputs == [(i["name"], [None] + i["shape"][1:]) for i in ref["inputs"]]
    assert outputs == [(o["name"], [None] + o["shape"][1:]) for o in ref["outputs"]]
    assert sorted({n.op_type for n in m.graph.node}) == ref["op_types"]
    assert [(o.domain, o.version) for o in m.opset_import][0] == ("", 12) and m.ir_version == ref["ir_version"]
    io = compat_dir / "predictor_io"
    face_mask, celeb, celeb_mask = _session(d / ref["file"]).run(None, {"in_face:0": np.load(io / "M1_pred_in.npy")})
    np.testing.assert_allclose(celeb, np.load(io / "M1_pred_out_bgr.npy"), atol=1e-5)
    np.testing.assert_allclose(celeb_mask[..., 0], np.load(io / "M1_pred_out_mask_src_dstm.npy"), atol=1e-5)
    np.testing.assert_allclose(face_mask[..., 0], np.load(io / "M1_pred_out_mask_dst_dstm.npy"), atol=1e-5)


@pytest.mark.parametrize("archi", ["df-ud", "liae"])
def test_tiny_saehd_fp32_and_quantized_match_tensorflow(archi, tmp_path, monkeypatch, batch):
    from mainscripts import ExportDFM
    use_fixed_generators(monkeypatch, batch)
    m = make_model("SAEHD", tmp_path, archi=archi, **TINY)
    m.train_one_iter()
    faces = batch[1][1]
    bgr, src_dstm, dst_dstm = m.get_predictor()(faces)
    sizes = {}
    for quantized in (False, True):
        path, diffs = ExportDFM.export_model(m, quantized)
        sizes[quantized] = path.stat().st_size
        onnx_model, inputs, outputs = _io(path)
        assert path.name == "new_SAEHD_model.dfm"
        assert inputs == [("in_face:0", [None, 64, 64, 3])]
        assert outputs == [("out_face_mask:0", [None, 64, 64, 1]), ("out_celeb_face:0", [None, 64, 64, 3]),
                           ("out_celeb_face_mask:0", [None, 64, 64, 1])]
        got = _session(path).run(None, {"in_face:0": faces})
        tol = 1e-2 if quantized else 1e-4
        assert max(diffs.values()) < tol
        for a, b in zip(got, (dst_dstm[..., None], bgr, src_dstm[..., None])):
            np.testing.assert_allclose(a, b, atol=tol)
    assert sizes[True] < sizes[False] * 0.6                        # float16 weights


def test_tiny_amp_exports_the_morph_input(tmp_path, monkeypatch, batch):
    from mainscripts import ExportDFM
    use_fixed_generators(monkeypatch, batch)
    m = make_model("AMP", tmp_path, inter_dims=32, **TINY)
    m.train_one_iter()
    faces = batch[1][1]
    for quantized in (False, True):
        path, diffs = ExportDFM.export_model(m, quantized)
        _, inputs, outputs = _io(path)
        assert path.name == "new_AMP_model.dfm"
        assert inputs == [("in_face:0", [None, 64, 64, 3]), ("morph_value:0", [1])]
        assert [o[0] for o in outputs] == ["out_face_mask:0", "out_celeb_face:0", "out_celeb_face_mask:0"]
        session = _session(path)
        tol = 1e-2 if quantized else 1e-4
        for morph in (0.0, 0.75, 1.0):
            bgr, src_dstm, dst_dstm = m.get_predictor(morph)(faces)
            got = session.run(None, {"in_face:0": faces, "morph_value:0": np.array([morph], np.float32)})
            for a, b in zip(got, (dst_dstm[..., None], bgr, src_dstm[..., None])):
                np.testing.assert_allclose(a, b, atol=tol)
        assert max(diffs.values()) < tol


def test_quick96_exports_too(tmp_path, monkeypatch, batch):
    from mainscripts import ExportDFM
    use_fixed_generators(monkeypatch, resize_batch(batch, 96))
    m = make_model("Quick96", tmp_path)
    path, diffs = ExportDFM.export_model(m, False)
    _, inputs, outputs = _io(path)
    assert path.name == "new_Quick96_model.dfm" and inputs == [("in_face:0", [None, 96, 96, 3])]
    assert outputs == [("out_face_mask:0", [None, 96, 96, 1]), ("out_celeb_face:0", [None, 96, 96, 3]),
                                    ("out_celeb_face_mask:0", [None, 96, 96, 1])]
    assert max(diffs.values()) < 1e-4


def test_xseg_exports_to_onnx(tmp_path, data_dir):
    import tensorflow as tf

    from core.leras.xseg import XSeg
    from mainscripts import ExportDFM
    net = XSeg(3, 4, 1, name="XSeg")
    net.build()
    for key, v in net.get_weights_dict().items():   # non-trivial FRN/TLU parameters, so every layer matters
        if "/frn/" in key or "/tlu/" in key:
            v.assign(v + tf.random.normal(v.shape, stddev=0.1, seed=1))
    net.save_weights(str(tmp_path / "XSeg_256.npy"))
    assert _export(tmp_path, "XSeg") == 0
    path = tmp_path / ExportDFM.XSEG_FILE
    m, inputs, outputs = _io(path)
    assert inputs == [("in_face:0", [None, 256, 256, 3])] and outputs == [("out_mask:0", [None, 256, 256, 1])]
    assert [(o.domain, o.version) for o in m.opset_import][0] == ("", 13)
    import cv2
    face = cv2.resize(cv2.imread(str(data_dir / "stills/astronaut.png")), (256, 256))[None] / np.float32(255)
    (got,) = _session(path).run(None, {"in_face:0": face})
    # An untrained FRN net amplifies float32 rounding (TF float32 itself is ~1e-4 off): compare with the exact
    # maths, the net evaluated in float64.
    _, want = net(tf.constant(face.astype(np.float64)))
    np.testing.assert_allclose(got, want.numpy(), atol=1e-4)


def test_xseg_export_without_weights_says_what_to_do(tmp_path, capsys):
    assert _export(tmp_path, "XSeg") == 2
    assert "XSeg_256.npy is missing" in capsys.readouterr().err
