"""The typed face record stored in an aligned face (`FaceMeta`), with its reader and writer side by side.

Wire format (what the original reads and writes in the APP15 segment and in meta.dat): a pickled dict, keys and
types as the original writes them:
  face_type str | landmarks list of [x, y] Python floats | source_filename str | source_rect int64 ndarray (4,)
  | source_landmarks list of [x, y] floats | image_to_face_mat float64 ndarray (2, 3)
  | seg_ie_polys {'polys': [{'type': int, 'pts': float32 (N, 2)}]} (only when polygons exist)
  | xseg_mask uint8 ndarray (N,): the PNG/JPEG bytes of the mask | eyebrows_expand_mod float (only if set).
`None` values are left out. Keys we do not know are kept as they are, and the key order of a loaded dict is kept.

Reading and writing go through `core.safe_pickle` (restricted loader; arrays named as NumPy 1.x and 2.x both load).
"""
from dataclasses import dataclass, field, fields
from typing import Optional

import numpy as np

from core.dflimg.segpolys import SegIEPolys
from core.safe_pickle import dumps, safe_loads, to_plain
from facelib.FaceType import FaceType

KEYS = ("face_type", "landmarks", "source_filename", "source_rect", "source_landmarks", "image_to_face_mat",
        "seg_ie_polys", "xseg_mask", "eyebrows_expand_mod")
_FACE_TYPE_NAMES = {FaceType.toString(t) for t in FaceType}


@dataclass
class FaceMeta:
    face_type: Optional[str] = None
    landmarks: Optional[np.ndarray] = None          # float64 (N, 2), aligned-image pixels
    source_filename: Optional[str] = None
    source_rect: Optional[np.ndarray] = None        # (4,) [l, t, r, b], integer dtype as stored
    source_landmarks: Optional[np.ndarray] = None   # float64 (N, 2), source-image pixels
    image_to_face_mat: Optional[np.ndarray] = None  # float64 (2, 3), source -> aligned
    seg_ie_polys: Optional[SegIEPolys] = None
    xseg_mask: Optional[np.ndarray] = None          # uint8 (N,): encoded PNG/JPEG bytes
    eyebrows_expand_mod: Optional[float] = None
    extra: dict = field(default_factory=dict)       # keys this program does not know, kept untouched
    key_order: tuple = ()                           # key order of the dict this record was read from

    def is_empty(self):
        return all(getattr(self, k) is None for k in KEYS) and not self.extra

    # ---- reader -------------------------------------------------------------------------------------------------
    @staticmethod
    def from_dict(d):
        """Validate and convert a stored dict; raises ValueError naming the bad key."""
        if not isinstance(d, dict):
            raise ValueError(f"metadata is a {type(d).__name__}, not a dict")
        m = FaceMeta(key_order=tuple(d.keys()))
        for key, value in d.items():
            if not isinstance(key, str):
                raise ValueError(f"metadata key {key!r} is not a string")
            if value is None:
                continue
            reader = _READERS.get(key)
            if reader is None:
                m.extra[key] = value
                continue
            try:
                setattr(m, key, reader(value))
            except Exception as e:  # whatever malformed values raise (OverflowError, RecursionError, ...)
                raise ValueError(f"'{key}': {type(e).__name__}: {str(e)[:200]}")
        return m

    @staticmethod
    def from_app15(payload, what):
        """Parse the APP15 payload. Raises UnsafePickleError (forbidden/corrupt pickle) or ValueError (bad keys)."""
        return FaceMeta.from_dict(safe_loads(payload, what, max_bytes=1 << 16))

    # ---- writer -------------------------------------------------------------------------------------------------
    def to_dict(self):
        """The dict the original writes: wire types, None left out, loaded key order kept, unknown keys kept."""
        values = {}
        for key in KEYS:
            v = getattr(self, key)
            if v is not None:
                w = _WRITERS[key](v)
                if w is not None:
                    values[key] = w
        values.update(to_plain(self.extra))
        out = {k: values.pop(k) for k in self.key_order if k in values}
        out.update(values)
        return out

    def to_app15(self):
        return dumps(self.to_dict())

    def copy(self):
        return FaceMeta.from_dict(self.to_dict())


def _face_type(v):
    if not isinstance(v, str) or v not in _FACE_TYPE_NAMES:
        raise ValueError(f"unknown face type {v!r}")
    return v


def _points(v):
    a = np.asarray(v, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] != 2 or len(a) == 0:
        raise ValueError(f"expected N x 2 points, got shape {a.shape}")
    return a


def _str(v):
    if not isinstance(v, str):
        raise ValueError(f"expected a string, got {type(v).__name__}")
    return v


def _rect(v):
    a = np.asarray(v)
    if a.shape != (4,) or a.dtype.kind not in "iuf":
        raise ValueError(f"expected 4 numbers, got shape {a.shape} {a.dtype}")
    return a.astype(np.int64) if a.dtype.kind == "u" else a


def _mat(v):
    a = np.asarray(v, dtype=np.float64)
    if a.shape != (2, 3):
        raise ValueError(f"expected a 2 x 3 matrix, got shape {a.shape}")
    return a


def _mask_buf(v):
    a = np.frombuffer(v, np.uint8) if isinstance(v, (bytes, bytearray)) else np.asarray(v)
    if a.dtype != np.uint8 or a.size == 0 or a.ndim not in (1, 2):
        raise ValueError(f"expected encoded image bytes, got {a.dtype} {a.shape}")
    return a.reshape(-1)


def _float(v):
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise ValueError(f"expected a number, got {type(v).__name__}")
    return float(v)


_READERS = {
    "face_type": _face_type, "landmarks": _points, "source_filename": _str, "source_rect": _rect,
    "source_landmarks": _points, "image_to_face_mat": _mat, "seg_ie_polys": SegIEPolys.load,
    "xseg_mask": _mask_buf, "eyebrows_expand_mod": _float,
}
_WRITERS = {
    "face_type": str,
    "landmarks": lambda a: np.asarray(a, np.float64).tolist(),
    "source_filename": str,
    "source_rect": _rect,
    "source_landmarks": lambda a: np.asarray(a, np.float64).tolist(),
    "image_to_face_mat": lambda a: np.asarray(a, np.float64),
    "seg_ie_polys": lambda p: p.dump() if p.has_polys() else None,
    "xseg_mask": lambda a: np.asarray(a, np.uint8).reshape(-1),
    "eyebrows_expand_mod": float,
}
assert set(_READERS) == set(_WRITERS) == set(KEYS) == {f.name for f in fields(FaceMeta)} - {"extra", "key_order"}
