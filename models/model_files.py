"""The files of a model folder, in the original's names and formats (reference §2.4), readers beside writers.

A model named NAME of class CLS (e.g. 'SAEHD') owns every file `NAME_CLS_*` in the folder:
* `NAME_CLS_data.dat`: pickle of {iter, options, loss_history, sample_for_preview, choosed_gpu_indexes};
* `NAME_CLS_<part>.npy`: weights (written by core.leras);
* `NAME_CLS_summary.txt`, `NAME_CLS_history/` (preview JPGs), `NAME_CLS_autobackups/01..24` (newest = 01);
and the folder holds `CLS_default_options.dat` (options of the first model created, the defaults of new ones).
XSeg has no NAME (one model per folder): its files are `XSeg_data.dat`, `XSeg_256.npy`, ... (ModelBase's
FORCE_MODEL_CLASS_NAME).
Pickles are read with core.safe_pickle and written with plain types only, so the original reads ours.
"""
import shutil
from pathlib import Path

import numpy as np

from core.errors import UserError
from core.pathex import write_bytes_atomic
from core.safe_pickle import plain_dumps, safe_load_file

DATA_VERSION_KEYS = ("iter", "options", "loss_history", "sample_for_preview", "choosed_gpu_indexes")
MAX_BACKUPS = 24


def prefix(name, cls):
    return f"{name}_{cls}_"


def default_options_path(model_dir, cls):
    return Path(model_dir) / f"{cls}_default_options.dat"


def clean_name(text):
    """Model names cannot contain '_' (it separates name and class in file names): it becomes a space."""
    return text.strip().replace("_", " ")


def list_model_names(model_dir, cls):
    """Names of the saved models of class `cls`, most recently saved first."""
    suffix = f"_{cls}_data.dat"
    files = [p for p in Path(model_dir).glob(f"*{suffix}") if p.is_file()]
    files.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return [p.name[:-len(suffix)] for p in files]


def model_paths(model_dir, name, cls):
    """Every file and folder that belongs to the model."""
    pre = prefix(name, cls)
    return sorted(p for p in Path(model_dir).iterdir() if p.name.startswith(pre))


def rename_model(model_dir, cls, old, new):
    new = clean_name(new)
    if not new:
        raise UserError("a model name cannot be empty")
    if new in list_model_names(model_dir, cls):
        raise UserError(f"a model named '{new}' already exists in {model_dir}")
    old_pre, new_pre = prefix(old, cls), prefix(new, cls)
    for p in model_paths(model_dir, old, cls):
        p.rename(p.with_name(new_pre + p.name[len(old_pre):]))
    return new


def delete_model(model_dir, cls, name):
    for p in model_paths(model_dir, name, cls):
        if p.is_dir():
            shutil.rmtree(p)
        else:
            p.unlink()


def _as_plain_number(v):
    return v.item() if isinstance(v, np.generic) else v


def read_data(path):
    """{iter, options, loss_history, sample_for_preview, choosed_gpu_indexes} or None when the file is absent."""
    p = Path(path)
    if not p.exists():
        return None
    d = safe_load_file(p)
    if not isinstance(d, dict) or not isinstance(d.get("options", {}), dict):
        raise UserError(f"{p}: not a model data file (expected a dict with iter and options); "
                        f"restore it from the _autobackups folder or delete the model")
    try:
        it = int(d.get("iter", 0))
        history = [[float(x) for x in row] for row in d.get("loss_history") or []]
    except (TypeError, ValueError):
        raise UserError(f"{p}: damaged iteration or loss history; restore it from the _autobackups folder")
    return {
        "iter": it,
        "options": {k: _as_plain_number(v) for k, v in d.get("options", {}).items()},
        "loss_history": history,
        "sample_for_preview": d.get("sample_for_preview"),
        "choosed_gpu_indexes": d.get("choosed_gpu_indexes"),
    }


def write_data(path, iter, options, loss_history, sample_for_preview, choosed_gpu_indexes):
    data = {"iter": int(iter), "options": dict(options), "loss_history": [list(map(float, r)) for r in loss_history],
            "sample_for_preview": sample_for_preview, "choosed_gpu_indexes": choosed_gpu_indexes}
    write_bytes_atomic(path, plain_dumps(data))


def read_options(path):
    p = Path(path)
    if not p.exists():
        return {}
    d = safe_load_file(p)
    if not isinstance(d, dict):
        raise UserError(f"{p}: not an options file; delete it to use the built-in defaults")
    return {k: _as_plain_number(v) for k, v in d.items()}


def write_options(path, options):
    write_bytes_atomic(path, plain_dumps(dict(options)))


def summary_text(model_name, iter, options, device_lines):
    """The original's boxed summary table (`NAME_CLS_summary.txt`)."""
    keys = list(options.keys())
    width_k = max([len(k) for k in keys] + [len("Current iteration"), len("Model name")]) + 1
    values = [str(options[k]) for k in keys] + [model_name, str(iter)] + [v for _, v in device_lines]
    width_v = max(len(v) for v in values) + 1
    inner = width_k + 2 + width_v

    def row(k, v):
        return f"=={k.rjust(width_k)}: {v.ljust(width_v)}=="

    def title(t):
        t = f" {t} "
        left = (inner - len(t)) // 2
        return "==" + "-" * left + t + "-" * (inner - len(t) - left) + "=="

    blank = "==" + " " * inner + "=="
    top = " Model Summary "
    left = (inner + 4 - len(top)) // 2
    lines = ["=" * left + top + "=" * (inner + 4 - len(top) - left)]
    lines += [blank, row("Model name", model_name), blank, row("Current iteration", str(iter)), blank,
              title("Model Options"), blank]
    lines += [row(k, str(options[k])) for k in keys]
    lines += [blank, title("Running On"), blank]
    lines += [row(k, v) for k, v in device_lines]
    lines += [blank, "=" * (inner + 4)]
    return "\n".join(lines)


def write_summary(path, text):
    write_bytes_atomic(path, text.encode("utf-8"))


def rotate_backups(backups_dir, files, extra_images=()):
    """Shift backups 01..23 to 02..24 (dropping 24) and copy `files` into a fresh 01; `extra_images` = [(name, bytes)]."""
    root = Path(backups_dir)
    root.mkdir(parents=True, exist_ok=True)
    last = root / f"{MAX_BACKUPS:02d}"
    if last.exists():
        shutil.rmtree(last)
    for i in range(MAX_BACKUPS - 1, 0, -1):
        src = root / f"{i:02d}"
        if src.exists():
            src.rename(root / f"{i + 1:02d}")
    newest = root / "01"
    tmp = root / "01.tmp"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    for f in files:
        f = Path(f)
        if f.is_file():
            shutil.copy2(f, tmp / f.name)
    for name, data in extra_images:
        (tmp / name).write_bytes(data)
    tmp.rename(newest)
    return newest
