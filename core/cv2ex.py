"""Image file IO shared by every command: Unicode-safe paths, clear errors, channel normalisation, and a pixel limit.

Every image read goes through `imdecode`, which reads the width and height from the file's header (PNG, JPEG, BMP,
TIFF, WebP) and refuses images over the limit (`--max-image-megapixels`, default 100 MP) before OpenCV allocates
them: a small crafted file cannot claim gigabytes per worker.
"""
import os
import struct
from pathlib import Path

import cv2
import numpy as np

from core.errors import UserError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


_PIXELS_ENV = "DFL_MAX_IMAGE_PIXELS"
DEFAULT_MAX_IMAGE_PIXELS = 100_000_000


def set_max_image_pixels(pixels):
    """The limit for this process and the workers it starts."""
    os.environ[_PIXELS_ENV] = str(int(pixels))


def max_image_pixels():
    try:
        return int(os.environ.get(_PIXELS_ENV, DEFAULT_MAX_IMAGE_PIXELS))
    except ValueError:
        return DEFAULT_MAX_IMAGE_PIXELS


class ImageTooLargeError(UserError):
    """The header claims more pixels than the limit."""


def image_size(data):
    """(width, height) from the header of PNG/JPEG/BMP/TIFF/WebP bytes, or None when the format is not one of those
    or the header is cut off."""
    if isinstance(data, np.ndarray):
        data = np.ascontiguousarray(data, np.uint8).reshape(-1)
    data = memoryview(data).cast("B")   # indexing gives Python ints
    b = bytes(data[:64])
    try:
        if b[:8] == b"\x89PNG\r\n\x1a\n":
            return struct.unpack(">II", b[16:24])
        if b[:2] == b"BM":
            w, h = struct.unpack("<ii", b[18:26])
            return abs(w), abs(h)
        if b[:4] == b"RIFF" and b[8:12] == b"WEBP":
            kind = b[12:16]
            if kind == b"VP8 ":
                w, h = struct.unpack("<HH", b[26:30])
                return w & 0x3FFF, h & 0x3FFF
            if kind == b"VP8L":
                v = int.from_bytes(b[21:25], "little")
                return (v & 0x3FFF) + 1, ((v >> 14) & 0x3FFF) + 1
            if kind == b"VP8X":
                return int.from_bytes(b[24:27], "little") + 1, int.from_bytes(b[27:30], "little") + 1
            return None
        if b[:4] in (b"II*\x00", b"MM\x00*"):
            return _tiff_size(data)
        if b[:2] == b"\xff\xd8":
            return _jpeg_size(data)
    except (struct.error, IndexError, ValueError):
        return None
    return None


def _jpeg_size(data):
    i, n = 2, len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        length = (data[i + 2] << 8) | data[i + 3]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if i + 9 > n:
                return None
            h = (data[i + 5] << 8) | data[i + 6]
            w = (data[i + 7] << 8) | data[i + 8]
            return w, h
        if length < 2:
            return None
        i += 2 + length
    return None


def _tiff_size(data):
    order = "<" if bytes(data[:2]) == b"II" else ">"
    (ifd,) = struct.unpack(order + "I", bytes(data[4:8]))
    (count,) = struct.unpack(order + "H", bytes(data[ifd:ifd + 2]))
    size = {}
    for k in range(min(count, 512)):
        e = bytes(data[ifd + 2 + 12 * k: ifd + 14 + 12 * k])
        tag, typ = struct.unpack(order + "HH", e[:4])
        if tag in (256, 257):
            size[tag] = struct.unpack(order + ("H" if typ == 3 else "I"), e[8:10] if typ == 3 else e[8:12])[0]
    return (size[256], size[257]) if len(size) == 2 else None


def check_image_size(data, what):
    """Raise ImageTooLargeError if the header of the encoded image `data` claims more pixels than the limit, or
    UserError if no size can be read from it."""
    size = image_size(data)
    if size is None:
        raise UserError(f"{what}: not a readable image (empty, truncated or not PNG/JPEG/BMP/TIFF/WebP)")
    w, h = size
    limit = max_image_pixels()
    if int(w) * int(h) > limit:
        raise ImageTooLargeError(f"{what}: {w}x{h} image ({w * h / 1e6:.0f} MP) is over the "
                                 f"{limit / 1e6:g} MP limit; refused before decoding (raise it with "
                                 f"--max-image-megapixels if the image is genuine)")
    return size


def imdecode(data, flags, what):
    """Decode encoded image bytes after the pixel-limit check; UserError naming `what` if it cannot be decoded."""
    buf = np.frombuffer(data, np.uint8) if isinstance(data, (bytes, bytearray, memoryview)) else data
    check_image_size(buf, what)
    try:
        img = cv2.imdecode(buf, flags)
    except cv2.error as e:   # OpenCV asserts on some malformed headers instead of returning None
        raise UserError(f"{what}: not a readable image ({str(e).strip().splitlines()[-1][:160]})") from None
    if img is None:
        raise UserError(f"{what}: not a readable image (truncated or corrupt)")
    return img


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
    try:
        return imdecode(data, flags, p)
    except ImageTooLargeError:
        raise
    except UserError:
        if required:
            raise
        return None


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
