"""meta.dat of "save/restore faceset metadata": every face's metadata and size, kept while images are edited.

Our format (version 1) is not a pickle, so a shared meta.dat cannot run code:
  line 1: ASCII `DFL-FACESET-META 1`
  rest:   UTF-8 JSON {"files": {"<file name>": {"shape": [h, w, c], "meta": <value>}}}
A <value> is JSON with four tagged forms for what JSON lacks:
  {"$nd": {"dtype": "<f8", "shape": [2, 3], "b64": "..."}} a numeric NumPy array (C order)
  {"$bytes": "<base64>"}   {"$tuple": [...]}   {"$dict": [[key, value], ...]} (a dict whose keys are not all
  plain strings, or that uses one of these tag names).
Python floats are written with repr, so they come back bit for bit.

`read` also accepts the original's meta.dat (a pickle of {name: ((h, w, c), dict)}) through the restricted loader.
"""
import base64
import json

import numpy as np

from core.cv2ex import max_image_pixels
from core.errors import UserError
from core.pathex import write_bytes_atomic
from core.safe_pickle import safe_loads

MAGIC = b"DFL-FACESET-META 1\n"
_TAGS = ("$nd", "$bytes", "$tuple", "$dict")


def write(path, entries):
    """`entries`: {file name: ((h, w, c), metadata dict)}; written atomically."""
    doc = {"files": {name: {"shape": [int(x) for x in shape], "meta": _encode(meta)}
                     for name, (shape, meta) in entries.items()}}
    write_bytes_atomic(path, MAGIC + json.dumps(doc, separators=(",", ":")).encode("utf-8"))


def read(path):
    """{file name: ((h, w, c), metadata dict)} from our meta.dat or the original's; UserError if unreadable."""
    try:
        data = open(path, "rb").read()
    except OSError as e:
        raise UserError(f"{path}: cannot read ({e.strerror or e})")
    if data.startswith(MAGIC):
        try:
            files = json.loads(data[len(MAGIC):].decode("utf-8"))["files"]
            return {str(name): (_shape(e["shape"]), _decode(e["meta"])) for name, e in files.items()}
        except Exception as e:  # whatever malformed JSON raises (RecursionError, OverflowError, ...)
            raise UserError(f"{path}: corrupt meta.dat ({type(e).__name__}: {_short(e)}); save the metadata again")
    d = safe_loads(data, str(path))
    if not isinstance(d, dict):
        raise UserError(f"{path}: not a faceset meta.dat (holds a {type(d).__name__})")
    out = {}
    for name, value in d.items():
        try:
            shape, meta = value
            if not isinstance(name, str) or not isinstance(meta, dict):
                raise TypeError("expected (shape, dict)")
            out[name] = (_shape(shape), meta)
        except Exception as e:  # whatever malformed values raise (OverflowError, ...)
            raise UserError(f"{path}: not a faceset meta.dat (entry {_short(name)}: {type(e).__name__}: "
                            f"{_short(e)})")
    return out


def _shape(v):
    shape = tuple(int(x) for x in v)
    if len(shape) not in (2, 3) or min(shape) <= 0 or (len(shape) == 3 and shape[2] > 4):
        raise ValueError(f"bad image shape {_short(v)}")
    if shape[0] * shape[1] > max_image_pixels():
        raise ValueError(f"image shape {shape[1]}x{shape[0]} is over the {max_image_pixels() / 1e6:g} MP limit")
    return shape


def _short(v):
    text = str(v) if isinstance(v, Exception) else repr(v)
    return text if len(text) <= 120 else text[:120] + "..."


def _encode(v):
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        if v.dtype.kind not in "biufc":
            raise UserError(f"cannot save an array of type {v.dtype} in meta.dat")
        a = np.ascontiguousarray(v)
        return {"$nd": {"dtype": a.dtype.str, "shape": list(a.shape), "b64": base64.b64encode(a.tobytes()).decode()}}
    if isinstance(v, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(bytes(v)).decode()}
    if isinstance(v, tuple):
        return {"$tuple": [_encode(x) for x in v]}
    if isinstance(v, list):
        return [_encode(x) for x in v]
    if isinstance(v, dict):
        if all(isinstance(k, str) for k in v) and not any(k in _TAGS for k in v):
            return {k: _encode(x) for k, x in v.items()}
        return {"$dict": [[_encode(k), _encode(x)] for k, x in v.items()]}
    raise UserError(f"cannot save a {type(v).__name__} in meta.dat")


def _decode(v):
    if isinstance(v, list):
        return [_decode(x) for x in v]
    if not isinstance(v, dict):
        return v
    if len(v) == 1:
        (tag, body), = v.items()
        if tag == "$nd":
            dt = np.dtype(body["dtype"])
            if dt.kind not in "biufc":
                raise ValueError(f"array type {dt} is not allowed")
            shape = tuple(int(x) for x in body["shape"])
            raw = base64.b64decode(body["b64"])
            return np.frombuffer(raw, dt).reshape(shape).copy()
        if tag == "$bytes":
            return base64.b64decode(body)
        if tag == "$tuple":
            return tuple(_decode(x) for x in body)
        if tag == "$dict":
            return {_hashable(_decode(k)): _decode(x) for k, x in body}
    return {k: _decode(x) for k, x in v.items()}


def _hashable(k):
    return tuple(_hashable(x) for x in k) if isinstance(k, list) else k
