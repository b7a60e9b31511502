"""Options declared once (name, type, default, range/choices, help) that drive the prompt, the CLI flag and validation.

A command lists its `Option`s; `add_options(parser, options)` creates one flag per option, and `ask_options` asks each
one (or takes the flag's value, or the default when nobody is at the terminal) and returns a plain dict that can be
saved as is.

An option that only means something when another one has certain values declares it with `Requires`: the model
asks it only then, and a flag for it that the other option's answer would make meaningless is refused at the
question that makes them conflict (with the reason), not after every other question.
"""
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

from core import interact
from core.errors import UserError


@dataclass(frozen=True)
class Requires:
    """The option is used only when option `on` passes `test`; `needs` says so in words ("face type wf or head"),
    `why` (optional) why. When not used, the model takes `otherwise` (None: the saved or default value), so a flag
    equal to `otherwise` never conflicts."""
    on: str
    test: Callable[[Any], bool]
    needs: str
    why: str = ""
    otherwise: Any = None

    def conflict(self, opt, flag_value, on_value):
        """Why answer `on_value` to option `on` cannot go with `flag_value` given for `opt`."""
        why = f" ({self.why})" if self.why else ""
        return (f"{value_text(on_value)} conflicts with {opt.flag} {value_text(flag_value)}: "
                f"{opt.prompt.rstrip('?.')} applies only to {self.needs}{why}")

    def accepts(self, flag_value):
        return self.otherwise is not None and flag_value == self.otherwise


def value_text(v):
    """A value as the prompts show it (booleans as y/n)."""
    if isinstance(v, bool):
        return "y" if v else "n"
    return str(v)


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
    requires: Optional[Requires] = None

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
        only = f"; only with {self.requires.needs}" if self.requires else ""
        parser.add_argument(self.flag, dest=self.dest, default=None, metavar=meta,
                            help=f"{self.prompt} (default {self.default_text()}{only})")

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

    def parse(self, text):
        """A flag's text as this option's value, without printing (the question itself validates it again)."""
        try:
            if self.kind == "int":
                return int(text)
            if self.kind == "float":
                return float(text)
            if self.kind == "bool":
                return interact.parse_bool(text)
        except ValueError:
            raise UserError(f"{self.flag}: '{text}' is not a valid {self.kind} value") from None
        return str(text).strip().lower() if self.choices else str(text).strip()

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
