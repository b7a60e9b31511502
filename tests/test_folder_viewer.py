"""`main.py view`: the image-folder viewer on real aligned faces (offscreen Qt): grid, skipped files, keys, metadata."""
import os
import time

import pytest
from PyQt5 import QtCore, QtGui
from PyQt5.QtTest import QTest

import main
from core.dflimg import DFLJPG
from faceset_fixtures import faces_dir, made_faces_dir  # noqa: F401  (fixtures)
from mainscripts.FolderViewer import FolderViewer, scan_folder


def settle(qapp, window, timeout=5.0):
    """Process events until every thumbnail Qt asked for is decoded."""
    end = time.perf_counter() + timeout
    qapp.processEvents()
    while window.model.has_pending() and time.perf_counter() < end:
        qapp.processEvents()
    qapp.processEvents()
    assert not window.model.has_pending()


def open_viewer(qapp, folder):
    window = FolderViewer(*scan_folder(folder))
    window.show()
    settle(qapp, window)
    return window


@pytest.fixture
def folder_with_junk(faces_dir):
    (faces_dir / "notes.txt").write_text("not an image")
    (faces_dir / "broken.jpg").write_bytes(b"\xff\xd8 this is no JPEG")
    return faces_dir


def face_names(folder):
    return sorted(p.name for p in folder.glob("*.jpg") if p.name != "broken.jpg")


def test_grid_lists_faces_and_counts_skipped_files(qapp, folder_with_junk):
    names = face_names(folder_with_junk)
    w = open_viewer(qapp, folder_with_junk)
    assert [p.name for p in w.model.paths] == names
    assert w.skipped == 2
    assert w.counts.text() == f"{len(names)} images, 2 skipped"
    assert w.model.decoded == len(names)
    assert w.windowTitle() == f"{names[0]} (1/{len(names)})"
    w.close()


def test_keys_step_through_the_folder(qapp, folder_with_junk):
    names = face_names(folder_with_junk)
    n = len(names)
    w = open_viewer(qapp, folder_with_junk)
    w.grid.setFocus()
    QTest.keyClick(w.grid, QtCore.Qt.Key_Return)
    assert w.stack.currentWidget() is w.view
    assert w.shown_path().name == names[0]
    QTest.keyClick(w.view, QtCore.Qt.Key_Right)
    assert w.shown_path().name == names[1]
    assert w.windowTitle() == f"{names[1]} (2/{n})"
    QTest.keyClick(w.view, QtCore.Qt.Key_D)
    assert w.shown_path().name == names[2]
    QTest.keyClick(w.view, QtCore.Qt.Key_A)
    QTest.keyClick(w.view, QtCore.Qt.Key_Left)
    assert w.shown_path().name == names[0]
    QTest.keyClick(w.view, QtCore.Qt.Key_Left)
    assert w.windowTitle() == f"{names[-1]} ({n}/{n})"
    wheel = QtGui.QWheelEvent(QtCore.QPointF(10, 10), QtCore.QPointF(10, 10), QtCore.QPoint(0, 0),
                              QtCore.QPoint(0, -120), QtCore.Qt.NoButton, QtCore.Qt.NoModifier,
                              QtCore.Qt.NoScrollPhase, False)
    qapp.sendEvent(w.view, wheel)
    assert w.shown_path().name == names[0]
    QTest.keyClick(w.view, QtCore.Qt.Key_Escape)
    assert w.stack.currentWidget() is w.grid and w.grid.currentIndex().row() == 0
    QTest.keyClick(w.grid, QtCore.Qt.Key_Escape)
    assert not w.isVisible()


def test_status_bar_shows_face_metadata(qapp, faces_dir):
    w = open_viewer(qapp, faces_dir)
    polys = next(p for p in w.model.paths if DFLJPG.load(p).has_seg_ie_polys())
    masked = next(p for p in w.model.paths if DFLJPG.load(p).has_xseg_mask())
    plain = next(p for p in w.model.paths if not DFLJPG.load(p).has_seg_ie_polys()
                 and not DFLJPG.load(p).has_xseg_mask())
    for path in (polys, masked, plain):
        d = DFLJPG.load(path)
        w.open_image(w.model.paths.index(path))
        text = w.info.text()
        assert f"face type: {d.get_face_type()}" in text and f"source: {d.get_source_filename()}" in text
        n = len(d.get_seg_ie_polys()) if d.has_seg_ie_polys() else "none"
        assert f"XSeg polygons: {n}" in text
        assert f"applied XSeg mask: {'yes' if d.has_xseg_mask() else 'no'}" in text
    w.close()


