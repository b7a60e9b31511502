"""Sort by head pose from the stored landmarks (yaw, pitch) and by the face's rect size in the source frame."""
import numpy as np

from core import interact
from mainscripts.sort.faces import compute, load_face, order_by_score


def face_pitch_yaw(path):
    from facelib import LandmarksProcessor
    face = load_face(path)
    if face is None:
        return None
    pitch, yaw, _ = LandmarksProcessor.estimate_pitch_yaw_roll(face.get_landmarks(), size=face.get_shape()[1])
    return float(pitch), float(yaw)


def face_source_rect_area(path):
    """Area of the detector rect in the source frame; -1 when the face has none (sorted last)."""
    face = load_face(path)
    if face is None:
        return None
    rect = face.get_source_rect()
    if rect is None:
        return -1.0
    l, t, r, b = np.asarray(rect, np.float64)[:4]
    # Rects found on rotated frames are stored unnormalised (l > r), hence abs().
    return float(abs((r - l) * (b - t)))


def sort_by_yaw(ctx):
    values = compute(face_pitch_yaw, [str(p) for p in ctx.paths], ctx, "Estimating yaw")
    return order_by_score(ctx.paths, [None if v is None else v[1] for v in values])


def sort_by_pitch(ctx):
    values = compute(face_pitch_yaw, [str(p) for p in ctx.paths], ctx, "Estimating pitch")
    return order_by_score(ctx.paths, [None if v is None else v[0] for v in values])


def sort_by_source_rect_size(ctx):
    areas = compute(face_source_rect_area, [str(p) for p in ctx.paths], ctx, "Reading source rects")
    missing = sum(1 for a in areas if a is not None and a < 0)
    if missing:
        interact.log_info(f"{missing} faces have no source rect (made by a tool that does not store it): "
                          "they are placed last")
    return order_by_score(ctx.paths, areas)
