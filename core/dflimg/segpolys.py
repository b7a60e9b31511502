"""XSeg editor polygons (include/exclude) as stored in an aligned face's `seg_ie_polys` key.

Stored form, as the original writes it: `{'polys': [{'type': 1 include | 0 exclude, 'pts': float32 (N, 2)}, ...]}`;
very old files hold a list of `(type, pts)` pairs, which `load` also accepts. Loading puts include polygons before
exclude ones so that `overlay_mask` (fill in order) cuts the excluded areas out of the included ones.
"""
from enum import IntEnum

import cv2
import numpy as np


class SegIEPolyType(IntEnum):
    EXCLUDE = 0
    INCLUDE = 1


class SegIEPoly:
    """One polygon with an undo/redo cursor: points beyond `n` are undone ones that `redo` brings back."""

    def __init__(self, type=None, pts=None, **kwargs):
        self.type = SegIEPolyType(int(type)) if type is not None else None
        pts = np.empty((0, 2), np.float32) if pts is None else np.asarray(pts, np.float32).reshape(-1, 2)
        self.pts = pts
        self.n_max = self.n = len(pts)

    def dump(self):
        return {"type": int(self.type), "pts": self.get_pts()}

    def identical(self, b):
        return self.n == b.n and bool((self.pts[:self.n] == b.pts[:b.n]).all())

    def get_type(self):
        return self.type

    def add_pt(self, x, y):
        self.pts = np.append(self.pts[:self.n], [(float(x), float(y))], axis=0).astype(np.float32)
        self.n_max = self.n = self.n + 1

    def undo(self):
        self.n = max(0, self.n - 1)
        return self.n

    def redo(self):
        self.n = min(len(self.pts), self.n + 1)
        return self.n

    def redo_clip(self):
        self.pts = self.pts[:self.n]
        self.n_max = self.n

    def insert_pt(self, n, pt):
        if n < 0 or n > self.n:
            raise ValueError("insert_pt out of range")
        pt = np.asarray(pt, np.float32).reshape(1, 2)
        self.pts = np.concatenate((self.pts[:n], pt, self.pts[n:]), axis=0)
        self.n_max = self.n = self.n + 1

    def remove_pt(self, n):
        if n < 0 or n >= self.n:
            raise ValueError("remove_pt out of range")
        self.pts = np.concatenate((self.pts[:n], self.pts[n + 1:]), axis=0)
        self.n_max = self.n = self.n - 1

    def get_last_point(self):
        return self.pts[self.n - 1].copy()

    def get_pts(self):
        return self.pts[:self.n].copy()

    def get_pts_count(self):
        return self.n

    def set_point(self, id, pt):
        self.pts[id] = pt

    def set_points(self, pts):
        self.pts = np.asarray(pts, np.float32).reshape(-1, 2)
        self.n_max = self.n = len(self.pts)

    def mult_points(self, val):
        self.pts = self.pts * np.float32(val)


class SegIEPolys:
    def __init__(self):
        self.polys = []

    def identical(self, b):
        return len(self.polys) == len(b.polys) and all(p.identical(q) for p, q in zip(self.polys, b.polys))

    def add_poly(self, ie_poly_type):
        poly = SegIEPoly(ie_poly_type)
        self.polys.append(poly)
        return poly

    def remove_poly(self, poly):
        if poly in self.polys:
            self.polys.remove(poly)

    def has_polys(self):
        return len(self.polys) != 0

    def get_poly(self, id):
        return self.polys[id]

    def get_polys(self):
        return self.polys

    def get_pts_count(self):
        return sum(p.get_pts_count() for p in self.polys)

    def sort(self):
        """Include polygons first, then exclude ones, each group in its original order."""
        self.polys = ([p for p in self.polys if p.type == SegIEPolyType.INCLUDE]
                      + [p for p in self.polys if p.type == SegIEPolyType.EXCLUDE])

    def __iter__(self):
        return iter(self.polys)

    def __len__(self):
        return len(self.polys)

    def overlay_mask(self, mask):
        """Fill the polygons in order into `mask` (H, W, C): include with 1, exclude with 0."""
        c = mask.shape[2] if mask.ndim == 3 else 1
        white, black = (1,) * c, (0,) * c
        for poly in self.polys:
            pts = poly.get_pts().astype(np.int32)
            if len(pts):
                cv2.fillPoly(mask, [pts], white if poly.type == SegIEPolyType.INCLUDE else black)

    def dump(self):
        return {"polys": [p.dump() for p in self.polys]}

    def mult_points(self, val):
        for p in self.polys:
            p.mult_points(val)

    @staticmethod
    def load(data=None):
        """Build from the stored dict or the legacy list of (type, pts); raises ValueError for anything else."""
        polys = SegIEPolys()
        if isinstance(data, SegIEPolys):
            polys.polys = [SegIEPoly(p.type, p.get_pts()) for p in data.polys]
        elif isinstance(data, dict):
            items = data.get("polys", [])
            if not isinstance(items, (list, tuple)):
                raise ValueError("'polys' is not a list")
            polys.polys = [SegIEPoly(type=_poly_field(c, "type"), pts=_poly_field(c, "pts")) for c in items]
        elif isinstance(data, (list, tuple)):
            polys.polys = [SegIEPoly(type=t, pts=p) for t, p in data]
        elif data is not None:
            raise ValueError(f"polygons stored as {type(data).__name__}")
        polys.sort()
        return polys


def _poly_field(cfg, key):
    if not isinstance(cfg, dict) or key not in cfg:
        raise ValueError(f"polygon without '{key}'")
    return cfg[key]
