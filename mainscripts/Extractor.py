"""`extract`: frames -> aligned faces with metadata (reference §8.1): the questions, the output folder (continue or
start again), the worker pool, the manual passes and the closing summary. The per-frame work is in extract/stages.py.
"""
import dataclasses
import math
import multiprocessing as mp
import os
from pathlib import Path

from core import interact
from core.dflimg import DFLJPG, NotDFLImageError
from core.errors import UserError
from core.pathex import get_image_paths, require_dir
from core.progress import Summary, progress
from core.workers import cpu_count, map_items
from facelib.FaceType import FaceType
from mainscripts.extract import options as opts
from mainscripts.extract.stages import ExtractConfig, face_file_stem, init_worker, process_batch, write_faces

RESUME_BACK = 128            # faces re-extracted when continuing, as the original
MAX_BATCH = 8                # frames per worker task: fewer round trips, still an even spread


def extract(input_dir, output_dir, face_type=None, max_faces_from_image=None, image_size=None, jpeg_quality=None,
            detector=None, landmarker=None, output_debug=None, manual_fix=False, manual_output_debug_fix=False,
            manual_window_size=1368, cpu_only=False, force_gpu_idxs=None, workers=None, continue_extraction=None,
            delete_existing=None, min_face_size=None):
    """Run the extraction; None means "ask" (or take the default without a terminal). Returns the Summary."""
    input_dir = require_dir(input_dir, "input folder")
    output_dir = Path(output_dir)
    if output_dir.resolve() == input_dir.resolve():
        raise UserError(f"{output_dir}: the output folder must not be the input folder (use e.g. {input_dir}/aligned)")
    frames = get_image_paths(input_dir)
    if not frames:
        raise UserError(f"{input_dir}: no images to extract faces from; extract the video's frames first")
    debug_dir = output_dir.parent / f"{output_dir.name}_debug"
    existing = get_image_paths(output_dir)
    replace = wipe = False
    defaults = {}
    summary = Summary("Done")
    for key in ("frames", "faces", "frames with no face"):
        summary.add(key, 0)

    if manual_output_debug_fix:
        if not debug_dir.is_dir():
            raise UserError(f"{debug_dir}: not found; extract again with debug images (--output-debug) first")
        detector, output_debug, replace = "manual", True, True
        have = {p.stem for p in get_image_paths(debug_dir)}
        frames = [f for f in frames if f.stem not in have]
        interact.log_info(f"Re-extracting frames whose debug image was deleted from {debug_dir.name}: "
                          f"{len(frames)} found.")
        if not frames:
            summary.print()
            return summary
        defaults = _settings_of(existing)
    elif existing:
        resume = len(existing) > RESUME_BACK and opts.CONTINUE.ask(continue_extraction)
        if resume:
            frames = _resume_from(frames, existing[-RESUME_BACK], input_dir)
            replace = True
            defaults = _settings_of(existing)
            interact.log_info(f"Continuing from {frames[0].name}: {len(frames)} frames to extract.")
        else:
            wipe = True

    cfg, manual = _ask_settings(output_dir, debug_dir, defaults, replace, face_type, max_faces_from_image,
                                image_size, jpeg_quality, detector, landmarker, output_debug, manual_fix,
                                min_face_size)
    if wipe:   # after the questions, so that a wrong flag stops before anything is deleted
        _wipe(output_dir, existing, debug_dir, delete_existing)
    output_dir.mkdir(parents=True, exist_ok=True)
    if cfg.debug_dir:
        debug_dir.mkdir(parents=True, exist_ok=True)

    gpus = _ask_gpus(cfg, cpu_only, force_gpu_idxs, only_one=manual)
    if manual:
        _manual(frames, cfg, summary, manual_window_size, gpus)
    else:
        no_face = _auto(frames, cfg, summary, gpus, workers)
        if manual_fix:
            if no_face:
                interact.log_info(f"Performing manual fix for {len(no_face)} frames...")
                fix_cfg = dataclasses.replace(cfg, replace_existing=True)
                summary.add("frames with no face", -len(no_face))
                summary.add("frames", -len(no_face))
                _manual(no_face, fix_cfg, summary, manual_window_size, gpus[:1])
            else:
                interact.log_info("All faces are detected, manual fix not needed.")
    summary.print()
    return summary


# ---- output folder ----------------------------------------------------------------------------------------------
def _settings_of(existing):
    """Face type and size of the faces already extracted: the defaults when continuing or fixing."""
    for path in reversed(existing):
        try:
            d = DFLJPG.load(path)
        except NotDFLImageError:
            continue
        code = opts.face_type_code(d.get_face_type())
        if code not in opts.FACE_TYPE_CODES:
            return {}
        size = d.get_shape()[0]
        lo, hi = opts.IMAGE_SIZE.valid_range
        return {"face_type": code, **({"image_size": size} if code != "mark_only" and lo <= size <= hi else {})}
    return {}


