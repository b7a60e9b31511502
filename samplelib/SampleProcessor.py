"""Turn one face sample into the training arrays a model asks for (reference §6 "SampleProcessor").

An output type is a dict: `sample_type` (FACE_IMAGE, FACE_MASK), `resolution`, `face_type` (FaceType),
`channel_type` (BGR, G, GGG; masks: G), `face_mask_type` (FULL_FACE, EYES, EYES_MOUTH), `warp`, `transform`,
`random_hsv_shift_amount`, `ct_mode` (a core.imagelib colour transfer, applied with the ct sample),
`normalize_tanh`, `nearest_resize_to`, `border_replicate` (default: images True, masks False), `data_format`
(NHWC, NCHW), `rnd_seed_shift`, `warp_rnd_seed_shift`.

All outputs of one sample derive their randomness from one seed, so the warped input, the target and the masks
share the affine transform and the flip; the grid warp is applied only where `warp` is True.
"""
from enum import IntEnum

import cv2
import numpy as np

from core.imagelib.color_transfer import color_transfer
from core.imagelib.filters import hsv_shift
from core.imagelib.warp import gen_warp_params, warp_by_params
from facelib import LandmarksProcessor


class SampleType(IntEnum):
    FACE_IMAGE = 2
    FACE_MASK = 3


class ChannelType(IntEnum):
    BGR = 1
    G = 2
    GGG = 3


class FaceMaskType(IntEnum):
    FULL_FACE = 1
    EYES = 2
    EYES_MOUTH = 3


class Options:
    """Random affine ranges shared by all outputs (rotation in degrees, the others as fractions of the size)."""

    def __init__(self, random_flip=True, rotation_range=(-10, 10), scale_range=(-0.05, 0.05),
                 tx_range=(-0.05, 0.05), ty_range=(-0.05, 0.05)):
        self.random_flip = random_flip
        self.rotation_range = rotation_range
        self.scale_range = scale_range
        self.tx_range = tx_range
        self.ty_range = ty_range


class _FaceSource:
    """The sample's image and masks, loaded once and re-warped once per (resolution, face type)."""

    def __init__(self, sample, ct_sample, seed):
        self.sample = sample
        self.ct_sample = ct_sample
        self.seed = seed
        self.bgr = sample.load_bgr()
        self.h, self.w = self.bgr.shape[:2]
        self.landmarks = np.asarray(sample.landmarks, dtype=np.float64)  # as the original: float64 matrices
        self.cache = {}
        self.ct_bgr = None

    def _cached(self, key, make):
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]

    def to_face(self, img, resolution, face_type, border_mode, interp):
        if face_type != self.sample.face_type:
            mat = LandmarksProcessor.get_transform_mat(self.landmarks, resolution, face_type)
            img = cv2.warpAffine(img, mat, (resolution, resolution), borderMode=border_mode, flags=interp)
        elif self.w != resolution:
            img = cv2.resize(img, (resolution, resolution), interpolation=interp)
        return img if img.ndim == 3 else img[..., None]

    def full_face_mask(self):
        def make():
            mask = self.sample.get_xseg_mask()
            if mask is not None:
                if mask.shape[:2] != (self.h, self.w):
                    mask = cv2.resize(mask, (self.w, self.h), interpolation=cv2.INTER_CUBIC)
                mask = mask.reshape(self.h, self.w, 1)
            else:
                mod = self.sample.eyebrows_expand_mod
                mask = LandmarksProcessor.get_image_hull_mask(self.bgr.shape, self.landmarks,
                                                             eyebrows_expand_mod=1.0 if mod is None else mod)
            return np.clip(mask, 0, 1).astype(np.float32)
        return self._cached("full", make)

    def mask(self, mask_type):
        if mask_type == FaceMaskType.FULL_FACE:
            return self.full_face_mask()
        eyes = LandmarksProcessor.get_image_eye_mask(self.bgr.shape, self.landmarks)
        if mask_type == FaceMaskType.EYES:
            return np.clip(eyes, 0, 1).astype(np.float32)
        mouth = LandmarksProcessor.get_image_mouth_mask(self.bgr.shape, self.landmarks)
        inside = (self.full_face_mask() != 0).astype(np.float32)
        return (np.clip(eyes + mouth, 0, 1) * inside).astype(np.float32)

    def face_image(self, resolution, face_type, border_mode, ct_mode):
        def make():
            img = self.to_face(self.bgr, resolution, face_type, border_mode, cv2.INTER_CUBIC)
            if ct_mode is not None and self.ct_sample is not None:
                if self.ct_bgr is None:
                    self.ct_bgr = self.ct_sample.load_bgr()
                ct = cv2.resize(self.ct_bgr, (resolution, resolution), interpolation=cv2.INTER_LINEAR)
                # one ct random stream per sample: the warped input and the target get the same recolouring
                img = color_transfer(ct_mode, img, ct, rnd_state=np.random.RandomState([self.seed, 1]))
            return img
        return self._cached(("img", resolution, int(face_type), border_mode, ct_mode), make)


