"""CPBD no-reference sharpness metric (Narvekar & Karam, "cumulative probability of blur detection").

`estimate_sharpness(image)` gives the same value as the original's `core/imagelib/estimate_sharpness.py` (used by
"sort by blur" and "best faces"): Sobel edges thinned as in Octave's `edge()`, Marziliano edge widths along rows,
per-64x64-block just-noticeable-blur widths, and the share of edges whose blur-detection probability is below 0.64.
The per-pixel loops of the original are vectorised here; the arithmetic is the same.
Higher = sharper, 0..1.
"""
import cv2
import numpy as np
from scipy.ndimage import convolve
from skimage.feature import canny

_THRESHOLD = 0.002             # share of Canny pixels that makes a block an edge block
_BETA = 3.6                    # psychometric fitting parameter
_BLOCK = 64
_WIDTH_JNB = np.concatenate([5 * np.ones(51), 3 * np.ones(205)])   # just-noticeable blur width by block contrast
_MAX_MARGIN = 100
# skimage's HSOBEL_WEIGHTS normalised by the sum of absolute values, as the original does.
_SOBEL = np.array([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]]) / 8.0


def _thin(strength):
    """Keep local maxima along rows or columns (Octave's simple thinning)."""
    z = np.zeros_like(strength)
    left = np.concatenate([z[:, :1], strength[:, :-1]], axis=1)
    right = np.concatenate([strength[:, 1:], z[:, :1]], axis=1)
    up = np.concatenate([z[:1], strength[:-1]], axis=0)
    down = np.concatenate([strength[1:], z[:1]], axis=0)
    return ((strength > left) & (strength > right)) | ((strength > up) & (strength > down))


def _sobel_edges(image):
    strength2 = np.square(convolve(image, _SOBEL.T))
    strength2[strength2 <= 2 * np.sqrt(np.mean(strength2))] = 0
    return _thin(strength2)


def _run_length(image, rows, cols, step, sign):
    """Width of the monotonic ramp next to each edge pixel, walking `step` (-1 left, +1 right) while
    sign * (outer - inner) > 0, capped as the original (at most 101)."""
    w = image.shape[1]
    run = np.zeros(rows.size, np.int64)
    alive = np.ones(rows.size, bool)
    for margin in range(_MAX_MARGIN + 1):
        inner = cols + step * (1 + margin)
        outer = cols + step * (2 + margin)
        inside = (outer >= 0) & (outer < w)
        o = np.clip(outer, 0, w - 1)
        i = np.clip(inner, 0, w - 1)
        alive &= inside & (sign * (image[rows, o] - image[rows, i]) > 0)
        if not alive.any():
            break
        run += alive
    return np.minimum(run, _MAX_MARGIN) + 1


def _edge_widths(edges, image):
    gy, gx = np.gradient(image)
    with np.errstate(divide="ignore", invalid="ignore"):
        angles = np.where(gx != 0, np.degrees(np.arctan2(gy, gx)), np.where(gy == np.pi / 2, 90.0, 0.0))
    widths = np.zeros(image.shape)
    if not np.any(angles):
        return widths
    q = 45 * np.round(angles / 45)
    inner = np.zeros_like(edges)
    inner[1:-1, 1:-1] = edges[1:-1, 1:-1]
    # Only vertical edges count: gradient pointing left (intensity rising to the left) or right.
    for mask, sign in ((inner & (np.abs(q) == 180), 1), (inner & (q == 0), -1)):
        rows, cols = np.nonzero(mask)
        if rows.size:
            left = _run_length(image, rows, cols, -1, sign)
            right = _run_length(image, rows, cols, 1, -sign)
            widths[rows, cols] = left + right
    return widths


def _metric(image, edges, widths):
    hist = np.zeros(101)
    total = 0
    h, w = image.shape
    for by in range(h // _BLOCK):
        for bx in range(w // _BLOCK):
            sl = (slice(by * _BLOCK, (by + 1) * _BLOCK), slice(bx * _BLOCK, (bx + 1) * _BLOCK))
            if np.count_nonzero(edges[sl]) <= _BLOCK * _BLOCK * _THRESHOLD:
                continue
            bw = widths[sl]
            bw = bw[bw != 0]
            block = image[sl]
            jnb = _WIDTH_JNB[int(block.max() - block.min())]
            prob = 1 - np.exp(-np.abs(bw / jnb) ** _BETA)
            np.add.at(hist, np.round(prob * 100).astype(np.int64), 1)
            total += bw.size
    if total == 0:
        return 0.0
    return float(np.sum(hist[:64] / total))


def estimate_sharpness(image):
    """CPBD sharpness of a BGR or greyscale uint8 image (higher = sharper)."""
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.shape[2] > 1 else image[..., 0]
    image = image.astype(np.float64)
    edges = canny(image)
    return _metric(image, edges, _edge_widths(_sobel_edges(image), image))
