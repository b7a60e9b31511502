"""Histogram sorts: similarity (greedy chain over BGR histograms) and dissimilarity (grey, hull-masked).

Distances are OpenCV's Bhattacharyya distance (`cv2.compareHist(..., HISTCMP_BHATTACHARYYA)`), computed for many
pairs at once: with u = sqrt(h) / sqrt(sum h), d(a, b) = sqrt(max(0, 1 - u_a . u_b)), so a row of distances is one
matrix-vector product. The original ran the similarity chain on separate chunks of 20,000 faces (to spread its
Python loop over processes); here one chain covers all faces, which is what the chunks approximated.
"""
import cv2
import numpy as np

from core.progress import progress
from mainscripts.sort.chain import greedy_chain
from mainscripts.sort.faces import compute, hull_masked, load_face, order_by_score, read_image, split_missing

_BLOCK = 1024


def bhattacharyya_units(hists):
    """Rows of sqrt(h)/sqrt(sum h) (float32); an empty histogram gives zeros (distance 1 to anything, as OpenCV)."""
    h = np.asarray(hists, np.float64).reshape(len(hists), -1)
    s = h.sum(axis=1, keepdims=True)
    s[s <= np.finfo(np.float32).eps] = 1.0
    return (np.sqrt(h) / np.sqrt(s)).astype(np.float32)


def bhattacharyya(units_a, units_b):
    """Distance matrix between two sets of unit rows (len(a) x len(b))."""
    return np.sqrt(np.clip(1.0 - units_a @ units_b.T, 0.0, None))


def dissimilarity_scores(units):
    """Sum of distances from each row to all others, computed in row blocks (memory O(block * N))."""
    n = len(units)
    scores = np.zeros(n)
    for s in progress(range(0, n, _BLOCK), desc="Comparing histograms", unit="block", disable=n <= _BLOCK):
        block = units[s:s + _BLOCK]
        d = bhattacharyya(block, units)
        self_d = np.sqrt(np.clip(1.0 - np.einsum("ij,ij->i", block, block), 0.0, None))
        scores[s:s + len(block)] = d.sum(axis=1) - self_d
    return scores


def image_bgr_hists(path):
    img = read_image(path)
    if img is None:
        return None
    return np.stack([cv2.calcHist([img], [c], None, [256], [0, 256]).ravel() for c in range(3)])


def face_grey_hist(path):
    """Grey histogram of the hull-masked face (unmasked when the file has no landmarks, as the original)."""
    img = read_image(path)
    if img is None:
        return None
    face = load_face(path)
    if face is not None:
        img = hull_masked(img, face.get_landmarks())
    return cv2.calcHist([cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)], [0], None, [256], [0, 256]).ravel()


def _nearest_hist(features, i):
    d = sum(np.sqrt(np.clip(1.0 - f[i + 1:] @ f[i], 0.0, None)) for f in features)
    return np.argmin(d)


def sort_by_hist(ctx):
    """Similar faces next to each other: greedy chain on the sum of the three per-channel distances."""
    hists = compute(image_bgr_hists, [str(p) for p in ctx.paths], ctx, "Computing histograms")
    kept, trash = split_missing(ctx.paths, hists, "not a readable image")
    if len(kept) < 2:
        return [p for p, _ in kept], trash
    stacked = np.stack([h for _, h in kept])
    features = [bhattacharyya_units(stacked[:, c]) for c in range(3)]
    order = greedy_chain(features, _nearest_hist)
    return [kept[k][0] for k in order], trash


def sort_by_hist_dissim(ctx):
    """Most unlike the rest first: score = sum of distances of the grey hull-masked histogram to all others."""
    hists = compute(face_grey_hist, [str(p) for p in ctx.paths], ctx, "Computing histograms")
    kept, trash = split_missing(ctx.paths, hists, "not a readable image")
    if not kept:
        return [], trash
    scores = dissimilarity_scores(bhattacharyya_units(np.stack([h for _, h in kept])))
    order, _ = order_by_score([p for p, _ in kept], list(scores))
    return order, trash
