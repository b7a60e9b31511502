"""Importing TensorFlow for inference only (the merger): without the Keras optimizers it imports eagerly.

`import tensorflow` ends by importing `keras.src.optimizers` (so Keras optimizers register for SavedModel loading),
which pulls all of Keras: about a fifth of TensorFlow's import time. Our models use no Keras, so a command that only
runs a model can skip it; `tf.keras` still works afterwards (imported on first use).
"""
import sys

_KERAS_EAGER = "keras.src.optimizers"


def import_tensorflow_for_inference():
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    blocked = _KERAS_EAGER not in sys.modules
    if blocked:
        sys.modules[_KERAS_EAGER] = None  # TensorFlow catches the ImportError this gives and goes on
    try:
        import tensorflow as tf
    finally:
        if blocked and sys.modules.get(_KERAS_EAGER, 0) is None:
            del sys.modules[_KERAS_EAGER]
    return tf
