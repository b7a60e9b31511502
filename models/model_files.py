"""The files of a model folder, in the original's names and formats (reference §2.4), readers beside writers.

A model named NAME of class CLS (e.g. 'SAEHD') owns every file `NAME_CLS_*` in the folder:
* `NAME_CLS_data.dat`: pickle of {iter, options, loss_history, sample_for_preview, choosed_gpu_indexes};
* `NAME_CLS_<part>.npy`: weights (written by core.leras);
* `NAME_CLS_summary.txt`, `NAME_CLS_history/` (preview JPGs), `NAME_CLS_autobackups/01..24` (newest = 01);
`NAME_CLS_saveset.json` (ours; the original ignores it): the sizes and SHA-256 of the files of the last save;
and the folder holds `CLS_default_options.dat` (options of the first model created, the defaults of new ones).
XSeg has no NAME (one model per folder): its files are `XSeg_data.dat`, `XSeg_256.npy`, ... (ModelBase's
FORCE_MODEL_CLASS_NAME).
Pickles are read with core.safe_pickle and written with plain types only, so the original reads ours.

A save is a set (`SaveSet`): every part is first written beside its file as `<file>.new`; then the save set record
is replaced atomically (the commit point); then each `<file>` becomes `<file>.bak` and `<file>.new` becomes `<file>`.
A kill or a full disk at any point leaves either the previous save or the new one: `recover_save` (run before a
model is loaded) finishes a committed save or discards an uncommitted one and says which copy is used.
"""
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from core import interact
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
        if not 0 <= it < 1 << 40:
            raise ValueError(f"iteration {it}")
        history = [[float(x) for x in row] for row in d.get("loss_history") or []]
        options = {str(k): _as_plain_number(v) for k, v in d.get("options", {}).items()}
    except Exception as e:  # whatever malformed values raise (OverflowError for inf, AttributeError, ...)
        raise UserError(f"{p}: damaged iteration, options or loss history ({type(e).__name__}); restore it from "
                        f"{p.name}.bak or the _autobackups folder")
    return {
        "iter": it,
        "options": options,
        "loss_history": history,
        "sample_for_preview": d.get("sample_for_preview"),
        "choosed_gpu_indexes": d.get("choosed_gpu_indexes"),
    }


def data_bytes(iter, options, loss_history, sample_for_preview, choosed_gpu_indexes):
    """The `NAME_CLS_data.dat` pickle (plain types, NumPy 1.x names)."""
    data = {"iter": int(iter), "options": dict(options), "loss_history": [list(map(float, r)) for r in loss_history],
            "sample_for_preview": sample_for_preview, "choosed_gpu_indexes": choosed_gpu_indexes}
    return plain_dumps(data)


def write_data(path, iter, options, loss_history, sample_for_preview, choosed_gpu_indexes):
    write_bytes_atomic(path, data_bytes(iter, options, loss_history, sample_for_preview, choosed_gpu_indexes))


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
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=".01.", suffix=".tmp"))   # ours: nothing planted inside
    for f in files:
        f = Path(f)
        if f.is_file():
            shutil.copy2(f, tmp / f.name)
    for name, data in extra_images:
        (tmp / name).write_bytes(data)
    tmp.rename(newest)
    return newest


# ---- save sets ---------------------------------------------------------------------------------------------------
SAVESET_VERSION = 1


def saveset_path(model_dir, file_prefix):
    return Path(model_dir) / f"{file_prefix}saveset.json"


def _digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class SaveSet:
    """The parts of one save (`add` each, then `commit`); `abort` removes what an unfinished save wrote."""

    def __init__(self, model_dir, file_prefix, iter):
        self.model_dir = Path(model_dir)
        self.file_prefix = file_prefix
        self.iter = int(iter)
        self.files = {}

    def _path(self, part):
        return self.model_dir / f"{self.file_prefix}{part}"

    def add(self, part, data):
        """Write `data` as `<file>.new` (synced)."""
        new = self._path(part).with_name(self._path(part).name + ".new")
        write_bytes_atomic(new, data)
        self.files[part] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}

    def commit(self):
        record = {"version": SAVESET_VERSION, "iter": self.iter, "files": self.files}
        write_bytes_atomic(saveset_path(self.model_dir, self.file_prefix),
                           (json.dumps(record, indent=1) + "\n").encode("utf-8"))
        _switch(self.model_dir, self.file_prefix, list(self.files))

    def abort(self):
        for part in self.files:
            new = self._path(part).with_name(self._path(part).name + ".new")
            new.unlink(missing_ok=True)


