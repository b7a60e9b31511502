"""Sort by file names and metadata names: original filename (source frame) and "one face in image"."""
import re
from pathlib import Path

from core import interact
from mainscripts.sort.faces import compute, load_face, order_by_score

_FRAME_FACE = re.compile(r"^(\d+)_(\d+)$")


def face_source_filename(path):
    face = load_face(path)
    if face is None:
        return None
    return face.get_source_filename() or ""


def sort_by_origname(ctx):
    names = compute(face_source_filename, [str(p) for p in ctx.paths], ctx, "Reading source filenames")
    return order_by_score(ctx.paths, names, descending=False)


def sort_by_oneface(ctx):
    """Trash every face of a frame that has more than one face, judged from `<frame>_<face index>` names.

    Files named otherwise stay (renamed after the others); if no frame has two faces nothing is changed.
    """
    frames_with_many = set()
    parsed = {}
    for p in ctx.paths:
        m = _FRAME_FACE.match(Path(p).stem)
        if m:
            parsed[p] = int(m.group(1))
            if int(m.group(2)) != 0:
                frames_with_many.add(int(m.group(1)))
    trash = [p for p in ctx.paths if parsed.get(p) in frames_with_many]
    if not trash:
        interact.log_info(_nothing_found(len(ctx.paths), len(parsed), len(set(parsed.values()))))
        return None, []
    interact.log_info(f"Found {len(trash)} faces from {len(frames_with_many)} frames with more than one face.")
    keep = [p for p in ctx.paths if p not in set(trash)]
    return keep, trash


def _nothing_found(n_files, n_named, n_frames):
    """Why no face was trashed: no multi-face frame among the named faces, or names the extractor did not give."""
    recover = "recover original filenames first (util --recover-original-aligned-filename)"
    if not n_named:
        return f"Nothing found: no face is named <frame>_<face index> (as the extractor names them); {recover}."
    msg = f"Nothing to remove: no frame has more than one face ({n_named} faces from {n_frames} frames)."
    if n_named < n_files:
        msg += f" {n_files - n_named} faces not named <frame>_<face index> were not checked: {recover}."
    return msg