def _resume_from(frames, ref, input_dir):
    """Frames from the source frame of `ref` (the 128th face from the end) onwards."""
    try:
        source = DFLJPG.load(ref).get_source_filename()
    except NotDFLImageError:
        source = None
    names = [f.name for f in frames]
    if source in names:
        return frames[names.index(source):]
    stem = face_file_stem(ref.name)
    stems = [f.stem for f in frames]
    if stem in stems:
        return frames[stems.index(stem):]
    raise UserError(f"{ref}: its frame is not in {input_dir}, so extraction cannot be continued; "
                    "answer n to 'Continue extraction?' to start again")


def _wipe(output_dir, existing, debug_dir, delete_existing):
    debug_files = get_image_paths(debug_dir)
    interact.log_info(f"WARNING: {output_dir} contains {len(existing)} files"
                      + (f" and {debug_dir.name} {len(debug_files)}" if debug_files else "")
                      + ": they will be deleted.")
    if not opts.DELETE_EXISTING.ask(delete_existing):
        raise UserError(f"{output_dir}: not empty and not deleted; move its files away or answer y")
    for p in existing + debug_files:
        p.unlink()


# ---- questions --------------------------------------------------------------------------------------------------
def _ask_settings(output_dir, debug_dir, defaults, replace, face_type, max_faces, image_size, jpeg_quality,
                  detector, landmarker, output_debug, manual_fix, min_face_size=None):
    from facelib.detectors import DEFAULT_DETECTOR, DETECTOR_NAMES, available_detectors
    from facelib.landmarkers import LANDMARKER_NAMES, available_landmarkers

    code = opts.FACE_TYPE.ask(opts.face_type_code(face_type), defaults.get("face_type"))
    ft = opts.face_type_from_code(code)
    max_faces = opts.MAX_FACES.ask(max_faces)
    if ft == FaceType.MARK_ONLY:
        if image_size is not None:
            interact.log_info("Image size: mark_only keeps the whole frame, so no size is used")
        size = opts.IMAGE_SIZE.default
    else:
        size = opts.IMAGE_SIZE.ask(image_size, defaults.get("image_size",
                                                           opts.HEAD_IMAGE_SIZE if ft == FaceType.HEAD else None))
    quality = opts.JPEG_QUALITY.ask(jpeg_quality)
    # flag only: validated when given, never asked (the original had no such question)
    min_size = opts.MIN_FACE_SIZE.default if min_face_size is None else opts.MIN_FACE_SIZE.ask(min_face_size)
    available = available_detectors()
    labels = [n if n in available else f"{n} (weights missing)" for n in DETECTOR_NAMES]
    if detector is None and interact.is_interactive():
        interact.log_info("Choose detector type:")
    det = _choose("Detector", DETECTOR_NAMES, labels, DETECTOR_NAMES.index(DEFAULT_DETECTOR), detector,
                  "centerface: fast, finds small and turned faces. mt: MTCNN. s3fd: the original's detector (needs "
                  "_internal/S3FD.npy). manual: mark every face yourself in a window.")
    lmk = _choose("Landmarks", LANDMARKER_NAMES, LANDMARKER_NAMES, 0, landmarker,
                  "dlib68: dlib's 68-point model (non-commercial weights). fan2d / fan3d: the original's FAN "
                  "(need _internal/2DFAN.npy / 3DFAN.npy).")
    _require_weights(det, available, lmk, available_landmarkers())
    if manual_fix and det == "manual":
        raise UserError("--manual-fix fixes what an automatic detector missed: choose an automatic detector, "
                        "or use the manual detector alone")
    debug = interact.input_bool(f"Write debug images to {debug_dir.name}?", False, value=output_debug)
    cfg = ExtractConfig(face_type=int(ft), image_size=size, jpeg_quality=quality, max_faces=max_faces,
                        detector=det, landmarker=lmk, output_dir=str(output_dir),
                        debug_dir=str(debug_dir) if debug else None, replace_existing=replace,
                        min_face_size=min_size)
    return cfg, det == "manual"


def _require_weights(det, available, lmk, available_lmk):
    """Stop before any work when a chosen model's weights are missing (creating it raises the one-line error)."""
    from facelib.detectors import create_detector
    from facelib.landmarkers import create_landmarker
    if det not in available:
        create_detector(det)
    if lmk not in available_lmk:
        create_landmarker(lmk)


def _choose(prompt, names, labels, default_index, value, help_message):
    if value is None and interact.is_interactive():
        for i, label in enumerate(labels):
            interact.log_info(f"[{i}] {label}")
    return interact.choice(prompt, list(names), default_index, help_message, value)


