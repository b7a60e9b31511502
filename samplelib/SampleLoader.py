"""Load the face samples of an aligned folder for training (reference §6 "SampleLoader").

A folder's `faceset.pak` is preferred when present; otherwise the aligned JPGs' metadata is read (in worker
processes for large folders). Files that are not aligned faces are reported once, one line each, and skipped.
Results are cached per folder for the life of the process, so src/dst/ct generators share one load.
"""
from pathlib import Path

from core.dflimg import DFLJPG, NotDFLImageError
from core.interact import log_err, log_info
from core.pathex import get_image_paths, require_dir
from core.workers import cpu_count, map_items
from samplelib import PackedFaceset
from samplelib.Sample import Sample

# Below this many files, starting worker processes costs more than it saves.
PARALLEL_MIN_FILES = 256

_cache = {}


def _read_sample(path):
    """A Sample for one aligned JPG, or the one-line reason it is not one."""
    try:
        return Sample.from_dflimg(path, DFLJPG.load(path))
    except NotDFLImageError as e:
        return str(e)
    except ValueError as e:  # metadata readable but unusable, e.g. an unknown face type
        return f"{path}: {e}"


def load_face_samples(samples_path):
    """All face samples of `samples_path` (faceset.pak if present, else the aligned JPGs), sorted by file name."""
    path = require_dir(samples_path, "aligned faces folder")
    key = str(path.resolve())
    if key not in _cache:
        packed = PackedFaceset.load(path)
        _cache[key] = packed if packed is not None else _load_folder(path)
    return _cache[key]


def _load_folder(path):
    paths = get_image_paths(path)
    workers = min(cpu_count(), 8) if len(paths) >= PARALLEL_MIN_FILES else 1
    results = [None] * len(paths)
    for i, result in map_items(_read_sample, paths, workers=workers, desc="Loading samples", unit="face",
                               show_progress=len(paths) >= PARALLEL_MIN_FILES):
        results[i] = result
    samples = []
    for result in results:
        if isinstance(result, str):
            log_err(f"{result} - skipped")
        else:
            samples.append(result)
    skipped = len(paths) - len(samples)
    log_info(f"Loaded {len(samples)} faces from {Path(path).name}" + (f", {skipped} files skipped" if skipped else ""))
    return samples
