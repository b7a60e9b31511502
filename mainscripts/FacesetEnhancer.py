"""`facesettool enhance` (reference §8.5): every aligned face enhanced x4 and scaled back to its size (Lanczos),
written to `<dir>_enhanced` at JPEG q100 with its metadata unchanged, then optionally merged back.

Networks: the original's FaceEnhancer (facelib.FaceEnhancer, when `_internal/FaceEnhancer.npy` is there) or the
offline Real-ESRGAN weights run with ncnn (merger.enhancers), in tiles scaled back one by one, so that memory does
not grow with the face. Without the FaceEnhancer the default is realesr-animevideov3: x4plus takes 35-90x longer
(days for a large faceset on a CPU) and restores faces no better (PSNR/SSIM after a x4 down/up round trip on real
faces, bench/bench_enhance.py). Faces are processed one at a time in this process (both networks use every CPU
core themselves); the progress bar moves tile by tile, so its ETA holds even when one face takes minutes.
"""

import numpy as np

from core import interact
from core.dflimg import DFLJPG, NotDFLImageError
from core.errors import UserError
from core.progress import Summary, progress
from mainscripts.faceset_output import count_result, fresh_output_dir, input_faces, merge_back
from mainscripts.faceset_options import ENHANCER, TILE_SIZE
from merger.enhancers import default_tile, resolve  # auto = FaceEnhancer when its weights are in _internal/


def make_enhancer(name, tile=0):
    """enhance(img (H, W, 3) float32 0..1, on_tile=None) -> same size, enhanced through the x4 network `name` in
    tiles of `tile` px (0: the network's own); `on_tile(done, total)` reports the tiles (patch batches for the
    FaceEnhancer) of the face."""
    if name == "FaceEnhancer":
        from facelib.FaceEnhancer import FaceEnhancer
        fe = FaceEnhancer()
        return lambda img, on_tile=None: fe.enhance(img, preserve_size=True, on_batch=on_tile)
    from merger.enhancers import get_enhancer
    x4 = get_enhancer(name)
    return lambda img, on_tile=None: x4(img, tile=tile or None, on_tile=on_tile, keep_size=True)


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


def enhance_faceset(input_dir, enhancer=None, merge=None, tile_size=None):
    """Ask the network (flag value wins), enhance every face into `<dir>_enhanced`, offer to merge back.
    `tile_size` is a flag only (no prompt): the default suits every face size."""
    input_dir, paths = input_faces(input_dir, "enhance")
    name = resolve(ENHANCER.ask(enhancer))
    tile = TILE_SIZE.default if tile_size is None else TILE_SIZE.ask(tile_size)
    enhance = make_enhancer(name, tile)
    interact.log_info(f"Enhancing {len(paths)} faces with {name}"
                      + ("" if name == "FaceEnhancer" else f" in tiles of {tile or default_tile(name)} px"))
    out_dir = fresh_output_dir(input_dir, "enhanced")

    summary = Summary("Done")
    summary.add("faces enhanced", 0)
    done = []
    # Counted in fractions of a face, tile by tile: one large face can take minutes with x4plus.
    bar = progress(total=len(paths), desc="Enhancing", unit="face",
                   bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total} faces [{elapsed}<{remaining}{postfix}]")
    with bar:
        for i, path in enumerate(paths):
            bar.set_postfix_str(path.name)

            def on_tile(k, n):
                bar.update(i + k / n - bar.n)
            why = enhance_face(path, out_dir / path.name, lambda img: enhance(img, on_tile))
            bar.update(i + 1 - bar.n)
            bar.n = i + 1  # exact whole faces, whatever the float sums of the tile fractions
            count_result(summary, done, path, why, "faces enhanced")
    summary.print()
    merge_back(done, out_dir, input_dir, merge)
    return summary
