"""The merger end to end on real faces: a tiny Quick96 trained here for a few iterations on faces aligned with dlib
from the bundled photos (src) and video frames (dst); `main.py merge` without questions; `videoed
video-from-sequence` to result.mp4, all carrying the synthetic-media label; the interactive merger run through
`merge` with that model (offscreen, keys sent as a user would); the original's model folder (models/M1) merged, its
predictor reproducing the original's outputs.

Quick96 is fixed at res 96 with 38 M parameters; the test shrinks it (res 64, dims 16-32) so it trains in seconds.
"""
import os
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest

from merger import label
from merger_data import CLIP, N_FRAMES, align_faces, extract_frames

SRC_PHOTOS = ["jesper/anne_helene.jpg", "jesper/bar55_2.jpg", "jesper/jesper.jpg", "jesper/jesper_2.jpg",
              "jesper/cold_water.jpg", "stills/grace_hopper.jpg", "stills/astronaut.png"]
FACE_FRAMES = 8  # frames 1..8 get their aligned face; 9 and 10 have none (copied)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, data_dir):
    """A workspace with data_src/aligned, data_dst frames + aligned faces and a tiny Quick96 trained 4 iterations."""
    import main
    import models.Model_Quick96.Model as q96
    from core import interact

    ws = tmp_path_factory.mktemp("ws")
    align_faces([(p.split("/")[1], cv2.imread(str(data_dir / p))) for p in SRC_PHOTOS], ws / "data_src" / "aligned")
    dst = extract_frames(ws / "data_dst", N_FRAMES)
    frames = sorted(dst.glob("*.png"))[:FACE_FRAMES]
    assert len(align_faces([(p.name, cv2.imread(str(p))) for p in frames], dst / "aligned")) == FACE_FRAMES
    shutil.copy(CLIP, ws / "data_dst.mp4")
    full_size = q96.FaceAutoEncoder
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(q96, "RESOLUTION", 64)
        mp.setattr(q96, "FaceAutoEncoder", lambda archi, opts, res, compute_dtype=None, **_: full_size(
            archi, opts, res, ae_dims=32, e_dims=16, d_dims=16, d_mask_dims=16, compute_dtype=compute_dtype))
        rc = main.main(["train", "--non-interactive", "--training-data-src-dir", str(ws / "data_src" / "aligned"),
                        "--training-data-dst-dir", str(dst / "aligned"), "--model-dir", str(ws / "model"),
                        "--model", "Quick96", "--force-model-name", "tiny", "--cpu-only", "--debug", "--no-preview",
                        "--target-iter", "4"])
        assert rc == 0
        yield ws
    interact.set_non_interactive(False)


def merge_args(ws, *extra):
    dst = ws / "data_dst"
    return ["merge", "--input-dir", str(dst), "--output-dir", str(dst / "merged"), "--output-mask-dir",
            str(dst / "merged_mask"), "--model-dir", str(ws / "model"), "--model", "Quick96", "--force-model-name",
            "tiny", "--cpu-only", *extra]


def _ffmpeg_info(path):
    """What `ffmpeg -i` prints about a file (streams, container metadata)."""
    import imageio_ffmpeg
    return subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True,
                          text=True).stderr


def _video_tags(path):
    """The container metadata of a video, as ffmpeg reports them."""
    lines = _ffmpeg_info(path).splitlines()
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in lines if ":" in line)}


