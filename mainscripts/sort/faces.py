"""What every sort method shares: the run context, reading faces in worker processes, and score-based ordering.

Worker functions receive a path string and return plain values (a score, a feature array) or None when the file is
not an aligned face / not a readable image; such files go to the trash list with one line each, as the original.
"""
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from core import interact
from core.workers import map_items


@dataclass
class SortContext:
    input_dir: Path
    paths: list                      # image files of the folder, sorted by name
    workers: int = None              # None = all cores
    answers: dict = field(default_factory=dict)   # prompt name -> value (asked by the method when it runs)


def load_face(path):
    """The DFLJPG of `path`, or None when it is not an aligned face (no DFL metadata, corrupt, not a JPEG)."""
    from core.dflimg import DFLJPG, NotDFLImageError
    try:
        return DFLJPG.load(path)
    except NotDFLImageError:
        return None


def read_image(path):
    """BGR uint8 image, or None when the file cannot be decoded."""
    from core.cv2ex import cv2_imread
    return cv2_imread(path, cv2.IMREAD_COLOR, required=False)


def hull_masked(img, landmarks):
    """The image with everything outside the landmark hull set to black (what blur/hist-dissim measure)."""
    from facelib import LandmarksProcessor
    mask = LandmarksProcessor.get_image_hull_mask(img.shape, landmarks)
    if img.ndim == 2:
        mask = mask[..., 0]
    return (img * mask).astype(np.uint8)


def compute(func, items, ctx, desc, initializer=None, initargs=()):
    """Run `func` over `items` on all cores (ctx.workers); results in item order."""
    results = [None] * len(items)
    for i, r in map_items(func, items, workers=ctx.workers, initializer=initializer, initargs=initargs,
                          desc=desc, unit="face"):
        results[i] = r
    return results


NOT_ALIGNED = "not an aligned face (no DFL metadata)"


def split_missing(paths, values, why=NOT_ALIGNED):
    """(kept [(path, value)], trash [path]) where value None means the file could not be used."""
    kept, trash = [], []
    for p, v in zip(paths, values):
        if v is None:
            interact.log_err(f"{Path(p).name}: {why}; moving it to trash")
            trash.append(p)
        else:
            kept.append((p, v))
    return kept, trash


def order_by_score(paths, scores, descending=True, why=NOT_ALIGNED):
    """Sort paths by their scores (stable, so equal scores keep name order); None scores go to trash."""
    kept, trash = split_missing(paths, scores, why)
    kept = sorted(kept, key=lambda pv: pv[1], reverse=descending)
    return [p for p, _ in kept], trash
