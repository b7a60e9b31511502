"""Random image augmentations for training (XSeg, reference §3.5) and the blur/sharpen kernels they share.

Every `apply_random_*` takes a float32 BGR image in 0..1, an optional blend `mask` (H, W, 1) that limits where the
effect shows (`img*(1-mask) + result*mask`), and a `rnd_state` (np.random.RandomState; the global state when None)
so a seeded generator reproduces its batches. `random_circle_faded` draws such masks.
"""
import cv2
import numpy as np


def _rng(rnd_state):
    return np.random.mtrand._rand if rnd_state is None else rnd_state


def _blend(img, result, mask):
    return result if mask is None else img * (1 - mask) + result * mask


def linear_motion_blur(img, size, angle):
    """Blur along a line of `size` px rotated by `angle` degrees."""
    k = np.zeros((size, size), dtype=np.float32)
    k[(size - 1) // 2, :] = 1.0
    k = cv2.warpAffine(k, cv2.getRotationMatrix2D((size / 2 - 0.5, size / 2 - 0.5), angle, 1.0), (size, size))
    return cv2.filter2D(img, -1, k / np.sum(k))


def blursharpen(img, sharpen_mode=0, kernel_size=3, amount=100):
    """amount > 0 sharpens (mode 1 box: identity + (identity - box)*amount; mode 2 gaussian unsharp with weight
    1 + 0.5*amount); amount < 0 blurs with repeated 5x5 median passes, one per 10 units, the last one partial."""
    if kernel_size % 2 == 0:
        kernel_size += 1
    if amount > 0:
        if sharpen_mode == 1:
            ident = np.zeros((kernel_size, kernel_size), dtype=np.float32)
            ident[kernel_size // 2, kernel_size // 2] = 1.0
            box = np.ones((kernel_size, kernel_size), dtype=np.float32) / kernel_size ** 2
            return cv2.filter2D(img, -1, ident + (ident - box) * amount)
        if sharpen_mode == 2:
            blur = cv2.GaussianBlur(img, (kernel_size, kernel_size), 0)
            return cv2.addWeighted(img, 1.0 + 0.5 * amount, blur, -0.5 * amount, 0)
        return img
    n = -amount
    while n > 0:
        img_blur = cv2.medianBlur(img, 5)
        if n >= 10:
            img = img_blur
        else:
            p = (n % 10) / 10.0
            img = img * (1.0 - p) + img_blur * p
        n = max(n - 10, 0)
    return img


def apply_random_rgb_levels(img, mask=None, rnd_state=None):
    """Random per-channel input black/white points, gamma 0.5..1.5 and output black/white points."""
    r = _rng(rnd_state).rand
    in_black = np.array([r() * 0.25 for _ in range(3)], dtype=np.float32)
    in_white = np.array([1.0 - r() * 0.25 for _ in range(3)], dtype=np.float32)
    gamma = np.array([0.5 + r() for _ in range(3)], dtype=np.float32)
    out_black = np.array([r() * 0.25 for _ in range(3)], dtype=np.float32)
    out_white = np.array([1.0 - r() * 0.25 for _ in range(3)], dtype=np.float32)
    result = np.clip((img - in_black) / (in_white - in_black), 0, 1)
    result = np.clip(result ** (1 / gamma) * (out_white - out_black) + out_black, 0, 1)
    return _blend(img, result, mask)


def hsv_shift(img, h_shift, s_shift, v_shift):
    """Shift hue (degrees) and add to saturation and value in OpenCV float HSV; clipped to 0..1."""
    h, s, v = cv2.split(cv2.cvtColor(np.ascontiguousarray(img, np.float32), cv2.COLOR_BGR2HSV))
    h = (h + h_shift) % 360
    s = np.clip(s + s_shift, 0, 1)
    v = np.clip(v + v_shift, 0, 1)
    return np.clip(cv2.cvtColor(cv2.merge([h, s, v]), cv2.COLOR_HSV2BGR), 0, 1)


def apply_random_hsv_shift(img, mask=None, rnd_state=None):
    """Any hue rotation, saturation and value +-0.5."""
    rng = _rng(rnd_state)
    h = rng.randint(360)
    s = rng.random_sample() - 0.5
    v = rng.random_sample() - 0.5
    return _blend(img, hsv_shift(img, h, s, v), mask)


def apply_random_sharpen(img, chance, kernel_max_size, mask=None, rnd_state=None):
    """With `chance`% probability: box (amount < 10) or gaussian (amount < 50) sharpening, kernel 1..max."""
    rng = _rng(rnd_state)
    kernel = rng.randint(kernel_max_size) + 1
    if rng.randint(100) >= np.clip(chance, 0, 100):
        return img
    if rng.randint(2) == 0:
        result = blursharpen(img, 1, kernel, rng.randint(10))
    else:
        result = blursharpen(img, 2, kernel, rng.randint(50))
    return _blend(img, result, mask)


def apply_random_motion_blur(img, chance, mb_max_size, mask=None, rnd_state=None):
    """With `chance`% probability: motion blur of 1..mb_max_size px at a random angle."""
    rng = _rng(rnd_state)
    size = rng.randint(mb_max_size) + 1
    angle = rng.randint(360)
    if rng.randint(100) >= np.clip(chance, 0, 100):
        return img
    return _blend(img, linear_motion_blur(img, size, angle), mask)


def apply_random_gaussian_blur(img, chance, kernel_max_size, mask=None, rnd_state=None):
    """With `chance`% probability: gaussian blur with an odd kernel below 2*kernel_max_size."""
    rng = _rng(rnd_state)
    if rng.randint(100) >= np.clip(chance, 0, 100):
        return img
    k = rng.randint(kernel_max_size) * 2 + 1
    return _blend(img, cv2.GaussianBlur(img, (k, k), 0), mask)


def apply_random_resize(img, chance, max_size_per, interpolation=cv2.INTER_LINEAR, mask=None, rnd_state=None):
    """With `chance`% probability: shrink by up to `max_size_per`% and scale back (loses detail)."""
    rng = _rng(rnd_state)
    if rng.randint(100) >= np.clip(chance, 0, 100):
        return img
    h, w = img.shape[:2]
    t = rng.rand()
    rw = max(1, w - int(t * int(w * max_size_per / 100.0)))
    rh = max(1, h - int(t * int(h * max_size_per / 100.0)))
    result = cv2.resize(img, (rw, rh), interpolation=interpolation)
    result = cv2.resize(result, (w, h), interpolation=interpolation)
    if result.ndim < img.ndim:
        result = result[..., None]
    return _blend(img, result, mask)


def apply_random_nearest_resize(img, chance, max_size_per, mask=None, rnd_state=None):
    return apply_random_resize(img, chance, max_size_per, cv2.INTER_NEAREST, mask, rnd_state)


def apply_random_bilinear_resize(img, chance, max_size_per, mask=None, rnd_state=None):
    return apply_random_resize(img, chance, max_size_per, cv2.INTER_LINEAR, mask, rnd_state)


def apply_random_jpeg_compress(img, chance, mask=None, rnd_state=None):
    """With `chance`% probability: JPEG round trip at quality 10..100."""
    rng = _rng(rnd_state)
    if rng.randint(100) >= np.clip(chance, 0, 100):
        return img
    quality = rng.randint(10, 101)
    ok, buf = cv2.imencode(".jpg", np.clip(img * 255, 0, 255).astype(np.uint8), [int(cv2.IMWRITE_JPEG_QUALITY), quality])
    if not ok:
        return img
    result = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED).astype(np.float32) / 255.0
    result = result.reshape(img.shape)
    return _blend(img, result, mask)


def circle_faded(wh, center, fade_start, fade_end):
    """(H, W, 1) float32 mask: 1 within `fade_start` px of `center` (x, y), fading linearly to 0 over the next
    `fade_end` px."""
    w, h = wh
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    dist = np.sqrt((xs - center[0]) ** 2 + (ys - center[1]) ** 2)
    mask = np.clip(1 - (dist - fade_start) / max(fade_end, 1), 0, 1)
    return mask[..., None].astype(np.float32)


def random_circle_faded(wh, rnd_state=None):
    """A faded circle at a random position with random radius and fade length (wh = (w, h))."""
    rng = _rng(rnd_state)
    w, h = wh
    wh_max = max(w, h)
    fade_start = rng.randint(wh_max)
    fade_end = fade_start + rng.randint(wh_max - fade_start)
    return circle_faded(wh, (rng.randint(w), rng.randint(h)), fade_start, fade_end)
