"""`main.py train`: the training loop in a worker thread and the preview window (or headless files) in the main one.

The two threads talk through queues, as in the original (reference §3.0): the UI sends 'save', 'backup', 'preview'
and 'close'; the trainer sends 'show' (previews + loss history) and 'closed'. The trainer saves at iteration 1,
every 25 minutes, on reaching the target iteration, on 's' and when asked to close (Enter in the window, Ctrl-C,
closing the window), makes rotating backups every `autobackup_hour` hours, and prints one console line per
iteration: `[HH:MM:SS][#000123][0123ms][src_loss][dst_loss]` (after each save: the mean since the previous save).
With a window, the preview is also sent every preview period (the model's `preview_history_period()` iterations),
so the window follows the training without P.
With --no-preview the preview picture and the loss history (CSV) are written into the model folder instead.
"""
import queue
import threading
import time
import traceback
from pathlib import Path

import numpy as np

from core import interact
from core.errors import UserError

SAVE_INTERVAL_MIN = 25


def format_loss_line(iter, iter_time, losses):
    t = time.strftime("[%H:%M:%S]")
    if iter_time >= 10:
        line = f"{t}[#{iter:06d}][{f'{iter_time:.4f}'[:5]}s]"
    else:
        line = f"{t}[#{iter:06d}][{int(iter_time * 1000):04d}ms]"
    return line + "".join(f"[{v:.4f}]" for v in losses)


class TrainingLoop:
    """Runs `model` until closed; communicates through `to_ui` / `from_ui` queues. With `time_limit_min` the
    loop saves and ends once it has trained that long (wall time since its start)."""

    def __init__(self, model, to_ui, from_ui, save_interval_min=SAVE_INTERVAL_MIN, stop_at_goal=False,
                 live_preview=True, time_limit_min=0.0):
        self.model = model
        self.live_preview = live_preview
        self.to_ui = to_ui
        self.from_ui = from_ui
        self.save_interval_s = save_interval_min * 60
        self.stop_at_goal = stop_at_goal
        self.time_limit_s = time_limit_min * 60
        self.error = None

    def send_preview(self):
        m = self.model
        self.to_ui.put({"op": "show", "previews": m.get_previews(), "iter": m.get_iter(),
                        "loss_history": [list(r) for r in m.get_loss_history()]})

    def save(self):
        """Save, then show the saved state (the window refreshes; headless rewrites its preview and CSV)."""
        interact.log_info(f"\n{time.strftime('[%H:%M:%S]')} Saving...")
        self.model.save()
        self.after_save = True
        self.send_preview()

    def run(self):
        m = self.model
        try:
            self.after_save = False
            save_iter = m.get_iter()
            started = last_save = last_backup = time.time()
            reached = m.is_reached_iter_goal()
            if reached and self.stop_at_goal:
                interact.log_info(f"Model already trained to the target iteration {m.target_iter}; pass a larger "
                                  f"--target-iter (or 0) to train on.")
                return
            if reached:
                interact.log_info("Model already trained to target iteration. You can use preview.")
            else:
                target = f" Target iteration: {m.target_iter}." if m.target_iter else ""
                interact.log_info(f"Starting.{target} Press \"Enter\" in the preview window (Ctrl-C in the "
                                  f"console) to stop training and save the model.")
            self.send_preview()
            while True:
                if not reached:
                    if m.get_iter() == 0:
                        interact.log_info("Trying to do the first iteration. If an error occurs, reduce the model "
                                          "parameters.")
                    iter, iter_time = m.train_one_iter()
                    history = m.get_loss_history()
                    if self.after_save:
                        self.after_save = False
                        mean = np.mean(np.asarray(history[save_iter:iter] or history[-1:]), axis=0)
                        interact.log_info(format_loss_line(iter, iter_time, mean))
                        save_iter = iter
                    else:
                        print("\r" + format_loss_line(iter, iter_time, history[-1]), end="", flush=True)
                    if iter == 1:
                        self.save()
                    if m.is_reached_iter_goal():
                        interact.log_info("\nReached target iteration.")
                        self.save()
                        reached = True
                        if self.stop_at_goal:
                            break
                        interact.log_info("You can use preview now.")
                    elif self.time_limit_s and time.time() - started >= self.time_limit_s:
                        interact.log_info(f"\nReached the time limit ({self.time_limit_s / 60:g} min).")
                        self.save()
                        break
                    elif time.time() - last_save >= self.save_interval_s:
                        self.save()
                        last_save = time.time()
                    if self.live_preview and not self.after_save and iter % m.preview_history_period() == 0:
                        self.send_preview()
                    if m.autobackup_hour and time.time() - last_backup >= m.autobackup_hour * 3600:
                        last_backup = time.time()
                        m.create_backup()
                else:
                    time.sleep(0.05)
                if self._handle_ui():
                    break
        except UserError as e:
            self.error = str(e)
        except Exception as e:  # noqa: BLE001 - reported once, then the UI closes
            self.error = _describe_crash(e)
        finally:
            if self.error is not None:
                interact.log_err(f"\nError: {self.error}")
            self.to_ui.put({"op": "closed"})

    def _handle_ui(self):
        """Process UI requests; True when training must end (after saving)."""
        while True:
            try:
                msg = self.from_ui.get_nowait()
            except queue.Empty:
                return False
            op = msg.get("op")
            if op == "save":
                self.save()
            elif op == "backup":
                self.model.create_backup()
            elif op == "preview":
                self.send_preview()
            elif op == "close":
                self.save()
                return True


