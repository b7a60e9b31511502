"""XSeg editor driven offscreen with synthetic mouse, wheel and key events: polygons drawn, edited, undone, saved
into the face files (the original's `seg_ie_polys` structure), navigation, trash, zoom, views, skipped files."""
import cv2
import numpy as np
import pytest
from PyQt5.QtCore import QEvent, QPoint, QPointF, Qt, QTimer
from PyQt5.QtGui import QMouseEvent, QWheelEvent
from PyQt5.QtTest import QTest
from PyQt5.QtWidgets import QApplication

import main
from core.dflimg import DFLJPG, SegIEPolyType
from core.errors import UserError
from XSegEditor.faces import FaceFolder
from XSegEditor.window import EditorWindow

PHOTOS = ["jesper/anne_helene.jpg", "jesper/bar55.jpg", "jesper/jesper_2.jpg", "stills/grace_hopper.jpg"]
SIZE = 128
ORIGINAL_LABELLED = {"anne_helene_0.jpg", "grace_hopper_0.jpg", "jesper_2_0.jpg"}


@pytest.fixture(autouse=True)
def close_windows(qapp):
    """A failing test leaves no editor window open for the next one."""
    yield
    for w in qapp.topLevelWidgets():
        if isinstance(w, EditorWindow):
            w.close()
            w.deleteLater()
    qapp.processEvents()


@pytest.fixture
def faces(data_dir, tmp_path):
    """Four unlabelled 128 px faces cut from the bundled photos; the last one has an applied XSeg mask."""
    out = tmp_path / "aligned"
    out.mkdir()
    t = np.linspace(0, 2 * np.pi, 68, endpoint=False)
    landmarks = np.stack([64 + 40 * np.cos(t), 64 + 50 * np.sin(t)], 1)
    for i, rel in enumerate(PHOTOS):
        img = cv2.imread(str(data_dir / rel))
        side = min(img.shape[:2])
        img = cv2.resize(img[:side, :side], (SIZE, SIZE), interpolation=cv2.INTER_AREA)
        mask = None
        if i == len(PHOTOS) - 1:
            mask = np.zeros((SIZE, SIZE, 1), np.float32)
            cv2.ellipse(mask, (64, 64), (40, 50), 0, 0, 360, 1.0, -1)
        DFLJPG.create(out / f"face_{i}.jpg", img, face_type="whole_face", landmarks=landmarks.tolist(),
                      source_filename=rel.split("/")[1], xseg_mask=mask)
    return out


def open_editor(qapp, folder):
    w = EditorWindow(FaceFolder(folder))
    w.show()
    w.activateWindow()
    QTest.qWaitForWindowExposed(w)
    QTest.qWaitForWindowActive(w)
    qapp.processEvents()
    return w


def screen(w, x, y):
    return w.canvas.to_screen((x, y)).toPoint()


def click(w, x, y, mods=Qt.NoModifier, button=Qt.LeftButton):
    QTest.mouseClick(w.canvas, button, mods, screen(w, x, y))


def move(widget, pos, buttons=Qt.NoButton):
    # QTest.mouseMove only moves the cursor in Qt 5; send the event itself
    QApplication.sendEvent(widget, QMouseEvent(QEvent.MouseMove, QPointF(pos), Qt.NoButton, buttons, Qt.NoModifier))


def key(w, k, mods=Qt.NoModifier):
    QTest.keyClick(w, k, mods)


def stored(path):
    """The polygons as stored in the file: the raw dict plus [(type, pts)]."""
    raw = DFLJPG.load(path).get_dict().get("seg_ie_polys")
    polys = [] if raw is None else [(p["type"], p["pts"]) for p in raw["polys"]]
    return raw, polys


def draw(w, pts, close=True):
    for x, y in pts:
        click(w, x, y)
    if close:
        click(w, *pts[0])


SQUARE = [(20, 20), (100, 20), (100, 100), (20, 100)]
TRIANGLE = [(50, 50), (70, 50), (60, 70)]


