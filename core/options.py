"""Options declared once (name, type, default, range/choices, help) that drive the prompt, the CLI flag and validation.

A command lists its `Option`s; `add_options(parser, options)` creates one flag per option, and `ask_options` asks each
one (or takes the flag's value, or the default when nobody is at the terminal) and returns a plain dict that can be
saved as is.
"""
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

from core import interact


@dataclass(frozen=True)
class Option:
    name: str
    prompt: str
    kind: str  # "int" | "float" | "bool" | "str"
    default: Any
    valid_range: Optional[tuple] = None
    choices: Optional[Sequence] = None
    help: str = ""
    overridable: bool = True
    extra: dict = field(default_factory=dict)

    @property
    def flag(self):
        return "--" + self.name.replace("_", "-")

    @property
    def dest(self):
        return self.name

    def add_to_parser(self, parser):
        if self.choices is not None:
            meta = "{" + ",".join(map(str, self.choices)) + "}"
        elif self.kind == "bool":
            meta = "{y,n}"
        elif self.valid_range is not None:
            meta = f"{self.valid_range[0]}..{self.valid_range[1]}"
        else:
            meta = self.kind.upper()
        # Values are validated by ask() so that the flag and the prompt give the same errors.
        parser.add_argument(self.flag, dest=self.dest, default=None, metavar=meta,
                            help=f"{self.prompt} (default {self.default_text()})")

    def validate(self, value):
        """`value` (e.g. read from a saved model) in this option's type, checked as a flag is; ValueError if not."""
        try:
            if self.kind == "int":
                v = int(value)
            elif self.kind == "float":
                v = float(value)
                if v != v or v in (float("inf"), float("-inf")):
                    raise ValueError
            elif self.kind == "bool":
                v = bool(value)
            else:
                v = value if isinstance(value, str) else str(value)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"{_short(value)} is not a valid {self.kind}") from None
        if self.choices is not None:
            by_key = {(str(c).lower() if self.kind == "str" else c): c for c in self.choices}
            key = v.lower() if self.kind == "str" else v
            if key not in by_key:
                raise ValueError(f"{_short(v)} is not one of {', '.join(map(str, self.choices))}")
            v = by_key[key]
        if self.valid_range is not None and self.kind in ("int", "float"):
            lo, hi = self.valid_range
            if (lo is not None and v < lo) or (hi is not None and v > hi):
                raise ValueError(f"{v} is outside {lo}..{hi}")
        return v

    def default_text(self):
        if self.kind == "bool":
            return "y" if self.default else "n"
        return str(self.default)

    def ask(self, value=None, default=None):
        d = self.default if default is None else default
        if self.kind == "int":
            return interact.input_int(self.prompt, int(d), self.valid_range,
                                      list(self.choices) if self.choices else None, self.help or None, value)
        if self.kind == "float":
            return interact.input_number(self.prompt, float(d), self.valid_range, self.help or None, value)
        if self.kind == "bool":
            return interact.input_bool(self.prompt, bool(d), self.help or None, value)
        return interact.input_str(self.prompt, str(d), list(self.choices) if self.choices else None,
                                  self.help or None, value)


def _short(value):
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "..."


def add_options(parser, options):
    for opt in options:
        opt.add_to_parser(parser)


def ask_options(options, args=None, defaults=None):
    """Ask every option; `args` (argparse namespace) supplies flag values, `defaults` overrides declared defaults."""
    result = {}
    defaults = defaults or {}
    for opt in options:
        value = getattr(args, opt.dest, None) if args is not None else None
        result[opt.name] = opt.ask(value, defaults.get(opt.name))
    return result
