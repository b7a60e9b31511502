"""The merge command, the settings file, the synthetic-media label, the interactive merger (offscreen) and its
session, and temporal smoothing — on real frames of the eriberto clip with a deterministic stand-in model."""
import json
import types

import cv2
import numpy as np
import pytest

from core.errors import UserError
from merger import label
from merger.MergerConfig import MergerConfigMasked, load_settings, save_settings
from merger_data import INPUT_SIZE, N_FRAMES, fake_predictor, fake_predictor_batch, make_workspace


class FakeModel:
    """Stands in for a trained model: what the merger uses of models.ModelBase."""
    model_name, model_class_name = "test", "Quick96"
    iteration = 7
    predictor_func_batch = staticmethod(fake_predictor_batch)

    def __init__(self, model_dir, is_training=True, **kwargs):
        assert is_training is False

    def get_iter(self):
        return FakeModel.iteration

    def get_MergerConfig(self):
        return fake_predictor, (INPUT_SIZE, INPUT_SIZE, 3), MergerConfigMasked("whole_face")


@pytest.fixture
def workspace(tmp_path, compat_dir, monkeypatch):
    import models
    monkeypatch.setattr(models, "import_model", lambda name: FakeModel)
    make_workspace(tmp_path, compat_dir)
    (tmp_path / "model").mkdir()
    return tmp_path


def run_merge(ws, *extra):
    import main
    argv = ["merge", "--input-dir", str(ws / "data_dst"), "--output-dir", str(ws / "data_dst" / "merged"),
            "--output-mask-dir", str(ws / "data_dst" / "merged_mask"), "--model-dir", str(ws / "model"),
            "--model", "Quick96", "--non-interactive", "--interactive", "n", *extra]
    return main.main(argv)


def _strip_label(data):
    """PNG bytes without the label chunks we insert (to compare with the source file)."""
    out, pos = data[:8], 8
    while pos < len(data):
        n = int.from_bytes(data[pos:pos + 4], "big")
        chunk = data[pos:pos + 12 + n]
        if chunk[4:8] not in (b"tEXt", b"iTXt"):
            out += chunk
        pos += 12 + n
    return out


def test_merge_command_outputs_label_and_copies(workspace, capsys):
    rc = run_merge(workspace, "--workers", "1", "--mask-mode", "1", "--watermark", "y")
    assert rc == 0
    merged = sorted((workspace / "data_dst" / "merged").glob("*.png"))
    masks = sorted((workspace / "data_dst" / "merged_mask").glob("*.png"))
    assert len(merged) == len(masks) == N_FRAMES
    for p in merged + masks:
        text = label.read_png_text(p.read_bytes())
        assert text[label.LABEL_KEY] == "true"
        assert label.DIGITAL_SOURCE_TYPE in text["XML:com.adobe.xmp"]
    for stem in ("00009", "00010"):  # no face: the source PNG's bytes, plus only the label chunks
        src = (workspace / "data_dst" / f"{stem}.png").read_bytes()
        out = (workspace / "data_dst" / "merged" / f"{stem}.png").read_bytes()
        assert _strip_label(out) == src
        assert cv2.imread(str(workspace / "data_dst" / "merged_mask" / f"{stem}.png")).max() == 0
    f1 = cv2.imread(str(merged[0])).astype(int)
    assert np.abs(f1 - cv2.imread(str(workspace / "data_dst" / "00001.png")).astype(int)).mean() > 1
    out = capsys.readouterr().out
    assert "8 frames merged" in out and "2 frames without faces copied" in out


def test_settings_file_drives_unattended_run(workspace, tmp_path):
    path = tmp_path / "s.json"
    save_settings(path, MergerConfigMasked("whole_face", mode="raw-rgb", mask_mode=0))
    doc = json.loads(path.read_text())
    assert doc["format"] == "dfl-merger-settings" and doc["version"] == 1
    assert load_settings(path)["mode"] == "raw-rgb"
    out = tmp_path / "used.json"
    assert run_merge(workspace, "--workers", "2", "--settings-file", str(path), "--save-settings", str(out)) == 0
    assert load_settings(out)["mode"] == "raw-rgb"
    # a flag wins over the file
    assert run_merge(workspace, "--workers", "1", "--settings-file", str(path), "--mode", "original",
                     "--save-settings", str(out)) == 0
    assert load_settings(out)["mode"] == "original"
    src = cv2.imread(str(workspace / "data_dst" / "00001.png"))
    assert np.array_equal(cv2.imread(str(workspace / "data_dst" / "merged" / "00001.png")), src)


