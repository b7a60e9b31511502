"""The manual extractor driven through its PyQt5 window (offscreen) with synthetic mouse and key events: the faces
it saves, --manual-fix and --manual-output-debug-fix."""
import shutil

import cv2
import numpy as np
import pytest
from PyQt5 import QtCore, QtGui, QtWidgets
from PyQt5.QtTest import QTest

from core.dflimg import DFLJPG
from facelib.detectors import create_detector
from facelib.landmarkers import create_landmarker
from mainscripts import Extractor
from mainscripts.ManualExtractor import ManualPass, make_window, place_mean_face

Qt = QtCore.Qt


@pytest.fixture(scope="module")
def app():
    return QtWidgets.QApplication.instance() or QtWidgets.QApplication([])


@pytest.fixture(scope="module")
def models():
    return create_landmarker("dlib68"), create_detector("centerface")


def move(w, x, y):
    ev = QtGui.QMouseEvent(QtCore.QEvent.MouseMove, QtCore.QPointF(x, y), Qt.NoButton, Qt.NoButton, Qt.NoModifier)
    QtWidgets.QApplication.sendEvent(w, ev)


def click(w, x, y, button=Qt.LeftButton):
    QTest.mouseClick(w, button, Qt.NoModifier, QtCore.QPoint(int(x), int(y)))


def wheel(w, steps):
    p = QtCore.QPointF(5, 5)
    ev = QtGui.QWheelEvent(p, p, QtCore.QPoint(0, 0), QtCore.QPoint(0, 120 * steps), Qt.NoButton, Qt.NoModifier,
                           Qt.NoScrollPhase, False)
    QtWidgets.QApplication.sendEvent(w, ev)


def place_rect(w, rect):
    """Mouse to the rect's centre, wheel until the rect has its size; returns the view point used."""
    p = w.p
    l, t, r, b = rect
    vx, vy = (l + r) / 2 * p.scale, (t + b) / 2 * p.scale
    move(w, vx, vy)
    target = (r - l) / 2
    while p.half < target:
        wheel(w, 1)
    while p.half > target + 10:
        wheel(w, -1)
    return vx, vy


def photo(data_dir, tmp_path, names):
    d = tmp_path / "frames"
    d.mkdir(exist_ok=True)
    for n in names:
        shutil.copy(data_dir / "jesper" / n, d)
    return d


def cat(frames):
    skdata = pytest.importorskip("skimage.data")
    cv2.imwrite(str(frames / "zz_cat.png"), skdata.chelsea()[..., ::-1])


def auto_face(models, path):
    lm, det = models
    img = cv2.imread(str(path))
    rect = det.detect(img)[0]
    return rect, lm.second_pass(img, lm.landmarks(img, [rect])[0], det)


def test_window_keys_and_mouse(app, models, data_dir, tmp_path):
    frames = photo(data_dir, tmp_path, ["jesper.jpg", "anne_helene.jpg"])
    cat(frames)
    paths = sorted(frames.iterdir())
    p = ManualPass(paths, *models)
    w = make_window(p)
    w.show()
    assert p.show_help and p.accuracy

    # frame 1: place the rect on the face, Enter
    rect, auto_lm = auto_face(models, paths[0])
    place_rect(w, rect)
    assert not w.grab().isNull()              # paints the frame, rect, landmarks and help
    QTest.keyClick(w, Qt.Key_Return)
    face = p.results[0][0]
    assert np.abs(face.landmarks - auto_lm).max() < 0.05 * (rect[2] - rect[0])
    assert p.idx == 1

    # frame 2: lock keeps the rect, unlock follows the mouse again; right click forces the mean face along a vector
    vx, vy = 200, 150
    move(w, vx, vy)
    click(w, vx, vy)
    assert p.locked
    before = p.rect()
    move(w, vx + 40, vy + 30)
    wheel(w, 3)
    assert p.rect() == before
    click(w, vx + 40, vy + 30)
    move(w, vx + 41, vy + 30)
    assert not p.locked and p.rect() != before
    click(w, 150, 100, Qt.RightButton)
    move(w, 160, 180)
    p0, p1 = (150 / p.scale, 100 / p.scale), (160 / p.scale, 180 / p.scale)
    QTest.keyClick(w, Qt.Key_A)
    QTest.keyClick(w, Qt.Key_H)
    assert not p.accuracy and not p.show_help
    QTest.keyClick(w, Qt.Key_Enter)
    forced = p.results[1][0].landmarks
    assert np.allclose(forced, place_mean_face(p0, p1), atol=1e-3)
    assert np.allclose(forced.mean(axis=0), p0, atol=1e-3) and np.allclose(forced[8], p1, atol=1e-3)

    # frame 3: ',' goes back (the accepted face is shown again), '.' keeps it, Space = no face in the cat photo
    QTest.keyClick(w, Qt.Key_Comma)
    assert p.idx == 1 and np.allclose(p.rect()[:2], p.results[1][0].rect[:2], atol=1)
    QTest.keyClick(w, Qt.Key_Period)
    assert p.idx == 2 and len(p.results[1]) == 1
    QTest.keyClick(w, Qt.Key_Space)
    assert p.finished and p.results[2] == [] and not w.isVisible()


