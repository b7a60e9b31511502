"""`exportdfm`: write a trained model as DeepFaceLive's `.dfm` (SAEHD, AMP, Quick96) or XSeg as ONNX (§8.10).

The model is loaded on the CPU as the merger loads it; "Export quantized?" builds the graph in float16. The file is
then run in onnxruntime next to the TensorFlow model on sample faces and the largest difference is printed, so a
broken export never goes unnoticed. Files: `<name>_<Model>_model.dfm`, `XSeg_model.onnx`, in the model folder.
"""
from pathlib import Path

from core import interact
from core.errors import UserError
from core.pathex import require_dir, write_bytes_atomic
from core.progress import Summary

QUANTIZED_HELP = ("Makes the exported model faster (float16 weights and compute, half the file size). If you have "
                  "problems, disable this option.")
XSEG_FILE = "XSeg_model.onnx"
#: |onnxruntime - TensorFlow| above which the file is refused: far above float32 rounding (a correct export of a
#: trained model differs by ~1e-6), far below what a wrong graph gives (~0.1); float16 gets QUANTIZED_TOLERANCE
TOLERANCE = 1e-3
QUANTIZED_TOLERANCE = 2e-2


def export_model(model, quantized):
    """Export a loaded model; returns (path, max differences by output name)."""
    from models import dfm_export
    graph = dfm_export.DFM_EXPORTERS.get(model.model_class_name)
    if graph is None:
        raise UserError(f"{model.model_class_name} models cannot be exported for DeepFaceLive: export a SAEHD, AMP "
                        f"or Quick96 model (or XSeg masks with --model XSeg)")
    data = dfm_export.to_onnx(graph(model, quantized), dfm_export.DFM_OUTPUTS, dfm_export.DFM_OPSET)
    data = data.SerializeToString()
    path = Path(model.get_strpath_storage_for_file("model.dfm"))
    write_bytes_atomic(path, data)
    # The reference is always the float32 model, also for a quantized file.
    return path, dfm_export.compare(data, graph(model, False), dfm_export.DFM_OUTPUTS)


def export_xseg(model_dir):
    """XSeg_256.npy of `model_dir` -> XSeg_model.onnx; returns (path, max differences)."""
    from models import dfm_export
    graph = dfm_export.xseg_graph(model_dir)
    data = dfm_export.to_onnx(graph, dfm_export.XSEG_OUTPUTS, dfm_export.XSEG_OPSET).SerializeToString()
    path = Path(model_dir) / XSEG_FILE
    write_bytes_atomic(path, data)
    return path, dfm_export.compare(data, graph, dfm_export.XSEG_OUTPUTS)


def main(model_name, model_dir, force_model_name=None, quantized=None):
    require_dir(model_dir, "model folder")
    summary = Summary("Exported")
    if model_name == "XSeg":
        from core.leras import device
        device.initialize(device.DeviceConfig.CPU())
        path, diffs = export_xseg(model_dir)
        tolerance = TOLERANCE
    else:
        from models import import_model
        model = import_model(model_name)(model_dir, is_training=False, cpu_only=True,
                                         force_model_name=force_model_name)
        quantized = interact.input_bool("Export quantized?", False, QUANTIZED_HELP, value=quantized)
        path, diffs = export_model(model, quantized)
        tolerance = QUANTIZED_TOLERANCE if quantized else TOLERANCE
    worst = max(diffs.values())
    interact.log_info(f"Wrote {path} ({path.stat().st_size / 2 ** 20:.1f} MB), outputs "
                      f"{', '.join(n + ':0' for n in diffs)}")
    interact.log_info(f"onnxruntime vs TensorFlow on sample faces: largest difference {worst:.2g}")
    if worst > tolerance:
        raise UserError(f"{path}: the exported file differs from the model by {worst:.2g} (more than {tolerance:g}); "
                        f"do not use it — report this with the model's summary.txt")
    summary.add("file")
    summary.print()
    return 0
