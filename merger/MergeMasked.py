"""Per-frame compositing of predicted faces into a frame (reference §7.2): masks, erode/blur, modes, colour transfer,
post-processing, several faces per frame.

`face_input(frame, landmarks, cfg, input_size)` cuts the face the model sees; the caller (the merger's main process)
runs the model in batches and, when the settings need them, the super resolution enhancer and the XSeg net
(`xseg_dst_input` / `xseg_prd_input` give their inputs), and passes each face's `FacePrediction` to
`merge_frame(frame, faces, cfg, input_size, frame_info)`, which returns the merged BGR frame and its mask (float32
0..1). Mask modes, blend modes and colour transfers are looked up in registries.
"""
import cv2
import numpy as np
from PIL import Image

from core.errors import UserError
from core.imagelib import color_transfer as ct
from core.imagelib.filters import blursharpen, linear_motion_blur
from facelib import LandmarksProcessor
from facelib.FaceType import FaceType
from merger.MergerConfig import MASK_MODES
from merger.Predictor import FacePrediction

_INV = cv2.WARP_INVERSE_MAP | cv2.INTER_CUBIC
XSEG_RES = 256
XSEG_PRD_MODES = (6, 8, 9)
XSEG_DST_MODES = (7, 8, 9)


def _face_type(cfg):
    return FaceType.fromString(cfg.face_type) if isinstance(cfg.face_type, str) else FaceType(cfg.face_type)


def output_size(cfg, input_size):
    return input_size * 4 if cfg.super_resolution_power > 0 else input_size


def face_input(frame, landmarks, cfg, input_size):
    """The dst face as the model sees it: float32 (input_size, input_size, 3) 0..1. A pre-sharpen power N sharpens
    it as the gaussian blur/sharpen amount N sharpens the merged face, but before the model."""
    size = output_size(cfg, input_size)
    mat = LandmarksProcessor.get_transform_mat(landmarks, size, _face_type(cfg))
    face = np.clip(cv2.warpAffine(frame, mat, (size, size), flags=cv2.INTER_CUBIC), 0, 1)
    face = cv2.resize(face, (input_size, input_size)) if size != input_size else face
    if cfg.pre_sharpen_power > 0:
        face = np.clip(blursharpen(face, 2, 3, cfg.pre_sharpen_power), 0, 1)
    return face


def super_resolved(prd, enhanced, cfg, out_size):
    """The predicted face blended with its x4 enhanced version by the super resolution power (reference §7.2.3)."""
    p = cfg.super_resolution_power / 100.0
    if enhanced.shape[0] != out_size:
        enhanced = cv2.resize(enhanced, (out_size, out_size), interpolation=cv2.INTER_CUBIC)
    return np.clip(cv2.resize(prd, (out_size, out_size), interpolation=cv2.INTER_CUBIC) * (1 - p) + enhanced * p,
                   0, 1).astype(np.float32)


def xseg_dst_input(frame, landmarks, cfg):
    """The dst face as XSeg sees it: warped from the frame to 256 px with the model's face type."""
    mat = LandmarksProcessor.get_transform_mat(landmarks, XSEG_RES, _face_type(cfg))
    return np.clip(cv2.warpAffine(frame, mat, (XSEG_RES, XSEG_RES), flags=cv2.INTER_CUBIC), 0, 1)


def xseg_prd_input(prediction, cfg, input_size):
    """The predicted face (super-resolved when asked) resized to 256 px for XSeg."""
    prd = np.clip(prediction.bgr, 0, 1)
    if cfg.super_resolution_power > 0:
        prd = super_resolved(prd, prediction.enhanced, cfg, output_size(cfg, input_size))
    return cv2.resize(prd, (XSEG_RES, XSEG_RES), interpolation=cv2.INTER_CUBIC)


# ----------------------------------------------------------------------------------------------------- mask modes
def xseg_missing(cfg):
    return UserError(f"mask mode '{MASK_MODES[cfg.mask_mode]}' needs a trained XSeg model: put its XSeg_256.npy "
                     f"into the model folder (train one with '5.XSeg) train'), or choose mask mode 0-5")


def _need_xseg(ctx, which):
    mask = ctx["xseg_" + which]
    if mask is None:
        raise xseg_missing(ctx["cfg"])
    size = ctx["dst_mask"].shape[0]
    return cv2.resize(np.asarray(mask, np.float32).reshape(mask.shape[:2]), (size, size),
                      interpolation=cv2.INTER_CUBIC)


