"""Run one sort method on a folder and apply its result: move rejects to `<folder>_trash`, rename the rest.

Renaming is the original's two steps (`name` -> `00000_name` -> `00000.jpg`) with one guarantee added: no rename
ever replaces an existing file (checked before anything moves), so an interrupted sort loses nothing; the
original names come back with `util --recover-original-aligned-filename` (from the source_filename metadata).
"""
import os
from pathlib import Path

from core import interact
from core.errors import UserError
from core.pathex import get_image_paths, require_dir, trash_dir_of, unique_path_in
from core.progress import Summary, progress
from mainscripts.sort.faces import SortContext

PAK_NAME = "faceset.pak"


def list_faces(input_dir):
    """Image files of the folder; a folder holding only a faceset.pak must be unpacked first."""
    input_dir = require_dir(input_dir, "aligned faces folder")
    paths = get_image_paths(input_dir)
    if (input_dir / PAK_NAME).is_file():
        if not paths:
            raise UserError(f"{input_dir} holds a {PAK_NAME} and no face files: sorting renames files, so unpack it "
                            f"first (main.py util --input-dir \"{input_dir}\" --unpack-faceset), then sort")
        interact.log_info(f"Note: {input_dir / PAK_NAME} is not sorted and training reads it before the files: "
                          "pack the faceset again after sorting.")
    return paths


def move_to_trash(input_dir, trash):
    trash_dir = trash_dir_of(input_dir)
    trash_dir.mkdir(exist_ok=True)
    old = get_image_paths(trash_dir)
    if old:
        # As the original: the trash holds the rejects of the latest sort only.
        interact.log_info(f"Emptying {trash_dir}: deleting {len(old)} faces left there by an earlier sort.")
        for p in old:
            p.unlink()
    interact.log_info(f"Trashing {len(trash)} faces to {trash_dir}")
    for src in progress(trash, desc="Moving trash", unit="face"):
        os.replace(src, unique_path_in(trash_dir, Path(src).name))


def _check_free(names, existing, what):
    taken = sorted(n for n in names if n in existing)
    if taken:
        raise UserError(f"cannot rename into {what}: {taken[0]} already exists and is not one of the sorted faces; "
                        "move it out of the folder and sort again")


def rename_in_order(input_dir, order):
    """Rename `order` to 00000.ext, 00001.ext ... in two steps, never over an existing file."""
    order = [Path(p) for p in order]
    in_order = {p.name for p in order}
    present = {p.name for p in input_dir.iterdir()}
    step1 = [f"{i:05d}_{p.name}" for i, p in enumerate(order)]
    final = [f"{i:05d}{p.suffix}" for i, p in enumerate(order)]
    _check_free(step1, present, "temporary names")
    _check_free(final, present - in_order, "the new names")
    try:
        for src, name in zip(progress(order, desc="Renaming", unit="face"), step1):
            os.rename(src, input_dir / name)
        for name, dst in zip(progress(step1, desc="Renaming", unit="face"), final):
            os.rename(input_dir / name, input_dir / dst)
    except KeyboardInterrupt:
        interact.log_err(f"Renaming interrupted: every face is still in {input_dir}, some named NNNNN_<old name>. "
                         "Sort again, or run util --recover-original-aligned-filename.")
        raise


def apply_result(input_dir, order, trash):
    input_dir = Path(input_dir)
    if trash:
        move_to_trash(input_dir, trash)
    if order:
        rename_in_order(input_dir, order)


def run(input_dir, method, answers=None, workers=None):
    """Sort `input_dir` by `method` (a registry.SortMethod); returns the Summary."""
    interact.log_info("Running sort tool.")
    paths = list_faces(input_dir)
    summary = Summary("Sorted")
    if not paths:
        raise UserError(f"{input_dir}: no images, nothing to sort; extract faces into it first")
    ctx = SortContext(Path(input_dir), paths, workers, dict(answers or {}))
    interact.log_info(f"Sorting {len(paths)} faces by {method.title} [{method.number}].")
    order, trash = method.load()(ctx)
    if order is None:
        return summary
    apply_result(ctx.input_dir, order, trash)
    summary.add("faces renamed", len(order))
    if trash:
        summary.add(f"moved to {trash_dir_of(ctx.input_dir).name}", len(trash))
    summary.print()
    return summary
