"""Training batches for XSeg: face images with their segmentation masks, heavily augmented (reference §3.5).

Faces come from one or more aligned folders (src and dst). Faces with XSeg editor polygons are used; when none has
polygons, faces with an applied `xseg_mask` (binarized at 0.5) are used instead; with neither, a UserError says
"No segmented faces found". Each batch is `[images (N,res,res,3), masks (N,res,res,1) of 0/1]` (NCHW when asked).
"""
import cv2
import numpy as np

from core.errors import UserError
from core.imagelib import filters
from core.imagelib.warp import gen_warp_params, warp_by_params
from core.interact import log_info
from facelib import LandmarksProcessor
from samplelib import SampleLoader
from samplelib.IndexHost import IndexHost
from samplelib.SampleGeneratorBase import SampleError, SampleGeneratorBase

_WARP = dict(rotation_range=(-10, 10), scale_range=(-0.05, 0.05), tx_range=(-0.05, 0.05), ty_range=(-0.05, 0.05))
_BG_WARP = dict(rotation_range=(-180, 180), scale_range=(-0.10, 0.10), tx_range=(-0.10, 0.10), ty_range=(-0.10, 0.10))
RESIZE_CHANCE, RESIZE_MAX_PER = 25, 75
SHARPEN_CHANCE, SHARPEN_MAX_KERNEL = 25, 5
MOTION_BLUR_CHANCE, MOTION_BLUR_MAX = 25, 5
GAUSSIAN_BLUR_CHANCE, GAUSSIAN_BLUR_MAX = 25, 5
JPEG_CHANCE = 25


def _img_mask(sample, resolution, face_type):
    """The face and its mask (polygons, else the applied xseg mask binarized) at `resolution` in `face_type`."""
    img = sample.load_bgr()
    h, w = img.shape[:2]
    if sample.seg_ie_polys is not None and sample.seg_ie_polys.has_polys():
        mask = np.zeros((h, w, 1), dtype=np.float32)
        sample.seg_ie_polys.overlay_mask(mask)
    else:
        mask = sample.get_xseg_mask()
        if mask is None:
            raise ValueError("no polygons and no xseg mask")
        mask = cv2.resize(mask, (w, h), interpolation=cv2.INTER_LINEAR) if mask.shape[:2] != (h, w) else mask
        mask = (mask.reshape(h, w, 1) >= 0.5).astype(np.float32)
    if face_type == sample.face_type:
        if w != resolution:
            img = cv2.resize(img, (resolution, resolution), interpolation=cv2.INTER_LANCZOS4)
            mask = cv2.resize(mask, (resolution, resolution), interpolation=cv2.INTER_LANCZOS4)
    else:
        mat = LandmarksProcessor.get_transform_mat(np.asarray(sample.landmarks, np.float32), resolution, face_type)
        img = cv2.warpAffine(img, mat, (resolution, resolution), borderMode=cv2.BORDER_CONSTANT,
                             flags=cv2.INTER_LANCZOS4)
        mask = cv2.warpAffine(mask, mat, (resolution, resolution), borderMode=cv2.BORDER_CONSTANT,
                              flags=cv2.INTER_LANCZOS4)
    return img, mask.reshape(resolution, resolution, 1)


def _color_shift(img, mask, rnd):
    if rnd.randint(2) == 0:
        return filters.apply_random_hsv_shift(img, mask=mask, rnd_state=rnd)
    return filters.apply_random_rgb_levels(img, mask=mask, rnd_state=rnd)


