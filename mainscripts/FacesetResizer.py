"""`facesettool resize` (reference §8.6): aligned faces at a new size, optionally re-framed to another face type,
written to `<dir>_resized` at JPEG q100 with their metadata moved along, then optionally merged back.

Without a face-type change the image is scaled (Lanczos) and landmarks and polygons are scaled with it. With one,
the face is re-warped from its stored landmarks (parts outside the old crop stay black), landmarks and polygons go
through the same matrix, the XSeg mask is re-warped at 256 and binarized, and `image_to_face_mat` is recomputed from
the source landmarks so that the merger still finds the face in its frame.
"""

import cv2
import numpy as np

from core.dflimg import DFLJPG, NotDFLImageError
from core.errors import UserError
from core.progress import Summary
from core.workers import map_items
from facelib import LandmarksProcessor
from facelib.FaceType import FaceType
from mainscripts.faceset_output import count_result, fresh_output_dir, input_faces, merge_back
from mainscripts.faceset_options import RESIZE_FACE_TYPE, RESIZE_SIZE

XSEG_RES = 256


def resize_face(path, out_path, size, face_type=None):
    """Write the resized copy of one aligned face. Returns None, or why the face was skipped."""
    try:
        d = DFLJPG.load(path)
        img = d.get_img()
    except (NotDFLImageError, UserError) as e:
        return f"not an aligned face: {e}"
    h, w = img.shape[:2]
    if h != w:
        return f"not square ({w}x{h})"
    lmrks = d.get_landmarks()
    polys = d.get_seg_ie_polys()
    src_lmrks = d.get_source_landmarks()
    old_mat = d.get_image_to_face_mat()
    if face_type is None:
        target_type = FaceType.fromString(d.get_face_type())
        scale = size / w
        out = cv2.resize(img, (size, size), interpolation=cv2.INTER_LANCZOS4)
        lmrks = lmrks * scale
        polys.mult_points(scale)
        mask = None
    else:
        target_type = face_type
        if FaceType.fromString(d.get_face_type()) == FaceType.MARK_ONLY:
            return "mark_only face (a whole frame): there is no face crop to re-frame"
        mat = LandmarksProcessor.get_transform_mat(lmrks, size, face_type)
        out = cv2.warpAffine(img, mat, (size, size), flags=cv2.INTER_LANCZOS4)
        for poly in polys.get_polys():
            if poly.get_pts_count():
                poly.set_points(LandmarksProcessor.transform_points(poly.get_pts(), mat).reshape(-1, 2))
        mask = _rewarp_mask(d.get_xseg_mask(), lmrks, w, face_type)
        lmrks = LandmarksProcessor.transform_points(lmrks, mat)
    new = DFLJPG.create(out_path, out, quality=100, save=False)
    new.meta = d.meta.copy()
    new.set_landmarks(lmrks)
    new.set_seg_ie_polys(polys)
    if mask is not None:
        new.set_xseg_mask(mask)
    if old_mat is not None:
        if src_lmrks is not None and target_type != FaceType.MARK_ONLY:
            new.set_image_to_face_mat(LandmarksProcessor.get_transform_mat(src_lmrks, size, target_type))
        else:
            new.set_image_to_face_mat(old_mat * (size / w))
    new.set_face_type(target_type)
    new.save()
    return None


def _rewarp_mask(mask, lmrks, face_w, face_type):
    if mask is None:
        return None
    # The mask has its own resolution: bring the face's landmarks into it first.
    mlmrks = lmrks * (mask.shape[1] / face_w)
    mat = LandmarksProcessor.get_transform_mat(mlmrks, XSEG_RES, face_type)
    warped = cv2.warpAffine(mask, mat, (XSEG_RES, XSEG_RES), flags=cv2.INTER_LANCZOS4)
    return (warped >= 0.5).astype(np.float32)[..., None]


def _resize_task(task):
    path, out_path, size, face_type = task
    return path, resize_face(path, out_path, size, face_type)


def resize_faceset(input_dir, image_size=None, face_type=None, merge=None, workers=None):
    """Ask the size and face type (flag values win), resize every face into `<dir>_resized`, offer to merge back."""
    input_dir, paths = input_faces(input_dir, "resize")
    size = RESIZE_SIZE.ask(image_size)
    code = RESIZE_FACE_TYPE.ask(None if face_type is None else str(face_type).lower())
    target = None if code == "same" else FaceType.from_option(code)
    out_dir = fresh_output_dir(input_dir, "resized")

    summary = Summary("Done")
    summary.add("faces resized", 0)
    done = []
    tasks = [(p, out_dir / p.name, size, target) for p in paths]
    for _, (path, why) in map_items(_resize_task, tasks, workers=workers, desc="Resizing", unit="face"):
        count_result(summary, done, path, why, "faces resized")
    summary.print()
    merge_back(done, out_dir, input_dir, merge)
    return summary
