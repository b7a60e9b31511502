"""The editor's drawing area: shows a face in one of the mask views and edits its polygons with the mouse.

Mouse: left click on empty space starts a polygon of the current type (Q include / W exclude) and adds points;
clicking the first point (3+ points) closes it, leaving it selected. Q/W only choose the type of the next polygon, as
in the original: outline the face, press W, outline the obstruction. On the selected polygon, drag a point to move it;
with Ctrl held (or the point-edit button on) a click deletes a point and a click on an edge inserts one. Clicking
another polygon's outline selects it; a click on empty space starts the next polygon at once (the first click is not
spent on deselecting). Right click ends drawing / deselects. Wheel zooms
around the cursor, middle-button drag pans.
"""
import cv2
import numpy as np
from PyQt5.QtCore import QPointF, QRectF, Qt
from PyQt5.QtGui import QBrush, QColor, QImage, QPainter, QPen, QPixmap, QPolygonF
from PyQt5.QtWidgets import QApplication, QWidget

from core.dflimg import SegIEPolyType

HIT_PX = 8                  # how close (screen pixels) the cursor must be to a point or edge to hit it
ZOOM_STEP = 1.15            # per wheel notch
ZOOM_RANGE = (0.05, 64.0)
POLY_COLORS = {"red": QColor(255, 48, 48), "green": QColor(48, 230, 48), "blue": QColor(64, 128, 255)}
VIEWS = ("labels", "baked", "xseg", "xseg_overlay")


def to_qimage(img):
    """uint8 (H, W) gray or (H, W, 3) BGR array -> QImage (own copy of the pixels)."""
    img = np.ascontiguousarray(img)
    h, w = img.shape[:2]
    if img.ndim == 2:
        return QImage(img.data, w, h, w, QImage.Format_Grayscale8).copy()
    rgb = np.ascontiguousarray(img[..., ::-1])
    return QImage(rgb.data, w, h, 3 * w, QImage.Format_RGB888).copy()


def _dist_to_segment(p, a, b):
    ab, ap = b - a, p - a
    denom = float(ab @ ab)
    t = 0.0 if denom == 0 else min(1.0, max(0.0, float(ap @ ab) / denom))
    return float(np.hypot(*(ap - t * ab))), a + t * ab


