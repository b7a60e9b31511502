"""Training end to end through the launchers, with the real sample generators (worker processes) on a tiny faceset
aligned here from the two bundled talking-head clips: Quick96 and a tiny SAEHD learn (losses fall), headless
runs write the preview picture and the loss CSV, Ctrl-C saves, the window launchers train and stop cleanly, and the
original's model folder continues training on real faces and still predicts exactly as the original after our save.

The faces are aligned as the extractor's last stage does (dlib 68 landmarks -> LandmarksProcessor.get_transform_mat
-> warpAffine -> DFLJPG with the metadata), without depending on the extractor itself.
"""
import os
import shutil
import signal
import subprocess
import time

import cv2
import numpy as np
import pytest

from core.dflimg import DFLJPG
from facelib import LandmarksProcessor
from facelib.FaceType import FaceType

SCRIPTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts")
SAEHD_TINY = ["--resolution", "64", "--face-type", "wf", "--archi", "df-ud", "--ae-dims", "32", "--e-dims", "16",
              "--d-dims", "16", "--d-mask-dims", "16", "--batch-size", "4"]
SIZE = 128


def _align(images, out_dir):
    """Aligned whole faces (SIZE px) of every face dlib finds in `images` [(name, bgr)]."""
    import dlib
    import face_recognition_models

    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(face_recognition_models.pose_predictor_model_location())
    out_dir.mkdir(parents=True)
    for name, img in images:
        rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        for i, r in enumerate(sorted(detector(rgb, 1), key=lambda r: -r.area())):
            lm = np.array([[p.x, p.y] for p in predictor(rgb, r).parts()], np.float64)
            mat = LandmarksProcessor.get_transform_mat(lm, SIZE, FaceType.WHOLE_FACE)
            face = cv2.warpAffine(img, mat, (SIZE, SIZE), flags=cv2.INTER_LINEAR)
            DFLJPG.create(out_dir / f"{os.path.splitext(name)[0]}_{i}.jpg", face, face_type="whole_face",
                          landmarks=LandmarksProcessor.transform_points(lm, mat).tolist(), source_filename=name,
                          source_rect=np.array([r.left(), r.top(), r.right(), r.bottom()], np.int64),
                          source_landmarks=lm.tolist(), image_to_face_mat=mat)
    return sorted(out_dir.iterdir())


def _frames(path, every, count):
    cap = cv2.VideoCapture(str(path))
    frames, i = [], 0
    while len(frames) < count:
        ok, frame = cap.read()
        if not ok:
            break
        if i % every == 0:
            frames.append((f"{i + 1:05d}.png", frame))
        i += 1
    cap.release()
    return frames


@pytest.fixture(scope="module")
def faceset(tmp_path_factory, data_dir):
    """The demo workspace's two people (its videos are these clips): data_src/aligned from 9 frames of the
    jesper clip, data_dst/aligned from 8 frames of the eriberto clip. Copy before writing."""
    root = tmp_path_factory.mktemp("faceset")
    src = _align(_frames(data_dir / "jesper" / "movie.avi", 8, 9), root / "data_src" / "aligned")
    dst = _align(_frames(data_dir / "eriberto" / "excerpt_2s_webcam_crop.mp4", 7, 8),
                 root / "data_dst" / "aligned")
    assert len(src) >= 6 and len(dst) >= 6
    return root


def _workspace(faceset, tmp_path):
    ws = tmp_path / "workspace"
    shutil.copytree(faceset, ws)
    return ws


def _env(ws):
    return dict(os.environ, DFL_WORKSPACE=str(ws), TF_CPP_MIN_LOG_LEVEL="3", QT_QPA_PLATFORM="offscreen")


def _launch(ws, launcher, *args, timeout=300):
    return subprocess.run(["bash", os.path.join(SCRIPTS, f"{launcher}.sh"), "--non-interactive", *args],
                          capture_output=True, text=True, env=_env(ws), timeout=timeout)


def _start(ws, launcher, *args):
    """A launcher in its own process group, so that a test can press Ctrl-C on it as a terminal would."""
    return subprocess.Popen(["bash", os.path.join(SCRIPTS, f"{launcher}.sh"), "--non-interactive", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(ws),
                            start_new_session=True)


def _ctrl_c_when(proc, ready, timeout=240):
    end = time.time() + timeout
    while not ready():
        if proc.poll() is not None or time.time() > end:
            proc.kill()
            out, err = proc.communicate()
            pytest.fail(f"launcher ended or hung before the test could interrupt it:\n{out[-2000:]}\n{err[-3000:]}")
        time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGINT)
    try:
        return proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the launcher did not stop after Ctrl-C")


def _iter_saved(model_dir, name):
    from models import model_files
    try:
        data = model_files.read_data(model_dir / f"{name}_data.dat")
    except Exception:  # noqa: BLE001 - a file being replaced: look again later
        return 0
    return data["iter"] if data else 0


def _csv(path):
    rows = path.read_text().splitlines()
    return rows[0].split(",")[1:], np.array([[float(v) for v in r.split(",")[1:]] for r in rows[1:]])


