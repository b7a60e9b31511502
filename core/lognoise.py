"""Keeps library log noise (TensorFlow, absl, oneDNN, grappler) off the user's console unless `--debug` is given.

TensorFlow's C++ logging obeys `TF_CPP_MIN_LOG_LEVEL` (3 hides the grappler "remapper failed" error of every first
training step), except the lines printed while its libraries load (oneDNN and CPU-feature notices written before
absl is initialised): the first `import tensorflow` therefore runs with file descriptor 2 sent to a temporary file,
which is shown only if the import fails. Python-side loggers and warnings of the libraries are raised to errors.
The choice is passed to child processes through `DFL_LIBRARY_LOGS`, so workers started later stay quiet too.
"""
import importlib.abc
import logging
import os
import sys
import tempfile
import warnings

ENV = "DFL_LIBRARY_LOGS"
_NOISY_MODULES = ("tensorflow", "keras", "absl", "tf2onnx", "h5py", "numexpr")


def configure(debug):
    """Called once by main.py: show everything with `debug`, else hide library noise (here and in children)."""
    os.environ[ENV] = "show" if debug else "hide"
    if debug:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"
        return
    apply()


def apply():
    """Hide library noise in this process if the command asked for it (no-op in `--debug` runs)."""
    if os.environ.get(ENV) != "hide":
        return
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    for name in _NOISY_MODULES:
        logging.getLogger(name).setLevel(logging.ERROR)
    for name in _NOISY_MODULES:
        warnings.filterwarnings("ignore", module=name)
    if "tensorflow" not in sys.modules and not any(isinstance(f, _QuietImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _QuietImport())


class _QuietImport(importlib.abc.MetaPathFinder):
    """Runs the first `import tensorflow` with stderr captured; removes itself afterwards."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "tensorflow":
            return None
        sys.meta_path.remove(self)
        import importlib.util
        with _captured_stderr() as captured:
            try:
                spec = importlib.util.find_spec(fullname)
                if spec is None:
                    return None
                module = importlib.util.module_from_spec(spec)
                sys.modules[fullname] = module
                spec.loader.exec_module(module)
            except BaseException:
                sys.modules.pop(fullname, None)
                captured.show()
                raise
        # Already imported: hand the import system a spec whose loader returns the module as it is.
        return importlib.util.spec_from_loader(fullname, _Loaded(module))


class _Loaded(importlib.abc.Loader):
    def __init__(self, module):
        self.module = module

    def create_module(self, spec):
        return self.module

    def exec_module(self, module):
        pass


class _captured_stderr:
    def __enter__(self):
        sys.stderr.flush()
        self.file = tempfile.TemporaryFile()
        self.saved = os.dup(2)
        os.dup2(self.file.fileno(), 2)
        return self

    def __exit__(self, *exc):
        sys.stderr.flush()
        os.dup2(self.saved, 2)
        os.close(self.saved)
        self.file.close()

    def show(self):
        self.file.seek(0)
        os.write(self.saved, self.file.read())
