"""The training preview picture: key help line, 100 px loss-history graph and the model's preview image.

Used by the preview window, by `--no-preview` (image written to the model folder) and by the preview history.
The graph follows the original: one colour per loss, each column spans the min..max of the losses it covers, the
scale is twice the mean loss after the first fifth of the history, five grey grid lines, "Iter: N" at the bottom.
"""
import colorsys

import cv2
import numpy as np

GRAPH_HEIGHT = 100
HELP_LINES = ("[s]:save [b]:backup [enter]:exit [p]:update", "[space]:next preview [l]:change history range")
LINE_HEIGHT = 15
#: rows above the loss graph: the two key-help lines and the preview title
HEADER_HEIGHT = LINE_HEIGHT * (len(HELP_LINES) + 1)
#: loss-history ranges cycled by the `l` key (0 = the whole history)
HISTORY_RANGES = (0, 5000, 10000, 50000, 100000)


def loss_graph(loss_history, iter, width, height=GRAPH_HEIGHT):
    """uint8 BGR (height, width, 3) graph of `loss_history` (list of per-iteration loss lists)."""
    img = np.full((height, width, 3), 0.1, np.float32)
    lh = np.asarray(loss_history, np.float32)
    if lh.ndim == 2 and len(lh) > 0:
        n, count = lh.shape
        # Column c covers iterations [c*n/w, max((c+1)*n/w, c*n/w + 1)).
        starts = (np.arange(width) * n / width).astype(np.int64)
        ends = np.maximum(((np.arange(width) + 1) * n / width).astype(np.int64), starts + 1)
        abs_max = float(np.mean(lh[n // 5:])) * 2
        abs_max = abs_max if abs_max > 0 else 1.0
        for p in range(count):
            color = np.array(colorsys.hsv_to_rgb(p / count, 1.0, 1.0), np.float32)[::-1]
            for col in range(width):
                seg = lh[starts[col]:ends[col], p]
                hi = int(np.clip(max(0.0, float(seg.max())) / abs_max * (height - 1), 0, height - 1))
                lo = int(np.clip(float(seg.min()) / abs_max * (height - 1), 0, height - 1))
                img[height - 1 - hi:height - lo, col] = color
    lines = 5
    line_h = (height - 1) / lines
    for i in range(lines + 1):
        img[int(i * line_h), :] = 0.8
    img = (img * 255).astype(np.uint8)
    if iter:
        top, bottom = int((lines - 1) * line_h), int(lines * line_h)
        _put_text(img, f"Iter: {iter}", (4, bottom - max(2, (bottom - top) // 4)), (204, 204, 204))
    return img


def _put_text(img, text, org, color, scale=0.4):
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, color, 1, cv2.LINE_AA)


def header(width, text, height=LINE_HEIGHT):
    img = np.full((height, width, 3), 26, np.uint8)
    _put_text(img, text, (3, height - 4), (230, 230, 230), 0.35)
    return img


def compose(preview_bgr, loss_history, iter, name="", history_range=0, preview_index=None):
    """One uint8 BGR picture: help line (with preview name and index), loss graph, preview (float 0..1)."""
    prev = np.clip(np.asarray(preview_bgr, np.float32) * 255, 0, 255).astype(np.uint8)
    if prev.ndim == 2:
        prev = cv2.cvtColor(prev, cv2.COLOR_GRAY2BGR)
    w = prev.shape[1]
    hist = loss_history[-history_range:] if history_range else loss_history
    title = f"Preview: \"{name}\"" + (f" [{preview_index[0] + 1}/{preview_index[1]}]" if preview_index else "")
    range_text = f" last {history_range}" if history_range else ""
    parts = [header(w, line) for line in HELP_LINES]
    parts += [header(w, title + f"  loss history:{range_text or ' all'}"), loss_graph(hist, iter, w), prev]
    return np.concatenate(parts, axis=0)