def test_draw_include_and_exclude_saved_in_original_structure(qapp, faces):
    w = open_editor(qapp, faces)
    path = w.folder.faces[0].path
    key(w, Qt.Key_Q)
    draw(w, SQUARE[:3], close=False)
    raw, polys = stored(path)     # saved on every change: the 3-point polygon is already in the file
    assert len(polys) == 1 and len(polys[0][1]) == 3
    click(w, *SQUARE[3])
    click(w, *SQUARE[0])          # on the first point: closes
    assert w.doc.drawing is None and w.doc.selected is not None
    key(w, Qt.Key_W)
    draw(w, TRIANGLE)
    raw, polys = stored(path)
    assert set(raw) == {"polys"} and [sorted(p) for p in raw["polys"]] == [["pts", "type"]] * 2
    assert [t for t, _ in polys] == [1, 0]
    assert all(p.dtype == np.float32 and p.shape[1] == 2 for _, p in polys)
    np.testing.assert_allclose(polys[0][1], SQUARE, atol=0.5)
    np.testing.assert_allclose(polys[1][1], TRIANGLE, atol=0.5)
    mask = np.zeros((SIZE, SIZE, 1), np.float32)
    DFLJPG.load(path).get_seg_ie_polys().overlay_mask(mask)
    assert mask[30, 30, 0] == 1 and mask[55, 60, 0] == 0 and mask[10, 10, 0] == 0
    assert w.folder.faces[0].labelled and w.folder.labelled_count() == 1
    w.close()


