"""Process-wide tensor layout and step compilation of the layer library (no TensorFlow import here).

The original keeps `nn.data_format` global: NHWC on CPU, NCHW on GPU (10-20% faster there). Layers read it when
they are called (i.e. when a `tf.function` is traced), so one process can trace NHWC and NCHW graphs over the same
weights: weights never depend on the layout.
"""
import contextlib

_state = {"data_format": "NHWC", "jit_compile": False}

DATA_FORMATS = ("NHWC", "NCHW")


def data_format():
    return _state["data_format"]


def set_data_format(fmt):
    if fmt not in DATA_FORMATS:
        raise ValueError(f"data format must be one of {DATA_FORMATS}, not {fmt!r}")
    _state["data_format"] = fmt


@contextlib.contextmanager
def use_data_format(fmt):
    """Temporarily switch the layout (tests, export)."""
    old = _state["data_format"]
    set_data_format(fmt)
    try:
        yield
    finally:
        _state["data_format"] = old


def jit_compile():
    """Whether training steps are compiled whole with XLA. Off: on CPUs XLA's own convolutions (not oneDNN's)
    made the Quick96 step 1.7x slower in float32 and 5x slower in bfloat16, and fusing the optimizer update
    alone was slower too. bench/bench_roofline.py --xla measures it on other devices."""
    return _state["jit_compile"]


def set_jit_compile(on):
    _state["jit_compile"] = bool(on)


def ch_axis():
    return 3 if _state["data_format"] == "NHWC" else 1


def spatial_axes():
    return (1, 2) if _state["data_format"] == "NHWC" else (2, 3)


def to_data_format(x, to, frm):
    """Transpose a NumPy batch (N,H,W,C) <-> (N,C,H,W)."""
    if to == frm:
        return x
    if to == "NCHW":
        return x.transpose((0, 3, 1, 2))
    return x.transpose((0, 2, 3, 1))
