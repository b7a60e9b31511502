"""CLI of `merge`: paste a trained model's faces into the dst frames; the work is in mainscripts/Merger.py.

Every merger setting (merger/MergerConfig.py) has a flag; `--settings-file` reads them from JSON for unattended runs
and `--save-settings` writes the settings used.
"""
import argparse

ORDER = 60


def _merge(args):
    from mainscripts import Merger
    return Merger.main(args)


def register(subparsers, common):
    from core.options import add_options
    from merger.MergerConfig import OPTIONS
    from models import list_model_choices, merge_options

    p = subparsers.add_parser("merge", parents=[common], help="merge a trained model's faces into the dst frames")
    p.add_argument("--input-dir", required=True, help="dst frames (data_dst)")
    p.add_argument("--output-dir", required=True, help="merged frames (data_dst/merged)")
    p.add_argument("--output-mask-dir", required=True, help="merged masks (data_dst/merged_mask)")
    p.add_argument("--aligned-dir", help="aligned dst faces (default: <input-dir>/aligned)")
    p.add_argument("--model-dir", required=True, help="model folder")
    models = [m for m in list_model_choices() if m != "XSeg"]
    p.add_argument("--model", required=True, metavar="{" + ",".join(models) + "}" if models else "NAME",
                   help="model class")
    p.add_argument("--force-model-name", help="use this model name without asking")
    p.add_argument("--cpu-only", action="store_true", help="run the model on the CPU")
    p.add_argument("--force-gpu-idxs", metavar="0,1", help="GPU indexes to use")
    p.add_argument("--mixed-precision", action=argparse.BooleanOptionalAction, default=None,
                   help="run the model in bfloat16 (float16 on a GPU); default: on for CPUs that compute bfloat16 "
                        "natively (AVX512_BF16/AMX), where it is several times faster; the predicted faces differ "
                        "from float32 by about one 8-bit level")
    p.add_argument("--interactive", metavar="{y,n}",
                   help="use the interactive merger (asked; default y at a terminal, n without one)")
    p.add_argument("--workers", metavar="INT", help="worker processes of the batch merger (asked: number of CPUs)")
    p.add_argument("--settings-file", metavar="JSON", help="merger settings file (written by --save-settings)")
    p.add_argument("--save-settings", metavar="JSON",
                   help="write the settings used to this file (interactive: those of the frame shown at exit)")
    add_options(p, OPTIONS)
    add_options(p.add_argument_group("model-specific merge options"), merge_options())
    p.set_defaults(func=_merge)
