"""Registry of trainable models, found by folder: every `models/Model_<Name>/` is a model named <Name>.

Each folder holds `options.py` (its `OPTIONS`, declared with core.options; no TensorFlow import, so the CLI can
build flags for every model quickly) and `Model.py` (class `Model`, a models.ModelBase subclass).
Named presets (models/presets.py: the 1.0 models H64, H128, DF, LIAEF128, SAE) are selectable wherever a model is:
`import_model('H128')` is SAEHD with the preset's architecture options.
"""
import importlib
from pathlib import Path

from core.errors import UserError

_DIR = Path(__file__).resolve().parent


def list_models():
    """Model names in name order, e.g. ['Quick96', 'SAEHD']."""
    return sorted(p.name[len("Model_"):] for p in _DIR.glob("Model_*")
                  if p.is_dir() and (p / "Model.py").is_file())


def list_presets():
    """Preset names, e.g. ['DF', 'H128', 'H64', 'LIAEF128', 'SAE']."""
    from models.presets import PRESETS
    return sorted(PRESETS)


def list_model_choices():
    """What `--model` accepts: the models, then the presets."""
    return list_models() + list_presets()


def _check(name):
    if name not in list_model_choices():
        raise UserError(f"unknown model '{name}': choose one of {', '.join(list_model_choices())}")


def _base(name):
    from models.presets import PRESETS
    return PRESETS[name].base if name in PRESETS else name


def model_options(name):
    """The model's own declared options (core.options.Option list), without importing TensorFlow."""
    _check(name)
    return list(importlib.import_module(f"models.Model_{_base(name)}.options").OPTIONS)


def merge_options():
    """The merge-time options of every model (`MERGE_OPTIONS` in its options.py), one per name."""
    seen = {}
    for name in list_models():
        for opt in getattr(importlib.import_module(f"models.Model_{name}.options"), "MERGE_OPTIONS", ()):
            seen.setdefault(opt.name, opt)
    return list(seen.values())


def import_model(name):
    """The model class of `name` (imports TensorFlow)."""
    _check(name)
    cls = importlib.import_module(f"models.Model_{_base(name)}.Model").Model
    from models.presets import PRESETS, preset_class
    return preset_class(PRESETS[name], cls) if name in PRESETS else cls
