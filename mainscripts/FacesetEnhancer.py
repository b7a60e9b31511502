"""`facesettool enhance` (reference §8.5): every aligned face enhanced x4 and scaled back to its size (Lanczos),
written to `<dir>_enhanced` at JPEG q100 with its metadata unchanged, then optionally merged back.

Networks: the original's FaceEnhancer (facelib.FaceEnhancer, when `_internal/FaceEnhancer.npy` is there) or the
offline Real-ESRGAN weights run with ncnn (merger.enhancers). Faces are processed one at a time in this process:
both networks use every CPU core themselves.
"""

import cv2
import numpy as np

from core import interact
from core.dflimg import DFLJPG, NotDFLImageError
from core.errors import UserError
from core.progress import Summary, progress
from mainscripts.faceset_output import count_result, fresh_output_dir, input_faces, merge_back
from mainscripts.faceset_options import ENHANCER

AUTO_FALLBACK = "realesrgan-x4plus"


def resolve(name):
    """The network `name` stands for: auto = FaceEnhancer when its weights are in _internal/, else x4plus."""
    if name != "auto":
        return name
    from facelib.FaceEnhancer import WEIGHTS_NAME
    from facelib.internal_weights import is_present
    return "FaceEnhancer" if is_present(WEIGHTS_NAME) else AUTO_FALLBACK


def make_enhancer(name):
    """enhance(img (H, W, 3) float32 0..1) -> same size, enhanced through the x4 network `name`."""
    if name == "FaceEnhancer":
        from facelib.FaceEnhancer import FaceEnhancer
        fe = FaceEnhancer()
        return lambda img: fe.enhance(img, preserve_size=True)
    from merger.enhancers import get_enhancer
    x4 = get_enhancer(name)

    def enhance(img):
        h, w = img.shape[:2]
        return cv2.resize(x4(img), (w, h), interpolation=cv2.INTER_LANCZOS4)
    return enhance


def enhance_face(path, out_path, enhance):
    """Write the enhanced copy of one aligned face. Returns None, or why the face was skipped."""
    try:
        d = DFLJPG.load(path)
        img = d.get_img()
    except (NotDFLImageError, UserError) as e:
        return f"not an aligned face: {e}"
    out = enhance(img.astype(np.float32) / 255.0)
    out = np.clip(out * 255.0 + 0.5, 0, 255).astype(np.uint8)
    new = DFLJPG.create(out_path, out, quality=100, save=False)
    new.meta = d.meta.copy()
    new.save()
    return None


def enhance_faceset(input_dir, enhancer=None, merge=None):
    """Ask the network (flag value wins), enhance every face into `<dir>_enhanced`, offer to merge back."""
    input_dir, paths = input_faces(input_dir, "enhance")
    name = resolve(ENHANCER.ask(enhancer))
    interact.log_info(f"Enhancing {len(paths)} faces with {name}")
    enhance = make_enhancer(name)
    out_dir = fresh_output_dir(input_dir, "enhanced")

    summary = Summary("Done")
    summary.add("faces enhanced", 0)
    done = []
    for path in progress(paths, desc="Enhancing", unit="face"):
        why = enhance_face(path, out_dir / path.name, enhance)
        count_result(summary, done, path, why, "faces enhanced")
    summary.print()
    merge_back(done, out_dir, input_dir, merge)
    return summary
