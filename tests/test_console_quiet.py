"""The console is the user's: train, merge and export print only our lines; TensorFlow/absl/oneDNN notices and the
grappler "remapper failed" error are hidden unless `--debug`, in the main process and in worker processes."""
import os
import re
import subprocess
import sys

import cv2

from merger_data import align_faces, extract_frames

LIBRARY_LINE = re.compile(r"^[IWEF]\d{4} |absl|oneDNN|cpu_feature_guard|remapper|tensorflow|TensorFlow binary|"
                          r"Warning:|WARNING:|^\s+warnings\.warn|rebuild TensorFlow")
TINY = ["--resolution", "64", "--face-type", "wf", "--archi", "df-ud", "--ae-dims", "32", "--e-dims", "16",
        "--d-dims", "16", "--d-mask-dims", "16", "--batch-size", "2"]


def _run(repo_root, *args):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    r = subprocess.run([sys.executable, str(repo_root / "main.py"), *args, "--non-interactive"], capture_output=True,
                       text=True, timeout=600, env=env, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    return r.stdout.splitlines() + r.stderr.splitlines()


def test_train_merge_export_print_only_our_lines(tmp_path, repo_root):
    dst = extract_frames(tmp_path / "data_dst", 3)
    frames = sorted(dst.glob("*.png"))
    assert len(align_faces([(p.name, cv2.imread(str(p))) for p in frames], dst / "aligned")) == 3
    model = tmp_path / "model"
    lines = _run(repo_root, "train", "--training-data-src-dir", str(dst / "aligned"), "--training-data-dst-dir",
                 str(dst / "aligned"), "--model-dir", str(model), "--model", "SAEHD", "--no-preview", "--cpu-only",
                 "--target-iter", "2", *TINY)
    assert any("Training stopped at iteration 2" in line for line in lines)
    lines += _run(repo_root, "merge", "--input-dir", str(dst), "--output-dir", str(dst / "merged"),
                  "--output-mask-dir", str(dst / "merged_mask"), "--model-dir", str(model), "--model", "SAEHD",
                  "--cpu-only", "--workers", "2")
    assert len(list((dst / "merged").glob("*.png"))) == 3
    lines += _run(repo_root, "exportdfm", "--model-dir", str(model), "--model", "SAEHD")
    assert list(model.glob("*.dfm"))
    noise = [line for line in lines if LIBRARY_LINE.search(line)]
    assert noise == [], noise[:10]


def test_debug_shows_library_logs(repo_root):
    probe = ("import sys; sys.path.insert(0, sys.argv[1]); from core import lognoise; "
             "lognoise.configure(sys.argv[2] == 'debug'); import tensorflow")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    quiet = subprocess.run([sys.executable, "-c", probe, str(repo_root), "quiet"], capture_output=True, text=True,
                           env=env, timeout=300)
    loud = subprocess.run([sys.executable, "-c", probe, str(repo_root), "debug"], capture_output=True, text=True,
                          env=env, timeout=300)
    assert quiet.returncode == loud.returncode == 0, quiet.stderr + loud.stderr
    assert quiet.stderr == "" and "oneDNN" in loud.stderr
