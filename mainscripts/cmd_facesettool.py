"""CLI of `facesettool` (reference §1.1): tools that rewrite a whole aligned faceset, one subcommand each.

A tool is one `Tool` entry in TOOLS: its name, help line, a function adding its flags, and its handler (which
imports the work module, so `--help` stays light).
"""
from dataclasses import dataclass
from typing import Callable

ORDER = 45


@dataclass(frozen=True)
class Tool:
    name: str
    help: str
    add_arguments: Callable
    run: Callable


def _resize_arguments(p):
    from core.options import add_options
    from mainscripts.faceset_options import RESIZE_OPTIONS

    add_options(p, RESIZE_OPTIONS)
    p.add_argument("--merge", metavar="{y,n}", help="copy the resized faces back over the originals and remove "
                                                      "<dir>_resized (asked: y)")
    p.add_argument("--workers", metavar="N", help="worker processes (default: all CPU cores)")


def _resize(args):
    from core import interact
    from mainscripts import FacesetResizer

    workers = None
    if args.workers is not None:
        workers = interact.input_int("Worker processes", 1, valid_range=(1, 256), value=args.workers)
    FacesetResizer.resize_faceset(args.input_dir, args.image_size, args.face_type, args.merge, workers)
    return 0


def _enhance_arguments(p):
    from core.options import add_options
    from mainscripts.faceset_options import ENHANCER, TILE_SIZE

    add_options(p, [ENHANCER, TILE_SIZE])
    p.add_argument("--merge", metavar="{y,n}", help="copy the enhanced faces back over the originals and remove "
                                                      "<dir>_enhanced (asked: y)")


def _enhance(args):
    from mainscripts import FacesetEnhancer

    FacesetEnhancer.enhance_faceset(args.input_dir, args.enhancer, args.merge, args.tile_size)
    return 0


TOOLS = [
    Tool("enhance", "enhance aligned faces (x4 super resolution, same size)", _enhance_arguments, _enhance),
    Tool("resize", "change the size (and optionally the face type) of aligned faces", _resize_arguments, _resize),
]


def register(subparsers, common):
    p = subparsers.add_parser("facesettool", help="faceset tools: " + ", ".join(t.name for t in TOOLS))
    sub = p.add_subparsers(dest="facesettool_command", metavar="TOOL", required=True)
    for tool in TOOLS:
        s = sub.add_parser(tool.name, parents=[common], help=tool.help)
        s.add_argument("--input-dir", required=True, help="aligned faces folder, e.g. workspace/data_src/aligned")
        tool.add_arguments(s)
        s.set_defaults(func=tool.run)
