"""Restricted pickle reading and plain-type pickle writing for DeepFaceLab's file formats.

The original stores face metadata, faceset.pak headers, meta.dat, model options and weights as Python pickles, so a
downloaded file could run code, crash the interpreter or exhaust memory when opened. We read those files with an
unpickler that:
* resolves only the globals the formats use (NumPy's array, dtype and scalar reconstruction and the original's two
  IntEnums, under their NumPy 1.x and 2.x names) and refuses every other one;
* builds dtypes itself from an allow-list of simple codes (bool, signed/unsigned ints, float16/32/64, either byte
  order) and takes nothing else from a pickled dtype state, so no `dtype.__setstate__` runs on data;
* builds an array only from bytes of exactly `prod(shape) * itemsize`, never from an integer-sized buffer;
* applies BUILD only to the arrays and dtypes it is building (nothing else has state to set);
* keeps a budget per file: nesting depth, and the values and bytes of the loaded object counted as a reader
  walking it would meet them (a memo reference counts again each time it is used, so shared entries cannot nest
  exponentially).
It is the pure-Python unpickler (its memo is a dict: a memo index in the data allocates nothing).

We write plain types only (dict, list, tuple, str, bytes, int, float, bool, None, numeric arrays) with the array
reconstructor named `numpy.core.multiarray._reconstruct`, which NumPy 1.x (the original's release builds) and 2.x
both load, and NumPy scalars turned into Python numbers.
"""
import io
import pickle
import re
import struct
import threading
from pathlib import Path

import numpy as np

from core.errors import UserError

# Hard cap against memory bombs; callers pass a tighter one where the format has one.
DEFAULT_MAX_BYTES = 2 << 30
MAX_DEPTH = 64
# Values a reader meets walking the loaded object (memo references counted each time), beyond one per byte of
# data: every value of a pickle without shared entries costs at least a byte, so only sharing can exceed it.
EXTRA_VALUES = 100_000


class UnsafePickleError(UserError):
    """The data is not a pickle we accept (a forbidden global, a corrupt or truncated stream, over a budget)."""


_DTYPE_CODE = re.compile(r"[<>|=]?(b1|i[1248]|u[1248]|f[248]|[?bBhHiIlLqQefd])")


def allowed_dtype(code):
    """The np.dtype for an allowed simple code (str or bytes such as 'f4', '<i8', b'b'); UnsafePickleError else."""
    if isinstance(code, bytes):
        code = code.decode("ascii", "replace")
    if isinstance(code, np.dtype):
        code = code.str
    if not isinstance(code, str) or not _DTYPE_CODE.fullmatch(code):
        raise UnsafePickleError(f"array type {code!r} is not allowed (only bool, integers and float16/32/64)")
    return np.dtype(code)


class _DtypeSpec:
    """What the `numpy.dtype` global makes: a code from the allow-list plus, from BUILD, only its byte order."""

    __slots__ = ("dtype",)

    def __init__(self, code, align=False, copy=True):
        self.dtype = allowed_dtype(code)

    def set_state(self, state):
        # NumPy writes (3, byteorder, None, None, None, -1, -1, 0) for a simple dtype; anything else would describe
        # fields, sub-arrays or sizes, which the allow-list excludes.
        if not isinstance(state, tuple) or len(state) not in (8, 9) or state[0] not in (3, 4):
            raise UnsafePickleError("dtype state is not that of a simple number type")
        if state[2:5] != (None, None, None) or state[5:8] != (-1, -1, 0) or state[8:] not in ((), (None,)):
            raise UnsafePickleError("dtype state describes fields or sizes; only simple number types are allowed")
        order = state[1]
        if order not in ("<", ">", "|", "="):
            raise UnsafePickleError(f"dtype byte order {order!r} is not valid")
        if order in "<>" and self.dtype.itemsize > 1:
            self.dtype = self.dtype.newbyteorder(order)


def _as_dtype(value):
    if isinstance(value, _DtypeSpec):
        return value.dtype
    return allowed_dtype(value)


def _check_shape(shape):
    if isinstance(shape, list):
        shape = tuple(shape)
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, tuple) or len(shape) > 32 or \
            not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n < 1 << 40 for n in shape):
        raise UnsafePickleError(f"array shape {shape!r} is not valid")
    return shape


