"""The strip under the canvas: thumbnails around the current face and an overview bar of the whole folder.

A green bar under a thumbnail (and a green column in the overview) marks a labelled face, a blue corner a face with
an applied XSeg mask. Clicking a thumbnail or a place in the overview opens that face. Thumbnails are decoded at a
quarter size when first shown and cached.
"""
from collections import OrderedDict

import cv2
import numpy as np
from PyQt5.QtCore import QRectF, Qt, pyqtSignal
from PyQt5.QtGui import QColor, QPainter, QPen, QPixmap
from PyQt5.QtWidgets import QWidget

from core.cv2ex import imdecode
from core.errors import UserError
from XSegEditor.canvas import to_qimage

THUMB = 64
GAP = 8
OVERVIEW_H = 14
CACHE_SIZE = 256
LABELLED = QColor(60, 200, 80)
UNLABELLED = QColor(90, 90, 90)
XSEG = QColor(70, 140, 255)


class FaceStrip(QWidget):
    face_requested = pyqtSignal(int)

    def __init__(self, folder, parent=None):
        super().__init__(parent)
        self.folder = folder
        self.current = 0
        self._cache = OrderedDict()
        self.setFixedHeight(THUMB + 12 + OVERVIEW_H + 8)

    def set_current(self, index):
        self.current = index
        self.update()

    def _thumb(self, path):
        pixmap = self._cache.get(path)
        if pixmap is None:
            try:
                img = imdecode(np.fromfile(str(path), np.uint8), cv2.IMREAD_REDUCED_COLOR_4, path)
            except (OSError, UserError):
                img = None
            pixmap = QPixmap() if img is None else QPixmap.fromImage(
                to_qimage(cv2.resize(img, (THUMB, THUMB), interpolation=cv2.INTER_AREA)))
            self._cache[path] = pixmap
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(path)
        return pixmap

    def _visible(self):
        """(face index, x) of the thumbnails shown, the current face in the middle."""
        n = len(self.folder)
        slots = max(1, (self.width() + GAP) // (THUMB + GAP))
        half = slots // 2
        x0 = (self.width() - (2 * half + 1) * (THUMB + GAP) + GAP) // 2
        return [(i, x0 + (i - self.current + half) * (THUMB + GAP))
                for i in range(self.current - half, self.current + half + 1) if 0 <= i < n]

    def _overview_rect(self):
        return QRectF(4, THUMB + 14, self.width() - 8, OVERVIEW_H)

    def paintEvent(self, ev):
        qp = QPainter(self)
        qp.fillRect(self.rect(), QColor(30, 30, 30))
        faces = self.folder.faces
        for i, x in self._visible():
            face = faces[i]
            qp.drawPixmap(x, 2, THUMB, THUMB, self._thumb(face.path))
            qp.fillRect(x, THUMB + 4, THUMB, 5, LABELLED if face.labelled else UNLABELLED)
            if face.has_xseg_mask:
                qp.fillRect(x + THUMB - 10, 2, 10, 10, XSEG)
            if i == self.current:
                qp.setPen(QPen(QColor(255, 220, 0), 2))
                qp.drawRect(x - 1, 1, THUMB + 2, THUMB + 2)
        r = self._overview_rect()
        qp.fillRect(r, UNLABELLED)
        n = len(faces)
        if n:
            step = r.width() / n
            for start, end in _runs([f.labelled for f in faces]):
                qp.fillRect(QRectF(r.x() + start * step, r.y(), max((end - start) * step, 1.0), r.height()), LABELLED)
            qp.fillRect(QRectF(r.x() + self.current * step, r.y() - 2, max(step, 2.0), r.height() + 4),
                        QColor(255, 220, 0))
        qp.setPen(QColor(255, 255, 255))
        qp.drawText(r, Qt.AlignCenter, f"{self.folder.labelled_count()} / {n} labelled")

    def mousePressEvent(self, ev):
        if ev.button() != Qt.LeftButton or not len(self.folder):
            return
        pos = ev.localPos()
        r = self._overview_rect()
        if pos.y() >= r.y() - 2:
            i = int((pos.x() - r.x()) / r.width() * len(self.folder))
            self.face_requested.emit(min(max(i, 0), len(self.folder) - 1))
            return
        for i, x in self._visible():
            if x <= pos.x() < x + THUMB:
                self.face_requested.emit(i)
                return


def _runs(flags):
    """(start, end) index ranges of consecutive True values: one rectangle each in the overview."""
    runs, start = [], None
    for i, flag in enumerate(list(flags) + [False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            runs.append((start, i))
            start = None
    return runs
