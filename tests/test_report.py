"""Quality report on real dst frames (eriberto clip) merged with stand-in "models": a perfect self-swap (the dst face
pasted back) gives near-zero landmark and pose errors, a mirrored face clearly larger ones; report.html renders in
headless Chromium with its plots."""
import json
import shutil
import subprocess
from argparse import Namespace

import cv2
import numpy as np
import pytest

from core import interact
from tests.merger_data import INPUT_SIZE, make_workspace


@pytest.fixture(autouse=True)
def _non_interactive():
    interact.set_non_interactive(True)
    yield
    interact.set_non_interactive(False)


def _self_swap(face):
    return face, np.ones(face.shape[:2] + (1,), np.float32), np.ones(face.shape[:2] + (1,), np.float32)


def _mirrored(face):
    return (np.ascontiguousarray(face[:, ::-1]),) + _self_swap(face)[1:]


def _merge(ws, predictor):
    from mainscripts.Merger import MergeContext, merge_all
    from merger.FrameInfo import load_frame_infos
    from merger.MergerConfig import MergerConfigMasked
    from merger.Predictor import BatchPredictor
    data_dst = ws / "data_dst"
    for d in ("merged", "merged_mask"):
        shutil.rmtree(data_dst / d, ignore_errors=True)
        (data_dst / d).mkdir()
    frames = load_frame_infos(data_dst, data_dst / "aligned")
    ctx = MergeContext(frames, BatchPredictor(predictor, INPUT_SIZE), INPUT_SIZE, data_dst / "merged",
                       data_dst / "merged_mask")
    # Overlay with the dst hull mask and no smoothing: the pasted face is exactly the predictor's output.
    merge_all(ctx, MergerConfigMasked("whole_face", mask_mode=2, temporal_smoothing=0), workers=1)


def _report(ws, out, model_dir=None):
    from mainscripts.report.run import main
    args = Namespace(workspace_dir=str(ws), model_dir=model_dir, model=None, force_model_name=None, holdout_dir=None,
                     aligned_dir=None, src_aligned_dir=None, merged_dir=None, merged_mask_dir=None,
                     output_dir=str(out), max_src_faces=50, landmarker="dlib68")
    return main(args)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, compat_dir):
    ws = tmp_path_factory.mktemp("ws")
    make_workspace(ws, compat_dir)
    shutil.copytree(compat_dir / "aligned_whole_face", ws / "data_src" / "aligned")
    for p in (ws / "data_src" / "aligned").iterdir():
        p.chmod(0o644)
    return ws


@pytest.fixture(scope="module")
def reports(workspace):
    out = {}
    for name, pred in (("self", _self_swap), ("mirrored", _mirrored)):
        _merge(workspace, pred)
        out[name] = _report(workspace, workspace / f"report_{name}")
    return out


def test_self_swap_keeps_pose_landmarks_and_identity(reports):
    t = reports["self"]["totals"]
    assert t["faces"] == 8
    assert t["landmark_error"]["mean"] < 0.03
    for k in ("pitch_error", "yaw_error", "roll_error"):
        assert t[k]["mean"] < 2.0, k
    # The face went through a 64 px model input and back: slightly blurred, still clearly the same person.
    assert t["id_to_dst"]["mean"] < 0.25
    # A pasted-back face is the dst person: as far from src as the original is.
    assert abs(t["id_to_src"]["mean"] - t["dst_id_to_src"]["mean"]) < 0.1
    assert t["edge_ratio"]["mean"] < 1.5
    # ... so no face is recognised as src: it is nearer the dst person's mean identity.
    assert t["id_to_dst_identity"]["max"] < t["id_to_src"]["mean"]
    assert t["recognised_as_src_share"] == 0.0


def test_recognised_as_src_needs_the_same_person_distance_and_nearer_src():
    from mainscripts.report.metrics import recognised_as_src
    assert recognised_as_src(0.45, 0.7)
    assert not recognised_as_src(0.45, 0.40)    # nearer the dst person
    assert not recognised_as_src(0.62, 0.75)    # nearer src, but too far to be the same person (a blur)


def test_mirrored_face_shows_as_larger_errors(reports):
    s, m = reports["self"]["totals"], reports["mirrored"]["totals"]
    assert m["landmark_error"]["mean"] > 3 * s["landmark_error"]["mean"]
    assert m["landmark_error"]["mean"] > 0.05
    assert m["colour_shift"]["mean"] > s["colour_shift"]["mean"]


def test_report_files(reports, workspace):
    out = workspace / "report_self"
    data = json.loads((out / "report.json").read_text())
    assert data["counts"]["frames"] == 8 and len(data["faces"]) == 8
    assert data["src_faces_used"] == 22
    text = (out / "report.html").read_text()
    assert 'name="synthetic-media" content="true"' in text
    for pid in ("identity", "landmarks", "pose", "seam", "jitter"):
        assert f'id="plot-{pid}"' in text