def _ask_gpus(cfg, cpu_only, force_gpu_idxs, only_one=False):
    """GPU indexes for the TensorFlow models (one worker each; one for the manual window), [] for the CPU."""
    if not cfg.uses_tensorflow:
        if force_gpu_idxs:
            interact.log_info(f"{cfg.detector} and {cfg.landmarker} run on the CPU: --force-gpu-idxs is not used")
        return []
    if cpu_only:
        return []
    from core.leras.device import ask_choose_device_idxs
    return ask_choose_device_idxs(choose_only_one=only_one, suggest_all_gpu=not only_one, value=force_gpu_idxs)


# ---- automatic pass ---------------------------------------------------------------------------------------------
def plan_workers(cfg, gpus, workers, n_frames):
    """(worker count, threads per worker or None for the libraries' default)."""
    cpus = cpu_count()
    if workers is not None:
        n = workers
    elif gpus:
        n = len(gpus)
    elif cfg.uses_tensorflow:
        n = max(1, min(8, cpus // 2))   # a TensorFlow model per worker: memory, not cores, is the limit
    else:
        n = cpus
    n = max(1, min(n, n_frames))
    return n, (None if n == 1 else max(1, cpus // n))


def batches(frames, n_workers):
    size = max(1, min(MAX_BATCH, math.ceil(len(frames) / (n_workers * 4))))
    return [[str(p) for p in frames[i:i + size]] for i in range(0, len(frames), size)]


def count_result(summary, r, min_face_size=0):
    summary.add("frames")
    if r.skipped:
        summary.add(f"skipped ({r.skipped})")
        return
    summary.add("faces", r.faces)
    if r.faces == 0:
        summary.add("frames with no face")
    if r.dropped:
        summary.add("faces dropped (crop over 4x the detector box)", r.dropped)
    if r.small:
        summary.add(f"faces smaller than {min_face_size} px not extracted (--min-face-size)", r.small)
    if r.profiles:
        summary.add("faces turned past 45 degrees given FAN landmarks", r.profiles)
    if r.unreliable:
        summary.add("faces turned past 45 degrees with unreliable dlib68 landmarks (marked in the debug images; "
                    "fan3d handles profiles)", r.unreliable)
    if r.rotation:
        summary.add("frames found rotated")
    if r.converted:
        summary.add(f"converted ({r.converted})")


def run_pool(frames, cfg, gpus=(), workers=None, on_result=None):
    """Every stage on every frame through worker processes (models loaded once per worker); yields FrameResults."""
    n, threads = plan_workers(cfg, gpus, workers, len(frames))
    gpu_queue = None
    if gpus:
        gpu_queue = mp.get_context("spawn").Queue()
        for idx in gpus:
            gpu_queue.put(idx)
    for _, results in map_items(process_batch, batches(frames, n), workers=n, initializer=init_worker,
                                initargs=(cfg, threads, gpu_queue), show_progress=False):
        yield from results


def _auto(frames, cfg, summary, gpus, workers):
    no_face = []
    by_name = {f.name: f for f in frames}
    with progress(total=len(frames), desc="Extracting faces", unit="frame") as bar:
        for r in run_pool(frames, cfg, gpus, workers):
            count_result(summary, r, cfg.min_face_size)
            if not r.skipped and r.faces == 0:
                no_face.append(by_name[r.name])
            bar.update(1)
    return sorted(no_face)


# ---- manual pass ------------------------------------------------------------------------------------------------
def _manual(frames, cfg, summary, window_size, gpus):
    from facelib.detectors import DEFAULT_DETECTOR, create_detector
    from facelib.landmarkers import create_landmarker
    from mainscripts.ManualExtractor import run_manual_pass
    from mainscripts.extract.frames import read_frame

    window_size = interact.input_int("Manual window size", 1368, valid_range=(320, 8192), value=window_size)
    if cfg.uses_tensorflow:
        # The window's landmarker runs in this process: show TensorFlow only the chosen GPU (or none).
        os.environ["CUDA_VISIBLE_DEVICES"] = str(gpus[0]) if gpus else "-1"
    landmarker = create_landmarker(cfg.landmarker)
    # The manual detector has no network; the accuracy pass re-detects on the aligned crop with the default one.
    detector = create_detector(DEFAULT_DETECTOR)
    result = run_manual_pass(frames, landmarker, detector, window_size, cfg.second_pass, cfg.face_type)
    for i, why in result.skipped.items():
        summary.add("frames")
        summary.add(f"skipped ({why})")
    decided = sorted(result.results.items())
    for i, faces in progress(decided, "Writing faces", unit="frame"):
        frame = read_frame(frames[i])
        kept, _ = write_faces(frames[i], frame.img, faces, cfg, manual=True)
        summary.add("frames")
        summary.add("faces", kept)
        if kept == 0:
            summary.add("frames with no face")
    left = len(frames) - len(decided) - len(result.skipped)
    if left:
        summary.add("frames", left)
        summary.add("frames left unmarked (Q)", left)
