"""Entry point: one argparse dispatcher for every command (extract, sort, train, merge, videoed, xseg, util, ...).

Commands live in `mainscripts/cmd_<name>.py`; each module declares its parser in `register(subparsers, common)` and
imports its heavy dependencies (TensorFlow, OpenCV models) only inside the handler, so `--help` stays fast.
Adding a command means adding one such module.
"""
import argparse
import multiprocessing
import sys


def build_parser():
    from mainscripts import discover_commands

    parser = argparse.ArgumentParser(
        prog="main.py", description="Face-swap studio: a DeepFaceLab 2.0 compatible workflow.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--non-interactive", action="store_true",
                        help="never ask: take flag values or defaults (also automatic without a terminal)")
    common.add_argument("--debug", action="store_true",
                        help="show library logs (TensorFlow, absl, oneDNN); train: also build samples in this "
                             "process, as the original's debug mode")
    common.add_argument("--max-image-megapixels", type=float, default=100.0, metavar="MP",
                        help="refuse images larger than this before decoding them (default 100)")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in discover_commands():
        module.register(subparsers, common)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    from core import cv2ex, interact, lognoise
    from core.errors import UserError

    lognoise.configure(getattr(args, "debug", False))
    cv2ex.set_max_image_pixels(getattr(args, "max_image_megapixels", 100.0) * 1e6)

    if getattr(args, "non_interactive", False):
        interact.set_non_interactive(True)
    try:
        rc = args.func(args)
    except UserError as e:
        interact.log_err(f"Error: {e}")
        return e.exit_code
    except KeyboardInterrupt:
        interact.log_err("Interrupted (Ctrl-C). Work saved so far is kept.")
        return 130
    except OSError as e:  # a folder or file the commands did not check themselves: still one line
        where = f"{e.filename}: " if e.filename else ""
        interact.log_err(f"Error: {where}{e.strerror or e} — check the path, its permissions and the free disk space")
        return 1
    return rc or 0


if __name__ == "__main__":
    multiprocessing.set_start_method("spawn", force=True)
    sys.exit(main())
