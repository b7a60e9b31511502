"""Sort by absolute pixel difference: greedy chain (similar or dissimilar) on the sum of |a - b| over pixels.

The original computed all N x N sums on the GPU into an HDF5 file. Here every face is reduced to 64x64 (area
average, so the sum over a region is kept up to scale) and the chain asks OpenCV's `batchDistance` (SIMD, L1 on
uint8) for one row of distances at a time: memory is 12 KB per face (245 MB for 20,000 faces), no GPU needed.
"""
import cv2
import numpy as np

from core import interact
from core.workers import map_items
from mainscripts.sort.chain import greedy_chain
from mainscripts.sort.faces import read_image, split_missing
from mainscripts.sort.options import OPTIONS

SIZE = 64


def small_image(path):
    img = read_image(path)
    if img is None:
        return None
    return cv2.resize(img, (SIZE, SIZE), interpolation=cv2.INTER_AREA).reshape(-1)


def sort_by_absdiff(ctx):
    similar = OPTIONS["absdiff_similar"].ask(ctx.answers.get("absdiff_similar"))
    interact.log_info(f"Sorting by absolute difference ({'similar' if similar else 'dissimilar'} first).")
    x, ok = _load_rows(ctx)
    kept, trash = split_missing(ctx.paths, [p if good else None for p, good in zip(ctx.paths, ok)],
                                "not a readable image")
    if len(kept) < 2:
        return [p for p, _ in kept], trash
    order = greedy_chain([x], lambda f, i: _next_row(f[0], i, not similar))
    return [kept[k][0] for k in order], trash


def _load_rows(ctx):
    """(rows of the readable faces, one per face in a single array, and which paths were readable).

    Each row is written into the array as it arrives, so the faces are held once (12 KB each), not twice.
    """
    x = np.empty((len(ctx.paths), SIZE * SIZE * 3), np.uint8)
    ok = np.zeros(len(ctx.paths), bool)
    for i, row in map_items(small_image, [str(p) for p in ctx.paths], workers=ctx.workers, desc="Loading",
                            unit="face"):
        if row is not None:
            x[i], ok[i] = row, True
    for dst, src in enumerate(np.flatnonzero(ok)):   # close the gaps left by unreadable files, in place
        if dst != src:
            x[dst] = x[src]
    return x[:int(ok.sum())], ok


def _next_row(x, i, farthest):
    """Position in rows i+1.. of the row nearest to (or farthest from) row i, by L1 distance.

    batchDistance with K=1 returns the nearest only; with K = all rows it returns them sorted by distance.
    """
    rest = x[i + 1:]
    _, idx = cv2.batchDistance(x[i:i + 1], rest, cv2.CV_32S, normType=cv2.NORM_L1,
                               K=len(rest) if farthest else 1)
    return idx[0, -1] if farthest else idx[0, 0]
