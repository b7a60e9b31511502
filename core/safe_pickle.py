"""Restricted pickle reading and plain-type pickle writing for DeepFaceLab's file formats.

The original stores face metadata, faceset.pak headers, meta.dat, model options and weights as Python pickles, so a
downloaded file could run code when opened. We read those files with an unpickler that resolves only the handful of
globals the formats need (NumPy array/dtype/scalar reconstruction and the original's two IntEnums) and refuses
everything else; no array can be bigger than the data it is read from. We write only plain types (dict, list, tuple, str, bytes, int, float, bool, None, numeric arrays).
"""
import io
import pickle

import numpy as np

from core.errors import UserError

# Hard cap against memory bombs; callers pass a tighter one where the format has one.
DEFAULT_MAX_BYTES = 2 << 30


class UnsafePickleError(UserError):
    """The data is not a pickle we accept (a forbidden global, a corrupt or truncated stream)."""


class _NdarrayType:
    """What the `numpy.ndarray` global resolves to: usable only as `_reconstruct`'s first argument.

    Calling the real class from a pickle (`ndarray((10**12,), 'u1')`) would allocate uninitialised memory of any size.
    """

    def __call__(self, *args, **kwargs):
        raise UnsafePickleError("a direct numpy.ndarray(...) call is not allowed (it makes an uninitialised array of "
                                "any size)")

    def __repr__(self):
        return "numpy.ndarray"


_NDARRAY = _NdarrayType()


def _reconstruct(subtype, shape, dtype):
    # NumPy pickles an array as an empty `_reconstruct(ndarray, (0,), 'b')` whose data comes with its state, so the
    # array can never be bigger than the bytes it was read from.
    if subtype is not _NDARRAY:
        raise UnsafePickleError(f"array subclass {subtype!r} is not allowed")
    shape = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
    if not all(isinstance(n, int) and n >= 0 for n in shape) or 0 not in shape:
        raise UnsafePickleError(f"an empty array is expected here, not shape {shape!r}")
    return np.ndarray.__new__(np.ndarray, shape, _as_safe_dtype(dtype))


def _as_safe_dtype(dtype):
    dt = np.dtype(dtype)
    if dt.hasobject:
        raise UnsafePickleError("object arrays are not allowed")
    return dt


def _safe_dtype(*args):
    return _as_safe_dtype(np.dtype(*args))


def _scalar(dtype, data=None):
    dt = _as_safe_dtype(dtype)
    if data is None:
        return dt.type(0)
    return np.frombuffer(data, dtype=dt, count=1)[0]


def _frombuffer(buf, dtype, shape, order):
    dt = _as_safe_dtype(dtype)
    return np.frombuffer(bytes(buf), dtype=dt).reshape(shape, order=order).copy()


def _enum_as_int(value):
    return int(value)


_ALLOWED = {}
for _mod in ("numpy.core.multiarray", "numpy._core.multiarray"):
    _ALLOWED[(_mod, "_reconstruct")] = _reconstruct
    _ALLOWED[(_mod, "scalar")] = _scalar
for _mod in ("numpy.core.numeric", "numpy._core.numeric"):
    _ALLOWED[(_mod, "_frombuffer")] = _frombuffer
_ALLOWED[("numpy", "ndarray")] = _NDARRAY
_ALLOWED[("numpy", "dtype")] = _safe_dtype
# faceset.pak stores the original's IntEnums; we keep their integer values.
_ALLOWED[("samplelib.Sample", "SampleType")] = _enum_as_int
_ALLOWED[("facelib.FaceType", "FaceType")] = _enum_as_int


class RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        fn = _ALLOWED.get((module, name))
        if fn is None:
            raise UnsafePickleError(f"forbidden object {module}.{name}")
        return fn


def safe_loads(data, what="data", max_bytes=DEFAULT_MAX_BYTES):
    """Unpickle `data` allowing only plain types and numeric arrays. `what` names the source in errors."""
    if len(data) > max_bytes:
        raise UnsafePickleError(f"{what}: pickled data of {len(data)} bytes exceeds the {max_bytes}-byte limit")
    try:
        return RestrictedUnpickler(io.BytesIO(data)).load()
    except UnsafePickleError as e:
        raise UnsafePickleError(f"{what}: refused to load ({e}); the file may be malicious or not from DeepFaceLab")
    except Exception as e:  # any parse failure of untrusted bytes is a corrupt file, not a crash
        raise UnsafePickleError(f"{what}: corrupt or truncated data ({type(e).__name__}: {e})")


def safe_load_file(path, max_bytes=DEFAULT_MAX_BYTES):
    from pathlib import Path
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise UnsafePickleError(f"{p}: {size} bytes exceeds the {max_bytes}-byte limit")
        data = p.read_bytes()
    except OSError as e:
        raise UserError(f"{p}: cannot read ({e.strerror})")
    return safe_loads(data, str(p), max_bytes)


def to_plain(obj, _path="value"):
    """Return `obj` with NumPy scalars turned into Python numbers; raise for anything that is not plain data."""
    if obj is None or isinstance(obj, (bool, int, float, str, bytes)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        if obj.dtype.hasobject:
            raise TypeError(f"{_path}: object arrays cannot be saved")
        return obj
    if isinstance(obj, dict):
        return {to_plain(k, _path): to_plain(v, f"{_path}[{k!r}]") for k, v in obj.items()}
    if isinstance(obj, list):
        return [to_plain(v, f"{_path}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, tuple):
        return tuple(to_plain(v, f"{_path}[{i}]") for i, v in enumerate(obj))
    raise TypeError(f"{_path}: {type(obj).__name__} is not a plain type and cannot be saved")


def plain_dumps(obj, protocol=4):
    """Pickle plain data only (protocol 4, readable by the original's Python 3.6)."""
    return pickle.dumps(to_plain(obj), protocol=protocol)