def test_html_renders_with_plots_in_headless_chromium(reports, workspace, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Debian chromium not installed (scripts/install.sh installs it as root)")
    shot = tmp_path / "shot.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars", "--window-size=1100,3600",
                    f"--screenshot={shot}", (workspace / "report_self" / "report.html").as_uri()],
                   check=True, capture_output=True, timeout=120)
    img = cv2.imread(str(shot))
    assert img is not None and img.shape[0] >= 3000
    # matplotlib's first two line colours (#1f77b4 blue, #ff7f0e orange) can only come from rendered plots.
    for bgr in ((180, 119, 31), (14, 127, 255)):
        hits = np.all(np.abs(img.astype(int) - bgr) <= 12, axis=-1).sum()
        assert hits > 300, bgr
    # Plots appear down the page, not only at the top: blue pixels in at least 4 separate 400-px bands.
    blue = np.all(np.abs(img.astype(int) - (180, 119, 31)) <= 12, axis=-1)
    bands = {y // 400 for y in np.nonzero(blue.any(axis=1))[0]}
    assert len(bands) >= 4


def test_head_pose_avoids_the_original_estimates_behind_camera_flip(compat_dir):
    """anne_helene_0 (frontal): the original's iterative estimate lands behind the camera (roll clipped to 90°);
    the report's SQPnP pose is upright and agrees with it on the faces where the original does not flip."""
    import math

    from core.dflimg.dfljpg import DFLJPG
    from facelib import LandmarksProcessor as L
    lm = DFLJPG.load(compat_dir / "aligned_whole_face" / "anne_helene_0.jpg").get_landmarks()
    assert abs(L.estimate_pitch_yaw_roll(lm, 256)[2]) == pytest.approx(math.pi / 2)
    assert all(abs(math.degrees(v)) < 5 for v in L.estimate_head_pose(lm, 256))
    lm = DFLJPG.load(compat_dir / "aligned_whole_face" / "bar55_2.jpg").get_landmarks()  # turned ~40°, no flip
    np.testing.assert_allclose(L.estimate_head_pose(lm, 256), L.estimate_pitch_yaw_roll(lm, 256), atol=0.05)


def test_report_evaluates_the_model_that_made_the_merged_frames(tmp_path, compat_dir, capsys):
    """The original's M1 merges the frames; a copy saved later under another name is the newest model in the folder.
    The merged frames record M1 and the report evaluates M1; frames that record no model, or a model missing from
    the folder, give a clear message."""
    import os

    import main
    from core.errors import UserError
    from mainscripts.report import model_eval
    from merger import label
    ws = tmp_path / "ws"
    dst = make_workspace(ws, compat_dir)
    shutil.copytree(compat_dir / "aligned_whole_face", ws / "data_src" / "aligned")
    model_dir = ws / "model"
    model_dir.mkdir()
    for p in (compat_dir / "models" / "M1").iterdir():
        shutil.copy(p, model_dir / p.name)
        if p.name.startswith("M1_"):
            shutil.copy(p, model_dir / p.name.replace("M1_", "newer_", 1))
    for p in model_dir.iterdir():
        p.chmod(0o644)
    later = (model_dir / "M1_SAEHD_data.dat").stat().st_mtime + 60
    os.utime(model_dir / "newer_SAEHD_data.dat", (later, later))
    assert main.main(["merge", "--non-interactive", "--input-dir", str(dst), "--output-dir", str(dst / "merged"),
                      "--output-mask-dir", str(dst / "merged_mask"), "--model-dir", str(model_dir), "--model",
                      "SAEHD", "--force-model-name", "M1", "--cpu-only", "--workers", "1"]) == 0
    merged = sorted((dst / "merged").glob("*.png"))
    stamps = [label.read_model_stamp(p) for p in merged]
    m1 = {"name": "M1", "class": "SAEHD", "iter": stamps[0]["iter"]}
    assert stamps.count(m1) == 8 and stamps.count(None) == 2         # frames 9 and 10 have no face: copied
    assert all(label.is_labelled_png(p) for p in merged)

    report = _report(ws, tmp_path / "report", str(model_dir))
    assert report["model"]["model"] == "M1_SAEHD" and report["model"]["merged_by"] == m1

    capsys.readouterr()
    for p in merged:   # frames merged before the model was recorded: the label without the stamp
        png = cv2.imencode(".png", cv2.imread(str(p)))[1].tobytes()
        p.write_bytes(label.label_png_bytes(png))
    assert model_eval.merged_by(merged) is None
    assert model_eval.model_to_evaluate(model_dir, None) == (None, None)
    assert "do not record which model made them" in capsys.readouterr().err
    for p in model_dir.glob("M1_*"):
        p.unlink()
    with pytest.raises(UserError, match="made by model M1 \\(SAEHD, iteration .*which is not in this folder"):
        model_eval.model_to_evaluate(model_dir, m1)