@pytest.mark.parametrize("doc, msg", [
    ({"format": "dfl-merger-settings", "version": 2, "settings": {}}, "version 2"),
    ({"format": "other", "version": 1, "settings": {}}, "not a merger settings file"),
    ({"format": "dfl-merger-settings", "version": 1, "settings": {"erode_mask_modifier": 999}}, "-400..400"),
    ({"format": "dfl-merger-settings", "version": 1, "settings": {"colour": 1}}, "unknown setting"),
])
def test_bad_settings_files_say_what_is_wrong(tmp_path, doc, msg):
    p = tmp_path / "s.json"
    p.write_text(json.dumps(doc))
    with pytest.raises(UserError, match=msg):
        load_settings(p)


def _asked(capsys, **flags):
    """Prompts printed by ask_config without a terminal, with the given flags."""
    from core import interact
    from merger.MergerConfig import OPTIONS, ask_config
    args = types.SimpleNamespace(**{o.dest: None for o in OPTIONS})
    for k, v in flags.items():
        setattr(args, k, v)
    interact.set_non_interactive(True)
    try:
        capsys.readouterr()
        cfg = ask_config(args, face_type="whole_face", default_mode="seamless")
    finally:
        interact.set_non_interactive(False)
    return cfg, [line.split(" ( ")[0].split(" : ")[0] for line in capsys.readouterr().out.splitlines()]


def test_prompts_follow_the_original_ask_settings(capsys):
    cfg, asked = _asked(capsys)
    assert cfg.mode == "seamless" and cfg.mask_mode == 1 and cfg.hist_match_threshold == 255  # prompts' defaults
    assert asked[:4] == ["Choose mode", "Choose mask mode", "Choose erode mask modifier", "Choose blur mask modifier"]
    for absent in ("Masked hist match?", "Hist match threshold", "Choose blur/sharpen amount",
                   "Super resolution enhancer"):
        assert absent not in asked
    _, asked = _asked(capsys, mode="hist-match", sharpen_mode="1", super_resolution_power="10")
    assert asked[:4] == ["Choose mode", "Masked hist match?", "Hist match threshold", "Choose mask mode"]
    assert "Choose blur/sharpen amount" in asked and "Super resolution enhancer" in asked
    _, asked = _asked(capsys, mode="seamless-hist-match")
    assert "Hist match threshold" in asked and "Masked hist match?" not in asked
    cfg, asked = _asked(capsys, mode="raw-rgb", color_degrade_power="20")
    for absent in ("Choose erode mask modifier", "Choose blur mask modifier", "Choose motion blur power",
                   "Color transfer to predicted face", "Choose image degrade by denoise power"):
        assert absent not in asked
    for present in ("Choose mask mode", "Choose output face scale modifier", "Choose sharpen mode",
                    "Choose super resolution power"):
        assert present in asked
    assert cfg.color_degrade_power == 20  # a flag is never dropped, even where the original would not ask


def test_interactive_start_settings_flags_and_session_file(workspace, tmp_path, capsys):
    """The interactive merger starts from the original's constructor defaults (mask mode 4, threshold 238), with
    the settings file and flags applied; --save-settings keeps the last frame's settings; --workers is refused."""
    from merger.MergerConfig import interactive_config
    cfg = interactive_config(face_type="whole_face", default_mode="seamless")
    assert (cfg.mode, cfg.mask_mode, cfg.hist_match_threshold) == ("seamless", 4, 238)
    args = types.SimpleNamespace(**{k: None for k in cfg.values})
    args.erode_mask_modifier = "12"
    cfg = interactive_config(args, {"mode": "hist-match", "erode_mask_modifier": 3})
    assert (cfg.mode, cfg.erode_mask_modifier, cfg.mask_mode) == ("hist-match", 12, 4)
    assert run_merge(workspace, "--interactive", "y", "--workers", "2") == 2
    assert "--workers is for the batch merger" in capsys.readouterr().err


