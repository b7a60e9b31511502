"""The `merge` command: paste a trained model's faces into the dst frames (reference §7.1).

Flow: read frames and aligned faces, load the model (`get_MergerConfig()`), ask the settings (flags, settings file,
prompts), then either the interactive merger (merger/InteractiveMerger.py) or the batch merge: the main process
cuts the faces and evaluates the model in batches, and the super resolution enhancer and XSeg net when the settings
need them (as the original runs them in its main process); worker processes composite and write
`<output>/<stem>.png` and `<output-mask>/<stem>.png`. Frames without faces are copied untouched and counted.
"""
from pathlib import Path

import numpy as np

from core import interact
from core.cv2ex import cv2_imread, normalize_channels
from core.errors import UserError
from core.pathex import ensure_output_dir, get_image_paths, require_dir
from core.progress import Summary
from core.workers import cpu_count, map_items
from merger import MergeMasked
from merger.FrameInfo import compute_motion, load_frame_infos, smoothed_landmarks
from merger.MergerConfig import MergerConfigMasked, ask_config, interactive_config, load_settings, save_settings
from merger.Predictor import BatchPredictor
from merger.output import copy_frame, write_merged

# Frames whose predictions are held in memory at once (bounded by bytes, see _chunk_frames).
_CHUNK_BYTES = 256 * 1024 * 1024


def read_frame(path):
    img = cv2_imread(path)
    img = normalize_channels(img, 3)
    return img.astype(np.float32) / 255.0


class MergeContext:
    """Everything a merge needs besides the settings: frames, their (smoothed) landmarks, the predictor, outputs."""

    def __init__(self, frames, predictor, input_size, output_dir, output_mask_dir, model_iter=0, xseg_loader=None):
        self.frames = frames
        self.predictor = predictor
        self.input_size = int(input_size)
        self.output_dir = Path(output_dir)
        self.output_mask_dir = Path(output_mask_dir)
        self.model_iter = model_iter
        self._xseg_loader = xseg_loader  # () -> XSeg net with extract(), or None when there is none
        self._xseg = None
        self._smoothed = {}
        self._predictions = {}
        self._motion_strength = None
        self.unreadable = {}   # frame idx -> one-line error

    def landmarks(self, strength):
        """Per frame, the landmarks smoothed with `strength`; motion vectors follow the last strength asked."""
        if strength not in self._smoothed:
            self._smoothed[strength] = smoothed_landmarks(self.frames, strength)
        lm = self._smoothed[strength]
        if self._motion_strength != strength:
            compute_motion(self.frames, lm)
            self._motion_strength = strength
        return lm

    def out_paths(self, idx):
        stem = self.frames[idx].stem
        return self.output_dir / f"{stem}.png", self.output_mask_dir / f"{stem}.png"

    def xseg(self, cfg):
        """The XSeg net (loaded on first use); UserError when the model folder has none."""
        if self._xseg is None and self._xseg_loader is not None:
            self._xseg = self._xseg_loader()
        if self._xseg is None:
            raise MergeMasked.xseg_missing(cfg)
        return self._xseg

    @staticmethod
    def _prediction_key(cfg):
        """What the per-face outputs computed in this process depend on besides the frame."""
        sr = cfg.super_resolution_power > 0
        xseg_prd = cfg.mask_mode in MergeMasked.XSEG_PRD_MODES
        return (cfg.temporal_smoothing, cfg.face_type, cfg.super_resolution_model if sr else None,
                cfg.mask_mode in MergeMasked.XSEG_DST_MODES, xseg_prd,
                cfg.super_resolution_power if sr and xseg_prd else None)

    def predict_frames(self, idxs, cfg):
        """{frame idx: [(landmarks, FacePrediction), ...]} for frames with faces: the model run in batches, then the
        super resolution enhancer and the XSeg net when the settings need them."""
        lm_all = self.landmarks(cfg.temporal_smoothing)
        key_extra = self._prediction_key(cfg)
        todo, inputs, xseg_dst_inputs = [], [], []
        need_xseg_dst = cfg.mask_mode in MergeMasked.XSEG_DST_MODES
        for i in idxs:
            if not lm_all[i] or (i, key_extra) in self._predictions:
                continue
            try:
                frame = read_frame(self.frames[i].filepath)
            except Exception as e:  # reported by merge_all; the other frames go on
                self.unreadable[i] = _frame_error(self.frames[i].filepath, e)
                continue
            for lm in lm_all[i]:
                todo.append(i)
                inputs.append(MergeMasked.face_input(frame, lm, cfg, self.input_size))
                if need_xseg_dst:
                    xseg_dst_inputs.append(MergeMasked.xseg_dst_input(frame, lm, cfg))
        preds = self.predictor.predict(inputs) if inputs else []
        if preds and cfg.super_resolution_power > 0:
            from merger.enhancers import get_enhancer
            enhancer = get_enhancer(cfg.super_resolution_model)
            for p in preds:
                p.enhanced = enhancer(np.clip(p.bgr, 0, 1))
        if preds and need_xseg_dst:
            for p, m in zip(preds, self.xseg(cfg).extract(np.stack(xseg_dst_inputs))):
                p.xseg_dst = m
        if preds and cfg.mask_mode in MergeMasked.XSEG_PRD_MODES:
            faces = np.stack([MergeMasked.xseg_prd_input(p, cfg, self.input_size) for p in preds])
            for p, m in zip(preds, self.xseg(cfg).extract(faces)):
                p.xseg_prd = m
        grouped = {}
        for i, p in zip(todo, preds):
            grouped.setdefault(i, []).append(p)
        for i, plist in grouped.items():
            self._predictions[(i, key_extra)] = list(zip(lm_all[i], plist))
        return {i: self._predictions[(i, key_extra)] for i in idxs if (i, key_extra) in self._predictions}

    def forget_predictions(self):
        self._predictions.clear()

    def merge(self, idx, cfg):
        """Merge one frame in this process: (image, mask) float32, or None for a frame without faces."""
        faces = self.predict_frames([idx], cfg).get(idx)
        if not faces:
            return None
        frame = read_frame(self.frames[idx].filepath)
        return MergeMasked.merge_frame(frame, faces, cfg, self.input_size, self.frames[idx])

    def write(self, idx, result, cfg):
        out, mask = self.out_paths(idx)
        if result is None:
            copy_frame(self.frames[idx].filepath, out, mask)
        else:
            write_merged(out, mask, result[0], result[1], cfg)


