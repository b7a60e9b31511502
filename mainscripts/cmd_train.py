"""CLI of `train` (reference §1.1 arguments, without --execute-program) plus one flag per model option.

Option flags answer the model's prompts (validated like typed answers); on a later run only overridable options may
change. The flags of every model are listed; a flag the chosen model does not have is an error. Work in Trainer.py.
"""
ORDER = 60


class _PerModel(dict):
    """Defaults of an option several models declare differently, shown as '224 (AMP), 128 (SAEHD)'."""

    def __str__(self):
        return ", ".join(f"{v} ({'/'.join(k)})" for v, k in self.items())


def _merged(decls):
    """One flag for an option declared by several models: the union of their choices / ranges and every default
    (the chosen model validates the value)."""
    import dataclasses
    opts = list(decls.values())
    first = opts[0]
    if all(o == first for o in opts):
        return first
    defaults = _PerModel()
    for model, o in decls.items():
        defaults.setdefault(o.default_text(), []).append(model)
    if len(defaults) == 1:
        defaults = first.default
    choices = None
    if all(o.choices for o in opts):
        longest_first = sorted(opts, key=lambda o: -len(o.choices))
        choices = tuple(dict.fromkeys(c for o in longest_first for c in o.choices))
    valid_range = None
    if all(o.valid_range for o in opts):
        valid_range = (min(o.valid_range[0] for o in opts), max(o.valid_range[1] for o in opts))
    same_kind = all(o.kind == first.kind for o in opts)
    kind = first.kind if same_kind and (first.kind != "bool" or not isinstance(defaults, _PerModel)) else "str"
    if kind == "str" and choices is None and first.kind == "bool":
        choices = ("y", "n")
    return dataclasses.replace(first, kind=kind, default=defaults, choices=choices, valid_range=valid_range)


def _option_flags():
    import models
    by_name = {}
    for name in models.list_models():
        for opt in models.model_options(name):
            by_name.setdefault(opt.name, {})[name] = opt
    return [_merged(decls) for decls in by_name.values()]


def _minutes(text):
    import argparse
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 100000.0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected minutes, a number from 0 to 100000")
    return value


def _train(args):
    import os
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from mainscripts import Trainer
    values = {opt.name: getattr(args, opt.dest) for opt in _option_flags()}
    gpu_idxs = None
    if args.force_gpu_idxs:
        from core.errors import UserError
        try:
            gpu_idxs = [int(x) for x in args.force_gpu_idxs.split(",") if x.strip()]
        except ValueError:
            raise UserError(f"--force-gpu-idxs {args.force_gpu_idxs}: expected comma-separated GPU indexes like 0,1")
    cluster = None
    if args.workers or args.worker_index is not None:
        from core.errors import UserError
        from core.leras.device import Cluster
        if not (args.workers and args.worker_index is not None):
            raise UserError("--workers and --worker-index go together: the list of every machine's host:port "
                            "(the chief first) and this machine's place in it")
        cluster = Cluster.parse(args.workers, args.worker_index)
    return Trainer.main(args.model, args.model_dir, args.training_data_src_dir, args.training_data_dst_dir,
                        pretraining_data_dir=args.pretraining_data_dir, pretrained_model_dir=args.pretrained_model_dir,
                        no_preview=args.no_preview, force_model_name=args.force_model_name,
                        force_gpu_idxs=gpu_idxs, cpu_only=args.cpu_only, silent_start=args.silent_start,
                        option_values=values, debug=args.debug, mixed_precision=args.mixed_precision,
                        time_limit_min=args.time_limit, cluster=cluster)


def register(subparsers, common):
    import models
    from core.options import add_options
    p = subparsers.add_parser("train", parents=[common], help="train a model (AMP, Quick96, SAEHD, XSeg, or a 1.0 "
                              "preset: H64, H128, DF, LIAEF128, SAE)")
    p.add_argument("--training-data-src-dir", required=True, help="aligned src faces (data_src/aligned)")
    p.add_argument("--training-data-dst-dir", required=True, help="aligned dst faces (data_dst/aligned)")
    p.add_argument("--pretraining-data-dir", help="aligned faces for pretraining mode (SAEHD)")
    p.add_argument("--pretrained-model-dir", help="folder with pretrained model parts <part>.npy (Quick96)")
    p.add_argument("--model-dir", required=True, help="model folder (workspace/model)")
    p.add_argument("--model", required=True, choices=models.list_model_choices(),
                   help="model class, or a 1.0 preset (SAEHD with fixed architecture, see models/presets.py)")
    p.add_argument("--no-preview", action="store_true",
                   help="no window: write <name>_<Model>_preview.jpg and _loss.csv into the model folder; stops at "
                        "the target iteration")
    p.add_argument("--force-model-name", help="use (or create) this model without asking")
    p.add_argument("--cpu-only", action="store_true", help="train on the CPU")
    p.add_argument("--force-gpu-idxs", metavar="0,1", help="train on these GPU indexes without asking")
    p.add_argument("--mixed-precision", action="store_true",
                   help="compute in bfloat16 (CPUs with AVX512_BF16/AMX) or float16 (NVIDIA GPUs); weights and "
                        "files stay float32")
    p.add_argument("--time-limit", type=_minutes, default=0.0, metavar="MINUTES",
                   help="save and stop after training this many minutes (0 = no limit)")
    p.add_argument("--workers", metavar="HOST:PORT,HOST:PORT",
                   help="train one model on several machines: every machine's address and a free port, the chief "
                        "(which saves) first; run the same command on each with its --worker-index (or set "
                        "TF_CONFIG instead)")
    p.add_argument("--worker-index", type=int, metavar="N", help="this machine's place in --workers (0 = chief)")
    p.add_argument("--silent-start", action="store_true",
                   help="no prompts: best device, latest model, saved options (flags still apply)")
    g = p.add_argument_group("model options (asked when not given; see the prompts' ? help)")
    add_options(g, _option_flags())
    p.set_defaults(func=_train)
