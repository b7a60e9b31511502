"""The extractor's per-frame stages (reference §8.1): rects (with rotation retries), landmarks (with the second
pass), final (align, write the face files and the debug image). Run by the worker processes and by the manual pass.

Between landmarks and the second pass, faces smaller than the minimum face size (measured on the landmarks,
`facelib/face_measure.py`) are dropped and counted, and faces turned past 45 degrees are marked: dlib68's points are
unreliable there, so they are found again with FAN when its weights are present, and otherwise flagged in the
summary and the debug image.
"""
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import cv2
import numpy as np

from core.cv2ex import cv2_imwrite
from core.dflimg import DFLJPG
from facelib import LandmarksProcessor, face_measure
from facelib.FaceType import FaceType
from mainscripts.extract.frames import ROTATIONS, read_frame, rotate, unrotate_points, unrotate_rect

DEBUG_JPEG_QUALITY = 50
TF_MODELS = {"mt", "s3fd", "fan2d", "fan3d"}   # run through TensorFlow, so they can use a GPU


@dataclass(frozen=True)
class ExtractConfig:
    face_type: int
    image_size: int
    jpeg_quality: int
    max_faces: int
    detector: str
    landmarker: str
    output_dir: str
    debug_dir: Optional[str]
    second_pass: bool = True
    replace_existing: bool = False    # delete a frame's older faces before writing its new ones (resume, fixes)
    min_face_size: int = face_measure.DEFAULT_MIN_FACE_SIZE

    @property
    def uses_tensorflow(self):
        return bool({self.detector, self.landmarker, profile_landmarker_for(self.landmarker)} & TF_MODELS)


@dataclass
class Face:
    rect: tuple                # (l, t, r, b) in frame pixels
    landmarks: np.ndarray      # (68, 2) float32 in frame pixels
    size: float = 0.0          # face_measure.face_size
    profile: bool = False      # turned past PROFILE_YAW
    unreliable: bool = False   # a profile with landmarks from a model that fails there


@dataclass
class FrameResult:
    name: str
    faces: int = 0
    dropped: int = 0           # found, but thrown away by the crop-area check
    small: int = 0             # found, but smaller than the minimum face size
    profiles: int = 0          # turned past PROFILE_YAW: landmarks found again with the profile landmarker
    unreliable: int = 0        # turned past PROFILE_YAW, landmarks left to dlib68
    rotation: int = 0
    skipped: Optional[str] = None
    converted: Optional[str] = None
    times: dict = field(default_factory=dict)


# A rect counts as a face for the rotation retry when its short side is at least this fraction of the minimum face
# size (face sizes measured on landmarks are 0.85-1.15x the box's short side): a small false detection in an
# upside-down frame must not stop the retry before the turn that shows the real faces.
RETRY_BOX_FRACTION = 0.7


def find_rects(img, detector, max_faces, min_face_size=0):
    """(rotation, rotated image, rects): the first rotation in which the detector finds a face of about the minimum
    size or more; when there is none, the rects of the unturned frame (small faces, counted when dropped).

    Detectors that see faces at any angle (`detect_and_turn`) also tell which turn makes most faces upright: a
    sideways crowd in which one face happens to pass as upright is tried at that turn first, and the turn that
    finds more faces is kept."""
    found = {}    # rotation -> rects, each detection run once
    order = ROTATIONS
    if hasattr(detector, "detect_and_turn"):
        found[0], turn = detector.detect_and_turn(img)
        if turn != 0:
            found[turn] = list(detector.detect(rotate(img, turn)))
            if len(found[turn]) > len(found[0]):
                order = (turn,) + tuple(r for r in ROTATIONS if r != turn)
    for rot in order:
        rects = found[rot] if rot in found else list(detector.detect(rotate(img, rot)))
        found[rot] = rects
        if any(min(r[2] - r[0], r[3] - r[1]) >= RETRY_BOX_FRACTION * min_face_size for r in rects):
            break
    else:
        rot = 0
    rects = list(found[rot])
    rimg = rotate(img, rot)
    return rot, rimg, rects[:max_faces] if max_faces else rects


