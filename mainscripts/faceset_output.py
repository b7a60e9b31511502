"""What the faceset tools (enhance, resize) share: their input faces, a fresh `<dir>_<tool>` output folder, the
per-face result count and the last question, "Merge <out> to <dir>?", which copies the processed faces back."""
import shutil

from core import interact
from core.errors import UserError
from core.pathex import get_image_paths, require_dir, write_bytes_atomic


def input_faces(input_dir, verb):
    """(folder, its aligned .jpg faces); a one-line error when there are none (pointing at unpack for a pak)."""
    input_dir = require_dir(input_dir, "input folder")
    paths = get_image_paths(input_dir, (".jpg", ".jpeg"))
    if not paths:
        hint = "; unpack faceset.pak first (util --unpack-faceset)" if (input_dir / "faceset.pak").is_file() else ""
        raise UserError(f"{input_dir}: no aligned faces (.jpg) to {verb}{hint}")
    return input_dir, paths


def fresh_output_dir(input_dir, tool):
    """`<dir>_<tool>` next to the input, emptied of the images a previous run left."""
    out_dir = input_dir.parent / f"{input_dir.name}_{tool}"
    out_dir.mkdir(parents=True, exist_ok=True)
    old = get_image_paths(out_dir)
    if old:
        interact.log_info(f"{out_dir.name} already exists, deleting its {len(old)} images...")
        for p in old:
            p.unlink()
    return out_dir


def count_result(summary, done, path, why, counted):
    """Record one face's result: `why` is None when it was processed, else the reason it was skipped."""
    if why is None:
        done.append(path)
        summary.add(counted)
    else:
        interact.log_err(f"{path}: {why} - skipped")
        summary.add("skipped")


def merge_back(done, out_dir, input_dir, merge=None):
    """`done`: original paths whose processed copy is `out_dir/<name>`; `merge`: the flag's answer, or None to ask."""
    if done and interact.input_bool(f"Merge {out_dir.name} to {input_dir.name}?", True, value=merge):
        interact.log_info(f"Copying processed files to {input_dir}")
        for path in done:
            write_bytes_atomic(path, (out_dir / path.name).read_bytes())
        interact.log_info(f"Removing {out_dir}")
        shutil.rmtree(out_dir)
