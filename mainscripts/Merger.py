"""The `merge` command: paste a trained model's faces into the dst frames (reference §7.1).

Flow: read frames and aligned faces, ask interactive or batch (and the batch merger's worker count, so its worker
processes start while the model loads), load the model (`get_MergerConfig()`; bfloat16 on CPUs that compute it
natively), ask the settings (flags, settings file, prompts), then either the interactive merger
(merger/InteractiveMerger.py) or the batch pipeline (merger/pipeline.py): the main process decodes each frame once,
cuts the faces and evaluates the model in batches, and the super resolution enhancer and XSeg net when the settings
need them (as the original runs them in its main process), while the workers composite and encode the frames before;
`<output>/<stem>.png` and `<output-mask>/<stem>.png` are saved by writer threads. Frames without faces are copied
untouched and counted. `MergeContext` is what both mergers share: frames, landmarks, predictions, outputs.
"""
import threading
from pathlib import Path

import numpy as np

from core import interact
from core.cv2ex import cv2_imread, normalize_channels
from core.errors import UserError
from core.pathex import ensure_output_dir, get_image_paths, require_dir
from core.progress import Summary
from core.workers import WorkerPool, cpu_count
from merger import MergeMasked, pipeline
from merger.FrameInfo import compute_motion, load_frame_infos, smoothed_landmarks
from merger.MergerConfig import ask_config, interactive_config, load_settings, save_settings
from merger.Predictor import BatchPredictor
from merger.label import model_stamp
from merger.output import copy_frame, write_merged


def read_frame_u8(path):
    return normalize_channels(cv2_imread(path), 3)


def read_frame(path):
    return read_frame_u8(path).astype(np.float32) / 255.0


class MergeContext:
    """Everything a merge needs besides the settings: frames, their (smoothed) landmarks, the predictor, outputs."""

    def __init__(self, frames, predictor, input_size, output_dir, output_mask_dir, model_iter=0, xseg_loader=None,
                 made_by=None):
        self.frames = frames
        self.predictor = predictor
        self.input_size = int(input_size)
        self.output_dir = Path(output_dir)
        self.output_mask_dir = Path(output_mask_dir)
        self.model_iter = model_iter
        self.made_by = made_by  # the model's stamp, recorded in every merged frame
        self._xseg_loader = xseg_loader  # () -> XSeg net with extract(), or None when there is none
        self._xseg = None
        self._smoothed = {}
        self._predictions = {}
        self._motion_strength = None
        self.unreadable = {}   # frame idx -> one-line error, reported by the merger

    def landmarks(self, strength):
        """Per frame, the landmarks smoothed with `strength`; motion vectors follow the last strength asked."""
        if strength not in self._smoothed:
            self._smoothed[strength] = smoothed_landmarks(self.frames, strength)
        lm = self._smoothed[strength]
        if self._motion_strength != strength:
            compute_motion(self.frames, lm)
            self._motion_strength = strength
        return lm

    def read_frame_u8(self, idx):
        return read_frame_u8(self.frames[idx].filepath)

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
        return (cfg.temporal_smoothing, cfg.face_type, cfg.two_pass, cfg.pre_sharpen_power,
                cfg.super_resolution_model if sr else None,
                cfg.mask_mode in MergeMasked.XSEG_DST_MODES, xseg_prd,
                cfg.super_resolution_power if sr and xseg_prd else None)

    def predict_frames(self, idxs, cfg, images=None, times=None):
        """{frame idx: [(landmarks, FacePrediction), ...]} for frames with faces: the model run in batches, then the
        super resolution enhancer and the XSeg net when the settings need them. `images`: {idx: uint8 frame} already
        decoded; `times` (merger.pipeline.StageTimes) sums the seconds of cutting and predicting."""
        times = times if times is not None else pipeline.StageTimes()
        lm_all = self.landmarks(cfg.temporal_smoothing)
        if cfg.mode == "original":  # the frame as it is: no face is cut or predicted
            return {i: [(lm, None) for lm in lm_all[i]] for i in idxs if lm_all[i]}
        key_extra = self._prediction_key(cfg)
        todo, inputs, xseg_dst_inputs = [], [], []
        need_xseg_dst = cfg.mask_mode in MergeMasked.XSEG_DST_MODES
        for i in idxs:
            if not lm_all[i] or (i, key_extra) in self._predictions or i in self.unreadable:
                continue
            with times("cut"):
                try:
                    u8 = images[i] if images is not None and i in images else self.read_frame_u8(i)
                except Exception as e:  # reported by the merger; the other frames go on
                    self.unreadable[i] = pipeline.frame_error(self.frames[i].filepath, e)
                    continue
                frame = u8.astype(np.float32) / 255.0
                for lm in lm_all[i]:
                    todo.append(i)
                    inputs.append(MergeMasked.face_input(frame, lm, cfg, self.input_size))
                    if need_xseg_dst:
                        xseg_dst_inputs.append(MergeMasked.xseg_dst_input(frame, lm, cfg))
        with times("predict"):
            preds = self._predict(inputs, cfg, xseg_dst_inputs)
        grouped = {}
        for i, p in zip(todo, preds):
            grouped.setdefault(i, []).append(p)
        for i, plist in grouped.items():
            self._predictions[(i, key_extra)] = list(zip(lm_all[i], plist))
        return {i: self._predictions[(i, key_extra)] for i in idxs if (i, key_extra) in self._predictions}

    def _predict(self, inputs, cfg, xseg_dst_inputs):
        preds = self.predictor.predict(inputs, cfg.two_pass) if inputs else []
        if preds and cfg.super_resolution_power > 0:
            from merger.enhancers import get_enhancer
            enhancer = get_enhancer(cfg.super_resolution_model)
            for p in preds:
                p.enhanced = enhancer(np.clip(p.bgr, 0, 1))
        if preds and cfg.mask_mode in MergeMasked.XSEG_DST_MODES:
            for p, m in zip(preds, self.xseg(cfg).extract(np.stack(xseg_dst_inputs))):
                p.xseg_dst = m
        if preds and cfg.mask_mode in MergeMasked.XSEG_PRD_MODES:
            faces = np.stack([MergeMasked.xseg_prd_input(p, cfg, self.input_size) for p in preds])
            for p, m in zip(preds, self.xseg(cfg).extract(faces)):
                p.xseg_prd = m
        return preds

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
            write_merged(out, mask, result[0], result[1], cfg, self.made_by)


