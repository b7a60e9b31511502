"""The quality report on a real tiny SAEHD (res 64, dims 16-32) trained here: src = the talking-head clip of Jesper
(tests/data/jesper/movie.avi), dst = the eriberto clip. Between an early and a later checkpoint the swapped faces'
identity distance to the src faceset falls, and the model's dst->dst reconstruction improves."""
from argparse import Namespace

import cv2
import imageio_ffmpeg
import numpy as np
import pytest

from merger_data import N_FRAMES, align_faces, extract_frames

TINY = ["--resolution", "64", "--face-type", "wf", "--archi", "df-ud", "--ae-dims", "32", "--e-dims", "16",
        "--d-dims", "16", "--d-mask-dims", "16", "--batch-size", "4"]
SRC_FRAMES = 24


def _src_frames(data_dir):
    gen = imageio_ffmpeg.read_frames(str(data_dir / "jesper" / "movie.avi"))
    meta = next(gen)
    w, h = meta["size"]
    frames = [np.frombuffer(raw, np.uint8).reshape(h, w, 3)[..., ::-1].copy() for raw in gen]
    idx = np.linspace(0, len(frames) - 1, SRC_FRAMES).astype(int)
    # Upscaled x2 so dlib's detector finds the 160x120 clip's face reliably.
    return [(f"{i:05d}.png", cv2.resize(frames[i], (2 * w, 2 * h), interpolation=cv2.INTER_CUBIC)) for i in idx]


def _train(ws, target_iter):
    import main
    assert main.main(["train", "--non-interactive", "--training-data-src-dir", str(ws / "data_src" / "aligned"),
                      "--training-data-dst-dir", str(ws / "data_dst" / "aligned"), "--model-dir", str(ws / "model"),
                      "--model", "SAEHD", "--force-model-name", "tiny", "--cpu-only", "--no-preview",
                      "--target-iter", str(target_iter), *TINY]) == 0


def _merge(ws):
    import main
    dst = ws / "data_dst"
    assert main.main(["merge", "--non-interactive", "--input-dir", str(dst), "--output-dir", str(dst / "merged"),
                      "--output-mask-dir", str(dst / "merged_mask"), "--model-dir", str(ws / "model"),
                      "--model", "SAEHD", "--force-model-name", "tiny", "--cpu-only", "--workers", "1",
                      "--mode", "overlay"]) == 0


def _report(ws, name):
    from mainscripts.report.run import main
    return main(Namespace(workspace_dir=str(ws), model_dir=str(ws / "model"), model="SAEHD", force_model_name="tiny",
                          holdout_dir=str(ws / "holdout"), aligned_dir=None, src_aligned_dir=None, merged_dir=None,
                          merged_mask_dir=None, output_dir=str(ws / name), max_src_faces=50, landmarker="dlib68"))


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory, data_dir):
    import tensorflow as tf

    from core import interact
    # A fixed initialisation: the early checkpoint's (untrained) faces then look the same from run to run.
    tf.random.set_seed(1)
    np.random.seed(1)
    ws = tmp_path_factory.mktemp("ws")
    assert len(align_faces(_src_frames(data_dir), ws / "data_src" / "aligned")) >= SRC_FRAMES - 2
    dst = extract_frames(ws / "data_dst", N_FRAMES)
    frames = sorted(dst.glob("*.png"))
    assert len(align_faces([(p.name, cv2.imread(str(p))) for p in frames], dst / "aligned")) == N_FRAMES
    # Held-out dst faces for the model figures: later frames of the clip, never trained on.
    later = extract_frames(ws / "later", 40)
    align_faces([(p.name, cv2.imread(str(p))) for p in sorted(later.glob("*.png"))[30:]], ws / "holdout")
    out = {}
    try:
        for name, it in (("early", 2), ("late", 1000)):
            _train(ws, it)
            _merge(ws)
            out[name] = _report(ws, f"report_{name}")
    finally:
        interact.set_non_interactive(False)
    return out


def test_identity_to_src_falls_as_training_proceeds(checkpoints):
    early, late = checkpoints["early"]["totals"], checkpoints["late"]["totals"]
    print("id_to_src", early["id_to_src"]["mean"], "->", late["id_to_src"]["mean"])
    assert late["id_to_src"]["mean"] < early["id_to_src"]["mean"] - 0.01


def test_model_reconstruction_improves_and_is_marked_held_out(checkpoints):
    early, late = checkpoints["early"]["model"], checkpoints["late"]["model"]
    assert early["iter"] == 2 and late["iter"] == 1000 and late["held_out"] and late["faces"] >= 8
    print("ssim", early["ssim"], "->", late["ssim"], "psnr", early["psnr"], "->", late["psnr"])
    assert late["ssim"] > early["ssim"] + 0.05
    assert late["psnr"] > early["psnr"] + 1.0
