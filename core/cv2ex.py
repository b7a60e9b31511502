"""Image file IO shared by every command: Unicode-safe paths, clear errors, channel normalisation."""
from pathlib import Path

import cv2
import numpy as np

from core.errors import UserError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


def cv2_imread(path, flags=cv2.IMREAD_UNCHANGED, required=True):
    """Read an image through bytes (cv2.imread cannot open non-ASCII paths on Windows).

    Returns None for an unreadable/undecodable file when `required` is False, else raises UserError.
    """
    p = Path(path)
    try:
        data = np.fromfile(str(p), dtype=np.uint8)
    except OSError as e:
        if required:
            raise UserError(f"{p}: cannot read ({e.strerror or e})")
        return None
    img = cv2.imdecode(data, flags) if data.size else None
    if img is None and required:
        raise UserError(f"{p}: not a readable image (empty, truncated or unknown format)")
    return img


def cv2_imwrite(path, img, params=()):
    """Encode in memory and write the bytes atomically; raises UserError on encode or disk failure."""
    p = Path(path)
    ok, buf = cv2.imencode(p.suffix or ".png", img, list(params))
    if not ok:
        raise UserError(f"{p}: OpenCV could not encode the image")
    from core.pathex import write_bytes_atomic
    write_bytes_atomic(p, buf.tobytes())


def normalize_channels(img, target_channels=3):
    """Return a uint8/float image with `target_channels` channels: grey → BGR, BGRA → BGR, 16-bit → 8-bit."""
    if img.dtype == np.uint16:
        img = (img >> 8).astype(np.uint8)
    if img.ndim == 2:
        img = img[..., None]
    c = img.shape[2]
    if c == target_channels:
        return img
    if target_channels == 1:
        return img[..., :1] if c != 3 else cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)[..., None]
    if c == 1:
        return np.repeat(img, target_channels, axis=2)
    if c == 4 and target_channels == 3:
        return img[..., :3]
    if c == 3 and target_channels == 4:
        alpha = np.full(img.shape[:2] + (1,), 255 if img.dtype == np.uint8 else 1, img.dtype)
        return np.concatenate([img, alpha], axis=2)
    raise UserError(f"cannot convert a {c}-channel image to {target_channels} channels")
