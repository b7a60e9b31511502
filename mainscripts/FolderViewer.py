"""Image-folder viewer for `main.py view` (the original opened XnView): a lazily filled thumbnail grid, a large view of
one image, and the aligned-face metadata (face type, source frame, XSeg polygons / applied mask) in the status bar.
Delete moves the image shown or selected to `<folder>_trash` beside the folder (as sort rejects), U brings the last
deleted one back: the guides clean `aligned` and `aligned_debug` this way.

Thumbnails are decoded only for the cells Qt asks to paint, a few milliseconds' worth per timer tick, so a folder of
10,000 faces opens at once and scrolling stays smooth. A file that turns out unreadable leaves the grid and is counted.
"""
import bisect
import os
import sys
import time
from collections import OrderedDict
from pathlib import Path

from PyQt5 import QtCore, QtGui, QtWidgets

from core.dflimg import DFLJPG, NotDFLImageError
from core.display import require_display
from core.errors import UserError
from core.pathex import get_image_paths, move_to_trash, require_dir

THUMB = 112
CACHE_LIMIT = 3000           # thumbnails kept (~50 KB each): older ones are decoded again when scrolled back to
PENDING_LIMIT = 400          # requests kept: fast scrolling leaves many cells that are no longer visible
TICK_BUDGET_S = 0.03         # decoding time per timer tick, so input and painting stay responsive


def scan_folder(input_dir):
    """(folder, image paths sorted by name, number of other files); UserError when missing or without images."""
    folder = require_dir(input_dir, "image folder")
    paths = get_image_paths(folder)
    others = sum(1 for p in folder.iterdir() if p.is_file()) - len(paths)
    if not paths:
        raise UserError(f"{folder}: no images in this folder ({others} other files) - extract faces first "
                        "or pass another folder")
    return folder, paths, others


def read_image(path, max_side=None):
    """QImage of the file (scaled down while decoding when max_side is given, cheap for JPEG), or None."""
    reader = QtGui.QImageReader(str(path))
    reader.setAutoTransform(True)
    size = reader.size()
    if max_side and size.isValid() and max(size.width(), size.height()) > max_side:
        reader.setScaledSize(size.scaled(max_side, max_side, QtCore.Qt.KeepAspectRatio))
    img = reader.read()
    return None if img.isNull() else img


def face_info(path):
    """One line about the aligned-face metadata of `path` (or that it has none)."""
    try:
        d = DFLJPG.load(path, require_metadata=False)
    except NotDFLImageError:
        return "not an aligned face"
    if not d.has_data():
        return "not an aligned face (no DeepFaceLab metadata)"
    polys = len(d.get_seg_ie_polys()) if d.has_seg_ie_polys() else 0
    return (f"face type: {d.get_face_type()} | source: {d.get_source_filename() or 'unknown'} | "
            f"XSeg polygons: {polys if polys else 'none'} | applied XSeg mask: {'yes' if d.has_xseg_mask() else 'no'}")


class ThumbModel(QtCore.QAbstractListModel):
    """The folder's images; a thumbnail is queued when the view asks for it and decoded by `load_pending`."""
    unreadable = QtCore.pyqtSignal(int)          # the row it had, after it was removed
    requested = QtCore.pyqtSignal()

    def __init__(self, paths):
        super().__init__()
        self.paths = list(paths)
        self._rows = {p: i for i, p in enumerate(self.paths)}
        self._cache = OrderedDict()
        self._pending = OrderedDict()
        self.decoded = 0
        self._placeholder = QtGui.QPixmap(THUMB, THUMB)
        self._placeholder.fill(QtGui.QColor(60, 60, 60))

    def rowCount(self, parent=QtCore.QModelIndex()):
        return 0 if parent.isValid() else len(self.paths)

    def data(self, index, role=QtCore.Qt.DisplayRole):
        if not index.isValid():
            return None
        path = self.paths[index.row()]
        if role in (QtCore.Qt.DisplayRole, QtCore.Qt.ToolTipRole):
            return path.name
        if role == QtCore.Qt.DecorationRole:
            pix = self._cache.get(path)
            if pix is not None:
                self._cache.move_to_end(path)
                return pix
            self._pending.pop(path, None)
            self._pending[path] = None
            if len(self._pending) > PENDING_LIMIT:
                self._pending.popitem(last=False)
            self.requested.emit()
            return self._placeholder
        return None

    def has_pending(self):
        return bool(self._pending)

    def load_pending(self, budget_s=TICK_BUDGET_S):
        """Decode the most recently requested thumbnails for up to `budget_s` seconds."""
        end = time.perf_counter() + budget_s
        while self._pending and time.perf_counter() < end:
            path, _ = self._pending.popitem(last=True)
            if path not in self._rows:
                continue
            img = read_image(path, THUMB)
            if img is None:
                self.remove(path)
                continue
            self.decoded += 1
            self._cache[path] = QtGui.QPixmap.fromImage(img)
            if len(self._cache) > CACHE_LIMIT:
                self._cache.popitem(last=False)
            row = self._rows[path]
            self.dataChanged.emit(self.index(row), self.index(row), [QtCore.Qt.DecorationRole])

    def remove(self, path, unreadable=True):
        row = self._rows.get(path)
        if row is None:
            return
        self.beginRemoveRows(QtCore.QModelIndex(), row, row)
        del self.paths[row]
        self._rows = {p: i for i, p in enumerate(self.paths)}
        self._cache.pop(path, None)
        self._pending.pop(path, None)
        self.endRemoveRows()
        if unreadable:
            self.unreadable.emit(row)

    def insert(self, path):
        """Put `path` back in name order; returns its row."""
        row = bisect.bisect_left(self.paths, path)
        self.beginInsertRows(QtCore.QModelIndex(), row, row)
        self.paths.insert(row, path)
        self._rows = {p: i for i, p in enumerate(self.paths)}
        self.endInsertRows()
        return row


