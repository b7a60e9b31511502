"""XSeg mask tools on an aligned folder (reference §8.4): apply a trained XSeg model, remove applied masks, remove
the editor's polygons, fetch the labelled faces.

* apply: every face is brought to the XSeg model's face type (from its `XSeg_data.dat`, else asked; "same" = as the
  face is), masked at 256 px, binarized at 0.5 and stored as `xseg_mask` (core.dflimg keeps it under 50,000 bytes).
  A face of another type is re-framed from its `source_landmarks` (aligned landmarks when absent) and the mask
  mapped back, zero outside the model's frame.
* remove / remove_labels: print the original's warning three times, wait for Enter, then delete `xseg_mask` /
  `seg_ie_polys` from the faces that have them.
* fetch: copy the faces with polygons to `<folder>_xseg` and ask "Delete original files?" (y, as the original).
"""
import shutil
from pathlib import Path

import cv2
import numpy as np

from core import interact
from core.dflimg import DFLJPG, iter_dfl_images
from core.errors import UserError
from core.pathex import get_image_paths, require_dir
from core.progress import Summary, progress
from facelib import LandmarksProcessor
from facelib.FaceType import FaceType
from mainscripts.xseg_cmd_masks import FACE_TYPE_CHOICES

FACE_TYPE_HELP = ("Specify face type of trained XSeg model. For example if XSeg model trained as WF, but faceset is "
                  "HEAD, specify WF to apply xseg only on WF part of HEAD. Default is 'same'")
# Faces masked per network call (and held in memory at once).
APPLY_CHUNK = 8


def _faces(input_dir, desc):
    """The folder's faces; a UserError when it holds no image (nothing to do is a failure, exit code != 0)."""
    paths = get_image_paths(input_dir)
    if not paths:
        raise UserError(f"{input_dir}: no aligned faces in this folder; extract faces into it first")
    return iter_dfl_images(progress(paths, desc=desc, unit="face"))


# --------------------------------------------------------------------------------------------------------- apply
def model_face_type(model_dir, value=None):
    """The XSeg model's face type from `XSeg_data.dat`, else asked ('same' -> None)."""
    from models import model_files
    data = model_files.read_data(Path(model_dir) / "XSeg_data.dat")
    code = (data or {}).get("options", {}).get("face_type")
    if code is None:
        code = interact.input_str("XSeg model face type", "same", list(FACE_TYPE_CHOICES), FACE_TYPE_HELP, value)
    elif value is not None:
        raise UserError(f"--face-type: the XSeg model in {model_dir} was trained on '{code}' faces (XSeg_data.dat); "
                        "leave the flag out")
    return None if code == "same" else FaceType.from_option(code)


def _reframe_mat(dflimg, w, face_type):
    """Affine from the aligned face (w x w) to the `face_type` frame of the same size."""
    img_type = FaceType.fromString(dflimg.get_face_type())
    lmrks = dflimg.get_source_landmarks()
    lmrks = np.asarray(lmrks if lmrks is not None else dflimg.get_landmarks(), np.float32)
    corners = np.float32([(0, 0), (w, 0), (0, w)])
    in_source = LandmarksProcessor.transform_points(corners, LandmarksProcessor.get_transform_mat(lmrks, w, face_type),
                                                    True)
    in_face = LandmarksProcessor.transform_points(in_source, LandmarksProcessor.get_transform_mat(lmrks, w, img_type))
    return cv2.getAffineTransform(np.float32(in_face), corners)


def _net_input(dflimg, face_type, res):
    """(face image at res x res float32, re-framing matrix or None)."""
    img = dflimg.get_img().astype(np.float32) / 255.0
    w = img.shape[1]
    mat = None
    if face_type is not None and FaceType.fromString(dflimg.get_face_type()) != face_type:
        mat = _reframe_mat(dflimg, w, face_type)
        img = cv2.warpAffine(img, mat, (w, w), flags=cv2.INTER_LANCZOS4)
    if img.shape[1] != res:
        img = cv2.resize(img, (res, res), interpolation=cv2.INTER_LANCZOS4)
    return img, mat


def _to_face_mask(mask, mat, w, res):
    if mat is not None:
        mask = cv2.resize(mask, (w, w), interpolation=cv2.INTER_LANCZOS4)
        mask = cv2.warpAffine(mask, mat, (w, w), flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LANCZOS4,
                              borderMode=cv2.BORDER_CONSTANT)
        mask = cv2.resize(mask, (res, res), interpolation=cv2.INTER_LANCZOS4)
    return (mask.reshape(res, res, 1) >= 0.5).astype(np.float32)


