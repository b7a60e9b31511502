"""The AMP, export and enhance launchers end to end on a small real workspace: train AMP (and SRC-SRC) headless,
merge with AMP at a morph factor, export SAEHD (the original's M1 model) and AMP as .dfm, enhance both facesets."""
import os
import shutil
import subprocess

import onnx

from merger_data import make_workspace

SCRIPTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts")
TINY_AMP = ["--resolution", "64", "--face-type", "wf", "--ae-dims", "32", "--inter-dims", "32", "--e-dims", "16",
            "--d-dims", "16", "--d-mask-dims", "16", "--batch-size", "2"]
COMMON = ["--cpu-only", "--debug", "--non-interactive", "--no-preview", "--target-iter", "2"]


def _run(ws, launcher, *args):
    env = dict(os.environ, DFL_WORKSPACE=str(ws), TF_CPP_MIN_LOG_LEVEL="3")
    r = subprocess.run(["bash", os.path.join(SCRIPTS, f"{launcher}.sh"), *args], capture_output=True, text=True,
                       env=env, timeout=600)
    assert r.returncode == 0, f"{launcher}: {r.stdout[-2000:]}{r.stderr[-3000:]}"
    return r.stdout


def test_amp_export_and_enhance_launchers(compat_dir, tmp_path):
    ws = tmp_path / "workspace"
    src = ws / "data_src" / "aligned"
    src.mkdir(parents=True)
    for name in ("anne_helene_0.jpg", "jesper_2_0.jpg", "grace_hopper_0.jpg"):
        shutil.copy(compat_dir / "aligned_whole_face" / name, src / name)
        (src / name).chmod(0o644)
    make_workspace(ws, compat_dir)
    model = ws / "model"

    _run(ws, "6) train AMP", "--force-model-name", "amp", *TINY_AMP, *COMMON)
    _run(ws, "6) train AMP SRC-SRC", "--force-model-name", "srcsrc", *TINY_AMP, *COMMON)
    assert {"amp_AMP_inter_src.npy", "srcsrc_AMP_decoder.npy", "amp_AMP_preview.jpg"} <= {p.name for p in
                                                                                         model.iterdir()}

    out = _run(ws, "7) merge AMP", "--force-model-name", "amp", "--cpu-only", "--non-interactive", "--interactive",
               "n", "--morph-factor", "0.5", "--workers", "1")
    assert "Morph factor ( 0.0..1.0 ) : 0.5" in out
    assert len(list((ws / "data_dst" / "merged").glob("*.png"))) == len(list((ws / "data_dst").glob("*.png")))

    _run(ws, "6) export AMP as dfm", "--force-model-name", "amp", "--non-interactive", "--quantized", "y")
    names = [i.name for i in onnx.load(str(model / "amp_AMP_model.dfm")).graph.input]
    assert names == ["in_face:0", "morph_value:0"]
    for p in (compat_dir / "models" / "M1").iterdir():
        shutil.copy(p, model / p.name)
        (model / p.name).chmod(0o644)
    _run(ws, "6) export SAEHD as dfm", "--force-model-name", "M1", "--non-interactive")
    assert (model / "M1_SAEHD_model.dfm").stat().st_size > 10 ** 6

    # One face per side is enough to prove the enhance launchers (the tool itself: test_faceset_enhance.py).
    for launcher, folder in (("4.2) data_src util faceset enhance", "data_src"),
                             ("5.2) data_dst util faceset enhance", "data_dst")):
        faces = sorted((ws / folder / "aligned").glob("*.jpg"))
        for p in faces[1:]:
            p.unlink()
        out = _run(ws, launcher, "--non-interactive", "--enhancer", "realesr-animevideov3", "--merge", "n")
        assert "Done: 1 faces enhanced" in out
        assert [p.name for p in (ws / folder / "aligned_enhanced").glob("*.jpg")] == [faces[0].name]
