"""CLI of `sort`: order aligned faces by one of 16 methods (menu numbers as the original); work in mainscripts/sort.

Every prompt a method asks has a flag, so `--by NAME|NUMBER` plus the flags never blocks.
"""
ORDER = 30


def _choose_method(by):
    from core import interact
    from mainscripts.sort import registry

    if by is not None:
        return registry.resolve(by)
    if interact.is_interactive():
        interact.log_info("Choose sorting method:")
        for m in registry.METHODS:
            interact.log_info(f"[{m.number}] {m.title}")
    number = interact.input_int("Sorting method", registry.DEFAULT_NUMBER, valid_range=(0, len(registry.METHODS) - 1),
                                help_message="Number of a method from the list above.")
    return registry.METHODS[number]


def _sort(args):
    from mainscripts.sort import sorter

    method = _choose_method(args.by)
    answers = {name: getattr(args, name) for name in method.options if getattr(args, name, None) is not None}
    workers = None
    if args.workers is not None:
        from core import interact
        workers = interact.input_int("Worker processes", 1, valid_range=(1, 256), value=args.workers)
    sorter.run(args.input_dir, method, answers, workers)


def register(subparsers, common):
    from core.options import add_options
    from mainscripts.sort.options import OPTIONS
    from mainscripts.sort.registry import METHODS

    menu = "; ".join(f"{m.number} {m.name}" for m in METHODS)
    p = subparsers.add_parser("sort", parents=[common], help="sort aligned faces (blur, yaw, histogram, identity, ...)",
                              description="Sort a folder of aligned faces and rename them 00000.jpg, 00001.jpg ... in "
                                          "the new order; rejects go to <folder>_trash. Original names come back "
                                          "with `util --recover-original-aligned-filename`.")
    p.add_argument("--input-dir", required=True, help="folder of aligned faces, e.g. workspace/data_src/aligned")
    p.add_argument("--by", metavar="METHOD", help=f"method name or menu number (asked: 5): {menu}. "
                                                  "final = final-by-blur, final-fast = final-by-size")
    p.add_argument("--workers", metavar="N", help="worker processes (default: all CPU cores)")
    add_options(p, OPTIONS.values())
    p.set_defaults(func=_sort)