def test_bad_flag_value_is_one_line_error(workspace, capsys):
    assert run_merge(workspace, "--workers", "1", "--erode-mask-modifier", "900") == 2
    assert "outside -400..400" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------------ pipeline
def _context(ws, out, batch_size=8):
    from mainscripts.Merger import MergeContext
    from merger.FrameInfo import load_frame_infos
    from merger.Predictor import BatchPredictor
    data_dst = ws / "data_dst"
    for d in ("m", "k"):
        (out / d).mkdir(parents=True)
    return MergeContext(load_frame_infos(data_dst, data_dst / "aligned"),
                        BatchPredictor(fake_predictor, INPUT_SIZE, fake_predictor_batch, batch_size=batch_size),
                        INPUT_SIZE, out / "m", out / "k")


@pytest.mark.parametrize("settings", [
    dict(mode="overlay", mask_mode=1, color_transfer_mode="rct"),
    dict(mode="seamless", mask_mode=4, erode_mask_modifier=20, blur_mask_modifier=40, motion_blur_power=50),
    dict(mode="hist-match", mask_mode=2, color_transfer_mode="lct", color_degrade_power=30, export_alpha=True),
])
def test_pipeline_frames_equal_the_per_frame_merge(workspace, tmp_path, settings):
    """The batch pipeline (batches of 3 faces, 2 worker processes, frames decoded once, writes in threads) writes
    exactly what the interactive merger's per-frame path (MergeContext.merge + write) writes, labelled."""
    from mainscripts.Merger import merge_all
    from merger.pipeline import STAGES, StageTimes
    cfg = MergerConfigMasked("whole_face", **settings)
    ref = _context(workspace, tmp_path / "ref")
    for i in range(len(ref.frames)):
        ref.write(i, ref.merge(i, cfg), cfg)
    ctx = _context(workspace, tmp_path / "new", batch_size=3)
    times = StageTimes()
    summary = merge_all(ctx, cfg, workers=2, times=times)
    assert (summary["frames merged"], summary["faces"], summary["frames without faces copied"]) == (8, 8, 2)
    assert times.seconds["predict"] > 0 and times.seconds["blend"] > 0 and set(times.seconds) == set(STAGES)
    for sub in ("m", "k"):
        names = sorted(p.name for p in (tmp_path / "ref" / sub).glob("*.png"))
        assert names == sorted(p.name for p in (tmp_path / "new" / sub).glob("*.png")) and len(names) == N_FRAMES
        for name in names:
            new = tmp_path / "new" / sub / name
            assert label.is_labelled_png(new)
            a = cv2.imread(str(tmp_path / "ref" / sub / name), cv2.IMREAD_UNCHANGED)
            np.testing.assert_array_equal(cv2.imread(str(new), cv2.IMREAD_UNCHANGED), a, err_msg=f"{sub}/{name}")


def test_pipeline_stops_on_a_settings_error_and_the_context_stays_usable(workspace, tmp_path):
    """An XSeg mask mode without an XSeg net stops the run with its one-line error (workers stopped); the same
    context then merges with other settings."""
    from mainscripts.Merger import merge_all
    ctx = _context(workspace, tmp_path / "out", batch_size=4)
    ctx._xseg_loader = None
    with pytest.raises(UserError, match="XSeg"):
        merge_all(ctx, MergerConfigMasked("whole_face", mask_mode=7), workers=2)
    summary = merge_all(ctx, MergerConfigMasked("whole_face", mode="original"), workers=2)
    assert summary["frames merged"] == 8 and summary["frames without faces copied"] == 2


def test_merge_precision_follows_the_cpu_unless_asked():
    from core.leras.mixed_precision import cpu_has_bf16
    from mainscripts.Merger import _mixed_precision
    ns = types.SimpleNamespace
    assert _mixed_precision(ns(mixed_precision=None, cpu_only=True)) == cpu_has_bf16()
    assert _mixed_precision(ns(mixed_precision=False, cpu_only=True)) is False
    assert _mixed_precision(ns(mixed_precision=True, cpu_only=False)) is True


def test_worker_pool_in_process_and_spawned():
    from core.workers import WorkerPool
    for n in (1, 2):
        with WorkerPool(n) as pool:
            handles = [pool.submit(abs, -k) for k in range(5)]
            assert [h.get() for h in handles] == list(range(5))
            bad = pool.submit(abs, "x")
            with pytest.raises(TypeError):
                bad.get()


