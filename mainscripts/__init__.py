"""One module per command. `cmd_*.py` modules hold the CLI declarations; the work is in the other modules."""
import importlib
import pkgutil


def discover_commands():
    """Import every `mainscripts.cmd_*` module, ordered by its ORDER constant (then name)."""
    modules = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("cmd_"):
            modules.append(importlib.import_module(f"{__name__}.{info.name}"))
    return sorted(modules, key=lambda m: (getattr(m, "ORDER", 100), m.__name__))
