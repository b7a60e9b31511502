"""User-facing errors: raised anywhere, printed by main.py as one line with a non-zero exit code."""


class UserError(Exception):
    """A problem the user can fix (bad path, bad value, wrong file). The message says what and how."""

    exit_code = 2
