"""Pure measurement functions of the quality report: landmark/pose errors, seam figures, jitter, SSIM and PSNR."""
import math

import cv2
import numpy as np

from facelib import LandmarksProcessor
from facelib.FaceType import FaceType

#: dlib's own decision threshold for its 128-D embedding: below it, usually the same person
SAME_PERSON = 0.6


def eye_distance(landmarks):
    """Distance between the eye centres (68-point scheme): the scale every landmark error is divided by."""
    lm = np.asarray(landmarks, np.float64)
    return float(np.linalg.norm(lm[36:42].mean(axis=0) - lm[42:48].mean(axis=0)))


def landmark_error(landmarks, reference):
    """Mean point distance between two 68-point sets, as a fraction of the reference's eye distance."""
    a, b = np.asarray(landmarks, np.float64), np.asarray(reference, np.float64)
    return float(np.linalg.norm(a - b, axis=1).mean() / max(eye_distance(b), 1e-6))


def pitch_yaw_roll_deg(landmarks, reference):
    """(pitch, yaw, roll) in degrees of `landmarks`, both sets aligned with the reference's FULL face transform so
    the pose is read in the same frame for both."""
    size = 256
    mat = LandmarksProcessor.get_transform_mat(np.asarray(reference), size, FaceType.FULL)
    aligned = LandmarksProcessor.transform_points(np.asarray(landmarks, np.float32), mat)
    return tuple(math.degrees(v) for v in LandmarksProcessor.estimate_head_pose(aligned, size=size))


def pose_error_deg(landmarks, reference):
    """Absolute (pitch, yaw, roll) difference in degrees between the swapped face and the original face."""
    p = pitch_yaw_roll_deg(landmarks, reference)
    q = pitch_yaw_roll_deg(reference, reference)
    return tuple(abs((a - b + 180.0) % 360.0 - 180.0) for a, b in zip(p, q))


def recognised_as_src(to_src, to_dst_identity):
    """True when a swapped face reads as the src person: within dlib's same-person distance of the src identity and
    nearer it than the dst identity. Both identities are means over many faces, so a blurred, average-looking face is
    not counted as nearer either one by being "central"."""
    return bool(to_src < SAME_PERSON and to_src < to_dst_identity)


def _rings(mask, width):
    """Boolean inner and outer bands of `width` px on each side of the mask edge."""
    m = (mask > 0.5).astype(np.uint8)
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * width + 1, 2 * width + 1))
    inner = (m - cv2.erode(m, k)).astype(bool)
    outer = (cv2.dilate(m, k) - m).astype(bool)
    return inner, outer


def seam_figures(merged, original, mask, face_size):
    """Figures of the seam where the face was pasted, or None when the mask has no edge.

    colour_shift: mean CIE Lab distance (ΔE76) between merged and original just inside the mask edge (how far the
    pasted face's border colour is from what was there); edge_ratio: mean gradient magnitude on the edge in the
    merged frame divided by the same in the original (1 = no visible seam, >1 a visible edge)."""
    width = max(1, int(round(face_size * 0.03)))
    inner, outer = _rings(mask, width)
    if not inner.any() or not outer.any():
        return None
    lab_m = cv2.cvtColor(merged, cv2.COLOR_BGR2LAB).astype(np.float32)
    lab_o = cv2.cvtColor(original, cv2.COLOR_BGR2LAB).astype(np.float32)
    # OpenCV's 8-bit Lab scales L by 255/100; bring it back to CIE units before taking distances.
    scale = np.float32([100.0 / 255.0, 1.0, 1.0])
    colour_shift = float(np.linalg.norm((lab_m[inner] - lab_o[inner]) * scale, axis=1).mean())
    m = (mask > 0.5).astype(np.uint8)
    edge = (m - cv2.erode(m, np.ones((3, 3), np.uint8))).astype(bool)

    def grad(img):
        g = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float32)
        return cv2.magnitude(cv2.Sobel(g, cv2.CV_32F, 1, 0), cv2.Sobel(g, cv2.CV_32F, 0, 1))

    edge_ratio = float(grad(merged)[edge].mean() / max(grad(original)[edge].mean(), 1e-3))
    return {"colour_shift": colour_shift, "edge_ratio": edge_ratio}


def jitter(centres, sizes):
    """Mean frame-to-frame acceleration of the face centre as a % of the face size (0 for smooth motion)."""
    c = np.asarray(centres, np.float64)
    if len(c) < 3:
        return None
    acc = np.linalg.norm(c[2:] - 2 * c[1:-1] + c[:-2], axis=1)
    return float(100.0 * np.mean(acc / np.maximum(np.asarray(sizes, np.float64)[1:-1], 1e-6)))


def _weights(shape, mask):
    w = np.ones(shape[:2], np.float64) if mask is None else np.asarray(mask, np.float64).reshape(shape[:2])
    return w[..., None] * np.ones(shape[2:] or (1,))


def psnr(a, b, mask=None):
    """Peak signal-to-noise ratio in dB of two float images in 0..1, over the pixels of `mask` (all by default)."""
    w = _weights(np.shape(a), mask)
    mse = float(np.sum(w * (np.asarray(a, np.float64).reshape(w.shape) - np.asarray(b, np.float64).reshape(w.shape))
                       ** 2) / max(w.sum(), 1e-9))
    return float("inf") if mse == 0 else 10.0 * math.log10(1.0 / mse)


def ssim(a, b, mask=None):
    """Mean structural similarity of two float images in 0..1 (Gaussian 11x11, sigma 1.5, averaged over channels),
    over the pixels of `mask` (all by default)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    c1, c2 = 0.01 ** 2, 0.03 ** 2

    def blur(x):
        return cv2.GaussianBlur(x, (11, 11), 1.5)

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a ** 2
    var_b = blur(b * b) - mu_b ** 2
    cov = blur(a * b) - mu_a * mu_b
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2))
    w = _weights(s.shape if s.ndim == 3 else s.shape + (1,), mask).reshape(s.shape)
    return float(np.sum(w * s) / max(w.sum(), 1e-9))