# --------------------------------------------------------------------------------------------------- interactive
def _controller(ws, session=True):
    from mainscripts.Merger import MergeContext
    from merger.FrameInfo import load_frame_infos
    from merger.InteractiveMerger import MergerController
    from merger.Predictor import BatchPredictor
    data_dst = ws / "data_dst"
    frames = load_frame_infos(data_dst, data_dst / "aligned")
    for d in ("merged", "merged_mask"):
        (data_dst / d).mkdir(exist_ok=True)
    ctx = MergeContext(frames, BatchPredictor(fake_predictor, INPUT_SIZE, fake_predictor_batch), INPUT_SIZE,
                       data_dst / "merged", data_dst / "merged_mask", model_iter=FakeModel.iteration)
    path = ws / "model" / "test_Quick96_merger_session.json" if session else None
    c = MergerController(ctx, MergerConfigMasked("whole_face", mask_mode=1), path)
    c.offer_session()
    return c


def test_interactive_keys_copy_and_process_remaining(workspace, qapp):
    from PyQt5 import QtCore
    from PyQt5.QtTest import QTest
    from merger.InteractiveMerger import make_window
    app = qapp
    c = _controller(workspace)
    win = make_window(c)
    win.show()
    assert c.show_help
    QTest.keyClick(win, QtCore.Qt.Key_Tab)
    assert not c.show_help
    QTest.keyClicks(win, "3")
    assert c.cfg().mode == "seamless"
    QTest.keyClicks(win, "wwW")  # erode +1 +1 +5
    assert c.cfg().erode_mask_modifier == 7
    QTest.keyClicks(win, "x")
    assert c.cfg().mask_mode == 2
    QTest.keyClicks(win, "/")  # next frame with the current settings
    assert c.current == 1 and c.cfgs[1] == c.cfgs[0] and c.cfgs[1] is not c.cfgs[0]
    assert c.done[0]
    QTest.keyClicks(win, "1")
    assert c.cfg().mode == "overlay" and c.cfgs[0].mode == "seamless"
    QTest.keyClicks(win, "m")  # back, copying the current settings onto frame 1
    assert c.current == 0 and c.cfgs[0].mode == "overlay"
    QTest.keyClicks(win, "==-")
    assert c.zoom == pytest.approx(1.25)
    QTest.keyClicks(win, ">")  # process the remaining frames
    for _ in range(200):
        if not c.auto_process:
            break
        app.processEvents()
    assert all(c.done) and c.current == N_FRAMES - 1
    assert len(list(c.ctx.output_dir.glob("*.png"))) == N_FRAMES
    assert win.image.pixmap() is not None and not win.image.pixmap().isNull()
    QTest.keyClick(win, QtCore.Qt.Key_Escape)
    assert c.session_path.is_file()
    assert "synthetic" in label.COMMENT.lower()


def test_interactive_frame_is_fitted_to_the_window(workspace, qapp):
    """A small frame fills the view (scaled up, aspect kept) instead of sitting at its own size in a big window;
    it follows window resizes, and -/= zoom around the fitted size."""
    from PyQt5 import QtCore
    from PyQt5.QtTest import QTest
    from merger.InteractiveMerger import make_window
    c = _controller(workspace, session=False)
    win = make_window(c)
    win.show()
    QTest.keyClick(win, QtCore.Qt.Key_Tab)
    qapp.processEvents()
    fh, fw = c.picture().shape[:2]

    def shown():
        pix = win.image.pixmap()
        return pix.width(), pix.height()

    def check_fit():
        view = win.scroll.maximumViewportSize()
        w, h = shown()
        assert w <= view.width() and h <= view.height()
        assert w >= view.width() - 1 or h >= view.height() - 1        # touches two sides of the view
        assert abs(w / h - fw / fh) < 0.02                             # aspect kept
        return w, h

    w, h = check_fit()
    assert w > fw and h > fh, (w, h, fw, fh)                           # small frame scaled up
    win.resize(500, 400)
    qapp.processEvents()
    w2, h2 = check_fit()
    assert w2 < w
    QTest.keyClicks(win, "=")
    assert shown()[0] == pytest.approx(w2 * 1.25, abs=2)
    QTest.keyClicks(win, "--")
    assert shown()[0] == pytest.approx(w2 / 1.25, abs=2)
    win.close()