def _describe_crash(e):
    name = type(e).__name__
    if name == "ResourceExhaustedError" or "OOM" in str(e)[:200]:
        return "out of memory: lower the batch size (or the resolution/dims on a new model) and start again"
    traceback.print_exc()
    return f"training stopped by an unexpected {name}: {str(e).splitlines()[0] if str(e) else ''}"


def write_headless_outputs(model, msg, preview_index=0):
    """--no-preview: `<name>_<Class>_preview.jpg` (graph + preview) and `<name>_<Class>_loss.csv`."""
    from core.cv2ex import cv2_imwrite
    from core.pathex import write_bytes_atomic
    from models import preview_image
    previews = msg["previews"]
    if previews:
        name, bgr = previews[preview_index % len(previews)]
        img = preview_image.compose(bgr, msg["loss_history"], msg["iter"], name)
        cv2_imwrite(model.get_strpath_storage_for_file("preview.jpg"), img)
    history = msg["loss_history"]
    n = len(history[0]) if history else 2
    names = model.loss_names if len(model.loss_names or ()) == n else \
        ["src_loss", "dst_loss"][:n] + [f"loss{i}" for i in range(2, n)]
    lines = ["iter," + ",".join(names)]
    lines += [f"{i + 1}," + ",".join(f"{v:.6f}" for v in row) for i, row in enumerate(history)]
    write_bytes_atomic(Path(model.get_strpath_storage_for_file("loss.csv")), ("\n".join(lines) + "\n").encode())


def run_headless(model, to_ui, from_ui):
    """Main-thread side without a window: writes the outputs on every 'show' until the loop ends; Ctrl-C closes
    (the training thread saves, sends the saved state, then 'closed')."""
    closing = False
    while True:
        try:
            try:
                msg = to_ui.get(timeout=0.2)
            except queue.Empty:
                continue
            if msg["op"] == "show" and model.leras.is_chief:
                write_headless_outputs(model, msg)
            elif msg["op"] == "closed":
                break
        except KeyboardInterrupt:
            if not closing:
                closing = True
                interact.log_info("\nCtrl-C: saving the model and stopping...")
                from_ui.put({"op": "close"})


def main(model_class_name, model_dir, training_data_src_dir, training_data_dst_dir, pretraining_data_dir=None,
         pretrained_model_dir=None, no_preview=False, force_model_name=None, force_gpu_idxs=None, cpu_only=False,
         silent_start=False, option_values=None, debug=False, save_interval_min=SAVE_INTERVAL_MIN,
         mixed_precision=False, time_limit_min=0.0, cluster=None):
    import models
    from core.pathex import require_dir
    require_dir(training_data_src_dir, "training data src folder")
    require_dir(training_data_dst_dir, "training data dst folder")
    if pretraining_data_dir is not None:
        require_dir(pretraining_data_dir, "pretraining data folder")
    if pretrained_model_dir is not None:
        require_dir(pretrained_model_dir, "pretrained model folder")
    model_cls = models.import_model(model_class_name)
    t0 = time.time()
    model = model_cls(model_dir, is_training=True, training_data_src_path=training_data_src_dir,
                      training_data_dst_path=training_data_dst_dir, pretraining_data_path=pretraining_data_dir,
                      pretrained_model_path=pretrained_model_dir,
                      force_model_name=force_model_name, force_gpu_idxs=force_gpu_idxs, cpu_only=cpu_only,
                      silent_start=silent_start, option_values=option_values, debug=debug,
                      mixed_precision=mixed_precision, cluster=cluster)
    start_iter = model.get_iter()
    to_ui, from_ui = queue.Queue(), queue.Queue()
    loop = TrainingLoop(model, to_ui, from_ui, save_interval_min, stop_at_goal=no_preview,
                        live_preview=not no_preview, time_limit_min=time_limit_min)
    thread = threading.Thread(target=loop.run, name="training", daemon=True)
    thread.start()
    try:
        if no_preview:
            run_headless(model, to_ui, from_ui)
        else:
            from mainscripts import TrainerWindow
            TrainerWindow.run(model, to_ui, from_ui)
    finally:
        thread.join()
        model.finalize()
    interact.log_info(f"Training stopped at iteration {model.get_iter()} ({model.get_iter() - start_iter} this "
                      f"session, {time.time() - t0:.0f} s).")
    return 1 if loop.error is not None else 0
