"""The frames to merge and their faces: read the aligned faces (folder or faceset.pak), group their source landmarks
by frame, smooth them over time and compute the per-frame motion used by motion blur (reference §7.1 steps 4-6).
"""
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core import interact
from core.dflimg import DFLJPG, NotDFLImageError, iter_dfl_images
from core.pathex import get_image_paths
from facelib.FaceType import FaceType
from merger.smoothing import smooth_landmarks


@dataclass
class FrameInfo:
    filepath: Path
    landmarks_list: list = field(default_factory=list)  # measured (68, 2) source landmarks per face
    motion_power: float = 0.0
    motion_deg: float = 0.0

    @property
    def stem(self):
        return self.filepath.stem


def _aligned_faces(aligned_dir):
    """Yield DFLJPG of every aligned face: the folder's JPGs, or the faces packed in its faceset.pak."""
    aligned_dir = Path(aligned_dir)
    paths = get_image_paths(aligned_dir, (".jpg", ".jpeg"))
    if not paths and (aligned_dir / "faceset.pak").is_file():
        from samplelib import PackedFaceset
        for sample in PackedFaceset.load(aligned_dir) or ():
            try:
                yield DFLJPG.from_bytes(sample.read_raw_file(), aligned_dir / sample.filename)
            except NotDFLImageError as e:
                interact.log_err(f"Skipped: {e}")
        return
    for _, d in iter_dfl_images(paths):
        yield d


def load_frame_infos(input_dir, aligned_dir):
    """FrameInfo of every frame of `input_dir`, with the source landmarks of its aligned faces (in file order)."""
    by_stem = {}
    for d in _aligned_faces(aligned_dir):
        src, lmrks = d.get_source_filename(), d.get_source_landmarks()
        if src is None or lmrks is None:
            continue
        # float64 as the original reads them: float32 moves the cut face by up to 1.5e-5
        by_stem.setdefault(Path(src).stem, []).append(np.asarray(lmrks, np.float64))
    frames = [FrameInfo(p, by_stem.get(p.stem, [])) for p in get_image_paths(input_dir)]
    if any(len(f.landmarks_list) > 1 for f in frames):
        interact.log_info("Warning: some frames have more than one face: motion blur is turned off for them.")
    return frames


def smoothed_landmarks(frames, strength):
    """Per frame, the faces' landmarks after temporal smoothing of the given strength (0..100)."""
    return smooth_landmarks([f.landmarks_list for f in frames], strength)


def _face_points(lmrks):
    """Centre and top of the FULL-face 256 square, in frame coordinates."""
    from facelib import LandmarksProcessor
    mat = LandmarksProcessor.get_transform_mat(lmrks, 256, FaceType.FULL)
    return LandmarksProcessor.transform_points(np.float32([[128, 128], [128, 0]]), mat, True)


def compute_motion(frames, landmarks_per_frame):
    """Set motion_power / motion_deg of single-face frames from the previous and next frames' face centres."""
    n = len(frames)
    centres = [(_face_points(lm[0])[0] if len(lm) == 1 else None) for lm in landmarks_per_frame]
    for i, f in enumerate(frames):
        f.motion_power, f.motion_deg = 0.0, 0.0
        if centres[i] is None:
            continue
        prev = centres[i - 1] if i > 0 and centres[i - 1] is not None else centres[i]
        nxt = centres[i + 1] if i + 1 < n and centres[i + 1] is not None else centres[i]
        v = nxt - prev
        f.motion_power = float(np.linalg.norm(v))
        f.motion_deg = -math.degrees(math.atan2(v[1], v[0])) if f.motion_power > 0 else 0.0