def _array_from_bytes(raw, dtype, shape, fortran):
    if isinstance(raw, (bytearray, memoryview, pickle.PickleBuffer)):
        raw = bytes(raw)
    if not isinstance(raw, bytes):
        raise UnsafePickleError(f"array data is a {type(raw).__name__}, not bytes")
    count = 1
    for n in shape:
        count *= n
    if len(raw) != count * dtype.itemsize:
        raise UnsafePickleError(f"array of shape {shape} {dtype} needs {count * dtype.itemsize} bytes, "
                                f"the data holds {len(raw)}")
    return np.frombuffer(raw, dtype=dtype).reshape(shape, order="F" if fortran else "C").copy(order="K")


class _ArrayBuilder:
    """What `_reconstruct(ndarray, (0,), 'b')` makes; BUILD turns it into the array (checked before allocating)."""

    __slots__ = ("array",)

    def __init__(self, dtype):
        self.array = np.zeros(0, dtype)

    def set_state(self, state):
        if not isinstance(state, tuple) or len(state) not in (4, 5):
            raise UnsafePickleError("array state is not (version, shape, dtype, fortran, data)")
        shape, dtype, fortran, raw = state[-4:]
        if not isinstance(fortran, (bool, int)):
            raise UnsafePickleError("array state is not (version, shape, dtype, fortran, data)")
        return _array_from_bytes(raw, _as_dtype(dtype), _check_shape(shape), bool(fortran))


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
    # NumPy pickles an array as an empty `_reconstruct(ndarray, (0,), 'b')` whose data comes with its state.
    if subtype is not _NDARRAY:
        raise UnsafePickleError(f"array subclass {subtype!r} is not allowed")
    if 0 not in _check_shape(shape):
        raise UnsafePickleError(f"an empty array is expected here, not shape {shape!r}")
    return _ArrayBuilder(_as_dtype(dtype))


def _scalar(dtype, data=None):
    dt = _as_dtype(dtype)
    if data is None:
        return dt.type(0)
    if not isinstance(data, bytes) or len(data) != dt.itemsize:
        raise UnsafePickleError(f"a {dt} scalar needs {dt.itemsize} bytes")
    return np.frombuffer(data, dtype=dt, count=1)[0]


def _frombuffer(buf, dtype, shape, order):
    # Protocol-5 arrays; `bytes(n)` of an integer would be a zero-filled buffer of any size, so only bytes pass.
    if order not in ("C", "F"):
        raise UnsafePickleError(f"array order {order!r} is not valid")
    return _array_from_bytes(buf, _as_dtype(dtype), _check_shape(shape), order == "F")


def _enum_as_int(value):
    if not isinstance(value, int) or not -1 << 31 <= value < 1 << 31:
        raise UnsafePickleError(f"enum value {str(value)[:20]!r} is not a small integer")
    return int(value)


_ALLOWED = {}
for _mod in ("numpy.core.multiarray", "numpy._core.multiarray"):
    _ALLOWED[(_mod, "_reconstruct")] = _reconstruct
    _ALLOWED[(_mod, "scalar")] = _scalar
for _mod in ("numpy.core.numeric", "numpy._core.numeric"):
    _ALLOWED[(_mod, "_frombuffer")] = _frombuffer
_ALLOWED[("numpy", "ndarray")] = _NDARRAY
_ALLOWED[("numpy", "dtype")] = _DtypeSpec
# faceset.pak stores the original's IntEnums; we keep their integer values.
_ALLOWED[("samplelib.Sample", "SampleType")] = _enum_as_int
_ALLOWED[("facelib.FaceType", "FaceType")] = _enum_as_int


_ATOMS = (int, float, bool, type(None), complex)
_CONTAINERS = (list, tuple, dict, set, frozenset)
_SHAREABLE = _CONTAINERS + (bytearray, _ArrayBuilder)


def _noting_shared(load_get):
    def get(unpickler):
        load_get(unpickler)
        if isinstance(unpickler.stack[-1], _SHAREABLE):
            unpickler.shared_containers = True
    return get


