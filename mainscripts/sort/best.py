"""Best faces ("final"): keep a target number of sharp faces spread evenly over head poses; trash the rest.

As the original: per face a sharpness (CPBD of the hull-masked grey face, or for "faster" the source rect area),
yaw, pitch and a grey histogram. Faces fall into 128 yaw bins over [-1.2, 1.2] (on -yaw); each bin keeps its 10x
quota of sharpest faces, splits them into `quota` pitch bins over [-pi/2, pi/2], orders each pitch bin by
histogram dissimilarity and picks round-robin across pitch bins. The result is ordered by yaw bin.

Difference: the original's quota is round(target / 128) plus the shortfall of sparse bins divided evenly, so it
kept "about" the target (nothing at all below 64). Here the quota of each yaw bin is water-filled so that exactly
min(target, faces) faces are kept.
"""
import math

import cv2
import numpy as np

from core import interact
from mainscripts.sort.faces import compute, hull_masked, load_face, split_missing
from mainscripts.sort.histogram import bhattacharyya_units, dissimilarity_scores
from mainscripts.sort.options import OPTIONS

YAW_BINS = 128
YAW_RANGE = 1.2  # instead of pi/2: the landmarkers' yaw never goes beyond about +-1.2
SHARP_FACTOR = 10


def face_features(item):
    """(sharpness, yaw, pitch, grey histogram) of one face, or None when it is not an aligned face."""
    path, faster = item
    from core.imagelib.sharpness import estimate_sharpness
    from facelib import LandmarksProcessor
    face = load_face(path)
    if face is None:
        return None
    img = face.get_img()
    grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    landmarks = face.get_landmarks()
    if faster:
        rect = face.get_source_rect()
        l, t, r, b = (0, 0, 0, 0) if rect is None else np.asarray(rect, np.float64)[:4]
        sharpness = float(abs((r - l) * (b - t)))
    else:
        sharpness = estimate_sharpness(hull_masked(grey, landmarks))
    pitch, yaw, _ = LandmarksProcessor.estimate_pitch_yaw_roll(landmarks, size=face.get_shape()[1])
    hist = cv2.calcHist([grey], [0], None, [256], [0, 256]).ravel()
    return float(sharpness), float(yaw), float(pitch), hist


def bin_index(values, lo, hi, bins):
    """The original's binning: bin g holds edges[g] <= v < edges[g+1], the first and last bins are open-ended."""
    edges = np.linspace(lo, hi, bins)
    return np.clip(np.searchsorted(edges, values, side="right") - 1, 0, bins - 1)


def water_fill(counts, target):
    """Per-bin quotas <= counts summing to min(target, sum(counts)), as even as possible."""
    counts = np.asarray(counts, np.int64)
    quota = np.zeros_like(counts)
    remaining = int(min(target, counts.sum()))
    while remaining > 0:
        open_bins = np.nonzero(quota < counts)[0]
        share = remaining // len(open_bins)
        if share == 0:
            # Fewer faces left to give than open bins: one more each to the bins with the most spare faces.
            spare = counts[open_bins] - quota[open_bins]
            chosen = open_bins[np.argsort(-spare, kind="stable")[:remaining]]
            quota[chosen] += 1
            break
        give = np.minimum(share, counts[open_bins] - quota[open_bins])
        quota[open_bins] += give
        remaining -= int(give.sum())
    return quota


def pick_from_bin(items, quota):
    """Keep `quota` of the yaw bin's items (index, sharpness, pitch, unit hist); returns (kept, rest) indices."""
    items = sorted(items, key=lambda it: it[1], reverse=True)
    candidates, rest = items[:quota * SHARP_FACTOR], [it[0] for it in items[quota * SHARP_FACTOR:]]
    pitch_bins = bin_index([it[2] for it in candidates], -math.pi / 2, math.pi / 2, quota)
    queues = []
    for pb in range(quota):
        members = [it for it, b in zip(candidates, pitch_bins) if b == pb]
        if not members:
            continue
        scores = dissimilarity_scores(np.stack([it[3] for it in members]))
        order = sorted(range(len(members)), key=lambda k: scores[k], reverse=True)
        queues.append([members[k][0] for k in order])
    kept = []
    while len(kept) < quota:
        for q in queues:
            if q and len(kept) < quota:
                kept.append(q.pop(0))
    return kept, rest + [i for q in queues for i in q]


def _sort_best(ctx, faster):
    target = OPTIONS["target_count"].ask(ctx.answers.get("target_count"))
    interact.log_info("Performing sort by best faces.")
    if faster:
        interact.log_info("Using faster algorithm. Faces will be sorted by source-rect-area instead of blur.")
    values = compute(face_features, [(str(p), faster) for p in ctx.paths], ctx, "Loading")
    kept, trash = split_missing(ctx.paths, values)
    if not kept:
        return [], trash
    paths = [p for p, _ in kept]
    sharp = np.array([v[0] for _, v in kept])
    yaw = np.array([v[1] for _, v in kept])
    pitch = np.array([v[2] for _, v in kept])
    units = bhattacharyya_units(np.stack([v[3] for _, v in kept]))

    yaw_bin = bin_index(-yaw, -YAW_RANGE, YAW_RANGE, YAW_BINS)
    quotas = water_fill(np.bincount(yaw_bin, minlength=YAW_BINS), target)
    final = []
    for g in range(YAW_BINS):
        members = np.nonzero(yaw_bin == g)[0]
        if not len(members):
            continue
        if quotas[g] == 0:
            trash += [paths[i] for i in members]
            continue
        chosen, rest = pick_from_bin([(i, sharp[i], pitch[i], units[i]) for i in members], int(quotas[g]))
        final += [paths[i] for i in chosen]
        trash += [paths[i] for i in rest]
    interact.log_info(f"Keeping {len(final)} faces, moving {len(trash)} to trash.")
    return final, trash


def sort_best(ctx):
    return _sort_best(ctx, faster=False)


def sort_best_faster(ctx):
    return _sort_best(ctx, faster=True)
