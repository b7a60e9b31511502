"""Synthetic crowd frames with known face boxes, built from the real faces of the test data (shared by the tests and
bench/bench_crowd.py).

Source faces: the tagged faces of the KPhotoAlbum photos (`jesper/index.xml`, boxes drawn by a person), the three
stills and frames of the two talking-head clips (boxes: CenterFace on the face at its own, large size). Each source
face keeps its 68 dlib landmarks and its yaw (head pose from those landmarks), so that recall and landmark error can
be split by pose. A crowd frame pastes many of them, each scaled to a chosen size, rotated in the image plane,
optionally mirrored, blurred and re-lit, with a feathered elliptical edge, onto a real face-free background
(scikit-image's sample photos), then JPEG-compresses the whole frame.

Face size: the side of the square ground-truth box in frame pixels, i.e. the mean of the source box's width and
height times the paste scale. A detection matches a face when each box contains the other's centre
(`face_tags.is_found`), as for the tagged photos.
"""
import functools
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from skimage import data as skdata
from skimage.util import img_as_ubyte

from face_tags import is_found, tagged_photos
from facelib import LandmarksProcessor as LP
from facelib import face_measure

DATA = Path(__file__).resolve().parent / "data"
SIZE_BINS = ((16, 24), (24, 32), (32, 48), (48, 96), (96, 121))
YAW_BINS = ((0, 15), (15, 30), (30, 45), (45, 91))
CONTEXT = 2.6        # pasted patch side / face size: hair, ears, neck and shoulders around the face
BACKGROUNDS = ("coffee", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry", "retina",
               "stereo_motorcycle", "brick", "grass", "gravel", "coins", "moon", "clock", "page", "cell", "horse")


def bin_label(bins, v):
    for lo, hi in bins:
        if lo <= v < hi:
            return f"{lo}-{hi}" if hi < 120 else f">{lo}"
    return None


@dataclass
class SourceFace:
    image: np.ndarray          # BGR frame the face is in
    center: tuple              # (x, y) of the face box centre
    size: float                # mean side of the face box
    landmarks: np.ndarray      # (68, 2) in image pixels
    yaw: float                 # degrees, absolute
    origin: str


@dataclass
class PastedFace:
    box: tuple                 # (x, y, w, h) square ground truth in frame pixels
    size: float
    yaw: float
    angle: float               # in-plane rotation, degrees
    landmarks: np.ndarray      # (68, 2) the source landmarks mapped into the frame
    origin: str


def _video_frames(path, step):
    cap = cv2.VideoCapture(str(path))
    frames, i = [], 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if i % step == 0:
            frames.append(frame)
        i += 1
    return frames


@functools.lru_cache(maxsize=None)
def source_faces(data_dir=str(DATA)):
    """Every usable real face of the test data, with landmarks and yaw. Faces under 40 px at source are left out
    (they cannot be pasted larger without inventing detail)."""
    from facelib.detectors import create_detector
    from facelib.landmarkers import create_landmarker
    data_dir = Path(data_dir)
    det, lmk = create_detector("centerface"), create_landmarker("dlib68")
    out = []

    def add(img, box, origin):
        l, t, r, b = box
        if min(r - l, b - t) < 40:
            return
        lm = lmk.landmarks(img, [box])[0]
        out.append(SourceFace(img, ((l + r) / 2, (t + b) / 2), ((r - l) + (b - t)) / 2, lm, face_measure.yaw_degrees(lm), origin))

    for name, img, areas in tagged_photos(data_dir / "jesper"):
        for x, y, w, h in areas:
            # the tags run from the hairline to the chin; our boxes (the landmarker's input) add 10% below
            add(img, (x, y, x + w, y + h * 1.1), f"jesper/{name}")
    for path in sorted((data_dir / "stills").iterdir()):
        img = cv2.imread(str(path))
        for box in det.detect(img)[:1]:
            add(img, box, f"stills/{path.name}")
    for path, step in ((data_dir / "eriberto" / "excerpt_2s_webcam_crop.mp4", 4), (data_dir / "jesper" / "movie.avi", 9)):
        for i, frame in enumerate(_video_frames(path, step)):
            big = cv2.resize(frame, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
            for box in det.detect(big)[:1]:
                add(big, box, f"{path.name}#{i * step}")
    return tuple(out)


def background(rng, width, height, name=None):
    """A face-free real photo, randomly cropped and resized to width x height (BGR)."""
    name = name or BACKGROUNDS[rng.integers(len(BACKGROUNDS))]
    img = getattr(skdata, name)()
    img = img_as_ubyte(img[0] if isinstance(img, tuple) else img)
    img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR) if img.ndim == 2 else np.ascontiguousarray(img[:, :, 2::-1])
    h, w = img.shape[:2]
    frac = rng.uniform(0.6, 1.0)
    ch, cw = int(h * frac), int(w * frac)
    y, x = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
    return cv2.resize(img[y:y + ch, x:x + cw], (width, height), interpolation=cv2.INTER_CUBIC)