def test_two_pass_and_pre_sharpen(workspace, capsys, compat_dir):
    """The older guide's merger options: "Use two pass mode?" (the predicted face goes through the model again)
    and "Choose pre_sharpen power" (the dst face is sharpened before the model), asked after motion blur."""
    _, asked = _asked(capsys)
    i = asked.index("Choose motion blur power")
    assert asked[i + 1:i + 4] == ["Use two pass mode?", "Choose pre_sharpen power",
                                  "Choose output face scale modifier"]
    from merger import MergeMasked
    from merger.Predictor import BatchPredictor
    face = cv2.imread(str(next((compat_dir / "data_dst" / "aligned").glob("*.jpg")))).astype(np.float32) / 255
    face = cv2.resize(face, (INPUT_SIZE, INPUT_SIZE))
    once = fake_predictor(face)
    twice = fake_predictor(once[0])
    for predictor in (BatchPredictor(fake_predictor, INPUT_SIZE),
                      BatchPredictor(fake_predictor, INPUT_SIZE, fake_predictor_batch)):
        one, = predictor.predict([face])
        two, = predictor.predict([face], two_pass=True)
        np.testing.assert_allclose(one.bgr, once[0], atol=1e-6)
        np.testing.assert_allclose(two.bgr, twice[0], atol=1e-6)
        np.testing.assert_array_equal(two.mask, one.mask)           # masks of the first pass

    frame = cv2.imread(str(workspace / "data_dst" / "00001.png")).astype(np.float32) / 255
    from merger.FrameInfo import load_frame_infos
    lm = load_frame_infos(workspace / "data_dst", workspace / "data_dst" / "aligned")[0].landmarks_list[0]

    def detail(img):
        return cv2.Laplacian(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), cv2.CV_32F).var()

    plain = MergeMasked.face_input(frame, lm, MergerConfigMasked("whole_face"), INPUT_SIZE)
    sharp = MergeMasked.face_input(frame, lm, MergerConfigMasked("whole_face", pre_sharpen_power=10), INPUT_SIZE)
    assert detail(sharp) > 1.5 * detail(plain)
    assert np.abs(sharp - plain).mean() < 0.1 and sharp.min() >= 0 and sharp.max() <= 1

    merged = workspace / "data_dst" / "merged" / "00001.png"
    blue = {}
    for flags in ((), ("--two-pass", "y"), ("--pre-sharpen-power", "20")):
        assert run_merge(workspace, "--workers", "1", "--mask-mode", "1", "--color-transfer-mode", "none",
                         *flags) == 0
        blue[flags[:1]] = cv2.imread(str(merged))[..., 0].astype(float)
    assert blue[("--two-pass",)].mean() > blue[()].mean() + 1    # the colour cast applied twice inside the face
    assert np.abs(blue[("--pre-sharpen-power",)] - blue[()]).mean() > 0.05


# The original's key map (reference §7.4): increase / decrease keys per setting; Shift gives steps of 5.
STEP_KEYS = [("q", "a", "hist_match_threshold"), ("w", "s", "erode_mask_modifier"), ("e", "d", "blur_mask_modifier"),
             ("r", "f", "motion_blur_power"), ("t", "g", "super_resolution_power"),
             ("y", "h", "blursharpen_amount"), ("u", "j", "output_face_scale"), ("i", "k", "image_denoise_power"),
             ("o", "l", "bicubic_degrade_power"), ("p", ";", "color_degrade_power"),
             ("9", "8", "pre_sharpen_power")]
SHIFT = {";": ":", "9": "(", "8": "*"}