def find_faces(img, rot, rimg, rects, landmarker, detector, second_pass, min_face_size=0, profile_landmarker=None):
    """(faces, small): landmarks of each rect (found in the rotated image) mapped back to the frame, and the faces
    dropped for being smaller than `min_face_size`. Faces turned past PROFILE_YAW get their landmarks from
    `profile_landmarker` when there is one, else are marked unreliable (dlib68 only: FAN copes with profiles)."""
    faces, small = [], []
    for rect in rects:
        lm = landmarker.landmarks(rimg, [rect])[0]
        face = Face(unrotate_rect(rect, rot, img.shape), lm, face_measure.face_size(lm))
        if face.size < min_face_size:
            small.append(face)
            continue
        lmk = landmarker
        if landmarker.name == "dlib68" and face_measure.yaw_degrees(lm) > face_measure.PROFILE_YAW:
            face.profile = True
            if profile_landmarker is None:
                face.unreliable = True
            else:
                lmk = profile_landmarker
                lm = lmk.landmarks(rimg, [rect])[0]
        if second_pass:
            lm = lmk.second_pass(rimg, lm, detector)
        face.landmarks = lm
        faces.append(face)
    for face in faces + small:
        face.landmarks = unrotate_points(face.landmarks, rot, img.shape)
    return faces, small


def _polygon_area(pts):
    x, y = pts[:, 0], pts[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))


_FACE_NAME = re.compile(r"^(?P<stem>.+)_(?P<idx>\d+)\.jpg$", re.IGNORECASE)


def face_file_stem(name):
    """The frame stem of a face file named `<stem>_<i>.jpg` (None for other names)."""
    m = _FACE_NAME.match(name)
    return m.group("stem") if m else None


def remove_faces_of(output_dir, stem):
    for p in Path(output_dir).glob(f"{glob_escape(stem)}_*.jpg"):
        if face_file_stem(p.name) == stem:
            p.unlink()


def glob_escape(text):
    return re.sub(r"([\[\]*?])", r"[\1]", text)


def write_faces(path, img, faces, cfg, manual=False, small=()):
    """The final stage: align and save each face as `<stem>_<i>.jpg`, and the debug frame. Returns (kept, dropped).

    Automatic faces whose aligned crop covers more than 4x the detector rect are dropped for face types up to
    full_face_no_align (a rect around something that is not a face gives wild landmarks), as the original.
    The debug frame also shows the `small` faces (dropped by the minimum size) and marks unreliable landmarks.
    """
    path = Path(path)
    out_dir = Path(cfg.output_dir)
    face_type = FaceType(cfg.face_type)
    size = cfg.image_size
    if cfg.replace_existing:
        remove_faces_of(out_dir, path.stem)
    debug = img.copy() if cfg.debug_dir else None
    kept = dropped = 0
    for face in faces:
        lmrks = np.asarray(face.landmarks, np.float32)
        rect = np.array([int(round(v)) for v in face.rect], np.int64)
        if face_type == FaceType.MARK_ONLY:
            mat, face_img, face_lmrks = None, img, lmrks
        else:
            mat = LandmarksProcessor.get_transform_mat(lmrks, size, face_type)
            if not manual and face_type <= FaceType.FULL_NO_ALIGN:
                s = size - 1
                quad = LandmarksProcessor.transform_points(np.float32([(0, 0), (0, s), (s, s), (s, 0)]), mat, True)
                l, t, r, b = rect
                if _polygon_area(quad) > 4 * max(1, (r - l) * (b - t)):
                    dropped += 1
                    continue
            # The original meant LANCZOS4 but passed the flag as `dst`, so it got bilinear (reference §12 item 1).
            face_img = cv2.warpAffine(img, mat, (size, size), flags=cv2.INTER_LANCZOS4)
            face_lmrks = LandmarksProcessor.transform_points(lmrks, mat)
        DFLJPG.create(out_dir / f"{path.stem}_{kept}.jpg", face_img, quality=cfg.jpeg_quality,
                      face_type=FaceType.toString(face_type), landmarks=face_lmrks.tolist(),
                      source_filename=path.name, source_rect=rect, source_landmarks=lmrks.tolist(),
                      image_to_face_mat=mat)
        if debug is not None:
            # mark_only has no crop of its own: the debug quad shows where a full face would be.
            quad_type = FaceType.FULL if face_type == FaceType.MARK_ONLY else face_type
            LandmarksProcessor.draw_rect_landmarks(debug, rect, lmrks, quad_type, size, transparent_mask=True)
            if face.unreliable:
                _label(debug, rect, "profile: landmarks unreliable", (0, 165, 255))
        kept += 1
    if debug is not None:
        for face in small:
            l, t, r, b = (int(round(v)) for v in face.rect)
            cv2.rectangle(debug, (l, t), (r, b), (0, 0, 255), 1)
            _label(debug, (l, t, r, b), f"small {face.size:.0f}px", (0, 0, 255))
        cv2_imwrite(Path(cfg.debug_dir) / f"{path.stem}.jpg", debug, [int(cv2.IMWRITE_JPEG_QUALITY),
                                                                         DEBUG_JPEG_QUALITY])
    return kept, dropped