def _augment(sample, bg_sample, resolution, face_type, rnd):
    img, mask = _img_mask(sample, resolution, face_type)
    if bg_sample is not None:
        # another labelled face, spun and recoloured, shows through the background
        bg_img, bg_mask = _img_mask(bg_sample, resolution, face_type)
        bg_wp = gen_warp_params(resolution, True, rnd_state=rnd, warp_rnd_state=rnd, **_BG_WARP)
        bg_img = warp_by_params(bg_wp, bg_img, False, True, True, border_replicate=True)
        bg_mask = warp_by_params(bg_wp, bg_mask, False, True, True, border_replicate=False)
        bg_img = _color_shift(bg_img * (1 - bg_mask), None, rnd)
        c_mask = 1.0 - (1 - bg_mask) * (1 - mask)
        keep = 0.15 + rnd.uniform() * 0.85
        img = img * c_mask + img * (1 - c_mask) * keep + bg_img * (1 - c_mask) * (1 - keep)

    wp = gen_warp_params(resolution, True, rnd_state=rnd, warp_rnd_state=rnd, **_WARP)
    img = warp_by_params(wp, img, True, True, True, border_replicate=True)
    mask = warp_by_params(wp, mask, True, True, True, border_replicate=False)
    img = np.clip(img.astype(np.float32), 0, 1)
    mask = (mask >= 0.5).astype(np.float32)

    for region in (mask, 1 - mask):  # face flare, then background flare
        if rnd.randint(2) == 0:
            k = rnd.randint(resolution // 4, resolution)
            k = k - k % 2 + 1
            img = img + cv2.GaussianBlur(img * region, (k, k), 0).reshape(img.shape)

    def circle():
        return filters.random_circle_faded((resolution, resolution), rnd_state=rnd)

    img = _color_shift(img, circle(), rnd)
    if rnd.randint(2) == 0:
        img = filters.apply_random_sharpen(img, SHARPEN_CHANCE, SHARPEN_MAX_KERNEL, mask=circle(), rnd_state=rnd)
    else:
        img = filters.apply_random_motion_blur(img, MOTION_BLUR_CHANCE, MOTION_BLUR_MAX, mask=circle(), rnd_state=rnd)
        img = filters.apply_random_gaussian_blur(img, GAUSSIAN_BLUR_CHANCE, GAUSSIAN_BLUR_MAX, mask=circle(),
                                                 rnd_state=rnd)
    resize = filters.apply_random_nearest_resize if rnd.randint(2) == 0 else filters.apply_random_bilinear_resize
    img = np.clip(resize(img, RESIZE_CHANCE, RESIZE_MAX_PER, mask=circle(), rnd_state=rnd), 0, 1)
    img = filters.apply_random_jpeg_compress(img, JPEG_CHANCE, mask=circle(), rnd_state=rnd)
    return np.clip(img, 0, 1).astype(np.float32), mask


def _build_batch(state, task):
    samples, resolution, face_type, data_format = state
    images, masks = [], []
    for idx, bg_idx, seed in task:
        sample = samples[idx]
        try:
            img, mask = _augment(sample, samples[bg_idx] if bg_idx is not None else None, resolution, face_type,
                                 np.random.RandomState(seed))
        except (OSError, ValueError, UserError) as e:
            raise SampleError(f"sample {sample.filename}: {e}") from None
        if data_format == "NCHW":
            img, mask = img.transpose(2, 0, 1), mask.transpose(2, 0, 1)
        images.append(img)
        masks.append(mask)
    return [np.stack(images), np.stack(masks)]


def _has_polys(sample):
    return sample.seg_ie_polys is not None and sample.seg_ie_polys.get_pts_count() != 0


def _has_xseg_mask(sample):
    return sample.xseg_mask_compressed is not None


class SampleGeneratorFaceXSeg(SampleGeneratorBase):
    """`paths`: aligned folders; `face_type`: the XSeg model's FaceType; `generators_count`: worker processes
    (0 or `debug`: in this thread); `seed` fixes the batch sequence."""

    def __init__(self, paths, face_type, debug=False, batch_size=1, resolution=256, generators_count=4,
                 data_format="NHWC", seed=None):
        self.batch_size = batch_size
        samples = [s for p in paths for s in SampleLoader.load_face_samples(p)]
        idxs = [i for i, s in enumerate(samples) if _has_polys(s)]
        if idxs:
            log_info(f"Using {len(idxs)} segmented samples.")
        else:
            idxs = [i for i, s in enumerate(samples) if _has_xseg_mask(s)]
            if not idxs:
                raise UserError("No segmented faces found: label faces with the XSeg editor "
                                "(or apply a trained XSeg mask) first")
            log_info(f"Using {len(idxs)} xseg labeled samples.")
        self.idxs = idxs
        self.rnd = np.random.RandomState(np.random.SeedSequence(seed).generate_state(1)[0])
        self.index_host = IndexHost(len(idxs), self.rnd)
        self.bg_index_host = IndexHost(len(idxs), self.rnd)
        state = ([samples[i] for i in idxs], resolution, face_type, data_format)
        super().__init__(_build_batch, state, self._next_task, 0 if debug else generators_count, name="XSeg samples")

    def _next_task(self):
        task = []
        for idx in self.index_host.multi_get(self.batch_size):
            bg = self.bg_index_host.multi_get(1)[0] if self.rnd.randint(2) == 0 else None
            task.append((idx, bg, int(self.rnd.randint(0x80000000))))
        return task

    def is_initialized(self):
        return True