def test_quit_leaves_the_remaining_frames(app, models, data_dir, tmp_path):
    frames = photo(data_dir, tmp_path, ["jesper.jpg", "anne_helene.jpg", "wayne.jpg"])
    (frames / "broken.jpg").write_bytes(b"not an image")
    p = ManualPass(sorted(frames.iterdir()), *models)
    w = make_window(p)
    w.show()
    assert p.idx == 0                          # anne_helene, broken, jesper, wayne
    QTest.keyClick(w, Qt.Key_Space)
    assert p.idx == 2 and p.skipped == {1: "unreadable"}
    QTest.keyClick(w, Qt.Key_Q)
    assert p.finished and p.results == {0: []}


def test_small_rects_are_magnified(app, models, data_dir, tmp_path):
    frames = photo(data_dir, tmp_path, ["jesper.jpg"])
    p = ManualPass(sorted(frames.iterdir()), *models)
    w = make_window(p)
    w.show()
    move(w, 300, 200)
    while not p.magnified():
        wheel(w, -1)
    assert 35 <= p.half <= 40
    k = p.view_mat()[0, 0]
    assert k > p.scale * 2
    x = p.x
    move(w, 330, 200)            # the zoomed view moves the rect by the pointer's steps, scaled down
    assert np.isclose(p.x, x + 30 / k)
    view = p.render()
    assert view.shape[:2] == (p.view_size()[1], p.view_size()[0])
    w.close()


def drive(app, actions):
    """Run `actions(window)` once the extractor's window is up (inside its event loop); returns the error list."""
    errors = []

    def go():
        wins = [w for w in app.topLevelWidgets() if w.windowTitle() == "Manual pass" and w.isVisible()]
        if not wins:
            QtCore.QTimer.singleShot(20, go)
            return
        try:
            actions(wins[0])
        except BaseException as e:   # an exception must not escape into Qt (it would abort the process)
            errors.append(e)
            wins[0].close()

    QtCore.QTimer.singleShot(0, go)
    return errors


def extract(frames, out, **kw):
    return Extractor.extract(frames, out, face_type="wf", image_size=256, jpeg_quality=90, landmarker="dlib68",
                             workers=1, **kw)


def test_manual_extraction_saves_the_marked_faces(app, models, data_dir, tmp_path):
    frames = photo(data_dir, tmp_path, ["anne_helene.jpg", "jesper.jpg"])
    rects = [auto_face(models, frames / n)[0] for n in ("anne_helene.jpg", "jesper.jpg")]
    seen = []

    def actions(w):
        for rect in rects:
            place_rect(w, rect)
            seen.append(w.p.landmarks().copy())
            QTest.keyClick(w, Qt.Key_Return)

    errors = drive(app, actions)
    summary = extract(frames, tmp_path / "aligned", detector="manual", output_debug=True)
    assert not errors, errors
    assert (summary["frames"], summary["faces"]) == (2, 2)
    for name, lm in zip(("anne_helene_0.jpg", "jesper_0.jpg"), seen):
        d = DFLJPG.load(tmp_path / "aligned" / name)
        assert d.get_face_type() == "whole_face"
        assert np.allclose(d.get_source_landmarks(), lm, atol=1e-3)
    assert len(list((tmp_path / "aligned_debug").iterdir())) == 2


def test_manual_fix_marks_the_frames_without_faces(app, models, data_dir, tmp_path):
    frames = photo(data_dir, tmp_path, ["jesper.jpg"])
    cat(frames)
    shown = []

    def actions(w):
        shown.append(w.p.paths[w.p.idx].name)
        click(w, 200, 120, Qt.RightButton)
        move(w, 205, 190)
        QTest.keyClick(w, Qt.Key_Return)

    errors = drive(app, actions)
    summary = extract(frames, tmp_path / "aligned", detector="centerface", manual_fix=True, output_debug=False)
    assert not errors, errors
    assert shown == ["zz_cat.png"]
    assert (summary["frames"], summary["faces"], summary["frames with no face"]) == (2, 2, 0)
    d = DFLJPG.load(tmp_path / "aligned" / "zz_cat_0.jpg")
    assert d.get_source_filename() == "zz_cat.png"


def test_deleted_debug_images_are_extracted_again_by_hand(app, models, data_dir, tmp_path):
    frames = photo(data_dir, tmp_path, ["anne_helene.jpg", "jesper.jpg"])
    out = tmp_path / "aligned"
    extract(frames, out, detector="centerface", output_debug=True)
    kept = (out / "jesper_0.jpg").read_bytes()
    (tmp_path / "aligned_debug" / "anne_helene.jpg").unlink()
    rect = auto_face(models, frames / "anne_helene.jpg")[0]
    shown = []

    def actions(w):
        shown.append(w.p.paths[w.p.idx].name)
        place_rect(w, rect)
        QTest.keyClick(w, Qt.Key_Return)

    errors = drive(app, actions)
    summary = extract(frames, out, manual_output_debug_fix=True)
    assert not errors, errors
    assert shown == ["anne_helene.jpg"] and summary["faces"] == 1
    assert (tmp_path / "aligned_debug" / "anne_helene.jpg").is_file()
    assert (out / "jesper_0.jpg").read_bytes() == kept
    l, t, r, b = DFLJPG.load(out / "anne_helene_0.jpg").get_source_rect()
    assert r - l == b - t                      # the square rect of the manual window replaced the detector's
