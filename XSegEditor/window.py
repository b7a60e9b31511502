"""The editor window: canvas, tool bars with the original's keys, navigation, thumbnail strip, saving after every edit.

Every edit (a point added, moved, inserted or deleted, a polygon closed or deleted, undo, redo) is written
to the face file at once, so a crash loses nothing; navigation and closing finish the polygon being drawn and save
it. If a file cannot be written, the editor stays on that face and says why.
"""
import time

from PyQt5.QtCore import Qt
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import QAction, QActionGroup, QLabel, QMainWindow, QToolBar, QVBoxLayout, QWidget

from core.dflimg import SegIEPolyType
from core.errors import UserError
from XSegEditor.canvas import Canvas
from XSegEditor.document import PolyDocument
from XSegEditor.strip import FaceStrip

# (key, tool bar, label, tip); the keys are the original's, plus Home.
KEYS = {
    "include": ("Q", "left", "Include", "the next polygons add to the mask"),
    "exclude": ("W", "left", "Exclude", "the next polygons cut out of the mask (hair, hands, glasses)"),
    "undo": ("Ctrl+Z", "left", "Undo", "undo the last edit"),
    "redo": ("Ctrl+Shift+Z", "left", "Redo", "redo the edit undone"),
    "delete": ("Delete", "left", "Delete poly", "delete the selected polygon (or the one under the cursor)"),
    "point_edit": (None, "left", "Add/del pts", "clicks delete points and insert them on edges (or hold Ctrl)"),
    "red": ("1", "right", "Red", "draw polygons in red"),
    "green": ("2", "right", "Green", "draw polygons in green"),
    "blue": ("3", "right", "Blue", "draw polygons in blue"),
    "baked": ("4", "right", "Baked mask", "show the mask the polygons make"),
    "xseg": ("5", "right", "XSeg mask", "show the applied XSeg mask"),
    "xseg_overlay": ("`", "right", "XSeg overlay", "darken what the applied XSeg mask leaves out"),
    "fit": ("Home", "right", "Fit", "fit the face in the window"),
    "prev": ("A", "bottom", "< Prev", "save and open the previous face"),
    "next": ("D", "bottom", "Next >", "save and open the next face"),
    "trash": ("X", "bottom", "Trash", "move this face to <folder>_trash"),
    "quit": ("Esc", "bottom", "Close", "save this face and close the editor"),
}


def _polys_key(polys):
    return tuple((int(p.type), p.get_pts().tobytes()) for p in polys)