def test_merge_then_video_on_a_trained_quick96(trained, repo_root, capsys):
    import main
    ws, dst = trained, trained / "data_dst"
    capsys.readouterr()
    assert main.main(merge_args(ws, "--non-interactive", "--workers", "2")) == 0
    out = capsys.readouterr().out
    assert "Use interactive merger? ( y/n ) : n" in out  # no terminal: the batch merger, without asking
    assert "Choose mode ( " in out and ") : seamless" in out  # Quick96's default mode, as the original's
    assert f"{FACE_FRAMES} frames merged" in out and f"{N_FRAMES - FACE_FRAMES} frames without faces copied" in out
    merged, masks = sorted((dst / "merged").glob("*.png")), sorted((dst / "merged_mask").glob("*.png"))
    assert [p.name for p in merged] == [p.name for p in masks] == [f"{i:05d}.png" for i in range(1, N_FRAMES + 1)]
    for p in merged + masks:
        assert label.is_labelled_png(p), p
    for i in range(1, N_FRAMES + 1):
        src, res = cv2.imread(str(dst / f"{i:05d}.png")), cv2.imread(str(dst / "merged" / f"{i:05d}.png"))
        mask = cv2.imread(str(dst / "merged_mask" / f"{i:05d}.png"), cv2.IMREAD_GRAYSCALE)
        if i <= FACE_FRAMES:  # the face was replaced inside the mask, the rest kept
            assert mask.max() == 255 and 0.03 < (mask > 0).mean() < 0.6
            assert np.abs(res.astype(int) - src)[mask > 128].mean() > 2
            assert np.abs(res.astype(int) - src)[mask == 0].max() == 0
        else:
            assert np.array_equal(res, src) and mask.max() == 0

    result = ws / "result.mp4"
    assert main.main(["videoed", "video-from-sequence", "--non-interactive", "--input-dir", str(dst / "merged"),
                      "--output-file", str(result), "--reference-file", str(ws / "data_dst.*"),
                      "--include-audio"]) == 0
    tags = _video_tags(result)
    assert tags.get(label.LABEL_KEY) == "true" and tags.get("comment") == label.COMMENT
    import imageio_ffmpeg
    assert imageio_ffmpeg.count_frames_and_secs(str(result))[0] == N_FRAMES

    # The `8) merged to ...` launchers, with a reference video that has sound (the demo's data_src.mp4).
    video_ws = ws / "video_ws"
    for sub in ("merged", "merged_mask"):
        shutil.copytree(dst / sub, video_ws / "data_dst" / sub)
    shutil.copy(repo_root / "workspace" / "data_src.mp4", video_ws / "data_dst.mp4")
    env = dict(os.environ, DFL_WORKSPACE=str(video_ws), DFL_PYTHON=sys.executable)
    for launcher, ext in (("8) merged to avi", "avi"), ("8) merged to mov lossless", "mov")):
        proc = subprocess.run(["bash", str(repo_root / "scripts" / f"{launcher}.sh"), "--non-interactive"], env=env,
                              capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
        assert proc.returncode == 0, proc.stderr[-2000:]
        for name, sound in ((f"result.{ext}", True), (f"result_mask.{ext}", False)):
            path = video_ws / name
            assert imageio_ffmpeg.count_frames_and_secs(str(path))[0] == N_FRAMES, name
            assert _video_tags(path).get("comment") == label.COMMENT, name
            assert ("Audio:" in _ffmpeg_info(path)) == sound, name


def test_interactive_merger_through_the_command(trained, qapp):
    """`merge --interactive y`: the window opens on the help screen; Tab, mode 3 (seamless), Shift+. processes
    every frame, Esc saves the session and ends the command."""
    import main
    from PyQt5 import QtCore
    from PyQt5.QtTest import QTest

    app = qapp
    seen = {}

    def drive():
        win = next((w for w in app.topLevelWidgets() if w.isVisible() and hasattr(w, "c")), None)
        if win is None:
            QtCore.QTimer.singleShot(50, drive)
            return
        c = win.c
        if "started" not in seen:
            seen["started"] = c.show_help
            QTest.keyClick(win, QtCore.Qt.Key_Tab)
            QTest.keyClicks(win, "3>")
        if c.auto_process:
            QtCore.QTimer.singleShot(20, drive)
            return
        seen["done"], seen["modes"] = list(c.done), {cfg.mode for cfg in c.cfgs if cfg is not None}
        QTest.keyClick(win, QtCore.Qt.Key_Escape)

    QtCore.QTimer.singleShot(0, drive)
    saved = trained / "last.json"
    assert main.main(merge_args(trained, "--interactive", "y", "--save-settings", str(saved))) == 0
    from merger.MergerConfig import load_settings
    assert load_settings(saved)["mode"] == "seamless" and load_settings(saved)["mask_mode"] == 4
    assert seen["started"] is True and all(seen["done"]) and seen["modes"] == {"seamless"}
    dst = trained / "data_dst"
    assert len(list((dst / "merged").glob("*.png"))) == N_FRAMES
    assert all(label.is_labelled_png(p) for p in (dst / "merged").glob("*.png"))
    assert (trained / "model" / "tiny_Quick96_merger_session.json").is_file()


def test_xseg_mask_mode_with_an_xseg_model_in_the_model_folder(trained, capsys):
    """An XSeg_256.npy next to the model makes the XSeg mask modes work; this one says 'face' everywhere
    (output bias +5, sigmoid 0.993), so XSeg-dst covers the same area as the full mask."""
    import main
    import tensorflow as tf
    from core.leras.xseg import XSeg
    net = XSeg(3, 2, 1, name="XSeg")
    net.build()
    w = net.get_weights_dict()
    w["out_conv/weight:0"].assign(tf.zeros_like(w["out_conv/weight:0"]))
    w["out_conv/bias:0"].assign(tf.fill(w["out_conv/bias:0"].shape, 5.0))
    xseg_file = trained / "model" / "XSeg_256.npy"
    net.save_weights(xseg_file)
    dst = trained / "data_dst"
    try:
        areas = {}
        for mode in ("7", "0"):
            assert main.main(merge_args(trained, "--non-interactive", "--interactive", "n", "--workers", "1",
                                        "--mask-mode", mode)) == 0
            masks = [cv2.imread(str(dst / "merged_mask" / f"{i:05d}.png"), cv2.IMREAD_GRAYSCALE)
                     for i in range(1, FACE_FRAMES + 1)]
            areas[mode] = sum(int((m > 128).sum()) for m in masks)
        assert "XSeg masks: using" in capsys.readouterr().out
        assert abs(areas["7"] / areas["0"] - 1) < 0.02
    finally:
        xseg_file.unlink()


def test_original_model_folder_merges_and_predicts_as_the_original(compat_dir, compat_copy, tmp_path, capsys):
    import main
    from core.dflimg import DFLJPG
    from mainscripts.Merger import _model_merger_config
    from merger import MergeMasked
    from merger.MergerConfig import MergerConfigMasked
    from merger.Predictor import BatchPredictor
    from merger_data import make_workspace
    from models import import_model

    model_dir = compat_copy("models/M1")
    model = import_model("SAEHD")(model_dir, is_training=False, force_model_name="M1", cpu_only=True)
    predictor_func, batch_func, size, face_type, mode = _model_merger_config(model)
    assert (size, face_type, mode) == (64, "whole_face", "overlay")
    io = compat_dir / "predictor_io"
    cfg = MergerConfigMasked(face_type)
    for k, name in enumerate(("00001_0.jpg", "00031_0.jpg")):  # the face cut exactly as the original cuts it
        path = compat_dir / "data_dst" / "aligned" / name
        d = DFLJPG.load(path)
        img = cv2.imread(str(path)).astype(np.float32) / 255
        face = MergeMasked.face_input(img, d.get_landmarks(), cfg, size)
        # 2e-5: DFLJPG.get_landmarks() gives float32 (the original float64), which moves the matrix by ~1e-6
        np.testing.assert_allclose(face, np.load(io / "M1_pred_in.npy")[k], atol=2e-5)
    faces = list(np.load(io / "M1_pred_in.npy"))
    for predictor in (BatchPredictor(predictor_func, size, batch_func), BatchPredictor(predictor_func, size)):
        preds = predictor.predict(faces)
        np.testing.assert_allclose([p.bgr for p in preds], np.load(io / "M1_pred_out_bgr.npy"), atol=1e-5)
        np.testing.assert_allclose([p.mask[..., 0] for p in preds], np.load(io / "M1_pred_out_mask_src_dstm.npy"),
                                   atol=1e-5)
        np.testing.assert_allclose([p.dst_mask[..., 0] for p in preds],
                                   np.load(io / "M1_pred_out_mask_dst_dstm.npy"), atol=1e-5)

    # bfloat16 (the merge default on CPUs with native bfloat16; float32 elsewhere): within about one 8-bit level
    bf16 = import_model("SAEHD")(model_dir, is_training=False, force_model_name="M1", cpu_only=True,
                                 mixed_precision=True)
    pf16, bf16_func, _, _, _ = _model_merger_config(bf16)
    preds = BatchPredictor(pf16, size, bf16_func).predict(faces)
    for got, name in ((np.array([p.bgr for p in preds]), "bgr"), (np.array([p.mask[..., 0] for p in preds]),
                                                                   "mask_src_dstm")):
        want = np.load(io / f"M1_pred_out_{name}.npy")
        assert np.abs(got - want).max() < 2.5 / 255 and np.abs(got - want).mean() < 0.5 / 255

    dst = make_workspace(tmp_path, compat_dir)
    capsys.readouterr()
    rc = main.main(["merge", "--non-interactive", "--input-dir", str(dst), "--output-dir", str(dst / "merged"),
                    "--output-mask-dir", str(dst / "merged_mask"), "--model-dir", str(model_dir), "--model", "SAEHD",
                    "--force-model-name", "M1", "--cpu-only", "--workers", "1", "--mask-mode", "4"])
    assert rc == 0
    assert "8 frames merged" in capsys.readouterr().out
    assert all(label.is_labelled_png(p) for p in (dst / "merged").glob("*.png"))
    assert len(list((dst / "merged").glob("*.png"))) == N_FRAMES
