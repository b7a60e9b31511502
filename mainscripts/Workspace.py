"""The workspace folder tree (`data_src/`, `data_dst/`, `aligned`, `aligned_debug`, `model/`) and "clear workspace".

Clearing deletes the frames, faces, model and results but keeps the source videos `data_src.*` / `data_dst.*` and any
other file the user put there; it asks first, because a trained model can take days to make.
"""
import shutil
from pathlib import Path

from core import interact
from core.errors import UserError
from core.progress import Summary

TREE = ("data_src", "data_src/aligned", "data_src/aligned_debug",
        "data_dst", "data_dst/aligned", "data_dst/aligned_debug",
        "model")
CLEARED_DIRS = ("data_src", "data_dst", "model")
CLEARED_FILES = ("result.*", "result_mask.*")


def _count_files(path):
    return sum(1 for p in path.rglob("*") if p.is_file())


def make_tree(workspace):
    for rel in TREE:
        (workspace / rel).mkdir(parents=True, exist_ok=True)


def clear_workspace(workspace_dir, yes=None):
    """Delete the generated folders/results (after asking) and recreate the empty tree. Returns files deleted."""
    ws = Path(workspace_dir)
    if ws.exists() and not ws.is_dir():
        raise UserError(f"workspace {ws} is a file: pass a folder")
    ws.mkdir(parents=True, exist_ok=True)
    dirs = [ws / d for d in CLEARED_DIRS if (ws / d).exists()]
    files = sorted({p for pattern in CLEARED_FILES for p in ws.glob(pattern) if p.is_file()})
    n_files = sum(_count_files(d) for d in dirs) + len(files)
    summary = Summary("Workspace cleared")
    if n_files:
        names = ", ".join([f"{d.name}/" for d in dirs] + [f.name for f in files])
        ok = interact.input_bool(f"Delete {n_files} files in {ws} ({names})", False, value=yes,
                                 help_message="Deletes extracted frames, faces, merged frames, the model and "
                                              "result videos. data_src.* and data_dst.* are kept.")
        if not ok:
            raise UserError(f"nothing deleted in {ws}: answer y, or pass --yes, to clear it")
        for d in dirs:
            try:
                shutil.rmtree(d)
            except OSError as e:
                raise UserError(f"cannot delete {d}: {e.strerror or e}; close programs using it and retry")
        for f in files:
            f.unlink()
    make_tree(ws)
    summary.add("files deleted", n_files)
    summary.print()
    return n_files