def test_large_view_paints_the_image(qapp, faces_dir):
    w = open_viewer(qapp, faces_dir)
    w.open_image(0)
    img = w.view.grab().toImage()
    colours = {img.pixel(x, y) for x in range(0, img.width(), 7) for y in range(0, img.height(), 7)}
    assert len(colours) > 100
    w.close()


def test_plain_images_and_late_unreadable_files(qapp, tmp_path, data_dir):
    (tmp_path / "a.png").write_bytes((data_dir / "stills" / "grace_hopper.jpg").read_bytes())
    (tmp_path / "b.jpg").write_bytes((data_dir / "stills" / "grace_hopper.jpg").read_bytes())
    (tmp_path / "c.png").write_bytes(b"\x89PNG truncated")
    w = FolderViewer(*scan_folder(tmp_path))
    w.open_image(2)                      # unreadable: leaves the folder, the last image is shown instead
    assert w.shown_path().name == "b.jpg" and w.skipped == 1 and len(w.model.paths) == 2
    assert w.info.text() == "not an aligned face (no DeepFaceLab metadata)"
    w.close()


def test_large_folder_opens_lazily(qapp, faces_dir, tmp_path):
    big = tmp_path / "big"
    big.mkdir()
    face = next(faces_dir.glob("*.jpg"))
    for i in range(3000):
        os.link(face, big / f"{i:05d}.jpg")
    start = time.perf_counter()
    w = open_viewer(qapp, big)
    assert time.perf_counter() - start < 3
    assert len(w.model.paths) == 3000
    assert 0 < w.model.decoded < 200
    w.close()


def test_cli_errors(tmp_path, monkeypatch, capsys):
    assert main.main(["view", "--input-dir", str(tmp_path / "missing")]) == 2
    (tmp_path / "empty").mkdir()
    assert main.main(["view", "--input-dir", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "does not exist" in err[0] and "no images" in err[1]
    (tmp_path / "one.png").write_bytes(b"\x89PNG")
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    assert main.main(["view", "--input-dir", str(tmp_path)]) == 2
    assert "the image viewer needs a display" in capsys.readouterr().err


def test_delete_moves_to_trash_beside_the_folder_and_u_undoes(qapp, faces_dir):
    names = face_names(faces_dir)
    trash = faces_dir.parent / "aligned_trash"
    (trash).mkdir()
    (trash / names[1]).write_bytes(b"left by an earlier sort")   # a name already in the trash is kept
    w = open_viewer(qapp, faces_dir)
    w.grid.setFocus()
    w.grid.setCurrentIndex(w.model.index(1))
    QTest.keyClick(w.grid, QtCore.Qt.Key_Delete)                 # in the grid: the selected face
    assert not (faces_dir / names[1]).exists()
    moved = trash / (names[1][:-4] + "_1.jpg")
    assert moved.exists() and (trash / names[1]).read_bytes() == b"left by an earlier sort"
    assert DFLJPG.load(moved).has_data()                          # moved as is, metadata kept
    assert [p.name for p in w.model.paths] == names[:1] + names[2:]
    assert w.shown_path().name == names[2] and w.grid.currentIndex().row() == 1
    assert w.skipped == 0 and w.counts.text() == f"{len(names) - 1} images, 0 skipped"

    QTest.keyClick(w.grid, QtCore.Qt.Key_Return)                  # in the large view: the face shown, then the next
    QTest.keyClick(w.view, QtCore.Qt.Key_Delete)
    assert not (faces_dir / names[2]).exists() and (trash / names[2]).exists()
    assert w.stack.currentWidget() is w.view and w.shown_path().name == names[3]
    assert "U: undo" in w.statusBar().currentMessage()

    QTest.keyClick(w.view, QtCore.Qt.Key_U)                       # undo: back in place, shown
    assert (faces_dir / names[2]).exists() and not (trash / names[2]).exists()
    assert w.shown_path().name == names[2] and w.stack.currentWidget() is w.view
    QTest.keyClick(w.view, QtCore.Qt.Key_Escape)
    QTest.keyClick(w.grid, QtCore.Qt.Key_U)
    assert (faces_dir / names[1]).exists() and not moved.exists()
    assert [p.name for p in w.model.paths] == names and w.shown_path().name == names[1]
    QTest.keyClick(w.grid, QtCore.Qt.Key_U)
    assert w.statusBar().currentMessage() == "Nothing to undo"
    assert face_names(faces_dir) == names
    w.close()