def test_every_key_of_the_original_key_map(workspace):
    c = _controller(workspace, session=False)
    assert c.show_help
    c.key("\t")
    assert not c.show_help
    for key, mode in zip("`1234567", ("original", "overlay", "hist-match", "seamless", "seamless-hist-match",
                                      "raw-rgb", "raw-predict", "hist-match-bw")):
        c.key(key)
        assert c.cfg().mode == mode, key
    for inc, dec, name in STEP_KEYS:
        c.cfg().set(name, 10)
        seen = []
        for k in (inc, dec, SHIFT.get(inc, inc.upper()), SHIFT.get(dec, dec.upper())):
            c.key(k)
            seen.append(c.cfg().values[name])
        assert seen == [11, 10, 15, 10], (name, seen)
        c.cfg().set(name, 0 if name != "hist_match_threshold" else 255)
    c.cfg().set("hist_match_threshold", 255)
    c.key("q")
    assert c.cfg().hist_match_threshold == 255  # clamped to its range
    cfg = c.cfg()
    for key, name, before, after in (("z", "masked_hist_match", True, False), ("x", "mask_mode", 1, 2),
                                     ("b", "two_pass", False, True),
                                     ("c", "color_transfer_mode", "rct", "lct"), ("n", "sharpen_mode", 0, 1)):
        assert cfg.values[name] == before
        c.key(key)
        assert cfg.values[name] == after, key
    c.key("1")
    for _ in range(3):
        c.key(".")
    assert c.current == 3 and c.done[:3] == [True] * 3
    c.key(",")
    assert c.current == 2
    c.key("<")
    assert c.current == 0
    c.key("4")
    c.key("?")  # the current settings onto every following frame
    assert all(x.mode == "seamless-hist-match" for x in c.cfgs[1:]) and not any(c.done[1:])
    for _ in range(5):
        c.key(".")
    c.key("2")
    c.key("M")  # the current settings onto every frame before
    assert [x.mode for x in c.cfgs[:6]] == ["hist-match"] * 6 and not any(c.done[:5])
    assert not c.checker
    c.key("v")
    assert c.checker and c.picture().shape[2] == 3
    c.key("=")
    assert c.zoom == pytest.approx(1.25)
    assert c.key("\x1b") is False


def test_session_save_restore_and_invalidation(workspace):
    c = _controller(workspace)
    for ch in "\t4/e":
        c.key(ch)
    c.key("\x1b")
    doc = json.loads(c.session_path.read_text())
    assert doc["format"] == "dfl-merger-session" and doc["version"] == 1
    c2 = _controller(workspace)
    assert c2.current == 1 and c2.cfgs[0].mode == "seamless-hist-match" and c2.cfgs[1].blur_mask_modifier == 1
    assert c2.done[0]
    # a frame whose output was deleted is merged again: the session rewinds to it
    (workspace / "data_dst" / "merged" / "00001.png").unlink()
    c3 = _controller(workspace)
    assert c3.current == 0 and not c3.done[0]
    # the model trained further: every frame is merged again
    c3.go(1)
    c3.key("\x1b")
    FakeModel.iteration = 8
    try:
        c4 = _controller(workspace)
    finally:
        FakeModel.iteration = 7
    assert not any(c4.done) and c4.cfgs[0].mode == "seamless-hist-match"
    # other frames: the session does not apply (fresh start, outputs wiped)
    (workspace / "data_dst" / "00010.png").unlink()
    c5 = _controller(workspace)
    assert c5.cfgs[0].mode == "overlay" and not list((workspace / "data_dst" / "merged").glob("*.png"))


# ---------------------------------------------------------------------------------------------------- smoothing
def test_temporal_smoothing_reduces_jitter_and_keeps_shape(compat_dir):
    from core.dflimg import DFLJPG
    from merger.smoothing import jitter, smooth_landmarks
    lm = DFLJPG.load(compat_dir / "data_dst" / "aligned" / "00001_0.jpg").get_source_landmarks().astype(np.float32)
    rng = np.random.RandomState(0)
    n = 40
    track = []
    for i in range(n):
        motion = np.float32([1.5 * i, 0.5 * i])  # steady real motion
        noise = rng.normal(0, 1.5, 2).astype(np.float32)  # per-frame placement jitter
        track.append([lm + motion + noise])
    smooth = smooth_landmarks(track, 50)
    raw_j, sm_j = jitter(track)[1], jitter(smooth)[1]
    assert sm_j < 0.5 * raw_j
    # the face still follows the real motion and keeps its shape (mouth opening etc.)
    c_raw = np.array([t[0].mean(0) for t in track])
    c_sm = np.array([t[0].mean(0) for t in smooth])
    assert np.abs(c_sm - c_raw).max() < 5
    rel = lambda a: a - a.mean(0)
    assert np.abs(rel(smooth[20][0]) - rel(track[20][0])).max() < 1.0
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(smooth_landmarks(track, 0), track))