class EditorWindow(QMainWindow):
    def __init__(self, folder):
        super().__init__()
        self.folder = folder
        self.index = 0
        self.doc = None
        self._saved_key = None
        self._close_warned = False
        self.save_times = []       # seconds per file write, for the benchmark
        self.setWindowTitle(f"XSeg editor - {folder.dir}")
        self.canvas = Canvas()
        self.strip = FaceStrip(folder)
        self.strip.face_requested.connect(self.go_to)
        self.acts = {}
        bars = {side: QToolBar(side, self) for side in ("left", "right", "bottom")}
        for name, (key, side, label, tip) in KEYS.items():
            act = QAction(f"{label}  {key}" if key else label, self)
            if key:
                act.setShortcut(QKeySequence(key))
            act.setToolTip(f"{tip} ({key})" if key else tip)
            act.triggered.connect(getattr(self, "_on_" + name))
            self.addAction(act)
            if side:
                bars[side].addAction(act)
            self.acts[name] = act
        self.addToolBar(Qt.LeftToolBarArea, bars["left"])
        self.addToolBar(Qt.RightToolBarArea, bars["right"])
        self.addToolBar(Qt.BottomToolBarArea, bars["bottom"])
        for group in (("include", "exclude"), ("red", "green", "blue")):
            g = QActionGroup(self)
            for name in group:
                self.acts[name].setCheckable(True)
                g.addAction(self.acts[name])
            self.acts[group[0]].setChecked(True)
        for name in ("point_edit", "baked", "xseg", "xseg_overlay"):
            self.acts[name].setCheckable(True)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.strip)
        self.setCentralWidget(central)
        self.info = QLabel()
        self.statusBar().addPermanentWidget(self.info)
        self.resize(1100, 900)
        if folder.skipped:
            self.show_message(f"{len(folder.skipped)} files skipped: not aligned faces")
        self._show(0)

    # ---- faces --------------------------------------------------------------------------------------------------
    def _show(self, index):
        self.index = index
        self.strip.set_current(index)
        if not len(self.folder):
            self.doc = None
            self.canvas.clear("No faces left in this folder")
            self._update_info()
            return
        try:
            face = self.folder.load(index)
        except UserError as e:
            self.doc = None
            self.canvas.clear(str(e))
            self.show_message(str(e), error=True)
            self._update_info()
            return
        self.doc = PolyDocument(face.polys, on_change=self._on_doc_change)
        self._saved_key = _polys_key(self.doc.saved_polys())
        self.canvas.set_face(face.img, self.doc, face.xseg_mask, keep_view=True)
        self._update_info()

    def _on_doc_change(self):
        self.canvas.update()
        self.save()

    def save(self):
        """Write the polygons if they changed since the last write; False (and a message) when that fails."""
        if self.doc is None:
            return True
        polys = self.doc.saved_polys()
        key = _polys_key(polys)
        if key == self._saved_key:
            return True
        t = time.perf_counter()
        try:
            self.folder.save_polys(self.index, polys)
        except UserError as e:
            self.show_message(f"NOT SAVED: {e}", error=True)
            return False
        self.save_times.append(time.perf_counter() - t)
        self._saved_key = key
        self.strip.update()
        self._update_info()
        return True

    def _leave_face(self):
        if self.doc is not None and self.doc.drawing is not None:
            self.doc.finish_drawing()
        return self.save()

    def go_to(self, index):
        if len(self.folder) and index != self.index and self._leave_face():
            self._show(index)

    def show_message(self, text, error=False):
        self.statusBar().setStyleSheet("color: #ff5050;" if error else "")
        self.statusBar().showMessage(text)

    def _update_info(self):
        n = len(self.folder)
        parts = [f"{self.index + 1}/{n}  {self.folder.faces[self.index].path.name}" if n else "0 faces",
                 f"{self.folder.labelled_count()} labelled"]
        if self.folder.skipped:
            parts.append(f"{len(self.folder.skipped)} skipped (not aligned faces)")
        self.info.setText("   |   ".join(parts))

    def closeEvent(self, ev):
        if self._leave_face() or self._close_warned:
            ev.accept()
        else:
            self._close_warned = True
            self.show_message("NOT SAVED (see above). Close again to quit without saving this face.", error=True)
            ev.ignore()

    # ---- actions (one per KEYS entry) ---------------------------------------------------------------------------
    def _on_include(self):
        self.canvas.set_poly_type(SegIEPolyType.INCLUDE)

    def _on_exclude(self):
        self.canvas.set_poly_type(SegIEPolyType.EXCLUDE)

    def _on_undo(self):
        if self.doc is not None and self.doc.undo():
            self.canvas.update()

    def _on_redo(self):
        if self.doc is not None and self.doc.redo():
            self.canvas.update()

    def _on_delete(self):
        self.canvas.delete_poly()

    def _on_point_edit(self):
        self.canvas.point_edit = self.acts["point_edit"].isChecked()
        self.canvas.update()

    def _on_quit(self):
        self.close()

    def _on_red(self):
        self.canvas.set_color("red")

    def _on_green(self):
        self.canvas.set_color("green")

    def _on_blue(self):
        self.canvas.set_color("blue")

    def _toggle_view(self, view):
        view = "labels" if self.canvas.view == view else view
        for name in ("baked", "xseg", "xseg_overlay"):
            self.acts[name].setChecked(name == view)
        self.canvas.set_view(view)

    def _on_baked(self):
        self._toggle_view("baked")

    def _on_xseg(self):
        self._toggle_view("xseg")

    def _on_xseg_overlay(self):
        self._toggle_view("xseg_overlay")

    def _on_fit(self):
        self.canvas.fit()

    def _on_prev(self):
        if self.index > 0:
            self.go_to(self.index - 1)

    def _on_next(self):
        if self.index < len(self.folder) - 1:
            self.go_to(self.index + 1)
        elif len(self.folder):
            self.show_message("Last face of the folder")

    def _on_trash(self):
        if not len(self.folder) or not self._leave_face():
            return
        name = self.folder.faces[self.index].path.name
        try:
            self.folder.trash(self.index)
        except UserError as e:
            self.show_message(str(e), error=True)
            return
        self._show(min(self.index, len(self.folder) - 1) if len(self.folder) else 0)
        self.show_message(f"Moved {name} to {self.folder.trash_dir}")
