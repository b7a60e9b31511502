"""Console prompts shared by every command: typed input with defaults, ranges, choices and `?` help.

A prompt's answer can come from three places, in this order: a value given on the command line (each prompt has a
flag), the user at a terminal, or the default (taken and printed when there is no TTY or with --non-interactive).
"""
import sys

import colorama

from core.errors import UserError

colorama.just_fix_windows_console()

_C_PROMPT = colorama.Fore.CYAN
_C_HELP = colorama.Fore.YELLOW
_C_ERR = colorama.Fore.RED
_C_RESET = colorama.Style.RESET_ALL

_state = {"non_interactive": False}


def set_non_interactive(value=True):
    _state["non_interactive"] = bool(value)


def is_interactive():
    if _state["non_interactive"]:
        return False
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def log_info(msg):
    print(msg, flush=True)


def log_err(msg):
    print(f"{_C_ERR}{msg}{_C_RESET}", file=sys.stderr, flush=True)


def _read_line(text):
    try:
        return input(text)
    except EOFError:
        return ""


class _Invalid(ValueError):
    pass


def _ask(prompt, default, parse, describe, help_message, value):
    """Core loop: `parse(str) -> value` raises _Invalid with a reason; `describe` is the bracket text."""
    label = f"{prompt} ( {describe} )" if describe else prompt
    if value is not None:
        try:
            result = parse(str(value))
        except _Invalid as e:
            raise UserError(f"{prompt}: {e}")
        print(f"{label} : {_fmt(result)}", flush=True)
        return result
    if not is_interactive():
        print(f"{label} : {_fmt(default)}", flush=True)
        return default
    hint = " ?:help" if help_message else ""
    while True:
        text = _read_line(f"{_C_PROMPT}[{_fmt(default)}] {label}{hint} : {_C_RESET}").strip()
        if text == "?" and help_message:
            print(f"{_C_HELP}{help_message}{_C_RESET}", flush=True)
            continue
        if text == "":
            return default
        try:
            return parse(text)
        except _Invalid as e:
            print(f"{_C_ERR}{e}. Try again.{_C_RESET}", flush=True)


def _fmt(v):
    if isinstance(v, bool):
        return "y" if v else "n"
    return str(v)


def _in_range(x, valid_range, valid_list):
    if valid_list is not None and x not in valid_list:
        raise _Invalid(f"{x} is not one of {', '.join(map(str, valid_list))}")
    if valid_range is not None:
        lo, hi = valid_range
        if (lo is not None and x < lo) or (hi is not None and x > hi):
            raise _Invalid(f"{x} is outside {lo}..{hi}")
    return x


def _range_text(valid_range, valid_list):
    if valid_list is not None:
        return "/".join(map(str, valid_list))
    if valid_range is not None:
        return f"{valid_range[0]}..{valid_range[1]}"
    return ""


def input_int(prompt, default, valid_range=None, valid_list=None, help_message=None, value=None):
    def parse(text):
        try:
            x = int(text)
        except ValueError:
            raise _Invalid(f"'{text}' is not a whole number")
        return _in_range(x, valid_range, valid_list)

    return _ask(prompt, default, parse, _range_text(valid_range, valid_list), help_message, value)


def input_number(prompt, default, valid_range=None, help_message=None, value=None):
    def parse(text):
        try:
            x = float(text)
        except ValueError:
            raise _Invalid(f"'{text}' is not a number")
        if x != x:
            raise _Invalid("NaN is not a number")
        return _in_range(x, valid_range, None)

    return _ask(prompt, default, parse, _range_text(valid_range, None), help_message, value)


_TRUE = {"y", "yes", "1", "true", "on"}
_FALSE = {"n", "no", "0", "false", "off"}


def parse_bool(text):
    t = str(text).strip().lower()
    if t in _TRUE:
        return True
    if t in _FALSE:
        return False
    raise _Invalid(f"'{text}' is not y or n")


def input_bool(prompt, default, help_message=None, value=None):
    if isinstance(value, bool):
        value = "y" if value else "n"
    return _ask(prompt, bool(default), parse_bool, "y/n", help_message, value)


def input_str(prompt, default, valid_list=None, help_message=None, value=None, lowercase=True):
    def parse(text):
        t = text.strip()
        if valid_list is not None:
            key = t.lower() if lowercase else t
            choices = {(c.lower() if lowercase else c): c for c in valid_list}
            if key not in choices:
                raise _Invalid(f"'{t}' is not one of {', '.join(valid_list)}")
            return choices[key]
        return t

    return _ask(prompt, default, parse, _range_text(None, valid_list), help_message, value)


def choice(prompt, options, default_index=0, help_message=None, value=None):
    """Numbered menu. `options` is a list of names; returns the chosen name. `value` may be a name or an index."""
    if is_interactive() and value is None:
        for i, name in enumerate(options):
            print(f"[{i}] {name}")

    def parse(text):
        t = text.strip()
        if t.isdigit() and int(t) < len(options):
            return options[int(t)]
        lowered = {o.lower(): o for o in options}
        if t.lower() in lowered:
            return lowered[t.lower()]
        raise _Invalid(f"'{t}' is not a listed number or name")

    return _ask(prompt, options[default_index], parse, f"0..{len(options) - 1}", help_message, value)