class Canvas(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.StrongFocus)
        self.setCursor(Qt.CrossCursor)
        self.setMinimumSize(320, 320)
        self.doc = None
        self.img = None
        self.pixmaps = {}
        self.scale = 1.0
        self.offset = QPointF(0, 0)   # screen position of image point (0, 0)
        self.poly_type = SegIEPolyType.INCLUDE
        self.color_name = "red"
        self.view = "labels"
        self.point_edit = False       # toolbar toggle: clicks delete/insert points (as Ctrl held)
        self.mouse = None             # last cursor position (screen)
        self.drag = None              # ("pan", start, offset0) or ("point",)
        self._baked = (None, None)    # (polygons key, QPixmap) of the baked-mask view
        self.message = "No faces"

    # ---- content ------------------------------------------------------------------------------------------------
    def set_face(self, img, doc, xseg_mask, keep_view=False):
        """Show a face; keep_view keeps zoom and pan (navigation between faces of the same size)."""
        same_size = self.img is not None and self.img.shape == img.shape
        self.img, self.doc, self.drag = img, doc, None
        self.pixmaps = {"labels": QPixmap.fromImage(to_qimage(img))}
        if xseg_mask is not None:
            h, w = img.shape[:2]
            m = cv2.resize(xseg_mask, (w, h), interpolation=cv2.INTER_CUBIC).reshape(h, w, 1).clip(0, 1)
            self.pixmaps["xseg"] = QPixmap.fromImage(to_qimage((m[..., 0] * 255).astype(np.uint8)))
            overlay = img.astype(np.float32) * (m + (1 - m) * 0.5)
            self.pixmaps["xseg_overlay"] = QPixmap.fromImage(to_qimage(overlay.clip(0, 255).astype(np.uint8)))
        self._baked = (None, None)
        if not (keep_view and same_size):
            self.fit()
        self.update()

    def clear(self, message):
        self.img, self.doc, self.pixmaps, self.message = None, None, {}, message
        self.update()

    def has_xseg_mask(self):
        return "xseg" in self.pixmaps

    # ---- view ---------------------------------------------------------------------------------------------------
    def fit(self):
        if self.img is None:
            return
        h, w = self.img.shape[:2]
        self.scale = min(self.width() / w, self.height() / h) * 0.95
        self.offset = QPointF((self.width() - w * self.scale) / 2, (self.height() - h * self.scale) / 2)
        self.update()

    def to_img(self, pos):
        return np.array([(pos.x() - self.offset.x()) / self.scale, (pos.y() - self.offset.y()) / self.scale])

    def to_screen(self, pt):
        return QPointF(pt[0] * self.scale + self.offset.x(), pt[1] * self.scale + self.offset.y())

    def zoom_at(self, pos, factor):
        """Zoom by `factor` keeping the image point under screen position `pos` in place."""
        anchor = self.to_img(pos)
        self.scale = float(np.clip(self.scale * factor, *ZOOM_RANGE))
        self.offset = QPointF(pos.x() - anchor[0] * self.scale, pos.y() - anchor[1] * self.scale)
        self.update()

    def set_view(self, view):
        self.view = view
        self.update()

    def set_color(self, name):
        self.color_name = name
        self.update()

    def set_poly_type(self, poly_type):
        """Type of the polygons started from now on; the polygons already drawn (or being drawn) keep theirs."""
        self.poly_type = SegIEPolyType(poly_type)
        self.update()

    # ---- actions from keys ----------------------------------------------------------------------------------------
    def end_edit(self):
        """Right click: finish the polygon being drawn, else drop the selection."""
        if self.doc is None:
            return
        if self.doc.drawing is not None:
            self.doc.finish_drawing()
        self.doc.select(None)
        self.update()

    def delete_poly(self):
        """Delete the polygon being drawn or selected, else the one under the cursor."""
        if self.doc is None:
            return
        poly = self.doc.active()
        if poly is None and self.mouse is not None:
            poly = self._poly_under(self.mouse)
        if poly is not None:
            self.doc.delete_poly(poly)
            self.update()

    # ---- hit tests ----------------------------------------------------------------------------------------------
    def _screen_pts(self, poly):
        pts = poly.get_pts()
        return pts * self.scale + np.array([self.offset.x(), self.offset.y()])

    def _hit_point(self, poly, pos):
        pts = self._screen_pts(poly)
        if not len(pts):
            return None
        d = np.hypot(pts[:, 0] - pos.x(), pts[:, 1] - pos.y())
        i = int(np.argmin(d))
        return i if d[i] <= HIT_PX else None

    def _hit_edge(self, poly, pos):
        """(index of the edge's first point, image point on the edge) of the closest edge within HIT_PX, or None."""
        pts = self._screen_pts(poly)
        n = len(pts)
        if n < 2:
            return None
        p = np.array([pos.x(), pos.y()])
        best = None
        for i in range(n if n >= 3 else 1):
            d, q = _dist_to_segment(p, pts[i], pts[(i + 1) % n])
            if d <= HIT_PX and (best is None or d < best[0]):
                best = (d, i, q)
        if best is None:
            return None
        q = best[2]
        return best[1], self.to_img(QPointF(q[0], q[1]))

    def _poly_under(self, pos):
        """The polygon whose outline is under the cursor, else the smallest one containing it."""
        poly = self._poly_under_outline(pos)
        if poly is not None:
            return poly
        inside = [p for p in self.doc
                  if p.get_pts_count() >= 3 and cv2.pointPolygonTest(
                      self._screen_pts(p).astype(np.float32), (pos.x(), pos.y()), False) >= 0]
        return min(inside, key=lambda p: cv2.contourArea(p.get_pts()), default=None)

    def _clamped_img_pt(self, pos):
        h, w = self.img.shape[:2]
        p = self.to_img(pos)
        return float(np.clip(p[0], 0, w)), float(np.clip(p[1], 0, h))

    def _point_edit_active(self, modifiers):
        return self.point_edit != bool(modifiers & Qt.ControlModifier)

    # ---- mouse --------------------------------------------------------------------------------------------------
    def mousePressEvent(self, ev):
        pos = ev.localPos()
        self.mouse = pos
        if self.img is None:
            return
        if ev.button() == Qt.MiddleButton:
            self.drag = ("pan", pos, QPointF(self.offset))
        elif ev.button() == Qt.RightButton:
            self.end_edit()
        elif ev.button() == Qt.LeftButton:
            self._left_click(pos, ev.modifiers())
        self.update()

    def _left_click(self, pos, modifiers):
        doc = self.doc
        x, y = self._clamped_img_pt(pos)
        if doc.drawing is not None:
            if doc.drawing.get_pts_count() >= 3 and self._hit_point(doc.drawing, pos) == 0:
                doc.finish_drawing()
            else:
                doc.add_point(x, y)
            return
        poly = doc.selected
        if poly is not None:
            i = self._hit_point(poly, pos)
            if i is not None:
                if self._point_edit_active(modifiers):
                    doc.remove_point(poly, i)
                else:
                    doc.begin_move(poly, i)
                    self.drag = ("point",)
                return
            edge = self._hit_edge(poly, pos)
            if edge is not None:
                if self._point_edit_active(modifiers):
                    doc.insert_point(poly, edge[0] + 1, *edge[1])
                return
        other = self._poly_under_outline(pos)
        if other is not None:
            doc.select(other)
        else:
            doc.start_poly(self.poly_type, x, y)

    def _poly_under_outline(self, pos):
        for poly in reversed(list(self.doc)):
            if self._hit_point(poly, pos) is not None or self._hit_edge(poly, pos) is not None:
                return poly
        return None

    def mouseMoveEvent(self, ev):
        pos = ev.localPos()
        self.mouse = pos
        if self.drag is not None and self.drag[0] == "pan":
            _, start, offset0 = self.drag
            self.offset = offset0 + (pos - start)
        elif self.drag is not None:
            self.doc.move_point(*self._clamped_img_pt(pos))
        self.update()

    def mouseReleaseEvent(self, ev):
        if self.drag is not None and self.drag[0] == "point" and ev.button() == Qt.LeftButton:
            self.doc.end_move()
            self.drag = None
        elif self.drag is not None and self.drag[0] == "pan" and ev.button() == Qt.MiddleButton:
            self.drag = None
        self.update()

    def wheelEvent(self, ev):
        if self.img is not None and ev.angleDelta().y():
            self.zoom_at(ev.posF(), ZOOM_STEP ** (ev.angleDelta().y() / 120))

    def leaveEvent(self, ev):
        self.mouse = None
        self.update()

    def resizeEvent(self, ev):
        if self.img is not None and ev.oldSize().width() <= 0:
            self.fit()

    # ---- painting -----------------------------------------------------------------------------------------------
    def _baked_pixmap(self):
        key = tuple((int(p.type), p.get_pts().tobytes()) for p in self.doc)
        if self._baked[0] != key:
            h, w = self.img.shape[:2]
            mask = np.zeros((h, w, 1), np.uint8)
            self.doc.saved_polys().overlay_mask(mask)
            self._baked = (key, QPixmap.fromImage(to_qimage(mask[..., 0] * 255)))
        return self._baked[1]

    def paintEvent(self, ev):
        qp = QPainter(self)
        qp.fillRect(self.rect(), QColor(40, 40, 40))
        if self.img is None:
            qp.setPen(QColor(220, 220, 220))
            qp.drawText(self.rect(), Qt.AlignCenter, self.message)
            return
        h, w = self.img.shape[:2]
        target = QRectF(self.offset.x(), self.offset.y(), w * self.scale, h * self.scale)
        if self.view == "baked":
            pixmap = self._baked_pixmap()
        else:
            pixmap = self.pixmaps.get(self.view)
        if pixmap is None:
            qp.drawPixmap(target, self.pixmaps["labels"], QRectF(0, 0, w, h))
            qp.setPen(QColor(255, 255, 0))
            qp.drawText(QRectF(0, 0, self.width(), 30), Qt.AlignCenter, "No XSeg mask applied to this face")
        else:
            qp.setRenderHint(QPainter.SmoothPixmapTransform, self.scale < 2)
            qp.drawPixmap(target, pixmap, QRectF(0, 0, w, h))
        qp.setRenderHint(QPainter.Antialiasing)
        for poly in self.doc:
            self._paint_poly(qp, poly)

    def _paint_poly(self, qp, poly):
        color = POLY_COLORS[self.color_name]
        active = poly is self.doc.active()
        pts = [QPointF(x, y) for x, y in self._screen_pts(poly)]
        include = poly.type == SegIEPolyType.INCLUDE
        pen = QPen(color, 2 if active else 1.5, Qt.SolidLine if include else Qt.DashLine)
        pen.setCosmetic(True)
        qp.setPen(pen)
        fill = QColor(color)
        fill.setAlpha(45)
        qp.setBrush(QBrush(fill) if include else QBrush(QColor(0, 0, 0, 110), Qt.BDiagPattern))
        if poly is self.doc.drawing:
            qp.drawPolyline(QPolygonF(pts))
            if self.mouse is not None and pts:
                qp.drawLine(pts[-1], self.mouse)
        elif len(pts) >= 3:
            qp.drawPolygon(QPolygonF(pts))
        qp.setBrush(QBrush(color))
        hover = self._hit_point(poly, self.mouse) if active and self.mouse is not None else None
        for i, p in enumerate(pts):
            r = 2.5
            if active:
                r = 6 if i == hover else 4
                if poly is self.doc.drawing and i == 0 and len(pts) >= 3:
                    r = 7                         # the point that closes the polygon
            qp.drawEllipse(p, r, r)
        if active and hover is None and self.mouse is not None and poly is self.doc.selected \
                and self._point_edit_active(QApplication.keyboardModifiers()):
            edge = self._hit_edge(poly, self.mouse)
            if edge is not None:
                qp.setBrush(QBrush(QColor(255, 255, 255)))
                qp.drawEllipse(self.to_screen(edge[1]), 4, 4)
