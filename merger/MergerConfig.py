"""Merger settings (MergerConfigMasked): every setting declared once, driving prompts, CLI flags, the settings file
and the interactive merger's key map.

Each setting is a `core.options.Option`; its `extra` holds the interactive keys (`keys`: increase/decrease or cycle
key, `step`/`big_step` for Shift). `MergerConfigMasked` is a plain value holder (picklable, comparable) whose
`get_config()` dict is what the settings file and the interactive session store.
"""
import json

from core.errors import UserError
from core.options import Option
from core.pathex import write_bytes_atomic

MODES = ("original", "overlay", "hist-match", "seamless", "seamless-hist-match", "raw-rgb", "raw-predict",
         "hist-match-bw")
MODE_KEYS = {"`": "original", "1": "overlay", "2": "hist-match", "3": "seamless", "4": "seamless-hist-match",
             "5": "raw-rgb", "6": "raw-predict", "7": "hist-match-bw"}
MASK_MODES = {0: "full", 1: "dst", 2: "learned-prd", 3: "learned-dst", 4: "learned-prd*learned-dst",
              5: "learned-prd+learned-dst", 6: "XSeg-prd", 7: "XSeg-dst", 8: "XSeg-prd*XSeg-dst",
              9: "learned-prd*learned-dst*XSeg-prd*XSeg-dst"}
COLOR_TRANSFER_MODES = ("none", "rct", "lct", "mkl", "mkl-m", "idt", "idt-m", "sot-m", "mix-m")
SHARPEN_MODES = {0: "none", 1: "box", 2: "gaussian"}
SUPER_RESOLUTION_MODELS = ("auto", "FaceEnhancer", "realesr-animevideov3", "realesrgan-x4plus")

SETTINGS_FORMAT = "dfl-merger-settings"
SETTINGS_VERSION = 1


def _listing(d):
    return ", ".join(f"{k} {v}" for k, v in d.items())


OPTIONS = (
    Option("mode", "Choose mode", "str", "overlay", choices=MODES,
           help="original: the frame unchanged; overlay: predicted face pasted with the mask; hist-match: "
                "histogram-matched to the dst face; seamless: Poisson blending; seamless-hist-match; raw-rgb: the "
                "predicted square without mask; raw-predict: the face-sized prediction itself; hist-match-bw: "
                "grey histogram match (DFL 1.0)", extra={"keys": tuple(MODE_KEYS)}),
    Option("masked_hist_match", "Masked hist match?", "bool", True,
           help="measure the histograms only inside the mask", extra={"keys": ("z",)}),
    Option("hist_match_threshold", "Hist match threshold", "int", 255, valid_range=(0, 255),
           help="caps the matched histogram (lower = darker, less saturated)", extra={"keys": ("q", "a")}),
    Option("mask_mode", "Choose mask mode", "int", 1, choices=tuple(MASK_MODES), help=_listing(MASK_MODES),
           extra={"keys": ("x",)}),
    Option("erode_mask_modifier", "Choose erode mask modifier", "int", 0, valid_range=(-400, 400),
           help="positive shrinks the mask, negative grows it", extra={"keys": ("w", "s")}),
    Option("blur_mask_modifier", "Choose blur mask modifier", "int", 0, valid_range=(0, 400),
           help="softens the mask edge", extra={"keys": ("e", "d")}),
    Option("motion_blur_power", "Choose motion blur power", "int", 0, valid_range=(0, 100),
           help="blurs the face along its motion between neighbouring frames (one face per frame only)",
           extra={"keys": ("r", "f")}),
    Option("two_pass", "Use two pass mode?", "bool", False,
           help="runs the predicted face through the model a second time (the second pass's face, the first "
                "pass's masks): a more src-like face, at twice the model time", extra={"keys": ("b",)}),
    Option("pre_sharpen_power", "Choose pre_sharpen power", "int", 0, valid_range=(0, 100),
           help="sharpens the dst face before the model sees it (as a gaussian blur/sharpen amount of the same "
                "value); can bring out detail in soft footage", extra={"keys": ("9", "8")}),
    Option("output_face_scale", "Choose output face scale modifier", "int", 0, valid_range=(-50, 50),
           help="percent to grow (or shrink) the pasted face", extra={"keys": ("u", "j")}),
    Option("color_transfer_mode", "Color transfer to predicted face", "str", "rct", choices=COLOR_TRANSFER_MODES,
           help="recolour the predicted face toward the dst face; -m variants use the mask",
           extra={"keys": ("c",)}),
    Option("sharpen_mode", "Choose sharpen mode", "int", 0, choices=tuple(SHARPEN_MODES),
           help=_listing(SHARPEN_MODES), extra={"keys": ("n",)}),
    Option("blursharpen_amount", "Choose blur/sharpen amount", "int", 0, valid_range=(-100, 100),
           help="positive sharpens, negative blurs the face", extra={"keys": ("y", "h")}),
    Option("super_resolution_power", "Choose super resolution power", "int", 0, valid_range=(0, 100),
           help="blend of an upscaled (x4) face enhancer into the predicted face", extra={"keys": ("t", "g")}),
    Option("super_resolution_model", "Super resolution enhancer", "str", "auto",
           choices=SUPER_RESOLUTION_MODELS,
           help="FaceEnhancer: the original's network (needs its FaceEnhancer.npy in _internal/); "
                "realesr-animevideov3: Real-ESRGAN x4, fast on the CPU; realesrgan-x4plus: about 30x slower, finer "
                "detail; auto: FaceEnhancer when its weights are there, else realesr-animevideov3"),
    Option("image_denoise_power", "Choose image degrade by denoise power", "int", 0, valid_range=(0, 500),
           help="median-filters the frame around the face", extra={"keys": ("i", "k")}),
    Option("bicubic_degrade_power", "Choose image degrade by bicubic rescale power", "int", 0, valid_range=(0, 100),
           help="downscales and upscales the frame", extra={"keys": ("o", "l")}),
    Option("color_degrade_power", "Degrade color power of final image", "int", 0, valid_range=(0, 100),
           help="blends the result toward a 256-colour palette", extra={"keys": ("p", ";")}),
    Option("temporal_smoothing", "Temporal smoothing of face positions", "int", 50, valid_range=(0, 100),
           help="steadies the face across frames by smoothing the landmarks of neighbouring frames "
                "(0 = off, as the original)", extra={"keys": ("]", "[")}),
    Option("export_alpha", "Export PNG with alpha channel?", "bool", False,
           help="write merged frames as BGRA with the mask as alpha"),
    Option("watermark", "Visible 'synthetic' watermark?", "bool", False,
           help="draw a small visible 'AI-generated' mark in the corner of every merged frame"),
)
BY_NAME = {o.name: o for o in OPTIONS}


