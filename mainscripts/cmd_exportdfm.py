"""CLI of `exportdfm`: a trained model as DeepFaceLive's `.dfm`, or XSeg masks as ONNX (work in ExportDFM.py)."""
ORDER = 65


def _export(args):
    import os
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from mainscripts import ExportDFM
    return ExportDFM.main(args.model, args.model_dir, args.force_model_name, args.quantized)


def register(subparsers, common):
    from models import list_model_choices
    p = subparsers.add_parser("exportdfm", parents=[common],
                              help="export a SAEHD / AMP / Quick96 model for DeepFaceLive (.dfm), or XSeg to ONNX")
    p.add_argument("--model-dir", required=True, help="model folder (workspace/model)")
    p.add_argument("--model", required=True, metavar="{" + ",".join(list_model_choices()) + "}",
                   help="model class (XSeg: XSeg_256.npy -> XSeg_model.onnx)")
    p.add_argument("--force-model-name", help="export this model without asking")
    p.add_argument("--quantized", metavar="{y,n}", help="Export quantized? float16 weights (asked: n)")
    p.set_defaults(func=_export)
