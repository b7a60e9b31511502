"""Shared pytest fixtures: paths to the bundled test data and, when present, the original program's files."""
import os
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

DATA = REPO / "tests" / "data"
COMPAT = REPO.parent / "shared" / "compat"


@pytest.fixture(scope="session")
def repo_root():
    return REPO


@pytest.fixture(scope="session")
def data_dir():
    return DATA


@pytest.fixture(scope="session")
def compat_dir():
    """Files written by the original DeepFaceLab (only beside a development checkout; tests skip without them)."""
    if not COMPAT.is_dir():
        pytest.skip("original program's files (../shared/compat) not present")
    return COMPAT


@pytest.fixture
def compat_copy(compat_dir, tmp_path):
    """A writable copy of a compat sub-folder: compat_copy('aligned_whole_face')."""
    def _copy(name):
        dst = tmp_path / name
        shutil.copytree(compat_dir / name, dst)
        for p in dst.rglob("*"):
            p.chmod(0o644 if p.is_file() else 0o755)
        return dst
    return _copy


@pytest.fixture(scope="session")
def qapp():
    """One QApplication for the whole session (offscreen). A QApplication made in a test and collected at its end
    goes before that test's windows are deleted (locals are freed in order), and Qt then deletes widgets under a
    dead application; keeping one alive avoids that and the cost of re-creating it."""
    from PyQt5 import QtWidgets
    return QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