def check_model_dir(model_dir):
    """UserError naming the folder and the files to put there when it holds no XSeg model."""
    from facelib import XSegNet
    p = Path(model_dir)
    if not XSegNet.has_weights(p):
        raise UserError(f"no XSeg model in {p}: {XSegNet.weights_filename()} is missing. Put the files of a trained "
                        f"XSeg model there ({XSegNet.weights_filename()} and XSeg_data.dat — for the generic "
                        f"whole-face mask, the files of a DeepFaceLab build's _internal/model_generic_xseg folder), "
                        f"or train one with '5.XSeg) train'")
    return p


def apply_xseg(input_dir, model_dir, face_type_value=None, device_idxs=None):
    """Mask every face of `input_dir` with the XSeg model of `model_dir`. `device_idxs`: [] = CPU, None = ask."""
    input_dir = require_dir(input_dir, "aligned faces folder")
    model_dir = check_model_dir(model_dir)
    face_type = model_face_type(model_dir, face_type_value)
    interact.log_info(f"Applying trained XSeg model to {input_dir.name}/ folder.")
    from core.leras import device
    if device_idxs is None:
        device_idxs = device.ask_choose_device_idxs(choose_only_one=True)
    ctx = device.initialize(device.DeviceConfig.GPUIndexes(device_idxs))
    from facelib.XSegNet import XSegNet
    with ctx.scope():
        net = XSegNet(model_dir)
    res = net.get_resolution()
    summary = Summary("XSeg masks applied")
    chunk = []

    def flush():
        masks = net.extract(np.stack([inp for _, inp, _ in chunk]))
        for (d, _, mat), mask in zip(chunk, masks):
            d.set_xseg_mask(_to_face_mask(mask, mat, d.get_shape()[1], res))
            d.save()
            summary.add("faces masked")
        chunk.clear()

    for _, d in _faces(input_dir, "Applying"):
        inp, mat = _net_input(d, face_type, res)
        chunk.append((d, inp, mat))
        if len(chunk) == APPLY_CHUNK:
            flush()
    if chunk:
        flush()
    summary.print()
    return summary


# -------------------------------------------------------------------------------------------------------- remove
def _warn(what):
    line = f"!!! WARNING : {what} WILL BE REMOVED FROM THE FRAMES !!!"
    for _ in range(3):
        interact.log_info(line)
    interact.input_str("Press enter to continue.", "")


def _remove(input_dir, warning, has, clear, counted):
    input_dir = require_dir(input_dir, "aligned faces folder")
    interact.log_info(f"Processing folder {input_dir}")
    _warn(warning)
    summary = Summary("Done")
    for _, d in _faces(input_dir, "Processing"):
        if has(d):
            clear(d)
            d.save()
            summary.add(counted)
    summary.print()
    return summary


def remove_xseg(input_dir):
    """Delete the applied XSeg masks (after the warning)."""
    return _remove(input_dir, "APPLIED XSEG MASKS", DFLJPG.has_xseg_mask, lambda d: d.set_xseg_mask(None),
                   "masks removed")


def remove_xseg_labels(input_dir):
    """Delete the XSeg editor's polygons (after the warning)."""
    return _remove(input_dir, "LABELED XSEG POLYGONS", DFLJPG.has_seg_ie_polys, lambda d: d.set_seg_ie_polys(None),
                   "labels removed")


# --------------------------------------------------------------------------------------------------------- fetch
def fetch_xseg(input_dir, delete_original=None):
    """Copy the faces that have polygons to `<input_dir>_xseg`; then optionally delete them from `input_dir`."""
    input_dir = require_dir(input_dir, "aligned faces folder")
    output_dir = input_dir.parent / f"{input_dir.name}_xseg"
    output_dir.mkdir(parents=True, exist_ok=True)
    interact.log_info(f"Copying faces containing XSeg polygons to {output_dir.name}/ folder.")
    copied = []
    for path, d in _faces(input_dir, "Processing"):
        if d.has_seg_ie_polys():
            shutil.copy2(path, output_dir / path.name)
            copied.append(path)
    interact.log_info(f"Files copied: {len(copied)}")
    summary = Summary("Done")
    summary.add("faces copied", len(copied))
    if copied and interact.input_bool("Delete original files?", True, value=delete_original,
                                      help_message=f"remove the copied faces from {input_dir.name}/"):
        for path in copied:
            path.unlink()
        summary.add("originals deleted", len(copied))
    summary.print()
    return summary
