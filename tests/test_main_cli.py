"""main.py as users run it: help without TensorFlow, one-line errors with exit codes, no tracebacks."""
import subprocess
import sys

import main

HELP_PROBE = r"""
import argparse, sys, time
t = time.perf_counter()
import main
parser = main.build_parser()
def walk(p):
    p.format_help()
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                walk(sub)
walk(parser)
print(sorted(m for m in ("tensorflow", "keras", "torch") if m in sys.modules))
"""


def run_main(repo_root, *args):
    return subprocess.run([sys.executable, str(repo_root / "main.py"), *args], cwd=repo_root,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)


def test_help_of_every_command_does_not_import_tensorflow(repo_root):
    proc = subprocess.run([sys.executable, "-c", HELP_PROBE], cwd=repo_root, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_help_lists_commands(repo_root):
    proc = run_main(repo_root, "--help")
    assert proc.returncode == 0
    assert "videoed" in proc.stdout and "workspace" in proc.stdout
    assert run_main(repo_root).returncode == 0  # no command: help, like the original


def test_bad_input_is_one_line_with_exit_code(repo_root, tmp_path):
    proc = run_main(repo_root, "videoed", "extract-video", "--input-file", str(tmp_path / "nothing.mp4"),
                    "--output-dir", str(tmp_path / "out"))
    assert proc.returncode == 2
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and "nothing.mp4 does not exist" in err[0]
    proc = run_main(repo_root, "videoed", "cut-video", "--input-file", str(repo_root / "workspace" / "data_dst.*"),
                    "--bitrate", "0", "--non-interactive")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "Bitrate of output file in MB/s: 0 is outside 1..1000" in proc.stderr
    assert not (repo_root / "workspace" / "data_dst_cut.mp4").exists()


def test_unknown_command_is_an_argparse_error(capsys):
    try:
        main.main(["no-such-command"])
    except SystemExit as e:
        assert e.code == 2
    else:
        raise AssertionError("an unknown command was accepted")
    assert "invalid choice" in capsys.readouterr().err


def test_workspace_clear_asks_and_keeps_videos(repo_root, tmp_path):
    ws = tmp_path / "ws"
    (ws / "data_dst" / "merged").mkdir(parents=True)
    (ws / "data_dst" / "merged" / "00001.png").write_bytes(b"x")
    (ws / "data_dst.mp4").write_bytes(b"video")
    (ws / "result.mp4").write_bytes(b"video")
    (ws / "notes.txt").write_text("mine")
    proc = run_main(repo_root, "workspace", "clear", "--workspace-dir", str(ws))
    assert proc.returncode == 2 and "nothing deleted" in proc.stderr  # no terminal: the default answer is no
    assert (ws / "data_dst" / "merged" / "00001.png").exists()
    proc = run_main(repo_root, "workspace", "clear", "--workspace-dir", str(ws), "--yes")
    assert proc.returncode == 0, proc.stderr
    assert "2 files deleted" in proc.stdout
    assert sorted(p.relative_to(ws).as_posix() for p in ws.rglob("*")) == [
        "data_dst", "data_dst.mp4", "data_dst/aligned", "data_dst/aligned_debug", "data_src", "data_src/aligned",
        "data_src/aligned_debug", "model", "notes.txt"]
