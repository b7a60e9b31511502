"""The manual extractor's window (PyQt5): place a face rect on each frame with the mouse, see its landmarks live.

Mouse and keys as the original (reference §8.1): move = rect centre, wheel = rect size, left click = lock/unlock,
right click = force landmarks (a mean face placed along the vector from the click to the pointer: centre to chin),
Enter = accept the face, Space = no face in this frame, `,` / `.` = previous / next frame, Q = leave the remaining
frames, A = accuracy (second landmark pass) on/off, H = help. Small rects (<= 40 px half-size) are shown magnified.
`ManualPass` holds the state and does the work; the window only turns Qt events into its calls and paints it.
"""
import os

import cv2
import numpy as np

from core.display import require_display
from facelib import LandmarksProcessor
from facelib.FaceType import FaceType
from mainscripts.extract.frames import read_frame
from mainscripts.extract.stages import Face

MAGNIFY_BELOW = 40        # half-size in frame pixels under which the view zooms onto the rect
DEFAULT_HALF_SIZE = 100

HELP_LINES = (
    "Mouse: move the rect, wheel: size, left click: lock/unlock, right click: force landmarks (click the face "
    "centre, move to the chin; right click again to leave)",
    "Enter: accept face   Space: no face in this frame   , / . : previous / next frame",
    "Q: leave the remaining frames   A: accuracy (second pass) on/off   H: hide this help",
)


def _mean_face_68():
    """68-point mean face in the unit square: the alignment template (points 17..67) plus the jaw of the 3D mean
    face, fitted onto the template through their shared brow and nose points (17..35)."""
    inner = LandmarksProcessor.landmarks_2D
    face3d = LandmarksProcessor.landmarks_68_3D[:, :2]
    mat = LandmarksProcessor.umeyama(face3d[17:36], inner[0:19], True)[0:2]
    jaw = LandmarksProcessor.transform_points(face3d[0:17].astype(np.float32), mat)
    return np.concatenate([jaw, inner]).astype(np.float32)


MEAN_FACE_68 = _mean_face_68()


def place_mean_face(p0, p1):
    """The mean face with its centre (mean of the points) at p0 and its chin (point 8) at p1."""
    t = MEAN_FACE_68 - MEAN_FACE_68.mean(axis=0)
    down = t[8]
    v = np.float32(p1) - np.float32(p0)
    length = max(float(np.linalg.norm(v)), 5.0)
    angle = np.arctan2(v[1], v[0]) - np.arctan2(down[1], down[0])
    s = length / float(np.linalg.norm(down))
    c, n = np.cos(angle) * s, np.sin(angle) * s
    rot = np.float32([[c, -n], [n, c]])
    return (t @ rot.T + np.float32(p0)).astype(np.float32)