def test_undo_redo_points_and_closing(qapp, faces):
    w = open_editor(qapp, faces)
    path = w.folder.faces[0].path
    draw(w, TRIANGLE)
    assert len(stored(path)[1]) == 1
    key(w, Qt.Key_Z, Qt.ControlModifier)              # reopens the polygon
    assert w.doc.drawing is not None and w.doc.drawing.get_pts_count() == 3
    key(w, Qt.Key_Z, Qt.ControlModifier)              # removes the last point: 2 points are not a polygon
    assert w.doc.drawing.get_pts_count() == 2
    assert stored(path) == (None, [])
    key(w, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert w.doc.drawing.get_pts_count() == 3
    np.testing.assert_allclose(stored(path)[1][0][1], TRIANGLE, atol=0.5)
    key(w, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert w.doc.drawing is None and not w.doc.can_redo()
    click(w, 10, 120)                                 # a new edit after undo clears redo
    key(w, Qt.Key_Z, Qt.ControlModifier)
    key(w, Qt.Key_Z, Qt.ControlModifier)
    assert w.doc.drawing is not None and w.doc.can_redo()
    click(w, 90, 90)
    assert not w.doc.can_redo()
    w.close()


def test_move_insert_delete_points(qapp, faces):
    w = open_editor(qapp, faces)
    path = w.folder.faces[0].path
    draw(w, SQUARE)
    # drag the second point
    QTest.mousePress(w.canvas, Qt.LeftButton, Qt.NoModifier, screen(w, 100, 20))
    move(w.canvas, screen(w, 110, 10), Qt.LeftButton)
    QTest.mouseRelease(w.canvas, Qt.LeftButton, Qt.NoModifier, screen(w, 110, 10))
    pts = stored(path)[1][0][1]
    np.testing.assert_allclose(pts[1], (110, 10), atol=0.5)
    # Ctrl+click on the bottom edge inserts a point between the 3rd and 4th
    click(w, 60, 100, Qt.ControlModifier)
    pts = stored(path)[1][0][1]
    assert len(pts) == 5
    np.testing.assert_allclose(pts[3], (60, 100), atol=0.5)
    # Ctrl+click on a point deletes it
    click(w, 20, 20, Qt.ControlModifier)
    pts = stored(path)[1][0][1]
    assert len(pts) == 4 and not np.any(np.all(np.abs(pts - (20, 20)) < 1, axis=1))
    # the add/delete toolbar toggle does the same without Ctrl; down to 2 points the polygon goes
    w.acts["point_edit"].trigger()
    click(w, 60, 100)
    click(w, 100, 100)
    assert stored(path) == (None, []) and not list(w.doc)
    for _ in range(5):                                # 2 deletes, Ctrl-delete, insert, move
        key(w, Qt.Key_Z, Qt.ControlModifier)
    np.testing.assert_allclose(stored(path)[1][0][1], SQUARE, atol=0.5)
    w.close()


def test_delete_polygon_and_undo(qapp, faces):
    w = open_editor(qapp, faces)
    path = w.folder.faces[0].path
    draw(w, SQUARE)
    key(w, Qt.Key_W)
    click(w, 5, 5)                                    # start an exclude polygon somewhere else ...
    click(w, 5, 5, button=Qt.RightButton)             # ... one point: right click drops it
    assert len(list(w.doc)) == 1 and w.doc.active() is None
    click(w, 60, 20)                                  # click on the square's outline selects it
    assert w.doc.selected is not None
    key(w, Qt.Key_Delete)
    assert stored(path) == (None, [])
    assert not w.folder.faces[0].labelled
    key(w, Qt.Key_Z, Qt.ControlModifier)
    assert len(stored(path)[1]) == 1
    move(w.canvas, screen(w, 60, 60))      # nothing selected: Delete takes the polygon under the cursor
    w.doc.select(None)
    key(w, Qt.Key_Delete)
    assert stored(path) == (None, [])
    w.close()


def test_guide_sequence_face_then_w_then_obstruction(qapp, faces):
    """The guide: outline the face, press W right after closing it, outline the obstruction. W must apply to the
    next polygon only, so the mask is the face minus the obstruction (W used to turn the face into an exclusion)."""
    w = open_editor(qapp, faces)
    path = w.folder.faces[0].path
    draw(w, SQUARE)                                   # the face; it stays selected after closing
    key(w, Qt.Key_W)
    assert stored(path)[1][0][0] == SegIEPolyType.INCLUDE
    draw(w, TRIANGLE)                                 # the obstruction
    assert [t for t, _ in stored(path)[1]] == [SegIEPolyType.INCLUDE, SegIEPolyType.EXCLUDE]
    mask = np.zeros((SIZE, SIZE, 1), np.float32)
    DFLJPG.load(path).get_seg_ie_polys().overlay_mask(mask)
    assert mask[30, 30, 0] == 1 and mask[90, 90, 0] == 1          # face covered ...
    assert mask[55, 60, 0] == 0 and mask[10, 10, 0] == 0          # ... minus the obstruction, nothing outside
    key(w, Qt.Key_Q)                                  # Q while a polygon is selected: only the next one is include
    assert [t for t, _ in stored(path)[1]] == [SegIEPolyType.INCLUDE, SegIEPolyType.EXCLUDE]
    click(w, 110, 5)
    key(w, Qt.Key_W)                                  # W while drawing: the open polygon keeps its type
    click(w, 125, 5)
    click(w, 120, 15)
    click(w, 110, 5)
    assert [t for t, _ in stored(path)[1]] == [SegIEPolyType.INCLUDE] * 2 + [SegIEPolyType.EXCLUDE]
    w.close()


def test_esc_saves_and_closes_the_editor(qapp, faces):
    w = open_editor(qapp, faces)
    path = w.folder.faces[0].path
    draw(w, SQUARE, close=False)                      # left open: Esc closes it, saves and closes the window
    key(w, Qt.Key_Escape)
    qapp.processEvents()
    assert not w.isVisible()
    assert len(stored(path)[1]) == 1 and len(stored(path)[1][0][1]) == 4


def test_navigation_saves_and_reopens(qapp, faces):
    w = open_editor(qapp, faces)
    draw(w, TRIANGLE + [(40, 60)], close=False)       # left open: navigation closes and saves it
    key(w, Qt.Key_D)
    assert w.index == 1 and not list(w.doc)
    assert len(stored(w.folder.faces[0].path)[1][0][1]) == 4
    draw(w, [(10, 10), (30, 10)], close=False)        # 2 points: nothing to save, dropped
    key(w, Qt.Key_D)
    assert w.index == 2 and stored(w.folder.faces[1].path) == (None, [])
    key(w, Qt.Key_A)
    key(w, Qt.Key_A)
    assert w.index == 0 and len(list(w.doc)) == 1 and w.doc.drawing is None
    key(w, Qt.Key_A)                                  # first face: stays
    assert w.index == 0
    w.close()
    w2 = open_editor(qapp, faces)
    assert [f.labelled for f in w2.folder.faces] == [True, False, False, False]
    w2.strip.face_requested.emit(3)                   # thumbnail click
    assert w2.index == 3 and w2.canvas.has_xseg_mask()
    w2.close()


def test_unchanged_face_is_not_rewritten(qapp, faces):
    before = {p.name: p.read_bytes() for p in faces.iterdir()}
    w = open_editor(qapp, faces)
    for _ in range(3):
        key(w, Qt.Key_D)
    key(w, Qt.Key_A)
    w.close()
    assert {p.name: p.read_bytes() for p in faces.iterdir()} == before
    assert w.save_times == []


def test_failed_save_keeps_the_label_and_the_face(qapp, faces, monkeypatch):
    w = open_editor(qapp, faces)

    def fail(index, polys):
        raise UserError("disk full")
    monkeypatch.setattr(w.folder, "save_polys", fail)
    draw(w, SQUARE)
    assert "NOT SAVED: disk full" in w.statusBar().currentMessage()
    key(w, Qt.Key_D)
    assert w.index == 0 and len(list(w.doc)) == 1
    monkeypatch.undo()
    key(w, Qt.Key_D)
    assert w.index == 1 and len(stored(w.folder.faces[0].path)[1]) == 1
    w.close()


def test_trash_moves_the_face(qapp, faces):
    w = open_editor(qapp, faces)
    draw(w, SQUARE)
    key(w, Qt.Key_X)
    trash = faces.parent / "aligned_trash"
    assert (trash / "face_0.jpg").is_file() and not (faces / "face_0.jpg").exists()
    assert len(stored(trash / "face_0.jpg")[1]) == 1      # trashed with its label
    assert len(w.folder) == 3 and w.index == 0 and w.folder.faces[0].path.name == "face_1.jpg"
    (trash / "face_3.jpg").write_bytes(b"older trashed file")
    key(w, Qt.Key_D)
    key(w, Qt.Key_D)
    key(w, Qt.Key_X)                                  # face_3 was last: name taken in the trash, shows the one before
    assert (trash / "face_3_1.jpg").is_file() and w.folder.faces[w.index].path.name == "face_2.jpg"
    for _ in range(2):
        key(w, Qt.Key_X)
    assert len(w.folder) == 0 and w.doc is None
    key(w, Qt.Key_X)
    key(w, Qt.Key_D)
    assert sorted(p.name for p in trash.iterdir()) == ["face_0.jpg", "face_1.jpg", "face_2.jpg", "face_3.jpg",
                                                      "face_3_1.jpg"]
    w.close()


def wheel(widget, pos, notches):
    ev = QWheelEvent(QPointF(pos), QPointF(widget.mapToGlobal(pos)), QPoint(0, 0), QPoint(0, 120 * notches),
                     Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase, False)
    QApplication.sendEvent(widget, ev)


def test_wheel_zoom_keeps_the_point_under_the_cursor_and_pan(qapp, faces):
    w = open_editor(qapp, faces)
    c = w.canvas
    pos = screen(w, 30, 90)
    anchor = c.to_img(QPointF(pos))
    scale0 = c.scale
    wheel(c, pos, 3)
    assert c.scale == pytest.approx(scale0 * 1.15 ** 3)
    np.testing.assert_allclose(c.to_img(QPointF(pos)), anchor, atol=1e-6)
    corner = c.to_img(QPointF(5, 7))
    wheel(c, QPoint(5, 7), -2)
    np.testing.assert_allclose(c.to_img(QPointF(5, 7)), corner, atol=1e-6)
    zoomed = c.scale
    click(w, 60, 60)                                  # points are placed in image coordinates at any zoom
    np.testing.assert_allclose(w.doc.drawing.get_pts()[0], (60, 60), atol=0.5 / zoomed + 1e-6)
    before = c.to_img(QPointF(300, 300))
    QTest.mousePress(c, Qt.MiddleButton, Qt.NoModifier, QPoint(300, 300))
    move(c, QPoint(340, 280), Qt.MiddleButton)
    QTest.mouseRelease(c, Qt.MiddleButton, Qt.NoModifier, QPoint(340, 280))
    np.testing.assert_allclose(c.to_img(QPointF(340, 280)), before, atol=1e-6)
    assert w.doc.drawing.get_pts_count() == 1          # panning adds no point
    key(w, Qt.Key_Home)
    assert c.scale == pytest.approx(scale0)
    w.close()


def test_view_and_colour_keys_and_screenshot(qapp, faces):
    w = open_editor(qapp, faces)
    key(w, Qt.Key_D)
    draw(w, SQUARE)
    click(w, 5, 120)
    click(w, 5, 120, button=Qt.RightButton)
    labels = w.canvas.grab().toImage()

    def px(img, x, y):
        p = w.canvas.to_screen((x, y)).toPoint()
        c = img.pixelColor(p)
        return np.array([c.red(), c.green(), c.blue()])

    r, g, b = px(labels, 60, 20)
    assert r > 150 and r > g + 80 and r > b + 80      # red outline on the square's edge
    key(w, Qt.Key_2)
    r, g, b = px(w.canvas.grab().toImage(), 60, 20)
    assert g > 150 and g > r + 80 and g > b + 80
    key(w, Qt.Key_3)
    assert w.canvas.color_name == "blue"
    key(w, Qt.Key_4)                                  # baked mask: white inside the square, black outside
    baked = w.canvas.grab().toImage()
    assert px(baked, 60, 60).min() > 200 and px(baked, 10, 110).max() < 30
    key(w, Qt.Key_4)
    assert w.canvas.view == "labels"
    key(w, Qt.Key_5)                                  # face 1 has no XSeg mask: the face is shown with a note
    assert w.canvas.view == "xseg" and not w.canvas.has_xseg_mask()
    key(w, Qt.Key_D)
    key(w, Qt.Key_D)                                  # face 3 has one
    assert w.canvas.has_xseg_mask()
    xseg = w.canvas.grab().toImage()
    assert px(xseg, 64, 64).min() > 200 and px(xseg, 3, 3).max() < 30
    key(w, Qt.Key_QuoteLeft)
    assert w.canvas.view == "xseg_overlay"
    overlay = w.canvas.grab().toImage()
    key(w, Qt.Key_QuoteLeft)
    plain = w.canvas.grab().toImage()
    assert np.abs(px(overlay, 64, 64) - px(plain, 64, 64)).max() <= 2             # inside the mask: unchanged
    assert px(overlay, 3, 3).sum() < 0.6 * px(plain, 3, 3).sum() + 3                # outside: darkened by half
    shot = w.grab().toImage()
    assert shot.width() > 300 and len({shot.pixel(x, y) for x in range(0, shot.width(), 17)
                                       for y in range(0, shot.height(), 17)}) > 50
    w.close()


def test_non_aligned_files_are_skipped_with_a_count(qapp, faces):
    cv2.imwrite(str(faces / "plain.jpg"), np.full((32, 32, 3), 128, np.uint8))
    (faces / "broken.jpg").write_bytes(b"not a jpeg")
    w = open_editor(qapp, faces)
    assert len(w.folder) == 4 and len(w.folder.skipped) == 2
    assert "2 skipped (not aligned faces)" in w.info.text()
    assert "2 files skipped" in w.statusBar().currentMessage()
    w.close()


def test_cli_errors(tmp_path, capsys):
    assert main.main(["xseg", "editor", "--input-dir", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main.main(["xseg", "editor", "--input-dir", str(tmp_path / "empty")]) == 2
    assert "no aligned faces" in capsys.readouterr().err


def test_cli_opens_the_window_and_reports(qapp, faces, capsys):
    def draw_then_close():
        w = next(x for x in qapp.topLevelWidgets() if isinstance(x, EditorWindow) and x.folder.dir == faces)
        draw(w, SQUARE)
        w.close()
    QTimer.singleShot(0, draw_then_close)
    guard = QTimer()                                  # a failing draw must not hang the run
    guard.setSingleShot(True)
    guard.timeout.connect(qapp.quit)
    guard.start(20000)
    try:
        assert main.main(["xseg", "editor", "--input-dir", str(faces)]) == 0
    finally:
        guard.stop()
    assert "1 of 4 faces labelled" in capsys.readouterr().out


def test_cli_without_a_display_says_so(faces, monkeypatch, capsys):
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    assert main.main(["xseg", "editor", "--input-dir", str(faces)]) == 2
    assert "needs a display" in capsys.readouterr().err


def test_original_polygons_are_shown_and_kept(qapp, compat_copy):
    folder = compat_copy("aligned_whole_face")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    w = open_editor(qapp, folder)
    assert {f.path.name for f in w.folder.faces if f.labelled} == ORIGINAL_LABELLED
    for name in sorted(ORIGINAL_LABELLED):
        w.go_to([f.path.name for f in w.folder.faces].index(name))
        original = DFLJPG.load(folder / name).get_seg_ie_polys()
        shown = list(w.doc)
        assert [p.type for p in shown] == [SegIEPolyType.INCLUDE, SegIEPolyType.EXCLUDE]
        assert 20 <= shown[0].get_pts_count() <= 22 and shown[1].get_pts_count() == 11
        for a, b in zip(shown, original):
            np.testing.assert_array_equal(a.get_pts(), b.get_pts())
        img = w.canvas.grab().toImage()
        x, y = shown[0].get_pts()[0]
        c = img.pixelColor(w.canvas.to_screen((x, y)).toPoint())
        assert c.red() > 150 and c.red() > c.green() + 80             # the point is drawn
    w.go_to(0)
    w.close()
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before   # viewing rewrites nothing
    # an edit keeps every other key of the original's metadata as it was
    w = open_editor(qapp, folder)
    w.go_to([f.path.name for f in w.folder.faces].index("grace_hopper_0.jpg"))
    old = DFLJPG.load(folder / "grace_hopper_0.jpg").get_dict()
    key(w, Qt.Key_W)
    draw(w, [(100, 60), (150, 60), (125, 90)])
    new = DFLJPG.load(folder / "grace_hopper_0.jpg").get_dict()
    assert len(new["seg_ie_polys"]["polys"]) == 3
    for k in old:
        if k != "seg_ie_polys":
            assert np.array_equal(np.asarray(old[k], dtype=object), np.asarray(new[k], dtype=object)), k
    w.close()