class ImageView(QtWidgets.QWidget):
    """One image scaled to fit on a dark background; keys and the wheel step through the folder."""
    step = QtCore.pyqtSignal(int)
    back = QtCore.pyqtSignal()
    KEYS = {QtCore.Qt.Key_Left: -1, QtCore.Qt.Key_A: -1, QtCore.Qt.Key_Right: 1, QtCore.Qt.Key_D: 1}

    def __init__(self):
        super().__init__()
        self.image = None
        self.setFocusPolicy(QtCore.Qt.StrongFocus)
        self.setAutoFillBackground(True)
        pal = self.palette()
        pal.setColor(QtGui.QPalette.Window, QtGui.QColor(30, 30, 30))
        self.setPalette(pal)

    def set_image(self, image):
        self.image = image
        self.update()

    def paintEvent(self, event):
        if self.image is None:
            return
        p = QtGui.QPainter(self)
        p.setRenderHint(QtGui.QPainter.SmoothPixmapTransform)
        size = self.image.size().scaled(self.size(), QtCore.Qt.KeepAspectRatio)
        target = QtCore.QRect(QtCore.QPoint(0, 0), size)
        target.moveCenter(self.rect().center())
        p.drawImage(target, self.image)
        p.end()

    def keyPressEvent(self, event):
        if event.key() in self.KEYS:
            self.step.emit(self.KEYS[event.key()])
        elif event.key() == QtCore.Qt.Key_Escape:
            self.back.emit()
        else:
            super().keyPressEvent(event)

    def wheelEvent(self, event):
        dy = event.angleDelta().y()
        if dy:
            self.step.emit(-1 if dy > 0 else 1)