class ManualPass:
    """Frames to mark one face each. `results[i]` = list of Face (empty: no face) for every frame decided."""

    def __init__(self, paths, landmarker, detector, window_size=1368, second_pass=True, face_type=FaceType.FULL):
        self.paths = list(paths)
        self.landmarker, self.detector = landmarker, detector
        self.window_size = int(window_size)
        self.face_type = FaceType.FULL if face_type == FaceType.MARK_ONLY else FaceType(face_type)
        self.accuracy = bool(second_pass)
        self.results = {}
        self.skipped = {}            # index -> why the frame could not be shown
        self.idx = -1
        self.img = None
        self.x = self.y = 0.0
        self.half = DEFAULT_HALF_SIZE
        self.locked = False
        self.force_p0 = None         # set while "force landmarks" is on
        self.force_p1 = None
        self.show_help = True
        self.finished = False
        self._last_view = None
        self._cache = (None, None)
        self._advance(1)

    # ---- frames ------------------------------------------------------------------------------------------------
    def _advance(self, step):
        i = self.idx + step
        while 0 <= i < len(self.paths):
            frame = read_frame(self.paths[i])
            if frame.img is not None:
                self._show(i, frame.img)
                return True
            self.skipped[i] = frame.skipped
            i += step
        if step > 0:
            self.finished = True
        return False

    def _show(self, i, img):
        first = self.img is None
        self.idx, self.img = i, img
        h, w = img.shape[:2]
        self.scale = min(self.window_size / w, self.window_size * 9 / 16 / h)
        self.force_p0 = self.force_p1 = None
        self.locked = False
        faces = self.results.get(i)
        if faces:
            l, t, r, b = faces[0].rect
            self.x, self.y, self.half = (l + r) / 2, (t + b) / 2, max(5.0, (r - l) / 2)
        elif first:
            self.x, self.y = w / 2, h / 2
            self.half = float(min(DEFAULT_HALF_SIZE, min(h, w) // 4))
        else:   # keep the rect where it was, inside this frame
            self.x, self.y = min(self.x, w - 1), min(self.y, h - 1)
        self._last_view = None

    def view_size(self):
        h, w = self.img.shape[:2]
        return int(round(w * self.scale)), int(round(h * self.scale))

    def magnified(self):
        return self.half <= MAGNIFY_BELOW

    def view_mat(self):
        """2x3 frame -> view matrix (a plain scale, or a zoom that puts the rect in the middle half of the view)."""
        if not self.magnified():
            return np.float32([[self.scale, 0, 0], [0, self.scale, 0]])
        vw, vh = self.view_size()
        q = min(vw, vh) / 4
        k = q / self.half
        return np.float32([[k, 0, vw / 2 - k * self.x], [0, k, vh / 2 - k * self.y]])

    # ---- the face ----------------------------------------------------------------------------------------------
    def rect(self):
        if self.force_p0 is not None:
            lm = self.landmarks()
            (l, t), (r, b) = lm.min(axis=0), lm.max(axis=0)
            return float(l), float(t), float(r), float(b)
        return self.x - self.half, self.y - self.half, self.x + self.half, self.y + self.half

    def landmarks(self):
        if self.force_p0 is not None:
            return place_mean_face(self.force_p0, self.force_p1)
        key = (self.idx, self.rect(), self.accuracy)
        if self._cache[0] != key:
            lm = self.landmarker.landmarks(self.img, [key[1]])[0]
            if self.accuracy and self.detector is not None:
                lm = self.landmarker.second_pass(self.img, lm, self.detector)
            self._cache = (key, np.asarray(lm, np.float32))
        return self._cache[1]

    # ---- input -------------------------------------------------------------------------------------------------
    def mouse_move(self, vx, vy):
        last, self._last_view = self._last_view, (vx, vy)
        if self.locked or self.finished:
            return
        if self.magnified():
            # The zoomed view follows the rect, so the pointer moves it by relative steps.
            if last is None:
                return
            k = self.view_mat()[0, 0]
            x, y = self.x + (vx - last[0]) / k, self.y + (vy - last[1]) / k
        else:
            x, y = vx / self.scale, vy / self.scale
        if self.force_p0 is not None:
            self.force_p1 = (x, y)
        else:
            h, w = self.img.shape[:2]
            self.x, self.y = float(np.clip(x, 0, w - 1)), float(np.clip(y, 0, h - 1))

    def wheel(self, steps):
        if self.locked or self.finished or steps == 0:
            return
        sign = 1 if steps > 0 else -1
        diff = 1 if self.half <= 40 else float(np.clip(self.half / 10, 1, 10))
        self.half = max(5.0, self.half + diff * sign)

    def left_click(self):
        self.locked = not self.locked

    def right_click(self, vx, vy):
        if self.force_p0 is not None:
            self.force_p0 = self.force_p1 = None
            return
        x, y = cv2.invertAffineTransform(self.view_mat()) @ np.float32([vx, vy, 1])
        self.force_p0 = (float(x), float(y))
        self.force_p1 = (float(x), float(y) + 2.0 * self.half * 0.45)
        self.locked = False

    def key(self, k):
        """k: 'enter', 'space', ',', '.', 'q', 'a', 'h'."""
        if self.finished:
            return
        if k == "enter":
            self.results[self.idx] = [Face(self.rect(), self.landmarks().copy())]
            self._advance(1)
        elif k == "space":
            self.results[self.idx] = []
            self._advance(1)
        elif k == ".":
            self.results.setdefault(self.idx, [])
            self._advance(1)
        elif k == ",":
            self._advance(-1)
        elif k == "q":
            self.finished = True
        elif k == "a":
            self.accuracy = not self.accuracy
        elif k == "h":
            self.show_help = not self.show_help

    # ---- drawing -----------------------------------------------------------------------------------------------
    def render(self):
        """The view: the frame (or the magnified part), the rect, the landmarks and the crop quad, uint8 BGR."""
        vw, vh = self.view_size()
        mat = self.view_mat()
        view = cv2.warpAffine(self.img, mat, (vw, vh), flags=cv2.INTER_LINEAR)
        lm = LandmarksProcessor.transform_points(self.landmarks(), mat)
        l, t, r, b = self.rect()
        corners = LandmarksProcessor.transform_points(np.float32([(l, t), (r, b)]), mat)
        color = (0, 255, 255) if self.locked else (0, 255, 0)
        LandmarksProcessor.draw_rect_landmarks(view, (*corners[0], *corners[1]), lm, self.face_type,
                                               landmarks_color=color)
        return view

    def status(self):
        flags = [f"accuracy {'on' if self.accuracy else 'off'}"]
        if self.locked:
            flags.append("locked")
        if self.force_p0 is not None:
            flags.append("forced landmarks")
        if self.magnified():
            flags.append("magnified")
        name = self.paths[self.idx].name if self.idx >= 0 else ""
        return f"Frame {self.idx + 1}/{len(self.paths)}  {name}  {'  '.join(flags)}"


def _qt():
    # With TensorFlow loaded, Qt's GL integration crashes the process at exit (platform notes).
    os.environ.setdefault("QT_XCB_GL_INTEGRATION", "none")
    from PyQt5 import QtCore, QtGui, QtWidgets
    return QtCore, QtGui, QtWidgets


_KEYS = {"Key_Return": "enter", "Key_Enter": "enter", "Key_Space": "space", "Key_Comma": ",", "Key_Period": ".",
         "Key_Q": "q", "Key_A": "a", "Key_H": "h"}


def make_window(manual_pass):
    QtCore, QtGui, QtWidgets = _qt()
    keys = {getattr(QtCore.Qt, name): k for name, k in _KEYS.items()}

    class ManualWindow(QtWidgets.QWidget):
        def __init__(self):
            super().__init__()
            self.p = manual_pass
            self.setWindowTitle("Manual pass")
            self.setMouseTracking(True)
            self.setFocusPolicy(QtCore.Qt.StrongFocus)
            self._fit()

        def _fit(self):
            if not self.p.finished:
                self.setFixedSize(*self.p.view_size())

        def _after(self):
            if self.p.finished:
                self.close()
                return
            self._fit()
            self.update()

        def paintEvent(self, event):
            if self.p.finished:
                return
            bgr = np.ascontiguousarray(self.p.render()[..., ::-1])
            h, w = bgr.shape[:2]
            qimg = QtGui.QImage(bgr.data, w, h, 3 * w, QtGui.QImage.Format_RGB888)
            painter = QtGui.QPainter(self)
            painter.drawImage(0, 0, qimg)
            text = "\n".join([self.p.status()] + (list(HELP_LINES) if self.p.show_help else []))
            area = QtCore.QRect(6, 4, w - 12, h - 8)
            flags = int(QtCore.Qt.AlignLeft | QtCore.Qt.AlignTop | QtCore.Qt.TextWordWrap)
            used = painter.boundingRect(area, flags, text)
            painter.fillRect(0, 0, w, used.height() + 8, QtGui.QColor(0, 0, 0, 150))
            painter.setPen(QtGui.QColor(255, 255, 255))
            painter.drawText(area, flags, text)
            painter.end()

        def mouseMoveEvent(self, event):
            self.p.mouse_move(event.x(), event.y())
            self._after()

        def wheelEvent(self, event):
            self.p.wheel(event.angleDelta().y())
            self._after()

        def mousePressEvent(self, event):
            if event.button() == QtCore.Qt.LeftButton:
                self.p.left_click()
            elif event.button() == QtCore.Qt.RightButton:
                self.p.right_click(event.x(), event.y())
            self._after()

        def keyPressEvent(self, event):
            k = keys.get(event.key())
            if k is None:
                return
            self.p.key(k)
            self._after()

        def closeEvent(self, event):
            self.p.finished = True
            event.accept()
            app = QtWidgets.QApplication.instance()
            if app is not None:
                app.quit()

    return ManualWindow()


def run_manual_pass(paths, landmarker, detector, window_size=1368, second_pass=True, face_type=FaceType.FULL):
    """Show the window until every frame is decided, Q, or the window is closed; returns the ManualPass."""
    p = ManualPass(paths, landmarker, detector, window_size, second_pass, face_type)
    if p.finished:
        return p
    require_display("manual extraction (choose an automatic detector otherwise)")
    QtCore, QtGui, QtWidgets = _qt()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    window = make_window(p)
    window.show()
    window.activateWindow()
    app.exec_()
    return p
