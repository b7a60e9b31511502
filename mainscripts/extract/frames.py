"""Frames for extraction: any image file as 8-bit BGR (noting what was converted) or a reason to skip it, and the
90° rotations the detector retries with the maps of points and rects back to the frame."""
from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np

from core.cv2ex import ImageTooLargeError, cv2_imread

# The original skipped frames under 128 px because S3FD halves its input; CenterFace and MTCNN find faces in the
# 160x120 frames of small webcam clips, so only frames too small to hold a usable face are skipped.
MIN_FRAME_SIDE = 64

ROTATIONS = (0, 90, 270, 180)   # the original's retry order; 90 = turned clockwise


@dataclass
class Frame:
    img: Optional[np.ndarray]      # uint8 BGR, or None when skipped
    converted: Optional[str] = None
    skipped: Optional[str] = None


def read_frame(path):
    try:
        img = cv2_imread(path, required=False)
    except ImageTooLargeError as e:
        return Frame(None, skipped=str(e).split(": ", 1)[1])
    if img is None:
        return Frame(None, skipped="unreadable")
    converted = None
    if img.dtype == np.uint16:
        img, converted = (img >> 8).astype(np.uint8), "16-bit"
    elif img.dtype in (np.float32, np.float64):
        scale = 255.0 if np.nanmax(img) <= 1.0 else 1.0
        img, converted = np.clip(np.nan_to_num(img) * scale, 0, 255).astype(np.uint8), "float"
    elif img.dtype != np.uint8:
        return Frame(None, skipped=f"unsupported pixel type {img.dtype}")
    if img.ndim == 2:
        img = img[..., None]
    channels = img.shape[2]
    if channels in (1, 2):
        img, converted = cv2.cvtColor(np.ascontiguousarray(img[..., 0]), cv2.COLOR_GRAY2BGR), converted or "grayscale"
    elif channels == 4:
        img = np.ascontiguousarray(img[..., :3])
    elif channels != 3:
        return Frame(None, skipped=f"{channels}-channel image")
    if min(img.shape[:2]) < MIN_FRAME_SIDE:
        return Frame(None, skipped=f"smaller than {MIN_FRAME_SIDE} px")
    return Frame(img, converted)


def rotate(img, rot):
    if rot == 0:
        return img
    code = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}[rot]
    return cv2.rotate(img, code)


def unrotate_points(points, rot, shape):
    """Points found in `rotate(img, rot)` mapped back into `img` of shape (h, w, ...)."""
    p = np.asarray(points, np.float32).reshape(-1, 2)
    h, w = shape[:2]
    x, y = p[:, 0], p[:, 1]
    if rot == 0:
        back = (x, y)
    elif rot == 90:
        back = (y, h - 1 - x)
    elif rot == 180:
        back = (w - 1 - x, h - 1 - y)
    else:
        back = (w - 1 - y, x)
    return np.stack(back, axis=1).astype(np.float32)


def unrotate_rect(rect, rot, shape):
    l, t, r, b = rect
    pts = unrotate_points([(l, t), (r, b)], rot, shape)
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)