# -------------------------------------------------------------------------------------------------- batch merge
def merge_all(ctx, cfg, workers=1, idxs=None, summary=None, pool=None, times=None):
    """Batch merge of frames `idxs` (all by default) with one cfg through the pipeline (merger/pipeline.py), in
    `pool` (a core.workers.WorkerPool, e.g. started before the model loaded) or a pool of `workers` made here.
    Returns the Summary; `times` (merger.pipeline.StageTimes) receives the seconds per stage."""
    summary = summary or Summary("Merged")
    idxs = list(range(len(ctx.frames))) if idxs is None else list(idxs)
    if pool is not None:
        return pipeline.run(ctx, cfg, idxs, pool, summary, times)
    with WorkerPool(min(workers, max(1, len(idxs))), pipeline.warm_up) as own:
        return pipeline.run(ctx, cfg, idxs, own, summary, times)


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


def _mixed_precision(args):
    """bfloat16 where the CPU computes it natively (with AMX about 5x faster than float32; the predicted faces
    differ by about one 8-bit level), unless --no-mixed-precision; on a GPU float32 unless --mixed-precision."""
    if args.mixed_precision is not None:
        return args.mixed_precision
    from core.leras.device import list_gpus
    from core.leras.mixed_precision import cpu_has_bf16
    return cpu_has_bf16() and (args.cpu_only or not list_gpus())


def _start_gpu_probe(args):
    """Without --cpu-only the model asks for a device, and finding the GPUs takes a child process that imports
    TensorFlow (seconds): started first, it runs while this process reads the frames, asks the first questions and
    imports TensorFlow. Returns the thread (joined before the model loads) or None."""
    if args.cpu_only or args.force_gpu_idxs is not None:
        return None
    from core.leras.device import list_gpus
    probe = threading.Thread(target=list_gpus, daemon=True)
    probe.start()
    return probe


