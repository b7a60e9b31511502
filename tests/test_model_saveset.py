"""Model saves are sets: `kill -9` at every step of a save, or a full disk at every part, leaves the previous save
or the new one (never a mix), and the next load says which copy it used. Runs the save in a child process that
kills itself at the N-th file operation, for every N."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from models import model_files

PREFIX = "m_SAEHD_"
PARTS = ("encoder.npy", "decoder.npy", "data.dat")

CHILD = r"""
import os, signal, sys
sys.path.insert(0, sys.argv[1])
from models import model_files
folder, kill_at = sys.argv[2], int(sys.argv[3])
events = [0]
def killing(fn):
    def wrapped(*a, **k):
        events[0] += 1
        if events[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return fn(*a, **k)
    return wrapped
os.replace = killing(os.replace)
os.fsync = killing(os.fsync)
save = model_files.SaveSet(folder, "m_SAEHD_", 2)
for part in ("encoder.npy", "decoder.npy", "data.dat"):
    save.add(part, (part + " of iteration 2 ").encode() * 1000)
save.commit()
"""


def _content(part, iteration):
    return (f"{part} of iteration {iteration} ").encode() * 1000


def _first_save(folder):
    save = model_files.SaveSet(folder, PREFIX, 1)
    for part in PARTS:
        save.add(part, _content(part, 1))
    save.commit()


def test_kill_at_every_step_of_a_save_leaves_one_whole_save(tmp_path, repo_root):
    outcomes = []
    for kill_at in range(1, 100):
        folder = tmp_path / f"k{kill_at}"
        folder.mkdir()
        _first_save(folder)
        r = subprocess.run([sys.executable, "-c", CHILD, str(repo_root), str(folder), str(kill_at)],
                           capture_output=True, text=True, timeout=60)
        killed = r.returncode == -9
        assert killed or r.returncode == 0, r.stderr
        note = model_files.recover_save(folder, PREFIX)
        contents = {part: (folder / f"{PREFIX}{part}").read_bytes() for part in PARTS}
        iteration = next(i for i in (1, 2) if contents["data.dat"] == _content("data.dat", i))
        assert contents == {part: _content(part, iteration) for part in PARTS}, kill_at
        left = sorted(p.name for p in folder.iterdir() if p.name.endswith((".new", ".tmp")))
        assert left == [], (kill_at, left)
        assert model_files.read_saveset(folder, PREFIX)["iter"] == iteration or not killed
        if killed and note:
            assert f"iteration {iteration}" in note, note
        outcomes.append((kill_at, killed, iteration, note))
        if not killed:
            break
    assert not outcomes[-1][1], "the save never completed"
    kills = [o for o in outcomes if o[1]]
    assert {o[2] for o in kills} == {1, 2}, outcomes   # some kills keep the previous save, later ones the new
    assert any(o[3] and "completed" in o[3] for o in kills) and any(o[3] and "discarded" in o[3] for o in kills)


@pytest.mark.parametrize("fail_at", range(1, 5))
def test_full_disk_during_a_save_keeps_the_previous_one(tmp_path, monkeypatch, fail_at):
    import errno

    from core import pathex
    from core.errors import UserError
    _first_save(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    real_fsync, calls = os.fsync, [0]

    def fsync(fd):
        calls[0] += 1
        if calls[0] == fail_at:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)
    monkeypatch.setattr(pathex.os, "fsync", fsync)
    save = model_files.SaveSet(tmp_path, PREFIX, 2)
    with pytest.raises(UserError, match="the disk is full"):
        try:
            for part in PARTS:
                save.add(part, _content(part, 2))
            save.commit()
        except BaseException:
            save.abort()
            raise
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert model_files.recover_save(tmp_path, PREFIX) is None


def test_a_file_changed_by_another_program_is_reported_and_used(tmp_path):
    _first_save(tmp_path)
    (tmp_path / f"{PREFIX}data.dat").write_bytes(b"the original program saved this")
    note = model_files.recover_save(tmp_path, PREFIX)
    assert "data.dat differ" in note and "using the files as they are" in note


def test_missing_part_points_to_the_copies_that_exist(tmp_path):
    _first_save(tmp_path)
    save = model_files.SaveSet(tmp_path, PREFIX, 2)
    for part in PARTS:
        save.add(part, _content(part, 2))
    save.commit()
    Path(tmp_path / f"{PREFIX}encoder.npy").unlink()
    advice = model_files.describe_copies(tmp_path, PREFIX, "encoder.npy")
    assert advice == f"rename {PREFIX}encoder.npy.bak to {PREFIX}encoder.npy (the save before)"
    assert "no copy" in model_files.describe_copies(tmp_path, PREFIX, "inter.npy")