def paste(frame, src, center, size, angle, mirror=False, blur=0.0, gain=1.0):
    """Paste `src` onto `frame` (in place) with its face of side `size` centred at `center`, turned `angle` degrees
    counter-clockwise. Returns the PastedFace."""
    k = size / src.size
    side = int(math.ceil(CONTEXT * src.size))
    # source region -> patch (scaled, INTER_AREA against aliasing), then rotated about its centre
    sx, sy = src.center
    ox, oy = int(round(sx - side / 2)), int(round(sy - side / 2))
    pad = side
    padded = cv2.copyMakeBorder(src.image, pad, pad, pad, pad, cv2.BORDER_REFLECT)
    region = padded[oy + pad:oy + pad + side, ox + pad:ox + pad + side]
    p = max(4, int(round(side * k)))
    patch = cv2.resize(region, (p, p), interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_CUBIC)
    kk = p / side
    to_patch = np.array([[kk, 0, -ox * kk], [0, kk, -oy * kk], [0, 0, 1]], np.float64)
    if mirror:
        patch = patch[:, ::-1]
        to_patch = np.array([[-1, 0, p - 1], [0, 1, 0], [0, 0, 1]], np.float64) @ to_patch
    rot = np.vstack([cv2.getRotationMatrix2D(((p - 1) / 2, (p - 1) / 2), angle, 1.0), [0, 0, 1]])
    patch = cv2.warpAffine(np.ascontiguousarray(patch), rot[:2], (p, p), flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REFLECT)
    if blur > 0:
        patch = cv2.GaussianBlur(patch, (0, 0), blur)
    patch = np.clip(patch.astype(np.float32) * gain, 0, 255)
    alpha = np.zeros((p, p), np.float32)
    cv2.ellipse(alpha, ((p / 2, p / 2), (p * 0.7, p * 0.92), -angle), 1.0, -1)
    alpha = cv2.GaussianBlur(alpha, (0, 0), max(0.5, p / 16))[:, :, None]
    cx, cy = center
    x0, y0 = int(round(cx - p / 2)), int(round(cy - p / 2))
    fh, fw = frame.shape[:2]
    fx0, fy0, fx1, fy1 = max(0, x0), max(0, y0), min(fw, x0 + p), min(fh, y0 + p)
    if fx1 > fx0 and fy1 > fy0:
        a = alpha[fy0 - y0:fy1 - y0, fx0 - x0:fx1 - x0]
        part = patch[fy0 - y0:fy1 - y0, fx0 - x0:fx1 - x0]
        dst = frame[fy0:fy1, fx0:fx1].astype(np.float32)
        frame[fy0:fy1, fx0:fx1] = np.clip(dst * (1 - a) + part * a, 0, 255).astype(np.uint8)
    to_frame = np.array([[1, 0, x0], [0, 1, y0], [0, 0, 1]], np.float64) @ rot @ to_patch
    lm = np.c_[src.landmarks, np.ones(68)] @ to_frame[:2].T
    if mirror:   # a mirrored face's left points are its right ones
        for i, j in LP.MIRROR_PAIRS:
            lm[[i, j]] = lm[[j, i]]
    fc = to_frame[:2] @ np.array([sx, sy, 1.0])
    box = (fc[0] - size / 2, fc[1] - size / 2, size, size)
    return PastedFace(box, size, src.yaw, angle, lm.astype(np.float32), src.origin)


def crowd_frame(rng, sources, width=1280, height=720, n_faces=40, sizes=SIZE_BINS, max_angle=30.0,
                degrade=True, bg=None):
    """(BGR frame, [PastedFace]): up to `n_faces` faces whose sizes are drawn evenly over the `sizes` bins,
    placed without overlapping (each keeps a margin of half its size)."""
    frame = background(rng, width, height, bg)
    faces, taken = [], []
    for _ in range(n_faces * 20):
        if len(faces) >= n_faces:
            break
        lo, hi = sizes[rng.integers(len(sizes))]
        size = rng.uniform(lo, hi)
        half = size * 0.5 * CONTEXT * 0.75
        cx, cy = rng.uniform(half, width - half), rng.uniform(half, height - half)
        if any(abs(cx - x) < half + h and abs(cy - y) < half + h for x, y, h in taken):
            continue
        taken.append((cx, cy, half))
        src = sources[rng.integers(len(sources))]
        angle = rng.uniform(-max_angle, max_angle)
        blur = rng.uniform(0, 0.9) if degrade and rng.random() < 0.5 else 0.0
        gain = rng.uniform(0.75, 1.2) if degrade else 1.0
        faces.append(paste(frame, src, (cx, cy), size, angle, bool(rng.random() < 0.5), blur, gain))
    if degrade:
        q = int(rng.integers(55, 91))
        frame = cv2.imdecode(cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, q])[1], cv2.IMREAD_COLOR)
    return frame, faces


def match(faces, boxes):
    """(found flags per face, number of boxes that match no face)."""
    found = [is_found(f.box, boxes) for f in faces]
    unmatched = sum(1 for b in boxes if not any(is_found(f.box, [b]) for f in faces))
    return found, unmatched