# ----------------------------------------------------------------------------------------------- worker side
def _merge_item(item):
    """Worker: composite and write one frame. Returns (kind, detail) where kind is merged / copied / failed."""
    cfg = MergerConfigMasked(item["face_type"], item["default_mode"], **item["cfg"])
    try:
        if not item["faces"]:
            copy_frame(item["path"], item["out"], item["mask"])
            return "copied", None
        frame = read_frame(item["path"])
        img, mask = MergeMasked.merge_frame(frame, item["faces"], cfg, item["input_size"], item["frame_info"])
        write_merged(item["out"], item["mask"], img, mask, cfg)
        return "merged", len(item["faces"])
    except Exception as e:  # one bad frame (truncated PNG, ...) is reported; the others are merged
        return "failed", _frame_error(item["path"], e)


def _frame_error(path, e):
    return str(e) if isinstance(e, UserError) else f"{path}: {type(e).__name__}: {e}"


def _chunk_frames(n_frames, input_size, max_faces, super_resolution):
    per_face = input_size * input_size * 5 * 4  # bgr + 2 masks, float32
    if super_resolution:
        per_face += input_size * input_size * 16 * 3 * 4
    return max(1, min(n_frames, max(8, _CHUNK_BYTES // (max(1, max_faces) * per_face))))


def merge_all(ctx, cfg, workers=1, idxs=None, summary=None):
    """Batch merge of frames `idxs` (all by default) with one cfg; returns the Summary."""
    summary = summary or Summary("Merged")
    idxs = list(range(len(ctx.frames))) if idxs is None else list(idxs)
    max_faces = max((len(f.landmarks_list) for f in ctx.frames), default=1)
    chunk = _chunk_frames(len(idxs), ctx.input_size, max_faces, cfg.super_resolution_power > 0)
    for start in range(0, len(idxs), chunk):
        part = idxs[start:start + chunk]
        preds = ctx.predict_frames(part, cfg)
        items = []
        for i in part:
            if i in ctx.unreadable:
                summary.add("frames failed")
                interact.log_err(f"Failed: {ctx.unreadable.pop(i)}")
                continue
            out, mask = ctx.out_paths(i)
            items.append({"path": ctx.frames[i].filepath, "out": out, "mask": mask, "faces": preds.get(i, []),
                          "cfg": cfg.get_config(), "face_type": cfg.face_type, "default_mode": cfg.default_mode,
                          "input_size": ctx.input_size, "frame_info": ctx.frames[i]})
        ctx.forget_predictions()
        for _, (kind, detail) in map_items(_merge_item, items, workers=workers, desc="Merging", unit="frame"):
            if kind == "merged":
                summary.add("frames merged")
                summary.add("faces", detail)
            elif kind == "copied":
                summary.add("frames without faces copied")
            else:
                summary.add("frames failed")
                interact.log_err(f"Failed: {detail}")
    return summary


# ----------------------------------------------------------------------------------------------------- command
def _model_merger_config(model):
    """(predictor_func, batch_func or None, input_size, face_type name, default_mode) from the model: its
    `get_MergerConfig()` as the original's, else its batch predictor `get_predictor()` with `resolution` and
    `face_type`."""
    from facelib.FaceType import FaceType
    if hasattr(model, "get_MergerConfig"):
        predictor_func, input_shape, model_cfg = model.get_MergerConfig()
        batch_func = getattr(model, "predictor_func_batch", None)
        input_size = int(input_shape[0])
        face_type = getattr(model_cfg, "face_type", None)
        default_mode = getattr(model_cfg, "default_mode", None) or "overlay"
    else:
        batch_func = model.get_predictor()

        def predictor_func(face):
            return tuple(a[0] for a in batch_func(face[None]))
        input_size = int(model.resolution)
        face_type = getattr(model, "face_type", None)
        default_mode = getattr(model, "merger_default_mode", "overlay")
    if face_type is None:
        raise UserError(f"the {type(model).__module__} model gives no face type to merge with; update the model")
    if not isinstance(face_type, str):
        face_type = FaceType.toString(FaceType(int(face_type)))
    return predictor_func, batch_func, input_size, face_type, default_mode


def _load_xseg(model_dir):
    from facelib.XSegNet import load_for_merger
    return load_for_merger(model_dir)


def _check_outputs(inputs, outputs):
    """Outputs are cleared of images before merging: refuse folders that are an input, lie inside the aligned or
    model folder, or are the same for images and masks."""
    resolved = {name: Path(p).resolve() for name, p in outputs.items()}
    for flag, out in resolved.items():
        for what, folder in inputs.items():
            folder = Path(folder).resolve()
            if out == folder or (what != "frames folder" and folder in out.parents):
                raise UserError(f"{flag} {outputs[flag]} is {'the' if out == folder else 'inside the'} {what} "
                                f"{folder}: merging clears its output folders, choose another one")
    if len(set(resolved.values())) < len(resolved):
        raise UserError(f"--output-dir and --output-mask-dir are the same folder ({outputs['--output-dir']}): "
                        f"masks would replace the merged frames; choose two folders")


def _clear_images(folder):
    for p in get_image_paths(folder):
        p.unlink()


def main(args):
    input_dir = require_dir(args.input_dir, "frames folder (data_dst)")
    aligned_dir = require_dir(args.aligned_dir or Path(input_dir) / "aligned", "aligned faces folder")
    output_dir, output_mask_dir = Path(args.output_dir), Path(args.output_mask_dir)
    model_dir = require_dir(args.model_dir, "model folder")
    _check_outputs({"frames folder": input_dir, "aligned faces folder": aligned_dir, "model folder": model_dir},
                   {"--output-dir": output_dir, "--output-mask-dir": output_mask_dir})
    frames = load_frame_infos(input_dir, aligned_dir)
    if not frames:
        raise UserError(f"no frames (png/jpg) in {input_dir}: extract the dst video's frames first")
    if not any(f.landmarks_list for f in frames):
        raise UserError(f"no aligned face in {aligned_dir} belongs to a frame of {input_dir}: extract data_dst faces")
    file_values = load_settings(args.settings_file) if args.settings_file else None

    # Default y at a terminal as the original; without one (or with --non-interactive) n, as the original on Colab.
    interactive = interact.input_bool("Use interactive merger?", interact.is_interactive(), value=args.interactive,
                                      help_message="preview every frame and tune the settings with keys")

    from models import import_model
    model_cls = import_model(args.model)
    model = model_cls(model_dir, is_training=False, force_model_name=args.force_model_name,
                      force_gpu_idxs=args.force_gpu_idxs, cpu_only=args.cpu_only)
    if hasattr(model, "ask_merge_options"):  # model-specific merge questions (AMP: morph factor)
        from models import merge_options
        model.ask_merge_options({o.name: getattr(args, o.dest, None) for o in merge_options()})
    predictor_func, batch_func, input_size, face_type, default_mode = _model_merger_config(model)
    predictor = BatchPredictor(predictor_func, input_size, batch_func)
    ensure_output_dir(output_dir, "--output-dir")
    ensure_output_dir(output_mask_dir, "--output-mask-dir")
    ctx = MergeContext(frames, predictor, input_size, output_dir, output_mask_dir, model_iter=model.get_iter(),
                       xseg_loader=lambda: _load_xseg(model_dir))
    session_path = Path(model_dir) / f"{model.model_name}_{model.model_class_name}_merger_session.json"

    if interactive:
        if args.workers is not None:
            raise UserError("--workers is for the batch merger (--interactive n): the interactive merger composites "
                            "each frame in this process")
        cfg = interactive_config(args, file_values, face_type, default_mode)
        from merger.InteractiveMerger import run_interactive
        last_cfg = run_interactive(ctx, cfg, session_path)
        if args.save_settings:
            save_settings(args.save_settings, last_cfg)
            interact.log_info(f"Settings of the last frame shown saved to {args.save_settings}")
        return 0

    n_cpu = cpu_count()
    workers = interact.input_int("Number of workers?", n_cpu, valid_range=(1, n_cpu), value=args.workers,
                                 help_message="processes compositing frames; the model runs in the main process")
    cfg = ask_config(args, file_values, face_type, default_mode)
    if args.save_settings:
        save_settings(args.save_settings, cfg)
        interact.log_info(f"Settings saved to {args.save_settings}")
    _clear_images(output_dir)
    _clear_images(output_mask_dir)
    summary = merge_all(ctx, cfg, workers)
    summary.print()
    return 1 if summary["frames failed"] else 0
