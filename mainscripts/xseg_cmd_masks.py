"""`xseg apply` / `remove` / `remove_labels` / `fetch` (reference §1.1, §8.4); the work is in mainscripts/XSegUtil.py.

The generic whole-face mask is `xseg apply --model-dir _internal/model_generic_xseg` (the "5.XSeg Generic)"
launchers), as in the original's builds.
"""
from mainscripts.xseg_commands import tool

INPUT_HELP = "folder of aligned faces, e.g. workspace/data_dst/aligned"
#: answers to "XSeg model face type" ('same' = the faces' own type)
FACE_TYPE_CHOICES = ("h", "mf", "f", "wf", "head", "same")


def _input_dir(p):
    p.add_argument("--input-dir", required=True, help=INPUT_HELP)


def _apply_arguments(p):
    _input_dir(p)
    p.add_argument("--model-dir", required=True, help="folder with the trained XSeg model (XSeg_256.npy)")
    p.add_argument("--face-type", metavar="{" + ",".join(FACE_TYPE_CHOICES) + "}",
                   help="XSeg model face type, asked when the model folder has no XSeg_data.dat (default same)")
    p.add_argument("--cpu-only", action="store_true", help="run the XSeg network on the CPU")
    p.add_argument("--force-gpu-idxs", metavar="0", help="GPU index to use without asking")


def _fetch_arguments(p):
    _input_dir(p)
    p.add_argument("--delete-original", metavar="{y,n}",
                   help="delete the copied faces from the input folder (asked: y)")


@tool("apply", "mask every face with a trained XSeg model (stored as the face's xseg_mask)", _apply_arguments)
def _apply(args):
    from core.errors import UserError
    from mainscripts import XSegUtil
    idxs = [] if args.cpu_only else None
    if args.force_gpu_idxs and not args.cpu_only:
        try:
            idxs = [int(args.force_gpu_idxs)]
        except ValueError:
            raise UserError(f"--force-gpu-idxs {args.force_gpu_idxs}: expected one GPU index like 0")
    XSegUtil.apply_xseg(args.input_dir, args.model_dir, args.face_type, idxs)
    return 0


@tool("remove", "delete the applied XSeg masks from the faces", _input_dir)
def _remove(args):
    from mainscripts import XSegUtil
    XSegUtil.remove_xseg(args.input_dir)
    return 0


@tool("remove_labels", "delete the XSeg editor's polygons from the faces", _input_dir)
def _remove_labels(args):
    from mainscripts import XSegUtil
    XSegUtil.remove_xseg_labels(args.input_dir)
    return 0


@tool("fetch", "copy the faces with XSeg polygons to <input-dir>_xseg", _fetch_arguments)
def _fetch(args):
    from mainscripts import XSegUtil
    XSegUtil.fetch_xseg(args.input_dir, args.delete_original)
    return 0