def _hist_mode(v):
    return v["mode"] in ("hist-match", "hist-match-bw")


def _hist_threshold_mode(v):
    return v["mode"] in ("hist-match", "seamless-hist-match", "hist-match-bw")


def _not_raw(v):
    return not v["mode"].startswith("raw")


# When the original's ask_settings asks a setting (the others keep their value), given the answers so far.
ASKED_WHEN = {
    "masked_hist_match": _hist_mode, "hist_match_threshold": _hist_threshold_mode,
    "erode_mask_modifier": _not_raw, "blur_mask_modifier": _not_raw, "motion_blur_power": _not_raw,
    "color_transfer_mode": _not_raw, "blursharpen_amount": lambda v: v["sharpen_mode"] != 0,
    "super_resolution_model": lambda v: v["super_resolution_power"] > 0,
    "image_denoise_power": _not_raw, "bicubic_degrade_power": _not_raw, "color_degrade_power": _not_raw,
}
# The original's MergerConfigMasked constructor defaults where they differ from its prompts' defaults: the
# interactive merger starts from them.
INTERACTIVE_START = {"mask_mode": 4, "hist_match_threshold": 238}
# What the interactive merger's summary shows (the original's to_string): sharpening only for non-raw modes.
SHOWN_WHEN = dict(ASKED_WHEN, sharpen_mode=_not_raw, blursharpen_amount=_not_raw)


def _check(opt, value):
    """Validate one value against its option (used for files and sessions); raises ValueError with the reason."""
    if opt.kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{opt.name} must be true or false")
    elif opt.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{opt.name} must be a whole number")
    elif not isinstance(value, str):
        raise ValueError(f"{opt.name} must be text")
    if opt.choices is not None and value not in opt.choices:
        raise ValueError(f"{opt.name} must be one of {', '.join(map(str, opt.choices))}")
    if opt.valid_range is not None and not opt.valid_range[0] <= value <= opt.valid_range[1]:
        raise ValueError(f"{opt.name} must be within {opt.valid_range[0]}..{opt.valid_range[1]}")
    return value


