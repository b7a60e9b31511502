"""The batch merger's pipeline: decode, predict, composite, encode and write all busy at once.

The main process decodes each frame once, cuts its faces and runs the model on several faces per call (plus the
super resolution enhancer and the XSeg net when the settings need them), while worker processes composite and encode
the frames of the batches before, and writer threads save the PNGs (a save waits on the disk, not on the CPU). At
most a few batches are in flight, so memory stays bounded whatever the length of the video. The time of every stage
is summed in `StageTimes` and printed after the summary line.
"""
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np

from core import interact
from core.errors import UserError
from core.progress import progress
from merger import MergeMasked
from merger.MergerConfig import MergerConfigMasked
from merger.output import copied_pngs, merged_pngs, write_pngs

# Stages in pipeline order; decode / cut / predict / write run in the main process, blend / encode in the workers.
STAGES = ("decode", "cut", "predict", "blend", "encode", "write")
_WRITER_THREADS = 4


class StageTimes:
    """Seconds spent per stage, summed over frames (stages overlap, so the sum exceeds the wall time)."""

    def __init__(self):
        self.seconds = dict.fromkeys(STAGES, 0.0)
        self._lock = threading.Lock()  # the writer threads add too

    def add(self, stage, seconds):
        with self._lock:
            self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds

    @contextmanager
    def __call__(self, stage):
        t = time.perf_counter()
        try:
            yield
        finally:
            self.add(stage, time.perf_counter() - t)

    def shares(self):
        total = sum(self.seconds.values()) or 1.0
        return {k: v / total for k, v in self.seconds.items()}

    def line(self):
        return "Merge stages (s, summed over frames): " + ", ".join(
            f"{k} {v:.2f}" for k, v in self.seconds.items())


def frame_error(path, e):
    """One line for a frame that could not be merged (a UserError already names its file)."""
    return str(e) if isinstance(e, UserError) else f"{path}: {type(e).__name__}: {e}"


def warm_up():
    """Worker initialiser: nothing to do; naming it makes each worker import this module (and the compositing
    code) as soon as it starts, before the first frame arrives."""


def composite(item):
    """Worker: composite one frame and encode its PNGs. Returns (kind, detail, pngs, {stage: seconds}) where kind
    is merged / copied / failed."""
    t0 = time.perf_counter()
    try:
        if not item["faces"]:
            pngs = copied_pngs(item["path"], item["out"], item["mask"])
            return "copied", None, pngs, {"encode": time.perf_counter() - t0}
        cfg = MergerConfigMasked(item["face_type"], item["default_mode"], **item["cfg"])
        frame = item["frame"].astype(np.float32) / 255.0
        img, mask = MergeMasked.merge_frame(frame, item["faces"], cfg, item["input_size"], item["frame_info"])
        t1 = time.perf_counter()
        pngs = merged_pngs(img, mask, cfg, item["out"], item["mask"], item["made_by"])
        return "merged", len(item["faces"]), pngs, {"blend": t1 - t0, "encode": time.perf_counter() - t1}
    except Exception as e:  # one bad frame (truncated PNG, ...) is reported; the others are merged
        return "failed", frame_error(item["path"], e), None, {}


def _batches(ctx, idxs, lm_all):
    """Frame index groups holding about one predictor batch of faces each (frames without faces join the group
    they fall in)."""
    group, n_faces = [], 0
    for i in idxs:
        group.append(i)
        n_faces += len(lm_all[i])
        if n_faces >= ctx.predictor.batch_size:
            yield group
            group, n_faces = [], 0
    if group:
        yield group


def run(ctx, cfg, idxs, pool, summary, times=None, show_progress=True):
    """Merge frames `idxs` of `ctx` (mainscripts.Merger.MergeContext) with `cfg`, compositing in `pool`
    (core.workers.WorkerPool); counts go to `summary`, stage seconds to `times`."""
    times = times if times is not None else StageTimes()
    lm_all = ctx.landmarks(cfg.temporal_smoothing)
    base = {"cfg": cfg.get_config(), "face_type": cfg.face_type, "default_mode": cfg.default_mode,
            "input_size": ctx.input_size, "made_by": ctx.made_by}
    # Enough frames in flight to keep every worker busy while the next batch is predicted, and no more.
    max_pending = 2 * pool.workers + ctx.predictor.batch_size
    pending, writes = deque(), deque()
    bar = progress(total=len(idxs), desc="Merging", unit="frame", disable=not show_progress)

    def finish(at_most):
        """Take the results in frame order: those ready, then wait until at most `at_most` frames are pending."""
        while pending and (pending[0][1].ready() or len(pending) > at_most):
            i, handle = pending.popleft()
            kind, detail, pngs, stage_seconds = handle.get()
            for stage, s in stage_seconds.items():
                times.add(stage, s)
            if kind == "failed":
                summary.add("frames failed")
                interact.log_err(f"Failed: {detail}")
            else:
                summary.add("frames merged" if kind == "merged" else "frames without faces copied")
                if kind == "merged":
                    summary.add("faces", detail)
                writes.append(writer.submit(_timed_write, times, *ctx.out_paths(i), pngs))
            bar.update(1)
        # A failed save raises its one-line UserError here; a slow disk holds the loop back instead of memory.
        while writes and (writes[0].done() or len(writes) > 4 * _WRITER_THREADS):
            writes.popleft().result()

    with ThreadPoolExecutor(_WRITER_THREADS) as writer:
        try:
            for group in _batches(ctx, idxs, lm_all):
                images = {}
                with times("decode"):
                    for i in group:
                        if lm_all[i]:
                            try:
                                images[i] = ctx.read_frame_u8(i)
                            except Exception as e:  # a truncated or corrupt frame: reported, the others go on
                                ctx.unreadable[i] = frame_error(ctx.frames[i].filepath, e)
                preds = ctx.predict_frames(group, cfg, images=images, times=times)
                ctx.forget_predictions()
                for i in group:
                    if i in ctx.unreadable:
                        summary.add("frames failed")
                        interact.log_err(f"Failed: {ctx.unreadable.pop(i)}")
                        bar.update(1)
                        continue
                    out, mask = ctx.out_paths(i)
                    item = dict(base, path=ctx.frames[i].filepath, out=out, mask=mask, faces=preds.get(i, []),
                                frame=images.get(i), frame_info=ctx.frames[i])
                    pending.append((i, pool.submit(composite, item)))
                    finish(max_pending)
            finish(0)
        finally:
            bar.close()
        for w in writes:
            w.result()
    return summary


def _timed_write(times, out_path, mask_path, pngs):
    t = time.perf_counter()
    write_pngs(out_path, mask_path, pngs)
    times.add("write", time.perf_counter() - t)
