"""CLI of `util` (faceset utilities, reference §8.7); work in Util.py and samplelib/PackedFaceset.py.

Several flags may be given at once; they run in the original's order.
"""
ORDER = 40

_JOBS = (
    ("add_landmarks_debug_images", "write <name>_debug.jpg with the landmarks drawn"),
    ("recover_original_aligned_filename", "rename faces to <source file>_<n>.jpg"),
    ("save_faceset_metadata", "save every face's metadata and size to meta.dat before editing the images"),
    ("restore_faceset_metadata", "put the metadata from meta.dat back (resizing edited images back)"),
    ("pack_faceset", "pack the faces into faceset.pak"),
    ("unpack_faceset", "unpack faceset.pak back into files"),
    ("export_faceset_mask", "write <name>_mask.jpg: XSeg mask, else polygons, else landmark hull"),
)


def _run(args):
    from core import interact
    from core.errors import UserError
    from core.pathex import require_dir

    if not any(getattr(args, name) for name, _ in _JOBS):
        raise UserError("util: choose a job, e.g. --pack-faceset (see main.py util --help)")
    input_dir = require_dir(args.input_dir, "input folder")
    from mainscripts import Util
    from samplelib import PackedFaceset

    if args.add_landmarks_debug_images:
        Util.add_landmarks_debug_images(input_dir)
    if args.recover_original_aligned_filename:
        Util.recover_original_aligned_filename(input_dir)
    if args.save_faceset_metadata:
        Util.save_faceset_metadata_folder(input_dir)
    if args.restore_faceset_metadata:
        Util.restore_faceset_metadata_folder(input_dir)
    if args.pack_faceset:
        interact.log_info("Performing faceset packing...")
        PackedFaceset.pack(input_dir, as_person_faceset=args.person_faceset, delete_originals=args.delete_original)
    if args.unpack_faceset:
        interact.log_info("Performing faceset unpacking...")
        PackedFaceset.unpack(input_dir)
    if args.export_faceset_mask:
        interact.log_info("Exporting faceset mask...")
        Util.export_faceset_mask(input_dir)
    return 0


def register(subparsers, common):
    p = subparsers.add_parser("util", parents=[common], help="aligned faceset utilities (pack, metadata, ...)")
    p.add_argument("--input-dir", required=True, help="aligned faces folder")
    for name, text in _JOBS:
        p.add_argument("--" + name.replace("_", "-"), action="store_true", help=text)
    p.add_argument("--person-faceset", metavar="{y,n}",
                   help="pack: treat subfolders as one person each (asked when subfolders exist: y)")
    p.add_argument("--delete-original", metavar="{y,n}", help="pack: delete the packed files afterwards (asked: y)")
    p.set_defaults(func=_run)