class FolderViewer(QtWidgets.QMainWindow):
    """Grid page and large-view page; Enter/click opens, Left/Right/A/D step, Esc goes back to the grid or closes,
    Delete moves the current image to `<folder>_trash`, U undoes the last Delete."""

    def __init__(self, folder, paths, others=0):
        super().__init__()
        self.folder = Path(folder)
        self.skipped = others
        self.current = 0
        self.model = ThumbModel(paths)
        self.model.unreadable.connect(self._on_unreadable)

        self.grid = QtWidgets.QListView()
        self.grid.setViewMode(QtWidgets.QListView.IconMode)
        self.grid.setResizeMode(QtWidgets.QListView.Adjust)
        self.grid.setMovement(QtWidgets.QListView.Static)
        self.grid.setUniformItemSizes(True)
        self.grid.setIconSize(QtCore.QSize(THUMB, THUMB))
        self.grid.setGridSize(QtCore.QSize(THUMB + 20, THUMB + 28))
        self.grid.setEditTriggers(QtWidgets.QAbstractItemView.NoEditTriggers)
        self.grid.setModel(self.model)
        self.grid.clicked.connect(lambda index: self.open_image(index.row()))
        self.grid.activated.connect(lambda index: self.open_image(index.row()))
        self.grid.selectionModel().currentChanged.connect(lambda index, _: self._set_current(index.row()))
        self.grid.installEventFilter(self)

        self.view = ImageView()
        self.view.step.connect(self.step)
        self.view.back.connect(self.show_grid)

        self.stack = QtWidgets.QStackedWidget()
        self.stack.addWidget(self.grid)
        self.stack.addWidget(self.view)
        self.setCentralWidget(self.stack)

        self.info = QtWidgets.QLabel()
        self.counts = QtWidgets.QLabel()
        self.statusBar().addWidget(self.info, 1)
        self.statusBar().addPermanentWidget(self.counts)

        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(0)
        self.timer.timeout.connect(self._tick)
        self.model.requested.connect(self.timer.start)

        self.deleted = []           # (original path, path in the trash), the last deleted at the end
        for key, slot in ((QtCore.Qt.Key_Delete, self.delete_current), (QtCore.Qt.Key_U, self.undo_delete)):
            act = QtWidgets.QAction(self)
            act.setShortcut(QtGui.QKeySequence(key))
            act.triggered.connect(slot)
            self.addAction(act)

        self.resize(1100, 800)
        self.grid.setCurrentIndex(self.model.index(0))
        self._set_current(0)

    # ---- state ------------------------------------------------------------------------------------------------
    def shown_path(self):
        return self.model.paths[self.current] if self.model.paths else None

    def _set_current(self, row):
        n = len(self.model.paths)
        if not n:
            self.setWindowTitle(f"{self.folder.name} (0/0)")
            self.info.setText("no readable images left in this folder")
            self._update_counts()
            return
        self.current = min(max(row, 0), n - 1)
        path = self.model.paths[self.current]
        self.setWindowTitle(f"{path.name} ({self.current + 1}/{n})")
        self.info.setText(face_info(path))
        self._update_counts()

    def _update_counts(self):
        self.counts.setText(f"{len(self.model.paths)} images, {self.skipped} skipped")

    def _on_unreadable(self, row):
        self.skipped += 1
        if row < self.current:
            self.current -= 1
        self._set_current(self.current)

    def _tick(self):
        self.model.load_pending()
        if not self.model.has_pending():
            self.timer.stop()

    # ---- delete / undo -------------------------------------------------------------------------------------------
    def delete_current(self):
        """Move the current image to `<folder>_trash`; the large view goes on with the next image."""
        path = self.shown_path()
        if path is None:
            return
        try:
            target = move_to_trash(path)
        except UserError as e:
            self.statusBar().showMessage(str(e))
            return
        self.deleted.append((path, target))
        row = self.current                # the grid moves its current index while the row goes
        self.model.remove(path, unreadable=False)
        self._after_change(min(row, len(self.model.paths) - 1))
        self.statusBar().showMessage(f"Moved {path.name} to {target.parent.name}/ (U: undo)", 5000)

    def undo_delete(self):
        """Move the last deleted image back from the trash and show it."""
        if not self.deleted:
            self.statusBar().showMessage("Nothing to undo", 3000)
            return
        path, target = self.deleted[-1]
        if path.exists():
            self.statusBar().showMessage(f"Cannot undo: {path} exists again")
            return
        try:
            os.replace(target, path)
        except OSError as e:
            self.statusBar().showMessage(f"Cannot undo: {target}: {e.strerror or e}")
            return
        self.deleted.pop()
        self._after_change(self.model.insert(path))
        self.statusBar().showMessage(f"Restored {path.name}", 5000)

    def _after_change(self, row):
        if not self.model.paths:
            self.current = 0
            self.show_grid()
        elif self.stack.currentWidget() is self.view:
            self.open_image(row)
        else:
            self.current = row
            self.show_grid()

    # ---- pages ------------------------------------------------------------------------------------------------
    def open_image(self, row):
        while self.model.paths:
            self._set_current(row)
            img = read_image(self.shown_path())
            if img is not None:
                self.view.set_image(img)
                self.stack.setCurrentWidget(self.view)
                self.view.setFocus()
                return
            row = self.current
            self.model.remove(self.shown_path())
        self.show_grid()

    def step(self, delta):
        if self.model.paths:
            self.open_image((self.current + delta) % len(self.model.paths))

    def show_grid(self):
        self.stack.setCurrentWidget(self.grid)
        if self.model.paths:
            index = self.model.index(self.current)
            self.grid.setCurrentIndex(index)
            self.grid.scrollTo(index)
        self._set_current(self.current)
        self.grid.setFocus()

    def eventFilter(self, obj, event):
        if obj is self.grid and event.type() == QtCore.QEvent.KeyPress and event.key() == QtCore.Qt.Key_Escape:
            self.close()
            return True
        return super().eventFilter(obj, event)


def run(input_dir):
    """Open the viewer on `input_dir` and return when its window is closed."""
    folder, paths, others = scan_folder(input_dir)
    require_display("the image viewer")
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([sys.argv[0]])
    window = FolderViewer(folder, paths, others)
    window.show()
    app.exec_()
    return 0
