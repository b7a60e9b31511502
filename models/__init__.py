"""Registry of trainable models, found by folder: every `models/Model_<Name>/` is a model named <Name>.

Each folder holds `options.py` (its `OPTIONS`, declared with core.options; no TensorFlow import, so the CLI can
build flags for every model quickly) and `Model.py` (class `Model`, a models.ModelBase subclass).
"""
import importlib
from pathlib import Path

from core.errors import UserError

_DIR = Path(__file__).resolve().parent


def list_models():
    """Model names in name order, e.g. ['Quick96', 'SAEHD']."""
    return sorted(p.name[len("Model_"):] for p in _DIR.glob("Model_*")
                  if p.is_dir() and (p / "Model.py").is_file())


def _check(name):
    if name not in list_models():
        raise UserError(f"unknown model '{name}': choose one of {', '.join(list_models())}")


def model_options(name):
    """The model's own declared options (core.options.Option list), without importing TensorFlow."""
    _check(name)
    return list(importlib.import_module(f"models.Model_{name}.options").OPTIONS)


def import_model(name):
    """The model class of `name` (imports TensorFlow)."""
    _check(name)
    return importlib.import_module(f"models.Model_{name}.Model").Model