def _channels(img, channel_type):
    if channel_type == ChannelType.BGR:
        return img
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)[..., None]
    if channel_type == ChannelType.G:
        return gray
    if channel_type == ChannelType.GGG:
        return np.repeat(gray, 3, -1)
    raise ValueError(f"unknown channel_type {channel_type}")


def process(sample, options, output_sample_types, seed, ct_sample=None):
    """The outputs (float32 arrays) of one sample for one seed; `ct_sample` is the colour-transfer target."""
    if sample.landmarks is None:
        raise ValueError(f"{sample.filename}: not a face sample (no landmarks)")
    src = _FaceSource(sample, ct_sample, seed)
    outputs = []
    for opts in output_sample_types:
        sample_type = opts["sample_type"]
        resolution = opts["resolution"]
        face_type = opts["face_type"]
        channel_type = opts.get("channel_type", ChannelType.BGR)
        warp = opts.get("warp", False)
        transform = opts.get("transform", False)
        shift = opts.get("rnd_seed_shift", 0)
        rnd_state = np.random.RandomState(seed + shift)
        warp_rnd_state = np.random.RandomState(seed + opts.get("warp_rnd_seed_shift", shift))
        params = gen_warp_params(resolution, options.random_flip, rotation_range=options.rotation_range,
                                 scale_range=options.scale_range, tx_range=options.tx_range,
                                 ty_range=options.ty_range, rnd_state=rnd_state, warp_rnd_state=warp_rnd_state)
        border_replicate = opts.get("border_replicate", sample_type == SampleType.FACE_IMAGE)
        border_mode = cv2.BORDER_REPLICATE if border_replicate else cv2.BORDER_CONSTANT

        if sample_type == SampleType.FACE_MASK:
            if channel_type != ChannelType.G:
                raise ValueError("masks are produced with channel_type G only")
            mask_type = opts.get("face_mask_type", FaceMaskType.FULL_FACE)
            img = src.to_face(src.mask(mask_type), resolution, face_type, border_mode, cv2.INTER_LINEAR)
            img = warp_by_params(params, img, warp, transform, can_flip=True, border_replicate=border_replicate,
                                 cv2_inter=cv2.INTER_LINEAR)
            if mask_type == FaceMaskType.EYES_MOUTH:
                peak = img.max()
                if peak != 0:
                    img = img / peak  # interpolation lowers the peak of small regions: back to 1
            out = np.clip(img, 0, 1).astype(np.float32)
        elif sample_type == SampleType.FACE_IMAGE:
            img = src.face_image(resolution, face_type, border_mode, opts.get("ct_mode"))
            amount = opts.get("random_hsv_shift_amount", 0)
            if amount:
                h_amount = max(1, int(360 * amount * 0.5))
                img = hsv_shift(img, rnd_state.randint(-h_amount, h_amount + 1),
                                (rnd_state.random_sample() - 0.5) * amount, (rnd_state.random_sample() - 0.5) * amount)
            img = warp_by_params(params, img, warp, transform, can_flip=True, border_replicate=border_replicate)
            out = _channels(np.clip(img, 0, 1).astype(np.float32), channel_type)
        else:
            raise ValueError(f"unknown sample_type {sample_type}")

        size = opts.get("nearest_resize_to")
        if size is not None:
            out = cv2.resize(out, (size, size), interpolation=cv2.INTER_NEAREST)
            out = out if out.ndim == 3 else out[..., None]
        if opts.get("normalize_tanh", False):
            out = np.clip(out * 2.0 - 1.0, -1.0, 1.0)
        if opts.get("data_format", "NHWC") == "NCHW":
            out = np.transpose(out, (2, 0, 1))
        outputs.append(np.ascontiguousarray(out, dtype=np.float32))
    return outputs
