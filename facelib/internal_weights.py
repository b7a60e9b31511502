"""Where the original DeepFaceLab's optional weight files (S3FD.npy, 2DFAN.npy, 3DFAN.npy) are dropped in.

They cannot be downloaded here (no network at run time, and no package ships them), so the user copies them from an
original DeepFaceLab build (its `facelib/` folder) into `_internal/` at the repository root; see its README.md.
"""
from pathlib import Path

from core.errors import UserError

INTERNAL_DIR = Path(__file__).resolve().parent.parent / "_internal"


def internal_path(name):
    """Path of `_internal/<name>` (it may not exist)."""
    return INTERNAL_DIR / name


def is_present(name):
    return internal_path(name).is_file()


def require(name, feature):
    """Path of `_internal/<name>`; UserError naming the file and the fix when it is missing."""
    path = internal_path(name)
    if not path.is_file():
        raise UserError(f"{path}: not found — {feature} needs the original DeepFaceLab's {name}: copy it from "
                        f"DeepFaceLab's facelib/ folder into {INTERNAL_DIR}, or choose another one")
    return path