class MergerConfigMasked:
    """One frame's merge settings. `face_type` and `default_mode` come from the model (as the original's
    `get_MergerConfig()` gives them) and are not user settings."""

    def __init__(self, face_type="whole_face", default_mode="overlay", **values):
        self.face_type = face_type
        self.default_mode = default_mode
        self.values = {o.name: o.default for o in OPTIONS}
        self.values["mode"] = default_mode
        for name, value in values.items():
            if name not in BY_NAME:
                raise ValueError(f"unknown merger setting '{name}'")
            self.values[name] = _check(BY_NAME[name], value)

    def __getattr__(self, name):
        values = self.__dict__.get("values")
        if values is not None and name in values:
            return values[name]
        raise AttributeError(name)

    def __eq__(self, other):
        return isinstance(other, MergerConfigMasked) and (self.face_type, self.values) == (other.face_type,
                                                                                           other.values)

    def copy(self):
        return MergerConfigMasked(self.face_type, self.default_mode, **self.values)

    def get_config(self):
        return dict(self.values)

    def set(self, name, value):
        self.values[name] = _check(BY_NAME[name], value)

    @property
    def mask_mode_name(self):
        return MASK_MODES[self.mask_mode]

    def is_raw(self):
        return self.mode.startswith("raw")

    # ------------------------------------------------------------------------------------- interactive adjustments
    def step(self, name, delta):
        """Add `delta` to a numeric setting, clamped to its range."""
        opt = BY_NAME[name]
        lo, hi = opt.valid_range
        self.values[name] = int(min(hi, max(lo, self.values[name] + delta)))

    def cycle(self, name):
        opt = BY_NAME[name]
        choices = list(opt.choices)
        self.values[name] = choices[(choices.index(self.values[name]) + 1) % len(choices)]

    def toggle(self, name):
        self.values[name] = not self.values[name]

    def to_text(self):
        """Multi-line summary shown by the interactive merger."""
        lines = [f"Mode: {self.mode}"]
        for opt in OPTIONS[1:]:
            shown = SHOWN_WHEN.get(opt.name)
            if shown is not None and not shown(self.values):
                continue
            value = self.values[opt.name]
            if opt.name == "mask_mode":
                value = f"{value} ({MASK_MODES[value]})"
            elif opt.name == "sharpen_mode":
                value = f"{value} ({SHARPEN_MODES[value]})"
            elif opt.kind == "bool":
                value = "y" if value else "n"
            lines.append(f"{opt.prompt.rstrip('?')}: {value}")
        return "\n".join(lines)


def _given(opt, args, file_values):
    """The value a flag (first) or the settings file gives for `opt`, or None."""
    value = getattr(args, opt.dest, None) if args is not None else None
    if value is None and opt.name in file_values:
        value = file_values[opt.name]
        if opt.kind == "bool":
            value = "y" if value else "n"
    return value


def interactive_config(args=None, file_values=None, face_type="whole_face", default_mode="overlay"):
    """The interactive merger's first settings: the original's constructor defaults (INTERACTIVE_START), then the
    settings file, then flags; nothing is asked (the keys change them)."""
    file_values = file_values or {}
    values = dict(INTERACTIVE_START)
    for opt in OPTIONS:
        value = _given(opt, args, file_values)
        if value is not None:
            values[opt.name] = opt.ask(value)
    return MergerConfigMasked(face_type, default_mode, **values)


def ask_config(args=None, file_values=None, face_type="whole_face", default_mode="overlay"):
    """Ask the settings like the original's non-interactive merger, in its order: flags win, then the settings
    file, then the prompt (or the default without a terminal). A setting the original does not ask for the answers
    so far (ASKED_WHEN) keeps its default unless a flag or the file gives it."""
    file_values = file_values or {}
    values = {o.name: o.default for o in OPTIONS}
    values["mode"] = default_mode
    for opt in OPTIONS:
        value = _given(opt, args, file_values)
        asked = ASKED_WHEN.get(opt.name)
        if value is None and asked is not None and not asked(values):
            continue
        values[opt.name] = opt.ask(value, default_mode if opt.name == "mode" else None)
    return MergerConfigMasked(face_type, default_mode, **values)


# --------------------------------------------------------------------------------------------------- settings file
def save_settings(path, cfg):
    """Write the settings as explicit, versioned JSON (atomic)."""
    doc = {"format": SETTINGS_FORMAT, "version": SETTINGS_VERSION, "settings": cfg.get_config()}
    write_bytes_atomic(path, (json.dumps(doc, indent=2) + "\n").encode("utf-8"))


def load_settings(path):
    """Read a settings file written by save_settings (or by hand); returns a validated dict of settings."""
    try:
        with open(path, "rb") as f:
            doc = json.loads(f.read().decode("utf-8"))
    except FileNotFoundError:
        raise UserError(f"settings file {path} does not exist") from None
    except (ValueError, RecursionError) as e:   # bad UTF-8, bad JSON, nesting too deep
        raise UserError(f"settings file {path} is not valid JSON ({type(e).__name__}: {str(e)[:200]}); fix it or "
                        f"write it with --save-settings") from None
    if not isinstance(doc, dict) or doc.get("format") != SETTINGS_FORMAT:
        raise UserError(f"settings file {path} is not a merger settings file (needs \"format\": \"{SETTINGS_FORMAT}\")")
    if doc.get("version") != SETTINGS_VERSION:
        raise UserError(f"settings file {path} has version {doc.get('version')}; this program reads version "
                        f"{SETTINGS_VERSION}")
    settings = doc.get("settings")
    if not isinstance(settings, dict):
        raise UserError(f"settings file {path} has no \"settings\" object")
    for name, value in settings.items():
        if name not in BY_NAME:
            raise UserError(f"settings file {path}: unknown setting '{name}' (known: {', '.join(BY_NAME)})")
        try:
            _check(BY_NAME[name], value)
        except (ValueError, TypeError, OverflowError) as e:
            raise UserError(f"settings file {path}: {e}") from None
    return settings
