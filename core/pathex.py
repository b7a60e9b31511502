"""Path helpers: listing images in a folder, atomic writes that keep the previous copy, resolving `name.*`, the
`<folder>_trash` folder beside a folder (sort rejects, faces deleted in the viewer and the XSeg editor)."""
import os
import shutil
from pathlib import Path

from core.cv2ex import IMAGE_EXTENSIONS
from core.errors import UserError


def require_dir(path, what="folder"):
    p = Path(path)
    if not p.is_dir():
        raise UserError(f"{what} {p} does not exist: create it or pass the right path")
    return p


def require_file(path, what="file"):
    p = Path(path)
    if not p.is_file():
        raise UserError(f"{what} {p} does not exist")
    return p


def get_image_paths(dir_path, extensions=IMAGE_EXTENSIONS):
    """Image files directly inside `dir_path`, sorted by name (numbers in names sort naturally if zero-padded)."""
    p = Path(dir_path)
    if not p.is_dir():
        return []
    exts = tuple(e.lower() for e in extensions)
    return sorted(x for x in p.iterdir() if x.is_file() and x.suffix.lower() in exts)


def get_first_file_by_stem(dir_path, stem):
    """The first file in `dir_path` named `stem.<anything>` (how `data_src.*` is resolved), or None."""
    p = Path(dir_path)
    if not p.is_dir():
        return None
    for x in sorted(p.iterdir()):
        if x.is_file() and x.stem == stem:
            return x
    return None


def resolve_input_file(path_text):
    """Accept a path or `dir/name.*` (first file with that stem)."""
    p = Path(os.path.expanduser(str(path_text)))
    if p.name.endswith(".*"):
        found = get_first_file_by_stem(p.parent, p.name[:-2])
        if found is None:
            raise UserError(f"no file named {p.name} in {p.parent}")
        return found
    if not p.is_file():
        raise UserError(f"input file {p} does not exist")
    return p


def write_bytes_atomic(path, data, keep_previous=False):
    """Write to `path.tmp`, fsync, then rename over `path`. With keep_previous the old file becomes `path.bak`.

    A crash or a full disk leaves the previous file intact.
    """
    p = Path(path)
    tmp = p.with_name(p.name + ".tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if keep_previous and p.exists():
            os.replace(p, p.with_name(p.name + ".bak"))
        os.replace(tmp, p)
    except OSError as e:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise UserError(f"{p}: cannot write ({e.strerror or e}); check free disk space and permissions")


def trash_dir_of(folder):
    """`<folder>_trash` beside `folder`: where sort rejects and faces deleted in the viewers go."""
    folder = Path(folder)
    return folder.parent / (folder.name + "_trash")


def unique_path_in(folder, name):
    """`folder/name`, or `folder/<stem>_<n><ext>` with the first n free when that name is taken."""
    dst = Path(folder) / name
    n = 1
    while dst.exists():
        dst = Path(folder) / f"{Path(name).stem}_{n}{Path(name).suffix}"
        n += 1
    return dst


def move_to_trash(path):
    """Move `path` into the `_trash` folder beside its folder (a name taken there gets a numbered suffix); returns
    the new path. UserError when the file cannot be moved."""
    path = Path(path)
    trash = trash_dir_of(path.parent)
    try:
        trash.mkdir(exist_ok=True)
        target = unique_path_in(trash, path.name)
        shutil.move(str(path), str(target))
    except OSError as e:
        raise UserError(f"{path}: cannot move to {trash} ({e.strerror or e})")
    return target
