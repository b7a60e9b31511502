"""The polygons of the face being edited (no Qt): every edit is one undo step; undo/redo restore whole snapshots.

A snapshot holds the polygons, the one being drawn and the selected one, so Ctrl+Z after a new point removes the
point, after closing a polygon reopens it, after a drag puts the point back and after Delete brings the polygon back.
Polygons stay sorted include-first, the order in which they are saved and filled.
"""
import numpy as np

from core.dflimg import SegIEPoly, SegIEPolys, SegIEPolyType

MIN_POINTS = 3      # fewer points enclose nothing: such polygons are neither kept nor saved
UNDO_LIMIT = 1000


class PolyDocument:
    def __init__(self, polys=None, on_change=None):
        self.polys = SegIEPolys.load(polys)
        self.drawing = None       # SegIEPoly being drawn (open), or None
        self.selected = None      # SegIEPoly whose points are edited, or None
        self.on_change = on_change
        self._undo, self._redo = [], []
        self._move = None         # (snapshot, poly, index, start point) while a point is dragged

    # ---- queries ------------------------------------------------------------------------------------------------
    def __iter__(self):
        return iter(self.polys.get_polys())

    def active(self):
        return self.drawing or self.selected

    def can_undo(self):
        return bool(self._undo)

    def can_redo(self):
        return bool(self._redo)

    def saved_polys(self):
        """What goes into the file: the polygons with at least MIN_POINTS points (an open one included)."""
        out = SegIEPolys()
        out.polys = [SegIEPoly(p.type, p.get_pts()) for p in self.polys if p.get_pts_count() >= MIN_POINTS]
        return out

    # ---- edits (each one undo step) -------------------------------------------------------------------------------
    def start_poly(self, poly_type, x, y):
        before = self._snapshot()
        poly = self.polys.add_poly(SegIEPolyType(poly_type))
        poly.add_pt(x, y)
        self.polys.sort()
        self.drawing, self.selected = poly, None
        self._commit(before)
        return poly

    def add_point(self, x, y):
        before = self._snapshot()
        self.drawing.add_pt(x, y)
        self._commit(before)

    def finish_drawing(self):
        """Close the polygon being drawn; one with too few points is dropped. It stays selected for editing."""
        if self.drawing is None:
            return
        before = self._snapshot()
        poly, self.drawing = self.drawing, None
        if poly.get_pts_count() < MIN_POINTS:
            self.polys.remove_poly(poly)
            self.selected = None
        else:
            self.selected = poly
        self._commit(before)

    def insert_point(self, poly, index, x, y):
        before = self._snapshot()
        poly.insert_pt(index, (x, y))
        self._commit(before)

    def remove_point(self, poly, index):
        before = self._snapshot()
        poly.remove_pt(index)
        if poly.get_pts_count() < MIN_POINTS and poly is not self.drawing:
            self._drop(poly)
        self._commit(before)

    def delete_poly(self, poly):
        before = self._snapshot()
        self._drop(poly)
        self._commit(before)

    def begin_move(self, poly, index):
        self._move = (self._snapshot(), poly, index, poly.get_pts()[index].copy())

    def move_point(self, x, y):
        _, poly, index, _ = self._move
        poly.set_point(index, (x, y))

    def end_move(self):
        before, poly, index, start = self._move
        self._move = None
        if not np.array_equal(poly.get_pts()[index], start):
            self._commit(before)

    # ---- selection (not an edit) ------------------------------------------------------------------------------------
    def select(self, poly):
        if self.drawing is None:
            self.selected = poly

    # ---- undo / redo ------------------------------------------------------------------------------------------------
    def undo(self):
        return self._step(self._undo, self._redo)

    def redo(self):
        return self._step(self._redo, self._undo)

    def _step(self, source, target):
        if not source or self._move is not None:
            return False
        target.append(self._snapshot())
        self._restore(source.pop())
        self._changed()
        return True

    # ---- internals --------------------------------------------------------------------------------------------------
    def _drop(self, poly):
        self.polys.remove_poly(poly)
        if self.drawing is poly:
            self.drawing = None
        if self.selected is poly:
            self.selected = None

    def _snapshot(self):
        polys = self.polys.get_polys()
        index = {id(p): i for i, p in enumerate(polys)}
        return ([(p.type, p.get_pts()) for p in polys],
                index.get(id(self.drawing)), index.get(id(self.selected)))

    def _restore(self, snap):
        items, drawing, selected = snap
        self.polys.polys = [SegIEPoly(t, pts) for t, pts in items]
        self.drawing = None if drawing is None else self.polys.polys[drawing]
        self.selected = None if selected is None else self.polys.polys[selected]

    def _commit(self, before):
        self._undo.append(before)
        del self._undo[:-UNDO_LIMIT]
        self._redo.clear()
        self._changed()

    def _changed(self):
        if self.on_change is not None:
            self.on_change()
