"""Sort by whole-image colour statistics: brightness (mean HSV V), hue (mean HSV H), amount of black pixels."""
import cv2
import numpy as np

from mainscripts.sort.faces import compute, order_by_score, read_image

_UNREADABLE = "not a readable image"


def image_brightness(path):
    img = read_image(path)
    return None if img is None else float(np.mean(cv2.cvtColor(img, cv2.COLOR_BGR2HSV)[..., 2]))


def image_hue(path):
    img = read_image(path)
    return None if img is None else float(np.mean(cv2.cvtColor(img, cv2.COLOR_BGR2HSV)[..., 0]))


def image_black(path):
    """Number of zero channel values, as the original counts them (a black pixel counts 3)."""
    img = read_image(path)
    return None if img is None else int(np.count_nonzero(img == 0))


def sort_by_brightness(ctx):
    scores = compute(image_brightness, [str(p) for p in ctx.paths], ctx, "Measuring brightness")
    return order_by_score(ctx.paths, scores, why=_UNREADABLE)


def sort_by_hue(ctx):
    scores = compute(image_hue, [str(p) for p in ctx.paths], ctx, "Measuring hue")
    return order_by_score(ctx.paths, scores, why=_UNREADABLE)


def sort_by_black(ctx):
    """Fewest black pixels first: faces cut by the frame border (black padding) end up last."""
    scores = compute(image_black, [str(p) for p in ctx.paths], ctx, "Counting black pixels")
    return order_by_score(ctx.paths, scores, descending=False, why=_UNREADABLE)
