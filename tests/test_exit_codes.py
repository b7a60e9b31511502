"""Every command's failure paths (missing weights, nothing to do, bad input) end with a one-line error and a
non-zero exit code, through main.py as a user or a launcher script runs it."""
import subprocess
import sys

import pytest

import main
from facelib import internal_weights


@pytest.fixture
def dirs(tmp_path, data_dir):
    empty = tmp_path / "empty"
    empty.mkdir()
    frames = tmp_path / "frames"
    frames.mkdir()
    (frames / "jesper.jpg").write_bytes((data_dir / "jesper" / "jesper.jpg").read_bytes())
    return {"E": str(empty), "N": str(tmp_path / "missing"), "F": str(frames), "T": str(tmp_path)}


FAILURES = [
    ("extract --input-dir {F} --output-dir {T}/out --detector s3fd", "S3FD.npy"),
    ("extract --input-dir {E} --output-dir {T}/out", "no images"),
    ("extract --input-dir {N} --output-dir {T}/out", "does not exist"),
    ("extract --input-dir {F} --output-dir {T}/out --min-face-size -3", "outside"),
    ("extract --input-dir {F} --output-dir {F}", "must not be the input folder"),
    ("sort --input-dir {N}", "does not exist"),
    ("sort --input-dir {E}", "nothing to sort"),
    ("train --training-data-src-dir {N} --training-data-dst-dir {N} --model-dir {T}/m --model SAEHD",
     "does not exist"),
    ("train --training-data-src-dir {E} --training-data-dst-dir {E} --model-dir {T}/m --model SAEHD",
     "No training data"),
    ("merge --input-dir {F} --output-dir {T}/mo --output-mask-dir {T}/mm --model-dir {T}/m --model SAEHD",
     "does not exist"),
    ("videoed extract-video --input-file {N}.mp4 --output-dir {T}/vo", "does not exist"),
    ("videoed video-from-sequence --input-dir {E} --output-file {T}/x.mp4", "no .png images"),
    ("xseg apply --input-dir {E} --model-dir {T}/m", "no XSeg model"),
    ("xseg remove --input-dir {E}", "no aligned faces"),
    ("xseg fetch --input-dir {E}", "no aligned faces"),
    ("util --input-dir {E} --pack-faceset", "no aligned faces"),
    ("util --input-dir {E} --add-landmarks-debug-images", "no aligned faces"),
    ("util --input-dir {E}", "choose a job"),
    ("facesettool resize --input-dir {E}", "no aligned faces"),
    ("exportdfm --model-dir {N} --model SAEHD", "does not exist"),
    ("exportdfm --model-dir {E} --model SAEHD", "no trained SAEHD model"),
    ("report --workspace-dir {N}", "does not exist"),
    ("view --input-dir {E}", "no images"),
]


@pytest.mark.parametrize("command,message", FAILURES, ids=[c.split(" --")[0] + ": " + m for c, m in FAILURES])
def test_failure_exits_non_zero_with_one_line(command, message, dirs, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(internal_weights, "INTERNAL_DIR", tmp_path / "_internal")
    rc = main.main(command.format(**dirs).split() + ["--non-interactive"])
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert rc != 0, command
    errors = [line for line in err if "Error:" in line]
    assert len(errors) == 1 and message in errors[0], err


def test_missing_arguments_exit_non_zero(capsys):
    with pytest.raises(SystemExit) as e:
        main.main(["merge", "--non-interactive"])
    assert e.value.code != 0


def test_process_exit_code_for_missing_detector_weights(dirs, repo_root, tmp_path):
    """The real process, as the launcher scripts run it (they pass its exit code on)."""
    if internal_weights.is_present("S3FD.npy"):
        pytest.skip("_internal/S3FD.npy is present here")
    out = subprocess.run([sys.executable, str(repo_root / "main.py"), "extract", "--input-dir", dirs["F"],
                          "--output-dir", str(tmp_path / "out"), "--detector", "s3fd", "--non-interactive"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode != 0
    assert "S3FD.npy" in out.stderr and "Traceback" not in out.stderr


def test_output_folder_blocked_by_a_file_is_one_line(repo_root, tmp_path, capsys):
    """A path error no command checked itself (here a file where the output folder's parent should be)."""
    blocker = tmp_path / "a_file"
    blocker.write_bytes(b"")
    rc = main.main(["videoed", "extract-video", "--input-file", str(repo_root / "workspace" / "data_src.mp4"),
                    "--output-dir", str(blocker / "out"), "--non-interactive"])
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert rc == 1
    assert len(err) == 1 and str(blocker / "out") in err[0] and "Traceback" not in err[0], err