def test_quick96_launchers_learn_on_real_faces_headless_then_with_the_window(faceset, tmp_path):
    """The demo's bounded step: `6) train Quick96 no preview --target-iter N`; then the window launcher continues
    the same model and Ctrl-C in the console closes the window after saving."""
    ws = _workspace(faceset, tmp_path)
    r = _launch(ws, "6) train Quick96 no preview", "--cpu-only", "--target-iter", "16")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    model = ws / "model"
    names, losses = _csv(model / "new_Quick96_loss.csv")
    assert names == ["src_loss", "dst_loss"] and losses.shape == (16, 2)
    first, last = losses[:4].mean(axis=0), losses[-4:].mean(axis=0)
    assert (last < first * 0.9).all(), (first, last)
    assert cv2.imread(str(model / "new_Quick96_preview.jpg")).shape[1] == 5 * 96
    assert "Reached target iteration" in r.stdout and "Training stopped at iteration 16" in r.stdout

    proc = _start(ws, "6) train Quick96", "--cpu-only", "--target-iter", "18")
    out, err = _ctrl_c_when(proc, lambda: _iter_saved(model, "new_Quick96") == 18)
    assert proc.returncode == 0, out[-2000:] + err[-3000:]
    assert "Reached target iteration" in out and "Training stopped at iteration 18 (2 this session" in out
    assert "Traceback" not in err


def test_saehd_tiny_learns_on_real_faces_with_real_generators(faceset, tmp_path):
    ws = _workspace(faceset, tmp_path)
    r = _launch(ws, "6) train SAEHD no preview", "--cpu-only", *SAEHD_TINY, "--target-iter", "60")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    _, losses = _csv(ws / "model" / "new_SAEHD_loss.csv")
    assert losses.shape == (60, 2)
    first, last = losses[:10].mean(axis=0), losses[-10:].mean(axis=0)
    assert (last < first * 0.8).all(), (first, last)


def test_ctrl_c_saves_headless_training_and_its_outputs(faceset, tmp_path):
    ws = _workspace(faceset, tmp_path)
    model = ws / "model"
    proc = _start(ws, "6) train SAEHD no preview", "--cpu-only", *SAEHD_TINY)
    t_saved = []

    def trained_a_while():   # the first save is at iteration 1; let it train on for 3 s
        if not t_saved and _iter_saved(model, "new_SAEHD"):
            t_saved.append(time.time())
        return bool(t_saved) and time.time() - t_saved[0] > 3

    out, err = _ctrl_c_when(proc, trained_a_while)
    assert proc.returncode == 0, out[-2000:] + err[-3000:]
    assert "Ctrl-C: saving the model and stopping" in out and "Traceback" not in err
    saved = _iter_saved(model, "new_SAEHD")
    assert saved > 2
    _, losses = _csv(model / "new_SAEHD_loss.csv")
    assert len(losses) == saved   # the outputs were rewritten at the final save
    assert f"Training stopped at iteration {saved}" in out


def test_saehd_window_launcher_trains_to_target_and_closes_on_ctrl_c(faceset, tmp_path):
    ws = _workspace(faceset, tmp_path)
    model = ws / "model"
    proc = _start(ws, "6) train SAEHD", "--cpu-only", *SAEHD_TINY, "--target-iter", "5")
    out, err = _ctrl_c_when(proc, lambda: _iter_saved(model, "new_SAEHD") == 5)
    assert proc.returncode == 0, out[-2000:] + err[-3000:]
    assert "You can use preview now" in out and "Training stopped at iteration 5" in out
    assert not (model / "new_SAEHD_preview.jpg").exists()   # the window shows it instead


def test_original_model_continues_on_real_faces_and_our_save_keeps_its_predictions(compat_dir, compat_copy,
                                                                                   tmp_path):
    from models.Model_SAEHD.Model import Model
    from models import model_files
    from core import interact
    # Opened for training and saved by us without a step: the original's predictor outputs are unchanged.
    d = compat_copy("models/M1")
    interact.set_non_interactive(True)
    try:
        m = Model(d, training_data_src_path=compat_dir / "aligned_whole_face",
                  training_data_dst_path=compat_dir / "data_dst" / "aligned", cpu_only=True, debug=True)
        m.save()
        m.finalize()
        p = Model(d, is_training=False, cpu_only=True)
    finally:
        interact.set_non_interactive(False)
    io_dir = compat_dir / "predictor_io"
    outs = p.get_predictor()(np.load(io_dir / "M1_pred_in.npy"))
    for out, name in zip(outs, ("bgr", "mask_src_dstm", "mask_dst_dstm")):
        np.testing.assert_allclose(out, np.load(io_dir / f"M1_pred_out_{name}.npy"), atol=1e-5)

    # The launcher continues it on the original's real faces (worker-process generators).
    ws = tmp_path / "workspace"
    shutil.copytree(compat_dir / "aligned_whole_face", ws / "data_src" / "aligned")
    shutil.copytree(compat_dir / "data_dst" / "aligned", ws / "data_dst" / "aligned")
    shutil.copytree(d, ws / "model")
    r = _launch(ws, "6) train SAEHD no preview", "--force-model-name", "M1", "--cpu-only", "--target-iter", "36")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    data = model_files.read_data(ws / "model" / "M1_SAEHD_data.dat")
    assert data["iter"] == 36 and len(data["loss_history"]) == 36
    np.testing.assert_allclose(data["loss_history"][:30], model_files.read_data(
        compat_dir / "models/M1/M1_SAEHD_data.dat")["loss_history"], rtol=1e-6)
    assert (ws / "model" / "M1_SAEHD_src_dst_opt.npy").exists()
