"""Greedy nearest-neighbour chain in O(N) memory (hist and absdiff sorts).

Starting from the first face, the next face is always the closest (or farthest) of those not yet placed. Feature
rows are swapped in place exactly as the original swaps its list, so the remaining candidates are always the
contiguous tail `rows[i+1:]` and no N x N matrix is ever built.
"""
import numpy as np

from core.progress import progress


def greedy_chain(features, pick, desc="Sorting"):
    """`features`: arrays with one row per item (swapped together); `pick(features, i)` returns the position,
    within the tail rows i+1..N-1, of the row to place next. Returns the order as a list of original indices."""
    n = len(features[0])
    order = np.arange(n)
    for i in progress(range(n - 1), desc=desc, unit="face"):
        j = i + 1 + int(pick(features, i))
        if j != i + 1:
            for f in features:
                f[[i + 1, j]] = f[[j, i + 1]]
            order[[i + 1, j]] = order[[j, i + 1]]
    return order.tolist()