MASK_FUNCS = {
    0: lambda c: np.ones_like(c["dst_mask"]),
    1: lambda c: c["dst_mask"],
    2: lambda c: c["prd_mask"],
    3: lambda c: c["prd_dst_mask"],
    4: lambda c: c["prd_mask"] * c["prd_dst_mask"],
    5: lambda c: np.clip(c["prd_mask"] + c["prd_dst_mask"], 0, 1),
    6: lambda c: _need_xseg(c, "prd"),
    7: lambda c: _need_xseg(c, "dst"),
    8: lambda c: _need_xseg(c, "prd") * _need_xseg(c, "dst"),
    9: lambda c: c["prd_mask"] * c["prd_dst_mask"] * _need_xseg(c, "prd") * _need_xseg(c, "dst"),
}


def erode_blur(mask, erode, blur, pad):
    """Erode (>0) / dilate (<0) and blur a face-space mask with a zeroed border, as the original (reference §7.2.5)."""
    m = np.pad(mask, pad)
    if erode > 0:
        m = cv2.erode(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (erode, erode)), iterations=1)
    elif erode < 0:
        m = cv2.dilate(m, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (-erode, -erode)), iterations=1)
    edge = pad + blur // 2
    m[:edge, :] = 0
    m[-edge:, :] = 0
    m[:, :edge] = 0
    m[:, -edge:] = 0
    if blur > 0:
        k = blur + (1 - blur % 2)
        m = cv2.GaussianBlur(m, (k, k), 0)
    return np.clip(m[pad:-pad, pad:-pad], 0, 1)


# ----------------------------------------------------------------------------------------------- colour transfer
def _masked(mode):
    return lambda prd, dst, area: ct.color_transfer(mode, prd * area, dst * area)


COLOR_TRANSFER_FUNCS = {
    "none": lambda prd, dst, area: prd,
    "rct": lambda prd, dst, area: ct.reinhard_color_transfer(prd, dst, src_mask=area, trg_mask=area),
    "lct": lambda prd, dst, area: ct.color_transfer("lct", prd, dst),
    "mkl": lambda prd, dst, area: ct.color_transfer("mkl", prd, dst),
    "mkl-m": _masked("mkl"),
    "idt": lambda prd, dst, area: ct.color_transfer("idt", prd, dst),
    "idt-m": _masked("idt"),
    "sot-m": _masked("sot"),
    "mix-m": _masked("mix"),
}


def transfer_colors(cfg, prd, dst, area):
    return np.clip(COLOR_TRANSFER_FUNCS[cfg.color_transfer_mode](prd, dst, area), 0, 1).astype(np.float32)


# -------------------------------------------------------------------------------------- face-space mode handlers
def _hist_match(cfg, prd, dst, area):
    hist_mask = area if cfg.masked_hist_match else np.ones_like(area)
    white = 1.0 - hist_mask
    a = np.minimum(prd * hist_mask + white, 1.0)
    b = np.minimum(dst * hist_mask + white, 1.0)
    return ct.color_hist_match(a * 255, b * 255, cfg.hist_match_threshold).astype(np.float32) / 255


def _gray3(img):
    return np.repeat(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)[..., None], 3, -1)


PRE_BLEND = {
    "overlay": lambda cfg, prd, dst, area: prd,
    "hist-match": _hist_match,
    "hist-match-bw": lambda cfg, prd, dst, area: _hist_match(cfg, _gray3(prd), _gray3(dst), area),
    "seamless": lambda cfg, prd, dst, area: prd,
    "seamless-hist-match": lambda cfg, prd, dst, area: prd,
}


def _seamless(out_img, frame, mask):
    """Poisson-blend with the mask binarised at the first threshold k/10 that keeps pixels; the centre is the mask's
    bounding box centre, computed here so the face does not jitter."""
    for i in range(1, 10):
        hard = mask[..., 0] > i / 10.0
        if hard.any():
            break
    else:
        return out_img
    hard_u8 = hard.astype(np.uint8) * 255
    x, y, w, h = cv2.boundingRect(hard_u8)
    try:
        res = cv2.seamlessClone((out_img * 255).astype(np.uint8), (frame * 255).astype(np.uint8), hard_u8,
                                (int(x + w / 2), int(y + h / 2)), cv2.NORMAL_CLONE)
    except cv2.error:
        # The mask touches the frame border in a way seamlessClone rejects: keep the plain overlay.
        return out_img
    return res.astype(np.float32) / 255


