"""Weight files in the original's format, both directions.

Format (version: the original's only one): a file named `<part>.npy` that is NOT NumPy format but
`pickle.dumps({key: ndarray}, protocol=4)`, keys = TF variable names without the model's own name, e.g.
`down1/downs_0/conv1/weight:0` (HWIO float32). Optimizer files use the same scheme (`iters:0`,
`ms_<model>/<path>_0:0`). We read only through `core.safe_pickle` (arrays and plain types, nothing executable) and
write plain arrays atomically, keeping the previous copy as `<file>.bak`.
"""
from pathlib import Path

import numpy as np

from core import interact
from core.errors import UserError
from core.pathex import write_bytes_atomic
from core.safe_pickle import UnsafePickleError, plain_dumps, safe_load_file

# A weight file can legitimately be large (AMP/res 640 models reach a few GB).
MAX_WEIGHT_FILE_BYTES = 16 << 30
_LISTED_MISSING = 8


def read_weight_file(path):
    """The {key: ndarray} dict of a weight file; UserError when it is not one."""
    p = Path(path)
    d = safe_load_file(p, max_bytes=MAX_WEIGHT_FILE_BYTES)
    if not isinstance(d, dict) or not all(isinstance(k, str) for k in d):
        raise UserError(f"{p}: not a DeepFaceLab weight file (expected a dict of named arrays); "
                        "delete or replace it")
    out = {}
    for k, v in d.items():
        arr = np.asarray(v)
        if arr.dtype.kind not in "fiub":
            raise UserError(f"{p}: key {k} holds {arr.dtype} data, not numbers; the file is corrupt")
        out[k] = arr
    return out


def weight_file_bytes(arrays):
    """{key: ndarray} in the original's format (pickle protocol 4, NumPy 1.x names)."""
    return plain_dumps({k: np.array(v, order="C") for k, v in arrays.items()})   # keeps 0-d (iters:0)


def write_weight_file(path, arrays):
    """Write {key: ndarray} atomically, keeping `<file>.bak`."""
    write_bytes_atomic(Path(path), weight_file_bytes(arrays), keep_previous=True)


def encode_weights(saveable):
    return weight_file_bytes({k: v.numpy() for k, v in saveable.get_weights_dict().items()})


def save_weights(saveable, path):
    write_bytes_atomic(Path(path), encode_weights(saveable), keep_previous=True)


def _fit(value, var, path, key):
    shape = tuple(var.shape)
    if value.shape == shape:
        return value
    # The original reshapes on load; accept only layout-free differences such as (1,) vs ().
    if value.size == int(np.prod(shape)) and tuple(s for s in value.shape if s != 1) == \
            tuple(s for s in shape if s != 1):
        return value.reshape(shape)
    raise UserError(f"{path}: weight {key} has shape {value.shape} but this model needs {shape}; "
                    "the file belongs to a model with other settings (resolution, dims or archi)")


def assign_from_arrays(saveable, arrays, path):
    """Assign every variable from `arrays`; missing keys get their initialiser. Returns the missing keys."""
    variables = saveable.get_weights_dict()
    inits = saveable.get_weight_initializers()
    staged, missing = [], []
    for key, var in variables.items():
        value = arrays.get(key)
        if value is None:
            missing.append(key)
            staged.append((var, inits[key]()))
        else:
            staged.append((var, _fit(value, var, path, key).astype(var.dtype.as_numpy_dtype, copy=False)))
    for var, value in staged:  # assign only after every shape was checked: a bad file changes nothing
        var.assign(value)
    return missing


def load_weights(saveable, path):
    """Load `path` into `saveable`. False if the file does not exist; UserError if it is unreadable or mismatched.

    Keys the model has but the file lacks are initialised and listed in one warning line.
    """
    p = Path(path)
    if not p.exists():
        return False
    try:
        arrays = read_weight_file(p)
    except UnsafePickleError as e:
        raise UserError(f"{e}; delete or replace {p.name}")
    missing = assign_from_arrays(saveable, arrays, p)
    if missing:
        listed = ", ".join(missing[:_LISTED_MISSING])
        more = f" and {len(missing) - _LISTED_MISSING} more" if len(missing) > _LISTED_MISSING else ""
        total = len(saveable.get_weights_dict())
        interact.log_err(f"Warning: {p.name}: {len(missing)} of {total} weights missing, "
                         f"initialised instead: {listed}{more}")
    return True