def _switch(model_dir, file_prefix, parts):
    for part in parts:
        final = Path(model_dir) / f"{file_prefix}{part}"
        new = final.with_name(final.name + ".new")
        if not new.is_file():
            continue
        if final.is_file() and not final.is_symlink():
            os.replace(final, final.with_name(final.name + ".bak"))
        os.replace(new, final)


def read_saveset(model_dir, file_prefix):
    """The record of the last save, or None (absent: a model of the original, or saved before records existed)."""
    p = saveset_path(model_dir, file_prefix)
    if not p.is_file():
        return None
    try:
        record = json.loads(p.read_text("utf-8"))
        files = record["files"]
        iteration = int(record["iter"])
        if not isinstance(files, dict) or not all(
                isinstance(k, str) and "/" not in k and "\\" not in k and isinstance(v, dict)
                and isinstance(v.get("size"), int) and isinstance(v.get("sha256"), str) for k, v in files.items()):
            raise ValueError("bad file list")
    except (OSError, ValueError, KeyError, TypeError, RecursionError, OverflowError) as e:
        interact.log_err(f"Warning: {p.name}: unreadable save record ({type(e).__name__}); using the model files "
                         f"as they are")
        return None
    return {"iter": iteration, "files": files}


def recover_save(model_dir, file_prefix):
    """Finish or discard an interrupted save; returns a one-line note on which copy is used, or None if all is well.

    `<file>.new` files matching the save record (sizes and hashes) belong to a committed save: they are switched in.
    Others belong to a save that never committed: they are removed and the previous save is used.
    """
    model_dir = Path(model_dir)
    temps = [p for p in model_dir.glob(f".{file_prefix}*.tmp") if p.is_file() or p.is_symlink()]
    for tmp in temps:   # the writer's own temporary files, left by a kill
        tmp.unlink()
    record = read_saveset(model_dir, file_prefix)
    leftovers = sorted(p for p in model_dir.glob(f"{file_prefix}*.new") if p.is_file())
    note = None
    if temps and not leftovers:
        kept = f"iteration {record['iter']}" if record else "the files from before it"
        note = f"an unfinished save was discarded ({len(temps)} temporary file(s) removed): using {kept}"
    if leftovers:
        parts = [p.name[len(file_prefix):-len(".new")] for p in leftovers]
        committed = record is not None and all(
            part in record["files"] and p.stat().st_size == record["files"][part]["size"]
            and _digest(p) == record["files"][part]["sha256"] for part, p in zip(parts, leftovers))
        if committed:
            _switch(model_dir, file_prefix, parts)
            note = (f"an interrupted save was completed ({', '.join(parts)} switched in): using the model saved at "
                    f"iteration {record['iter']}")
        else:
            for p in leftovers:
                p.unlink()
            kept = f"iteration {record['iter']}" if record else "the files from before it"
            note = f"an unfinished save was discarded ({', '.join(p.name for p in leftovers)}): using {kept}"
    if record is not None:
        changed = [part for part, entry in record["files"].items()
                   if (model_dir / f"{file_prefix}{part}").is_file()
                   and (model_dir / f"{file_prefix}{part}").stat().st_size != entry["size"]]
        if changed:
            extra = (f"{', '.join(changed)} differ from the last save recorded in {file_prefix}saveset.json "
                     f"(saved since by another program?): using the files as they are")
            note = f"{note}; {extra}" if note else extra
    return note


def describe_copies(model_dir, file_prefix, part):
    """For a missing part: where other copies of it exist (`.bak`, autobackups), as advice."""
    path = Path(model_dir) / f"{file_prefix}{part}"
    bak = path.with_name(path.name + ".bak")
    backups = Path(model_dir) / f"{file_prefix}autobackups"
    where = []
    if bak.is_file():
        where.append(f"rename {bak.name} to {path.name} (the save before)")
    if any(backups.glob(f"*/{path.name}")):
        where.append(f"copy it from {backups.name}")
    return " or ".join(where) if where else "no copy of it exists: delete the model to start again"
