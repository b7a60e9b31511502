"""The DeepFaceLab 1.0 models (H64, H128, DF, LIAEF128, SAE) as named presets of SAEHD (no TensorFlow import).

`train/merge/exportdfm --model H128` is SAEHD with the preset's architecture fixed when the model is created; the
other SAEHD options are asked as usual. The files are SAEHD files (`<name>_SAEHD_*.npy`), so `--model SAEHD` (and
the original program) open the same model. Mapping rule: resolution, face type and layout (df / liae) of the 1.0
model; ae_dims = width of its dense bottleneck; e_dims = width of its first encoder conv (SAEHD doubles it per
downscale, as 1.0 did); d_dims and d_mask_dims = width of the first decoder / mask upscale divided by 8. SAEHD
keeps its own additions (residual blocks in the decoder, the inter's upscale at code width), so a preset is the
1.0 model's shape in today's network, not a bit-identical copy of the old Keras graph.
"""
from dataclasses import dataclass, field

from core.errors import UserError


@dataclass(frozen=True)
class Preset:
    name: str
    base: str
    options: dict = field(default_factory=dict)
    about: str = ""


PRESETS = {p.name: p for p in (
    Preset("H64", "SAEHD",
           dict(resolution=64, face_type="h", archi="df", ae_dims=1024, e_dims=128, d_dims=64, d_mask_dims=32),
           "1.0 H64 (2GB+): half face 64 px; encoder 128-1024, dense 1024, decoders 512-128, mask 256-64."),
    Preset("H128", "SAEHD",
           dict(resolution=128, face_type="h", archi="df", ae_dims=512, e_dims=128, d_dims=64, d_mask_dims=32),
           "1.0 H128 (3GB+): half face 128 px; encoder 128-1024, dense 512, decoders 512-128, mask 256-64."),
    Preset("DF", "SAEHD",
           dict(resolution=128, face_type="f", archi="df", ae_dims=512, e_dims=128, d_dims=64, d_mask_dims=32),
           "1.0 DF (5GB+, dfaker): H128's network on full faces, residual decoder."),
    Preset("LIAEF128", "SAEHD",
           dict(resolution=128, face_type="f", archi="liae", ae_dims=256, e_dims=128, d_dims=64, d_mask_dims=32),
           "1.0 LIAEF128 (5GB+): full face 128 px; shared encoder, inter_B and inter_AB dense 256, one decoder."),
    Preset("SAE", "SAEHD",
           dict(resolution=128, face_type="f", archi="df", ae_dims=512, e_dims=126, d_dims=64, d_mask_dims=22),
           "1.0 SAE defaults: 128 px full face DF, ae 512, 42 encoder / 21 decoder dims per channel (x3 = 126 / "
           "63, made even)."),
)}


def _coerce(decl, value):
    from core import interact
    if decl.kind == "bool":
        return interact.parse_bool(value) if isinstance(value, str) else bool(value)
    return {"int": int, "float": float}.get(decl.kind, str)(value)


def preset_class(preset, base_cls):
    """A subclass of the base model class that fixes the preset's options on creation and refuses models made
    with other values."""
    decls = {o.name: o for o in base_cls.OPTIONS}

    class PresetModel(base_cls):
        NAME = preset.base
        PRESET = preset

        def __init__(self, *args, option_values=None, **kwargs):
            values = dict(option_values or {})
            for key, fixed in preset.options.items():
                given = values.get(key)
                if given is not None and _coerce(decls[key], given) != fixed:
                    raise UserError(f"{decls[key].flag} {given}: the {preset.name} preset has {fixed}; "
                                    f"train --model {preset.base} for other values")
                values[key] = fixed
            super().__init__(*args, option_values=values, **kwargs)

        def on_initialize_options(self):
            if not self.first_run:
                for key, fixed in preset.options.items():
                    saved = self.options.get(key)
                    if saved is not None and _coerce(decls[key], saved) != fixed:
                        raise UserError(f"model \"{self.model_name}\" was not made with the {preset.name} preset "
                                        f"({key} is {saved}, the preset has {fixed}): use --model {preset.base}")
            super().on_initialize_options()

    PresetModel.__name__ = PresetModel.__qualname__ = f"{preset.name}Model"
    return PresetModel
