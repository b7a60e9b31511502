"""Check that a Qt window can be opened before creating one (Qt aborts the process when it has no display)."""
import os
import sys

from core.errors import UserError


def require_display(what):
    """Raise a one-line UserError on Linux without DISPLAY/WAYLAND_DISPLAY, unless QT_QPA_PLATFORM picks a backend."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                                                 or os.environ.get("QT_QPA_PLATFORM")):
        raise UserError(f"{what} needs a display: run it on the desktop (or over ssh -X); "
                        "DISPLAY and WAYLAND_DISPLAY are not set")
