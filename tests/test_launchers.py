"""Every numbered launcher in scripts/: its commands exist and parse, the .bat twin runs the same, and the
video launchers work end to end on the demo workspace."""
import os
import shlex
import shutil
import subprocess
import sys

import imageio_ffmpeg
import pytest

import main

SCRIPTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts")
WS = "/tmp/launcher-test-workspace"
DROPPED = "/tmp/dropped video.mp4"


def launchers():
    """The .sh files that source env.sh (install/demo/test helpers do not)."""
    names = sorted(n for n in os.listdir(SCRIPTS) if n.endswith(".sh") and n != "env.sh")
    return [n for n in names if 'env.sh"' in open(os.path.join(SCRIPTS, n), encoding="utf-8").read()]


def _sh_commands(text):
    subs = [('"$@"', ""), ('"${@:2}"', ""), ("${DFL_WORKSPACE}", WS), ("$DFL_WORKSPACE", WS),
            ("$DFL_ROOT", "/tmp/root"), ('"$1"', shlex.quote(DROPPED))]
    return _commands(text, "$DFL_MAIN", subs)


def _bat_commands(text):
    subs = [("%*", ""), ("%DFL_WORKSPACE%", WS), ("%DFL_ROOT%", "/tmp/root"), ('"%~1"', shlex.quote(DROPPED)),
            ("%1", shlex.quote(DROPPED))]
    return _commands(text.replace("\\", "/"), "%DFL_MAIN%", subs)


def _commands(text, main_var, subs):
    """Argument lists given to main.py, one per launcher line that runs it."""
    found = []
    for line in text.splitlines():
        if main_var not in line:
            continue
        for old, new in subs:
            line = line.replace(old, new)
        tokens = shlex.split(line)
        found.append(tokens[tokens.index(main_var) + 1:])
    return found


def test_there_are_launchers():
    names = launchers()
    assert "1) clear workspace.sh" in names and "8) merged to mp4 lossless.sh" in names


@pytest.mark.parametrize("name", launchers())
def test_launcher_parses(name):
    path = os.path.join(SCRIPTS, name)
    text = open(path, encoding="utf-8").read()
    assert os.access(path, os.X_OK), f"{name} is not executable"
    assert not any(ln.rstrip().endswith("\\") for ln in text.splitlines()), f"{name}: one command per line"
    commands = _sh_commands(text)
    assert commands, f"{name} runs no main.py command"
    parser = main.build_parser()
    for argv in commands:
        try:
            args = parser.parse_args(argv)
        except SystemExit:
            pytest.fail(f"{name}: main.py {' '.join(argv)} does not parse")
        assert callable(getattr(args, "func", None)), f"{name}: {argv[0]} runs nothing"


@pytest.mark.parametrize("name", launchers())
def test_launcher_has_bat_twin(name):
    bat = os.path.join(SCRIPTS, name[:-3] + ".bat")
    assert os.path.isfile(bat), f"{name} has no .bat twin"
    raw = open(bat, "rb").read()
    assert raw.count(b"\r\n") == raw.count(b"\n"), f"{name[:-3]}.bat needs Windows (CRLF) line ends"
    text = raw.decode("utf-8")
    assert text.lstrip().lower().startswith("@echo off") and 'call "%~dp0env.bat"' in text
    sh = _sh_commands(open(os.path.join(SCRIPTS, name), encoding="utf-8").read())
    assert _bat_commands(text) == sh, f"{name[:-3]}.bat runs other commands than the .sh"


def _run(name, *args, env):
    proc = subprocess.run(["bash", os.path.join(SCRIPTS, name + ".sh"), *args, "--non-interactive"],
                          env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
    assert proc.returncode == 0, f"{name}: {proc.stdout[-2000:]}{proc.stderr[-2000:]}"
    assert "Traceback" not in proc.stderr
    return proc


def test_video_launchers_end_to_end(repo_root, tmp_path):
    ws = tmp_path / "workspace"
    ws.mkdir()
    shutil.copy(repo_root / "workspace" / "data_src.mp4", ws)
    shutil.copy(repo_root / "workspace" / "data_dst.mp4", ws)
    (ws / "data_src").mkdir()
    (ws / "data_src" / "old.png").write_bytes(b"stale")
    env = dict(os.environ, DFL_WORKSPACE=str(ws), DFL_PYTHON=sys.executable)

    _run("1) clear workspace", "--yes", env=env)
    assert sorted(p.name for p in ws.iterdir()) == ["data_dst", "data_dst.mp4", "data_src", "data_src.mp4", "model"]
    assert (ws / "data_dst" / "aligned_debug").is_dir()

    _run("2) extract images from video data_src", "--fps", "5", "--output-ext", "jpg", env=env)
    assert len(list((ws / "data_src").glob("*.jpg"))) == 23
    _run("3) extract images from video data_dst FULL FPS", env=env)
    assert len(list((ws / "data_dst").glob("*.png"))) == 60
    _run("3.optional) denoise data_dst images", "--factor", "3", env=env)
    assert len(list((ws / "data_dst").glob("*.png"))) == 60

    dropped = tmp_path / "my clip.mp4"
    shutil.copy(ws / "data_src.mp4", dropped)
    _run("3) cut video (drop video on me)", str(dropped), "--from-time", "1", "--to-time", "2", "--bitrate", "1",
         env=env)
    assert (tmp_path / "my clip_cut.mp4").is_file()

    for sub in ("merged", "merged_mask"):
        shutil.copytree(ws / "data_dst", ws / "data_dst" / sub, ignore=shutil.ignore_patterns("aligned*"))
    _run("8) merged to mp4", "--bitrate", "2", env=env)
    for result in ("result.mp4", "result_mask.mp4"):
        assert imageio_ffmpeg.count_frames_and_secs(str(ws / result))[0] == 60
