"""Path helpers: listing images in a folder, the atomic file writer, plain names from data, resolving `name.*`, the
`<folder>_trash` folder beside a folder (sort rejects, faces deleted in the viewer and the XSeg editor)."""
import errno
import os
import shutil
import tempfile
from contextlib import contextmanager
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


def ensure_output_dir(path, what="output folder"):
    """Create `path` if needed and check that files can be written in it; one-line UserError if not."""
    p = Path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=p, prefix=".write-check.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise UserError(f"{what} {p}: {_write_problem(p, e)}") from None
    return p


def child_path(folder, name, what="file name"):
    """`folder/name` for a name read from a file (a pak entry, a face's source name): a plain name, nothing else.

    Refuses separators, `.`/`..`, drive letters and control characters, so data cannot steer a write outside
    `folder`.
    """
    if not isinstance(name, str) or name in ("", ".", "..") or len(name) > 255 or \
            any(c in name for c in '/\\:') or any(ord(c) < 32 for c in name):
        raise UserError(f"{folder}: {what} {name!r} is not a plain file name; refusing to write it")
    return Path(folder) / name


def _write_error(path, e):
    return f"{path}: cannot write: {_write_problem(Path(path).parent, e)}"


def _write_problem(folder, e):
    if e.errno == errno.ENOENT and not folder.is_dir():
        return f"folder {folder} does not exist; create it or choose another output folder"
    if e.errno in (errno.ENOTDIR, errno.EEXIST):
        return f"{folder} cannot be a folder: a file of that name (or of a parent folder's) is in the way"
    if e.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"folder {folder} is read-only or not writable; choose another output folder"
    if e.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return "the disk is full; free some space and run again"
    return f"{e.strerror or e}; check free disk space and permissions"


def _file_mode():
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


_FILE_MODE = _file_mode()


@contextmanager
def atomic_write(path, keep_previous=False, sync=True):
    """Yield a binary file that becomes `path` when the block ends without error; the product's only file writer.

    The temporary file is created by us (`mkstemp` in the target folder: O_CREAT|O_EXCL|O_NOFOLLOW, a random name),
    so a link planted next to the target is never followed; the rename replaces `path` itself (a link at `path` is
    replaced, not written through). With keep_previous the old file becomes `path.bak`. A crash, a kill or a full
    disk leaves the previous file intact; OS errors become one-line UserErrors naming the file.
    """
    p = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name[:100]}.", suffix=".tmp")
    except OSError as e:
        raise UserError(_write_error(p, e)) from None
    try:
        if hasattr(os, "fchmod"):   # mkstemp makes 0600; a saved file gets the usual permissions
            os.fchmod(fd, _FILE_MODE)
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            if sync:
                os.fsync(f.fileno())
        if keep_previous and p.is_file() and not p.is_symlink():
            os.replace(p, p.with_name(p.name + ".bak"))
        os.replace(tmp, p)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise UserError(_write_error(p, e)) from None
        raise


def write_bytes_atomic(path, data, keep_previous=False, sync=True):
    """Write `data` to `path` through `atomic_write`."""
    with atomic_write(path, keep_previous, sync) as f:
        f.write(data)


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
