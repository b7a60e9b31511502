"""The "6) train SAEHD no preview" launcher trains a new tiny model on real aligned faces end to end (real sample
generators, console line, headless preview and loss CSV), and a second run continues it."""
import os
import re
import shutil
import subprocess

SCRIPTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts")
TINY = ["--force-model-name", "tiny", "--resolution", "64", "--face-type", "wf", "--archi", "df-ud", "--ae-dims", "32",
        "--e-dims", "16", "--d-dims", "16", "--d-mask-dims", "16", "--batch-size", "2", "--cpu-only", "--debug",
        "--non-interactive"]


def _run(ws, *args):
    env = dict(os.environ, DFL_WORKSPACE=str(ws), TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run(["bash", os.path.join(SCRIPTS, "6) train SAEHD no preview.sh"), *args],
                          capture_output=True, text=True, env=env, timeout=300)


def test_train_saehd_launcher_headless_on_real_faces(compat_dir, tmp_path):
    ws = tmp_path / "workspace"
    shutil.copytree(compat_dir / "aligned_whole_face", ws / "data_src" / "aligned")
    shutil.copytree(compat_dir / "data_dst" / "aligned", ws / "data_dst" / "aligned")
    r = _run(ws, *TINY, "--target-iter", "3")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert re.search(r"\[\d\d:\d\d:\d\d\]\[#000003\]\[\d{4}ms\]\[\d+\.\d{4}\]\[\d+\.\d{4}\]", r.stdout)
    model = ws / "model"
    assert (model / "tiny_SAEHD_preview.jpg").stat().st_size > 1000
    assert len((model / "tiny_SAEHD_loss.csv").read_text().splitlines()) == 4
    assert {"tiny_SAEHD_inter.npy", "tiny_SAEHD_decoder_src.npy", "tiny_SAEHD_src_dst_opt.npy"} <= \
        {p.name for p in model.iterdir()}
    r = _run(ws, "--force-model-name", "tiny", "--cpu-only", "--debug", "--non-interactive", "--target-iter", "4")
    assert r.returncode == 0, r.stderr[-3000:]
    assert len((model / "tiny_SAEHD_loss.csv").read_text().splitlines()) == 5
    r = _run(ws, "--force-model-name", "tiny", "--cpu-only", "--non-interactive", "--resolution", "128")
    assert r.returncode != 0 and "--resolution" in r.stderr and "Traceback" not in r.stderr
