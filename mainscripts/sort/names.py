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
        interact.log_info("Nothing found. Faces must be named <frame>_<face index> (as the extractor names them): "
                          "recover original filenames first (util --recover-original-aligned-filename).")
        return None, []
    interact.log_info(f"Found {len(trash)} faces from {len(frames_with_many)} frames with more than one face.")
    keep = [p for p in ctx.paths if p not in set(trash)]
    return keep, trash
