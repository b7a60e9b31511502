"""The check every command runs on an aligned folder: which files are aligned faces, reporting the others once."""
from pathlib import Path

from core import interact
from core.dflimg.dfljpg import DFLJPG, NotDFLImageError
from core.pathex import get_image_paths

# Files already reported in this process: a command that walks a folder twice says it once.
_reported = set()


def is_dfl_image(path):
    """True when `path` is an aligned face with readable DeepFaceLab metadata."""
    try:
        DFLJPG.load(path)
        return True
    except NotDFLImageError:
        return False


def iter_dfl_images(source, on_skip=None):
    """Yield (path, DFLJPG) for every aligned face in a folder (or an iterable of paths), sorted by name.

    Each file that is not an aligned face (plain JPG/PNG, corrupt, refused metadata) is skipped and reported with one
    line naming it, once per process (or passed to `on_skip(path, error)` every time); the rest is processed.
    """
    # An iterable is consumed lazily, so a progress bar wrapped around it advances with the work.
    paths = get_image_paths(source) if isinstance(source, (str, Path)) else source
    for p in paths:
        p = Path(p)
        try:
            d = DFLJPG.load(p)
        except NotDFLImageError as e:
            if on_skip is not None:
                on_skip(p, e)
            elif p not in _reported:
                _reported.add(p)
                interact.log_err(f"{e} - skipped")
            continue
        yield p, d