def _label(image, rect, text, color):
    l, t = int(rect[0]), int(rect[1])
    cv2.putText(image, text, (l, max(10, t - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.4, color, 1, cv2.LINE_AA)


def profile_landmarker_for(name):
    """The landmarker for faces turned past PROFILE_YAW when `name` is dlib68: FAN (3D, else 2D) when its weights
    are present, else None."""
    from facelib.landmarkers import LANDMARKERS
    if name != "dlib68":
        return None
    return next((n for n in ("fan3d", "fan2d") if LANDMARKERS[n].available()), None)


class FrameExtractor:
    """Detector + landmarker loaded once; `process(path)` runs every stage on one frame."""

    def __init__(self, cfg):
        from facelib.detectors import create_detector
        from facelib.landmarkers import create_landmarker
        self.cfg = cfg
        self.detector = create_detector(cfg.detector, min_face_size=cfg.min_face_size)
        self.landmarker = create_landmarker(cfg.landmarker)
        profile = profile_landmarker_for(cfg.landmarker)
        self.profile_landmarker = create_landmarker(profile) if profile else None

    def process(self, path):
        """Every stage on one frame. A frame that fails (a library error on odd pixels, a full disk) is reported on
        one line and counted, and the extraction goes on with the next frame."""
        path = Path(path)
        try:
            return self._process(path)
        except Exception as e:
            from core import interact
            interact.log_err(f"{path}: extraction failed ({type(e).__name__}: {e}) - skipped")
            return FrameResult(path.name, skipped="failed")

    def _process(self, path):
        res = FrameResult(path.name)
        t0 = time.perf_counter()
        frame = read_frame(path)
        t1 = time.perf_counter()
        res.times["read"] = t1 - t0
        res.converted, res.skipped = frame.converted, frame.skipped
        if frame.img is None:
            return res
        img = frame.img
        rot, rimg, rects = find_rects(img, self.detector, self.cfg.max_faces, self.cfg.min_face_size)
        t2 = time.perf_counter()
        faces, small = find_faces(img, rot, rimg, rects, self.landmarker, self.detector, self.cfg.second_pass,
                                  self.cfg.min_face_size, self.profile_landmarker)
        t3 = time.perf_counter()
        res.small = len(small)
        res.profiles = sum(1 for f in faces if f.profile and not f.unreliable)
        res.unreliable = sum(1 for f in faces if f.unreliable)
        res.faces, res.dropped = write_faces(path, img, faces, self.cfg, small=small)
        res.rotation = rot
        res.times.update(detect=t2 - t1, landmarks=t3 - t2, final=time.perf_counter() - t3)
        return res


# ---- worker-process side: one FrameExtractor per process, built by the pool initializer ---------------------------
_worker = {}


def init_worker(cfg, threads=None, gpu_queue=None):
    """Pool initializer: limit the process's threads (so N workers share the cores instead of fighting over them),
    pick its GPU (one per worker; none when the queue is None), then load the models once."""
    import os
    if threads:
        for var in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
            os.environ[var] = str(threads)
        os.environ["TF_NUM_INTEROP_THREADS"] = "1"
        cv2.setNumThreads(threads)
    if cfg.uses_tensorflow:
        # Set before TensorFlow loads: CPU workers must not each grab every GPU.
        os.environ["CUDA_VISIBLE_DEVICES"] = "-1" if gpu_queue is None else str(gpu_queue.get())
    _worker["extractor"] = FrameExtractor(cfg)


def process_batch(paths):
    ex = _worker["extractor"]
    return [ex.process(p) for p in paths]
