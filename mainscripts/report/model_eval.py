"""Model part of the report: SSIM and PSNR of the model's dst->dst reconstruction of aligned faces, for the model
that made the merged frames (recorded in each frame by the merger) unless the user names another."""
from collections import Counter

import cv2
import numpy as np

from core import interact
from core.errors import UserError
from facelib import LandmarksProcessor
from mainscripts.report import metrics


def find_models(model_dir):
    """[(model class, model name)] of the face-swap models saved in a folder (not XSeg: it reconstructs no face)."""
    from models import import_model, list_models
    from models.model_files import list_model_names
    return [(cls, name) for cls in list_models() for name in list_model_names(model_dir, cls)
            if hasattr(import_model(cls), "reconstruct_dst")]


def choose_model(model_dir, model_class=None, model_name=None):
    found = find_models(model_dir)
    if model_class:
        found = [(c, n) for c, n in found if c == model_class]
    if model_name:
        found = [(c, n) for c, n in found if n == model_name]
    if not found:
        raise UserError(f"{model_dir}: no trained model found"
                        + (f" of class {model_class}" if model_class else "")
                        + (f" named {model_name}" if model_name else "") + " — train one first or leave --model-dir out")
    if len(found) == 1:
        return found[0]
    labels = [f"{n} ({c})" for c, n in found]
    picked = interact.choice("Model to evaluate", labels, 0, help_message="The report evaluates one model.")
    return found[labels.index(picked)]


def model_crop(face, resolution, face_type):
    """The aligned face re-cut to the model's face type and resolution (float32 BGR 0..1) and its landmark hull mask
    there: the figures are taken inside the face, the part a masked model is trained on."""
    mat = LandmarksProcessor.get_transform_mat(face.get_landmarks(), resolution, face_type)
    img = face.get_img().astype(np.float32) / 255.0
    crop = np.clip(cv2.warpAffine(img, mat, (resolution, resolution), flags=cv2.INTER_CUBIC), 0.0, 1.0)
    lm = LandmarksProcessor.transform_points(face.get_landmarks(), mat)
    return crop, LandmarksProcessor.get_image_hull_mask((resolution, resolution), lm)[..., 0]


def merged_by(merged_paths):
    """The stamp {name, class, iter} of the model that made most of the merged frames, or None if none records it."""
    from merger.label import read_model_stamp
    stamps = Counter()
    for p in merged_paths:
        s = read_model_stamp(p)
        if s:
            stamps[(s["name"], s["class"], s.get("iter"))] += 1
    if not stamps:
        return None
    if len(stamps) > 1:
        interact.log_err("the merged frames were made by several models or checkpoints: "
                         + ", ".join(f"{n} ({c}) iteration {i}: {k} frames" for (n, c, i), k in stamps.most_common()))
    name, cls, it = stamps.most_common(1)[0][0]
    return {"name": name, "class": cls, "iter": it}


def model_to_evaluate(model_dir, stamp, model_class=None, model_name=None):
    """(class, name) to evaluate: the one named by the user, else the one that made the merged frames (`stamp`),
    else None, None (chosen from the folder) with a message saying the frames do not record it."""
    if model_class or model_name:
        if stamp and (model_class or stamp["class"], model_name or stamp["name"]) != (stamp["class"], stamp["name"]):
            interact.log_err(f"evaluating the model given ({model_name or ''} {model_class or ''}); the merged frames "
                             f"were made by {stamp['name']} ({stamp['class']})")
        return model_class, model_name
    if stamp is None:
        interact.log_err("the merged frames do not record which model made them (merged by an older version or by "
                         "the original DeepFaceLab): the model is chosen from the model folder — give --model and "
                         "--force-model-name to evaluate a given one")
        return None, None
    if (stamp["class"], stamp["name"]) not in find_models(model_dir):
        raise UserError(f"{model_dir}: the merged frames were made by model {stamp['name']} ({stamp['class']}, "
                        f"iteration {stamp.get('iter')}), which is not in this folder — give its folder with "
                        f"--model-dir, or name another with --model and --force-model-name")
    return stamp["class"], stamp["name"]


def evaluate(model_dir, faces, model_class=None, model_name=None, batch=4):
    """{model, iter, faces, ssim, psnr, per_face} of dst->dst reconstructions of `faces` [(path, DFLJPG)]."""
    from models import import_model
    cls_name, name = choose_model(model_dir, model_class, model_name)
    model = import_model(cls_name)(model_dir, is_training=False, force_model_name=name, silent_start=True)
    res, ft = int(model.resolution), model.face_type
    per_face = []
    for s in range(0, len(faces), batch):
        part = faces[s:s + batch]
        crops = [model_crop(f, res, ft) for _, f in part]
        x = np.stack([c for c, _ in crops])
        pad = np.concatenate([x, np.repeat(x[-1:], batch - len(x), axis=0)]) if len(x) < batch else x
        rec = model.reconstruct_dst(pad)[:len(x)]
        for (path, _), (a, mask), b in zip(part, crops, rec):
            per_face.append({"aligned": path.name, "ssim": metrics.ssim(a, b, mask), "psnr": metrics.psnr(a, b, mask)})
    model.finalize()
    return {"model": f"{name}_{cls_name}", "iter": int(model.get_iter()), "faces": len(per_face),
            "ssim": float(np.mean([r["ssim"] for r in per_face])) if per_face else None,
            "psnr": float(np.mean([r["psnr"] for r in per_face])) if per_face else None,
            "per_face": per_face}
