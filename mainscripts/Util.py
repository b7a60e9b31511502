"""`util` jobs on an aligned folder: landmark debug images, original file names, metadata save/restore, mask export.

Packing is in samplelib/PackedFaceset.py. Each job reports non-face files once, skips them and ends with a summary.
"""
import os
import tempfile
from pathlib import Path

import cv2
import numpy as np

from core import interact
from core.cv2ex import cv2_imwrite, normalize_channels
from core.dflimg import DFLJPG, FaceMeta, iter_dfl_images, metafile
from core.errors import UserError
from core.pathex import child_path, get_image_paths, require_dir
from core.progress import Summary, progress
from facelib.FaceType import FaceType

META_FILENAME = "meta.dat"


def _faces(input_dir, summary, desc="Processing", exclude_suffixes=()):
    paths = [p for p in get_image_paths(require_dir(input_dir, "input folder"))
             if not any(p.stem.endswith(s) for s in exclude_suffixes)]
    if not paths:
        raise UserError(f"{input_dir}: no aligned faces in this folder; extract faces into it first")

    def skipped(path, err):
        interact.log_err(f"{err} - skipped")
        summary.add("skipped")

    return iter_dfl_images(progress(paths, desc, unit="file"), on_skip=skipped)


def add_landmarks_debug_images(input_dir):
    """Write `<stem>_debug.jpg` (JPEG q50) beside each face: landmarks drawn, or the rect for mark_only faces."""
    from facelib import LandmarksProcessor
    interact.log_info("Adding landmarks debug images...")
    summary = Summary("Done")
    input_dir = Path(input_dir)
    for path, d in _faces(input_dir, summary, exclude_suffixes=("_debug", "_mask")):
        img = d.get_img().copy()
        lmrks = d.get_landmarks()
        if FaceType.fromString(d.get_face_type()) == FaceType.MARK_ONLY:
            LandmarksProcessor.draw_rect_landmarks(img, d.get_source_rect(), lmrks, FaceType.FULL)
        else:
            LandmarksProcessor.draw_landmarks(img, lmrks, transparent_mask=True)
        cv2_imwrite(input_dir / f"{path.stem}_debug.jpg", img, [int(cv2.IMWRITE_JPEG_QUALITY), 50])
        summary.add("debug images")
    summary.print()


def recover_original_aligned_filename(input_dir):
    """Rename faces to `<source file stem>_<n>.jpg`, n counting the faces of each source file in name order."""
    interact.log_info("Recovering original aligned filename...")
    summary = Summary("Done")
    counts = {}
    plan = []
    for path, d in _faces(input_dir, summary):
        source = d.get_source_filename()
        if not source:
            interact.log_err(f"{path}: no source file name in the face metadata - skipped")
            summary.add("skipped")
            continue
        stem = Path(source.replace("\\", "/")).stem
        n = counts.get(stem, 0)
        counts[stem] = n + 1
        try:
            plan.append((path, child_path(path.parent, f"{stem}_{n}{path.suffix}", "source file name")))
        except UserError as e:
            interact.log_err(f"{path}: {e} - skipped")
            summary.add("skipped")

    # Two passes through temporary names, so that faces can swap names without overwriting each other. A target
    # that exists and is not one of the faces being renamed is never overwritten: that face keeps its name.
    moving = {path for path, target in plan if path != target}
    staged = []
    for path, target in plan:
        if path == target:
            summary.add("unchanged")
            continue
        if (target.exists() or target.is_symlink()) and target not in moving:
            interact.log_err(f"{target}: already exists and is not a face of this folder; {path.name} keeps its name")
            summary.add("unchanged")
            moving.discard(path)
            continue
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".recover.", suffix=".tmp")
        os.close(fd)
        try:
            os.replace(path, tmp)
            staged.append((path, Path(tmp), target))
        except OSError as e:
            os.unlink(tmp)
            interact.log_err(f"{path}: cannot rename ({e.strerror or e})")
    for path, tmp, target in progress(staged, "Renaming", unit="file"):
        for dest in (target, path):
            if not (dest.exists() or dest.is_symlink()):
                try:
                    os.replace(tmp, dest)
                    break
                except OSError as e:
                    interact.log_err(f"{dest}: cannot rename ({e.strerror or e})")
        else:
            dest = _free_name(path)
            os.replace(tmp, dest)
        if dest != target:
            interact.log_err(f"{path.name}: could not take the name {target.name}; it is now {dest.name}")
        summary.add("renamed" if dest != path else "unchanged")
    summary.print()