class RestrictedUnpickler(pickle._Unpickler):
    dispatch = dict(pickle._Unpickler.dispatch)

    def find_class(self, module, name):
        fn = _ALLOWED.get((module, name))
        if fn is None:
            raise UnsafePickleError(f"forbidden object {module}.{name}")
        return fn

    def load(self):
        # The stock loop, reading straight from the in-memory data: frames only group opcodes (FRAME is skipped
        # below), so the per-opcode unframing layer is not needed.
        self.read, self.readline = self._file_read, self._file_readline
        self.metastack, self.stack = [], []
        self.append = self.stack.append
        self.proto = 0
        read, dispatch = self.read, self.dispatch
        try:
            while True:
                key = read(1)
                if not key:
                    raise EOFError
                dispatch[key[0]](self)
        except pickle._Stop as stop:
            return stop.value

    def _skip_frame(self):
        if len(self.read(8)) != 8:
            raise EOFError
    dispatch[pickle.FRAME[0]] = _skip_frame

    def persistent_load(self, pid):
        raise UnsafePickleError("persistent references are not allowed")

    def _load_build(self):
        state = self.stack.pop()
        inst = self.stack[-1]
        if isinstance(inst, _DtypeSpec):
            inst.set_state(state)
        elif isinstance(inst, _ArrayBuilder):
            inst.array = inst.set_state(state)
            self.stack[-1] = inst.array
        else:
            raise UnsafePickleError(f"setting the state of a {type(inst).__name__} is not allowed")
    dispatch[pickle.BUILD[0]] = _load_build

    def _load_reduce(self):
        args = self.stack.pop()
        func = self.stack[-1]
        if not any(func is f for f in _ALLOWED.values()) or not isinstance(args, tuple):
            raise UnsafePickleError(f"calling a {type(func).__name__} is not allowed")
        self.stack[-1] = func(*args)
    dispatch[pickle.REDUCE[0]] = _load_reduce

    # A memo reference to a container is what sharing, cycles and left-over array builders need; without one the
    # result is a tree and a light depth check is enough (see _tree_needs_finish).
    shared_containers = False

    for _op in (pickle.GET, pickle.BINGET, pickle.LONG_BINGET):
        dispatch[_op[0]] = _noting_shared(pickle._Unpickler.dispatch[_op[0]])

    def _load_bytearray8(self):
        # The stock loader allocates the claimed length before reading; read first, so the data bounds the size.
        (n,) = struct.unpack("<Q", self.read(8))
        data = self.read(n)
        if len(data) != n:
            raise UnsafePickleError(f"a bytearray claims {n} bytes, the data holds {len(data)}")
        self.append(bytearray(data))
    dispatch[pickle.BYTEARRAY8[0]] = _load_bytearray8

    def _refuse(self):
        raise UnsafePickleError("object construction opcodes (INST/OBJ/NEWOBJ) are not allowed")
    for _op in (pickle.INST, pickle.OBJ, pickle.NEWOBJ, pickle.NEWOBJ_EX):
        dispatch[_op[0]] = _refuse


def _tree_needs_finish(v, depth=0):
    """Depth check of a tree (no shared containers), in one pass; True if it holds a dtype or an unbuilt array that
    `_finish` must replace."""
    if depth > MAX_DEPTH:
        raise UnsafePickleError(f"nested deeper than {MAX_DEPTH} levels")
    needs = False
    for x in (v.values() if isinstance(v, dict) else v):
        t = type(x)
        if t in _CONTAINERS:
            needs = _tree_needs_finish(x, depth + 1) or needs
        elif t is _DtypeSpec or t is _ArrayBuilder:
            needs = True
    return needs


