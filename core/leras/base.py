"""Model base classes: `tf.Module`s whose variables are named exactly as the original's weight-file keys.

As in the original `nn.ModelBase`, a model declares its layers as attributes in `on_build()`; building walks
`vars(self)` in assignment order and names every layer or sub-model after its attribute: `attr`, list items
`attr_{i}`, dict items `attr_{key}`. A variable's key is the path of those names plus `weight:0`, e.g.
`down1/downs_0/conv1/weight:0`, relative to the top model (whose own name is the weight file's part name, like
`encoder`). Weights are always float32 variables; layers cast them to the input's dtype, so a model runs in
bfloat16/float16 simply by feeding it such tensors.
"""
import collections.abc
import types

import numpy as np
import tensorflow as tf


class Saveable(tf.Module):
    """Something that owns variables with stable keys. `name` is the weight-file part name (may be set later).

    Subclasses provide `build()`, `_named_weights(prefix)` and `_named_initializers(prefix)`.
    """

    def __init__(self, name=None):
        super().__init__()
        self._leras_name = name
        self._built = False
        self._scope = None   # full TF-style path prefix ('encoder/down1/'), set when a parent builds this

    def _variable_scope(self):
        if self._scope is None:
            return f"{self._leras_name}/" if self._leras_name else ""
        return self._scope

    @property
    def name(self):
        return self._leras_name

    @name.setter
    def name(self, value):
        self._leras_name = value

    @property
    def built(self):
        return self._built

    def _ensure_built(self):
        if not self._built:
            self.build()

    def get_weights_dict(self):
        """Ordered {key: tf.Variable}, keys relative to this object (the weight file's keys)."""
        self._ensure_built()
        return dict(self._named_weights(""))

    def get_weights(self):
        return list(self.get_weights_dict().values())

    def get_weight_initializers(self):
        """{key: callable() -> initial value} for every variable (used for keys missing from a file)."""
        self._ensure_built()
        return dict(self._named_initializers(""))

    def count_params(self):
        return int(sum(np.prod(v.shape) for v in self.get_weights()))

    def save_weights(self, filename):
        from core.leras import weights
        weights.save_weights(self, filename)

    def load_weights(self, filename):
        """Load a weight file of the original's format; returns False when the file does not exist."""
        from core.leras import weights
        return weights.load_weights(self, filename)

    def init_weights(self):
        inits = self.get_weight_initializers()
        for key, var in self.get_weights_dict().items():
            var.assign(inits[key]())


class LayerBase(Saveable):
    """A layer owns variables directly: `self.add_weight(local_name, shape, initializer)` in `build_weights()`."""

    def __init__(self, name=None):
        super().__init__(name=name)
        self._vars = {}
        self._inits = {}

    def build_weights(self):
        """Create variables here (layers without weights leave it empty)."""

    def build(self):
        if not self._built:
            self.build_weights()
            self._built = True

    def add_weight(self, local_name, shape, initializer, trainable=True):
        init = _make_initializer(initializer, tuple(int(s) for s in shape))
        var = tf.Variable(init(), name=f"{self._variable_scope()}{local_name}", trainable=trainable,
                          dtype=tf.float32)
        self._vars[local_name] = var
        self._inits[local_name] = init
        return var

    def _named_weights(self, prefix):
        for local, var in self._vars.items():
            yield f"{prefix}{local}:0", var

    def _named_initializers(self, prefix):
        for local, init in self._inits.items():
            yield f"{prefix}{local}:0", init

    def __call__(self, *args, **kwargs):
        self._ensure_built()
        return self.forward(*args, **kwargs)


class ModelBase(Saveable):
    """Override `on_build(*args, **kwargs)` (assign layers/sub-models as attributes; may `yield`) and `forward`."""

    def __init__(self, *args, name=None, **kwargs):
        super().__init__(name=name)
        self._args = args
        self._kwargs = kwargs
        self._layers = []

    def on_build(self, *args, **kwargs):
        """Declare layers and sub-models as attributes."""

    def __call__(self, *args, **kwargs):
        self._ensure_built()
        return self.forward(*args, **kwargs)

    def _build_sub(self, obj, name):
        if isinstance(obj, (LayerBase, ModelBase)):
            if obj.name is None:
                obj.name = name
            obj._scope = f"{self._variable_scope()}{obj.name}/"
            obj.build()
            self._layers.append(obj)
        elif isinstance(obj, collections.abc.Mapping):
            for key in obj.keys():
                self._build_sub(obj[key], f"{name}_{key}")
        elif isinstance(obj, collections.abc.Sequence) and not isinstance(obj, (str, bytes)):
            for i, sub in enumerate(obj):
                self._build_sub(sub, f"{name}_{i}")

    def _public_attrs(self):
        return [k for k in vars(self) if not k.startswith("_")]

    def build(self):
        if self._built:
            return
        seen = []
        gen = self.on_build(*self._args, **self._kwargs)
        if not isinstance(gen, types.GeneratorType):
            gen = None
        while True:
            if gen is not None:
                try:
                    next(gen)
                except StopIteration:
                    gen = None
            attrs = vars(self)
            for key in self._public_attrs():
                if key not in seen:
                    seen.append(key)
                    self._build_sub(attrs[key], key)
            if gen is None:
                break
        self._built = True

    def get_layers(self):
        """Sub-layers and sub-models in build order."""
        self._ensure_built()
        return list(self._layers)

    def _named_weights(self, prefix):
        for layer in self._layers:
            yield from layer._named_weights(f"{prefix}{layer.name}/")

    def _named_initializers(self, prefix):
        for layer in self._layers:
            yield from layer._named_initializers(f"{prefix}{layer.name}/")


def _make_initializer(initializer, shape):
    """`initializer` is a name ('glorot_uniform', 'zeros', 'ones', 'he_normal_wscale') or ('constant', value)."""
    if callable(initializer):
        return lambda: initializer(shape)
    if isinstance(initializer, tuple) and initializer[0] == "constant":
        value = float(initializer[1])
        return lambda: tf.fill(shape, tf.constant(value, tf.float32))
    if initializer == "zeros":
        return lambda: tf.zeros(shape, tf.float32)
    if initializer == "ones":
        return lambda: tf.ones(shape, tf.float32)
    if initializer == "normal":
        return lambda: tf.random.normal(shape, 0.0, 1.0, tf.float32)
    if initializer == "glorot_uniform":
        fan_in, fan_out = _fans(shape)
        limit = float(np.sqrt(6.0 / max(1.0, fan_in + fan_out)))
        return lambda: tf.random.uniform(shape, -limit, limit, tf.float32)
    raise ValueError(f"unknown initializer {initializer!r}")


def _fans(shape):
    """TensorFlow's glorot fans: HWIO kernels multiply the receptive field into both fans."""
    if len(shape) < 1:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    receptive = float(np.prod(shape[:-2]))
    return shape[-2] * receptive, shape[-1] * receptive
