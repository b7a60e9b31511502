"""Writing merged frames and masks: 8-bit PNG (optionally BGRA with the mask as alpha), the synthetic-media label in
every file, the optional visible watermark, and frames without faces copied with their pixels untouched.
"""
from pathlib import Path

import cv2
import numpy as np

from core.cv2ex import cv2_imread, imdecode
from core.errors import UserError
from core.pathex import write_bytes_atomic
from merger import label


def to_u8(img):
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def encode_labelled_png(img_u8, path="image", made_by=None):
    """PNG bytes with the synthetic-media label and, when given, the stamp (label.model_stamp) of the model that
    made the image."""
    ok, buf = cv2.imencode(".png", img_u8)
    if not ok:
        raise UserError(f"cannot encode {path} as PNG")
    return label.label_png_bytes(buf.tobytes(), made_by)


def compose_output(img, mask, cfg):
    """uint8 image to write for a merged frame: BGR, or BGRA with the mask as alpha; watermark when asked."""
    out = to_u8(img)
    if cfg.export_alpha:
        out = np.concatenate([out, to_u8(mask.reshape(mask.shape[:2]))[..., None]], -1)
    if cfg.watermark:
        label.draw_watermark(out)
    return out


def merged_pngs(img, mask, cfg, out_path="image", mask_path="mask", made_by=None):
    """(frame PNG bytes, mask PNG bytes) of a merged frame, both labelled, the frame with the `made_by` model stamp;
    the paths only name errors."""
    return (encode_labelled_png(compose_output(img, mask, cfg), out_path, made_by),
            encode_labelled_png(to_u8(mask.reshape(mask.shape[:2])), mask_path))


def copied_pngs(src_path, out_path="image", mask_path="mask", shape=None):
    """(frame PNG bytes, mask PNG bytes) of a frame without faces: PNG bytes kept as they are (label chunks added),
    other formats re-encoded losslessly as PNG; the mask is black."""
    src_path = Path(src_path)
    data = src_path.read_bytes()
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        png = label.label_png_bytes(data)
        if shape is None:
            shape = imdecode(data, cv2.IMREAD_UNCHANGED, src_path).shape
    else:
        img = cv2_imread(src_path)
        shape = img.shape
        png = encode_labelled_png(img, out_path)
    return png, encode_labelled_png(np.zeros(shape[:2], np.uint8), mask_path)


def write_pngs(out_path, mask_path, pngs):
    write_bytes_atomic(out_path, pngs[0])
    write_bytes_atomic(mask_path, pngs[1])


def write_merged(out_path, mask_path, img, mask, cfg, made_by=None):
    write_pngs(out_path, mask_path, merged_pngs(img, mask, cfg, out_path, mask_path, made_by))


def copy_frame(src_path, out_path, mask_path, shape=None):
    write_pngs(out_path, mask_path, copied_pngs(src_path, out_path, mask_path, shape))