def _finish(obj, max_expanded_bytes, max_values):
    """Replace array builders left in memo references by their arrays and enforce the budgets.

    Each distinct object is walked once; its expanded size (values and bytes, counting every reference to shared
    entries) and its height are cached, so exponential sharing is measured without being expanded. Cycles are
    refused (they would hang or crash whoever walks the data later).
    """
    seen = {}          # id -> (value, values, bytes, height)
    active = set()

    def walk(v, depth):
        key = id(v)
        hit = seen.get(key)
        if hit is None:
            if key in active:
                raise UnsafePickleError("the data refers to itself (a cycle)")
            active.add(key)
            hit = seen[key] = _measure(v, depth)
            active.discard(key)
        if depth + hit[3] > MAX_DEPTH:
            raise UnsafePickleError(f"nested deeper than {MAX_DEPTH} levels")
        return hit

    def _measure(v, depth):
        if depth > MAX_DEPTH:
            raise UnsafePickleError(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(v, _ArrayBuilder):
            v = v.array
        elif isinstance(v, _DtypeSpec):
            v = v.dtype
        if isinstance(v, (bytes, str)):
            return v, 1, len(v), 0
        if isinstance(v, np.ndarray):
            return v, 1, v.nbytes, 0
        if isinstance(v, dict):
            items = [x for kv in v.items() for x in kv]
        elif isinstance(v, (list, tuple, set, frozenset)):
            items = v
        else:
            return v, 1, 0, 0
        values, nbytes, height, replaced = 1, 0, 0, {}
        for i, x in enumerate(items):
            if type(x) in _ATOMS:
                values += 1
                continue
            y, n, b, h = walk(x, depth + 1)
            values += n
            nbytes += b
            height = max(height, h + 1)
            if y is not x:
                replaced[i] = y
        if values > max_values:
            raise UnsafePickleError(f"more than {max_values} values (shared entries counted each time they are used)")
        if nbytes > max_expanded_bytes:
            raise UnsafePickleError("the data expands past its size budget (shared entries counted each time)")
        if replaced:
            if isinstance(v, list):
                for i, y in replaced.items():
                    v[i] = y
            elif isinstance(v, tuple):
                v = tuple(replaced.get(i, x) for i, x in enumerate(v))
            elif isinstance(v, dict):
                keys = list(v)
                for i, y in replaced.items():
                    if i % 2:
                        v[keys[i // 2]] = y
        return v, values, nbytes, max(height, 1)

    value, _, nbytes, _ = walk(obj, 0)
    if nbytes > max_expanded_bytes:
        raise UnsafePickleError("the data expands past its size budget (shared entries counted each time)")
    return value


def safe_loads(data, what="data", max_bytes=DEFAULT_MAX_BYTES):
    """Unpickle `data` allowing only plain types and numeric arrays. `what` names the source in errors."""
    if len(data) > max_bytes:
        raise UnsafePickleError(f"{what}: pickled data of {len(data)} bytes exceeds the {max_bytes}-byte limit")
    try:
        unpickler = RestrictedUnpickler(io.BytesIO(data))
        obj = unpickler.load()
        if unpickler.shared_containers or type(obj) in (_DtypeSpec, _ArrayBuilder) or \
                (type(obj) in _CONTAINERS and _tree_needs_finish(obj)):
            return _finish(obj, 2 * len(data) + (16 << 20), len(data) + EXTRA_VALUES)
        return obj
    except UnsafePickleError as e:
        raise UnsafePickleError(f"{what}: refused to load ({_short(e)}); the file may be malicious or not from "
                                f"DeepFaceLab")
    except Exception as e:  # any parse failure of untrusted bytes is a corrupt file, not a crash
        raise UnsafePickleError(f"{what}: corrupt or truncated data ({type(e).__name__}: {_short(e)})")


def _short(e):
    """The message of `e` on one printable line (names and values in it come from the data)."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(e))
    return text if len(text) <= 200 else text[:200] + "..."


def safe_load_file(path, max_bytes=DEFAULT_MAX_BYTES):
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise UnsafePickleError(f"{p}: {size} bytes exceeds the {max_bytes}-byte limit")
        data = p.read_bytes()
    except OSError as e:
        raise UserError(f"{p}: cannot read ({e.strerror or e})")
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


_NUMPY_RECONSTRUCT = np.ndarray.__reduce__(np.zeros(0))[0]
_legacy_names = threading.Lock()


def dumps(obj):
    """Pickle data that is already plain (protocol 4) so that the original program, old or new, can read it.

    NumPy 2 names its array reconstructor `numpy._core.multiarray._reconstruct`, which NumPy 1.x (the original's
    release builds) cannot import; `numpy.core.multiarray._reconstruct` is the same function under its old name and
    loads in both. The pickler takes a function's module from `__module__`, so we lend it the old name while pickling.
    """
    with _legacy_names:
        saved = _NUMPY_RECONSTRUCT.__module__
        _NUMPY_RECONSTRUCT.__module__ = "numpy.core.multiarray"
        try:
            return pickle.dumps(obj, protocol=4)
        finally:
            _NUMPY_RECONSTRUCT.__module__ = saved


def plain_dumps(obj):
    """Pickle plain data only (NumPy scalars become Python numbers), readable by the original's NumPy 1.x builds."""
    return dumps(to_plain(obj))
