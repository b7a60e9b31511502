"""The faceset tools' last question: copy the processed faces from `<dir>_<tool>` back over the originals and remove
the tool's folder (as the original's "Merge <out> to <dir>?")."""
import shutil

from core import interact
from core.pathex import write_bytes_atomic


def merge_back(done, out_dir, input_dir, merge=None):
    """`done`: original paths whose processed copy is `out_dir/<name>`; `merge`: the flag's answer, or None to ask."""
    if done and interact.input_bool(f"Merge {out_dir.name} to {input_dir.name}?", True, value=merge):
        interact.log_info(f"Copying processed files to {input_dir}")
        for path in done:
            write_bytes_atomic(path, (out_dir / path.name).read_bytes())
        interact.log_info(f"Removing {out_dir}")
        shutil.rmtree(out_dir)