def _free_name(path):
    k = 1
    while True:
        candidate = path.with_name(f"{path.stem}_{k}{path.suffix}")
        if not (candidate.exists() or candidate.is_symlink()):
            return candidate
        k += 1


def save_faceset_metadata_folder(input_dir):
    input_dir = require_dir(input_dir, "input folder")
    meta_path = input_dir / META_FILENAME
    interact.log_info(f"Saving metadata to {meta_path}")
    summary = Summary("Saved")
    entries = {}
    for path, d in _faces(input_dir, summary):
        entries[path.name] = (d.get_shape(), d.get_dict())
        summary.add("faces")
    if not entries:
        raise UserError(f"{input_dir}: no aligned faces; nothing saved")
    metafile.write(meta_path, entries)
    summary.print()
    interact.log_info("Now you can edit images.")
    interact.log_info("!!! Keep same filenames in the folder.")
    interact.log_info("You can change size of images, restoring process will downscale back to original size.")
    interact.log_info("After that, use restore metadata.")


def restore_faceset_metadata_folder(input_dir):
    """Put the saved metadata back; images whose size changed are resized back (Lanczos, JPEG q100)."""
    input_dir = require_dir(input_dir, "input folder")
    meta_path = input_dir / META_FILENAME
    interact.log_info(f"Restoring metadata from {meta_path}.")
    if not meta_path.is_file():
        raise UserError(f"{meta_path}: not found; save the faceset metadata first")
    saved = metafile.read(meta_path)
    summary = Summary("Restored")
    failed = 0
    for path in progress(get_image_paths(input_dir, (".jpg",)), "Processing", unit="file"):
        entry = saved.get(path.name)
        if entry is None:
            interact.log_info(f"No saved metadata for {path}")
            summary.add("without saved metadata")
            continue
        try:
            _restore_one(path, *entry)
            summary.add("faces")
        except Exception as e:  # one bad entry or image is reported; the others are restored
            interact.log_err(f"{path}: not restored ({e if isinstance(e, UserError) else f'{type(e).__name__}: {e}'})")
            failed += 1
    if failed:
        summary.add("failed", failed)
        summary.print()
        interact.log_err(f"{meta_path} is kept: fix the files above and restore again.")
        return
    meta_path.unlink()
    summary.print()


def _restore_one(path, shape, meta_dict):
    meta = FaceMeta.from_dict(meta_dict)
    d = DFLJPG.load(path, require_metadata=False)
    h, w = shape[:2]
    if d.get_shape()[:2] != (h, w) or d.get_shape()[2] != 3:
        img = normalize_channels(d.get_img(), 3)
        if img.shape[:2] != (h, w):
            img = cv2.resize(img, (w, h), interpolation=cv2.INTER_LANCZOS4)
        d = DFLJPG.create(path, img, quality=100, save=False)
    d.meta = meta
    d.save()


def export_faceset_mask(input_dir):
    """Write `<stem>_mask.jpg` (q100) per face: the applied XSeg mask (binarized), else the polygons, else the
    landmark hull."""
    from facelib import LandmarksProcessor
    input_dir = Path(input_dir)
    summary = Summary("Exported")
    for path, d in _faces(input_dir, summary, exclude_suffixes=("_mask", "_debug")):
        h, w = d.get_shape()[:2]
        polys = d.get_seg_ie_polys()
        if d.has_xseg_mask():
            mask = d.get_xseg_mask()
            if mask.shape[:2] != (h, w):
                mask = cv2.resize(mask, (w, h), interpolation=cv2.INTER_LINEAR)[..., None]
            mask = (mask >= 0.5).astype(np.float32)
            summary.add("from XSeg masks")
        elif polys.has_polys():
            mask = np.zeros((h, w, 1), np.float32)
            polys.overlay_mask(mask)
            summary.add("from polygons")
        else:
            mod = d.get_eyebrows_expand_mod()
            mask = LandmarksProcessor.get_image_hull_mask((h, w, 1), d.get_landmarks(),
                                                          eyebrows_expand_mod=1.0 if mod is None else mod)
            summary.add("from landmarks")
        out = np.clip(mask * 255, 0, 255).astype(np.uint8)
        cv2_imwrite(input_dir / f"{path.stem}_mask{path.suffix}", out, [int(cv2.IMWRITE_JPEG_QUALITY), 100])
    summary.print()