def reduce_colors(img, n_colors=256):
    """Adaptive n-colour palette version of a float BGR image (Pillow)."""
    rgb = cv2.cvtColor((np.clip(img, 0, 1) * 255).astype(np.uint8), cv2.COLOR_BGR2RGB)
    pal = Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE, colors=n_colors).convert("RGB")
    return cv2.cvtColor(np.asarray(pal, np.float32) / 255, cv2.COLOR_RGB2BGR)


def _denoise(frame, power):
    """Repeated 5x5 median on the frame: one full pass per 100 units, the remainder blended."""
    n = power
    while n > 0:
        den = cv2.medianBlur(frame, 5)
        frame = den if n >= 100 else frame * (1 - n / 100) + den * (n / 100)
        n -= 100
    return frame


def _bicubic_degrade(frame, power):
    h, w = frame.shape[:2]
    p = 1.0 - power / 101.0
    small = cv2.resize(frame, (max(1, int(w * p)), max(1, int(h * p))), interpolation=cv2.INTER_CUBIC)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


# ------------------------------------------------------------------------------------------------------ one face
def merge_face(frame, landmarks, prediction, cfg, input_size, frame_info=None, enhancer=None):
    """Composite one predicted face (FacePrediction or (bgr, mask, dst_mask)) into `frame` (float32 BGR 0..1).
    Super resolution uses the prediction's `enhanced` face, else calls `enhancer`. Returns (image, mask (H, W, 1))."""
    h, w = frame.shape[:2]
    face_type = _face_type(cfg)
    out_size = output_size(cfg, input_size)
    subres = input_size * 4
    scale = 1.0 + 0.01 * cfg.output_face_scale
    face_mat = LandmarksProcessor.get_transform_mat(landmarks, out_size, face_type)
    face_output_mat = LandmarksProcessor.get_transform_mat(landmarks, out_size, face_type, scale=scale)
    mask_output_mat = face_output_mat if subres == out_size else \
        LandmarksProcessor.get_transform_mat(landmarks, subres, face_type, scale=scale)

    if cfg.mode == "original":
        return frame, np.zeros((h, w, 1), np.float32)

    dst_face = np.clip(cv2.warpAffine(frame, face_mat, (out_size, out_size), flags=cv2.INTER_CUBIC), 0, 1)
    hull = LandmarksProcessor.get_image_hull_mask(frame.shape, landmarks)
    dst_mask = np.clip(cv2.warpAffine(hull, face_mat, (out_size, out_size), flags=cv2.INTER_CUBIC), 0, 1)

    pred = FacePrediction.of(prediction)
    prd, prd_mask, prd_dst_mask = (np.clip(np.asarray(a, np.float32), 0, 1) for a in (pred.bgr, pred.mask,
                                                                                       pred.dst_mask))
    prd_mask, prd_dst_mask = prd_mask.reshape(prd_mask.shape[:2]), prd_dst_mask.reshape(prd_dst_mask.shape[:2])
    if cfg.super_resolution_power > 0:
        enhanced = pred.enhanced if pred.enhanced is not None else enhancer(prd)
        prd = super_resolved(prd, enhanced, cfg, out_size)
        prd_mask = cv2.resize(prd_mask, (out_size, out_size), interpolation=cv2.INTER_CUBIC)
        prd_dst_mask = cv2.resize(prd_dst_mask, (out_size, out_size), interpolation=cv2.INTER_CUBIC)

    ctx = {"cfg": cfg, "dst_mask": dst_mask, "prd_mask": prd_mask, "prd_dst_mask": prd_dst_mask,
           "xseg_prd": pred.xseg_prd, "xseg_dst": pred.xseg_dst}
    wrk_mask = np.asarray(MASK_FUNCS[cfg.mask_mode](ctx), np.float32).reshape(out_size, out_size)
    wrk_mask = np.clip(wrk_mask, 0, 1)
    wrk_mask[wrk_mask < 1 / 255] = 0
    if subres != out_size:
        wrk_mask = cv2.resize(wrk_mask, (subres, subres), interpolation=cv2.INTER_CUBIC)
    if not cfg.is_raw():
        wrk_mask = erode_blur(wrk_mask, cfg.erode_mask_modifier, cfg.blur_mask_modifier, input_size)
    img_mask = cv2.warpAffine(wrk_mask, mask_output_mat, (w, h), flags=_INV, borderMode=cv2.BORDER_CONSTANT)
    img_mask = np.clip(img_mask, 0, 1)[..., None]
    img_mask[img_mask < 1 / 255] = 0

    if cfg.mode == "raw-rgb":
        pasted = cv2.warpAffine(prd, face_output_mat, (w, h), frame.copy(), _INV, cv2.BORDER_TRANSPARENT)
        square = cv2.warpAffine(np.ones(prd.shape[:2], np.float32), face_output_mat, (w, h), flags=_INV)[..., None]
        return np.clip(frame * (1 - square) + pasted * square, 0, 1), np.clip(square, 0, 1)
    if cfg.mode == "raw-predict":
        return prd, cv2.resize(wrk_mask, (out_size, out_size))[..., None]

    ys, xs = np.nonzero(img_mask[..., 0] >= 0.1)
    if ys.size == 0 or min(xs.max() - xs.min(), ys.max() - ys.min()) < 4:
        return frame, img_mask

    area = cv2.resize(wrk_mask, (out_size, out_size), interpolation=cv2.INTER_CUBIC)[..., None]
    area = (area > 0).astype(np.float32)
    seamless = "seamless" in cfg.mode
    if not seamless:
        prd = transfer_colors(cfg, prd, dst_face, area)
    prd = PRE_BLEND[cfg.mode](cfg, prd, dst_face, area)
    out = np.clip(cv2.warpAffine(prd, face_output_mat, (w, h), frame.copy(), _INV, cv2.BORDER_TRANSPARENT), 0, 1)
    if seamless:
        out = _seamless(out, frame, img_mask)
    out = frame * (1 - img_mask) + out * img_mask

    motion = cfg.motion_blur_power / 100.0
    post = ((seamless and cfg.color_transfer_mode != "none") or cfg.mode == "seamless-hist-match" or motion > 0
            or cfg.blursharpen_amount != 0 or cfg.image_denoise_power > 0 or cfg.bicubic_degrade_power > 0)
    if post:
        out_face = cv2.warpAffine(out, face_mat, (out_size, out_size), flags=cv2.INTER_CUBIC)
        if seamless and cfg.color_transfer_mode != "none":
            out_face = transfer_colors(cfg, out_face, dst_face, area)
        if cfg.mode == "seamless-hist-match":
            out_face = ct.color_hist_match(out_face * 255, dst_face * 255, cfg.hist_match_threshold) / 255
        if motion > 0 and frame_info is not None:
            k = int(frame_info.motion_power * motion)
            if k >= 1:
                k = int(np.clip(k + 1, 2, 50)) * (2 if cfg.super_resolution_power > 0 else 1)
                out_face = linear_motion_blur(out_face, k, frame_info.motion_deg)
        if cfg.blursharpen_amount != 0:
            out_face = blursharpen(out_face, cfg.sharpen_mode, 3, cfg.blursharpen_amount)
        background = frame
        if cfg.image_denoise_power > 0:
            background = _denoise(background, cfg.image_denoise_power)
        if cfg.bicubic_degrade_power > 0:
            background = _bicubic_degrade(background, cfg.bicubic_degrade_power)
        out_face = np.clip(out_face, 0, 1).astype(np.float32)
        pasted = cv2.warpAffine(out_face, face_mat, (w, h), background.copy(), _INV, cv2.BORDER_TRANSPARENT)
        out = background * (1 - img_mask) + pasted * img_mask
    return np.clip(out, 0, 1).astype(np.float32), img_mask


# ----------------------------------------------------------------------------------------------------- one frame
def merge_frame(frame, faces, cfg, input_size, frame_info=None, enhancer=None):
    """Composite every face of a frame. `faces` = [(landmarks, FacePrediction or (bgr, mask, dst_mask)), ...].
    Returns (image float32 BGR, mask float32 (H, W, 1)); for raw-predict the face-sized prediction and its mask."""
    final_img, final_mask = None, None
    for landmarks, prediction in faces:
        img, mask = merge_face(frame, landmarks, prediction, cfg, input_size, frame_info, enhancer)
        if final_img is None:
            final_img, final_mask = img, mask
        elif img.shape == final_img.shape:
            final_img = final_img * (1 - mask) + img * mask
            final_mask = np.clip(final_mask + mask, 0, 1)
    if final_img is None:
        return frame, np.zeros(frame.shape[:2] + (1,), np.float32)
    if cfg.color_degrade_power > 0 and not cfg.is_raw() and cfg.mode != "original":
        alpha = cfg.color_degrade_power / 100.0
        final_img = final_img * (1 - alpha) + reduce_colors(final_img) * alpha
    return np.clip(final_img, 0, 1).astype(np.float32), final_mask.astype(np.float32)