def _load_model_context(args, frames, model_dir, output_dir, output_mask_dir, gpu_probe=None):
    """Load the model (asking its merge options) -> (MergeContext, model, face type name, default mode)."""
    from core.tf_import import import_tensorflow_for_inference
    from models import import_model
    import_tensorflow_for_inference()
    if gpu_probe is not None:
        gpu_probe.join()
    model_cls = import_model(args.model)
    model = model_cls(model_dir, is_training=False, force_model_name=args.force_model_name,
                      force_gpu_idxs=args.force_gpu_idxs, cpu_only=args.cpu_only,
                      mixed_precision=_mixed_precision(args))
    if hasattr(model, "ask_merge_options"):  # model-specific merge questions (AMP: morph factor)
        from models import merge_options
        model.ask_merge_options({o.name: getattr(args, o.dest, None) for o in merge_options()})
    predictor_func, batch_func, input_size, face_type, default_mode = _model_merger_config(model)
    predictor = BatchPredictor(predictor_func, input_size, batch_func)
    ensure_output_dir(output_dir, "--output-dir")
    ensure_output_dir(output_mask_dir, "--output-mask-dir")
    ctx = MergeContext(frames, predictor, input_size, output_dir, output_mask_dir, model_iter=model.get_iter(),
                       xseg_loader=lambda: _load_xseg(model_dir), made_by=model_stamp(model))
    return ctx, model, face_type, default_mode


def main(args):
    input_dir = require_dir(args.input_dir, "frames folder (data_dst)")
    aligned_dir = require_dir(args.aligned_dir or Path(input_dir) / "aligned", "aligned faces folder")
    output_dir, output_mask_dir = Path(args.output_dir), Path(args.output_mask_dir)
    model_dir = require_dir(args.model_dir, "model folder")
    _check_outputs({"frames folder": input_dir, "aligned faces folder": aligned_dir, "model folder": model_dir},
                   {"--output-dir": output_dir, "--output-mask-dir": output_mask_dir})
    gpu_probe = _start_gpu_probe(args)
    frames = load_frame_infos(input_dir, aligned_dir)
    if not frames:
        raise UserError(f"no frames (png/jpg) in {input_dir}: extract the dst video's frames first")
    if not any(f.landmarks_list for f in frames):
        raise UserError(f"no aligned face in {aligned_dir} belongs to a frame of {input_dir}: extract data_dst faces")
    file_values = load_settings(args.settings_file) if args.settings_file else None

    # Default y at a terminal as the original; without one (or with --non-interactive) n, as the original on Colab.
    interactive = interact.input_bool("Use interactive merger?", interact.is_interactive(), value=args.interactive,
                                      help_message="preview every frame and tune the settings with keys")

    if interactive:
        if args.workers is not None:
            raise UserError("--workers is for the batch merger (--interactive n): the interactive merger composites "
                            "each frame in this process")
        ctx, model, face_type, default_mode = _load_model_context(args, frames, model_dir, output_dir,
                                                                  output_mask_dir, gpu_probe)
        cfg = interactive_config(args, file_values, face_type, default_mode)
        from merger.InteractiveMerger import run_interactive
        session_path = Path(model_dir) / f"{model.model_name}_{model.model_class_name}_merger_session.json"
        last_cfg = run_interactive(ctx, cfg, session_path)
        if args.save_settings:
            save_settings(args.save_settings, last_cfg)
            interact.log_info(f"Settings of the last frame shown saved to {args.save_settings}")
        return 0

    n_cpu = cpu_count()
    workers = interact.input_int("Number of workers?", n_cpu, valid_range=(1, n_cpu), value=args.workers,
                                 help_message="processes compositing frames; the model runs in the main process")
    # The workers start (and import the compositing code) while this process loads TensorFlow and the model.
    with WorkerPool(min(workers, len(frames)), pipeline.warm_up) as pool:
        ctx, model, face_type, default_mode = _load_model_context(args, frames, model_dir, output_dir,
                                                                  output_mask_dir, gpu_probe)
        cfg = ask_config(args, file_values, face_type, default_mode)
        if args.save_settings:
            save_settings(args.save_settings, cfg)
            interact.log_info(f"Settings saved to {args.save_settings}")
        _clear_images(output_dir)
        _clear_images(output_mask_dir)
        times = pipeline.StageTimes()
        summary = merge_all(ctx, cfg, pool=pool, times=times)
    summary.print()
    print(times.line(), flush=True)
    return 1 if summary["frames failed"] else 0
