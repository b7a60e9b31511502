"""XSeg model: options and files as the original's (no model name, XSeg_<res>.npy), restart, pretrain, previews, the
`train --model XSeg` launcher path, and learning: a small XSeg (64 px, base 8, lr 1e-3 — test-only settings, the
original fixes 256 px / 32 / 1e-4) trained on 20 faces labelled with their landmark hull masks the held-out faces
with IoU >= 0.8. Faces: the original's aligned faces (../shared/compat)."""

import cv2
import numpy as np
import pytest

from core import interact
from core.dflimg import DFLJPG, SegIEPolys, SegIEPolyType
from core.errors import UserError
from core.leras import weights


@pytest.fixture(autouse=True)
def _no_prompts():
    interact.set_non_interactive(True)
    yield
    interact.set_non_interactive(False)


@pytest.fixture(scope="module")
def Tiny():
    from models.Model_XSeg.Model import Model

    class Tiny(Model):
        RESOLUTION = 64
        BASE_CH = 8
        LR = 1e-3
    return Tiny


@pytest.fixture
def folders(compat_copy):
    """data_src/aligned: 22 faces, 3 with polygons (include + mouth exclude); data_dst/aligned: 9 faces."""
    return compat_copy("aligned_whole_face"), compat_copy("data_dst/aligned")


def _hull(d):
    return cv2.convexHull(np.asarray(d.get_landmarks(), np.float32))[:, 0]


def _weights_of(m):
    return {k: v.numpy().copy() for k, v in m.net.model.get_weights_dict().items()}


def test_files_options_restart(Tiny, folders, tmp_path, capsys):
    from models.Model_XSeg.Model import Model
    src, dst = folders
    model_dir = tmp_path / "model"
    assert (Model.RESOLUTION, Model.BASE_CH, Model.LR, Model.LR_DROPOUT) == (256, 32, 1e-4, 0.3)
    m = Tiny(model_dir, training_data_src_path=src, training_data_dst_path=dst, cpu_only=True, debug=True)
    assert "Using 3 segmented samples." in capsys.readouterr().out
    assert m.options == {"face_type": "wf", "target_iter": 0, "batch_size": 4, "pretrain": False}
    assert type(m.net.opt).__name__ == "RMSprop" and m.net.opt.lr_dropout == 0.3
    for _ in range(3):
        m.train_one_iter()
    assert m.loss_names == ["loss"] and len(m.loss_history) == 3
    m.save()
    m.finalize()
    assert sorted(p.name for p in model_dir.iterdir()) == [
        "XSeg_64.npy", "XSeg_64_opt.npy", "XSeg_data.dat", "XSeg_default_options.dat", "XSeg_saveset.json",
        "XSeg_summary.txt"]
    saved = weights.read_weight_file(model_dir / "XSeg_64.npy")

    again = Tiny(model_dir, training_data_src_path=src, training_data_dst_path=dst, cpu_only=True, debug=True)
    assert again.iter == 3 and all(np.array_equal(v, saved[k]) for k, v in _weights_of(again).items())
    again.finalize()

    with pytest.raises(UserError, match="--face-type"):
        Tiny(model_dir, training_data_src_path=src, training_data_dst_path=dst, cpu_only=True, debug=True,
             option_values={"face_type": "f"})
    with pytest.raises(UserError, match="Batch_size"):
        Tiny(model_dir, training_data_src_path=src, training_data_dst_path=dst, cpu_only=True, debug=True,
             option_values={"batch_size": 1})
    with pytest.raises(UserError, match="--restart-training"):   # nothing to restart on a new model
        Tiny(tmp_path / "new", training_data_src_path=src, training_data_dst_path=dst, cpu_only=True, debug=True,
             option_values={"restart_training": True})

    fresh = Tiny(model_dir, training_data_src_path=src, training_data_dst_path=dst, cpu_only=True, debug=True,
                 option_values={"restart_training": True})
    assert fresh.iter == 0 and fresh.loss_history == [] and "restart_training" not in fresh.options
    assert not np.array_equal(_weights_of(fresh)["conv01/conv/weight:0"], saved["conv01/conv/weight:0"])
    fresh.finalize()


def test_previews_and_pretrain(Tiny, folders, tmp_path):
    src, dst = folders
    empty = tmp_path / "empty"
    empty.mkdir()
    m = Tiny(tmp_path / "m", training_data_src_path=src, training_data_dst_path=empty, cpu_only=True, debug=True)
    previews = m.get_previews()
    assert [n for n, _ in previews] == ["XSeg training faces", "XSeg src faces"]
    assert all(img.shape == (4 * 64, 3 * 64, 3) for _, img in previews)
    train_img = previews[0][1]
    image, mask = m.sample_for_preview[0]
    # first column: the face where the label is, half green elsewhere
    outside = mask[0, ..., 0] == 0
    np.testing.assert_allclose(train_img[:64, :64][outside], 0.5 * image[0][outside] + 0.5 * np.float32([0, 1, 0]),
                               atol=1e-5)
    m.finalize()

    p = Tiny(tmp_path / "p", training_data_src_path=src, training_data_dst_path=dst, pretraining_data_path=dst,
             cpu_only=True, debug=True, option_values={"pretrain": True})
    image, grey = p.generate_next_samples()[0]
    assert image.shape == (4, 64, 64, 3) and grey.shape == (4, 64, 64, 1)
    p.train_one_iter()
    p.train_one_iter()
    assert [n for n, _ in p.get_previews()] == ["XSeg training faces"]
    assert p.get_previews()[0][1].shape == (4 * 64, 2 * 64, 3)
    p.save()
    p.finalize()
    with pytest.raises(UserError, match="--pretraining-data-dir"):
        Tiny(tmp_path / "q", training_data_src_path=src, training_data_dst_path=dst, cpu_only=True, debug=True,
             option_values={"pretrain": True})
    off = Tiny(tmp_path / "p", training_data_src_path=src, training_data_dst_path=dst, cpu_only=True, debug=True,
               option_values={"pretrain": False})
    assert off.iter == 0 and len(off.generator_list) == 3 and len(off.sample_for_preview) == 3
    off.finalize()


def test_train_launcher_path_headless(folders, tmp_path):
    """`train --model XSeg` at the original's size (256 px, 17.57 M parameters): two steps, then the files."""
    import main
    src, dst = folders
    model_dir = tmp_path / "model"
    rc = main.main(["train", "--training-data-src-dir", str(src), "--training-data-dst-dir", str(dst),
                    "--model-dir", str(model_dir), "--model", "XSeg", "--no-preview", "--cpu-only",
                    "--target-iter", "2", "--batch-size", "2", "--non-interactive", "--debug"])
    assert rc == 0
    names = {p.name for p in model_dir.iterdir()}
    assert {"XSeg_256.npy", "XSeg_256_opt.npy", "XSeg_data.dat", "XSeg_preview.jpg", "XSeg_loss.csv"} <= names
    assert (model_dir / "XSeg_loss.csv").read_text().splitlines()[0] == "iter,loss"
    assert weights.read_weight_file(model_dir / "XSeg_256.npy")["dense1/weight:0"].shape == (4 * 4 * 256, 512)


def test_learns_landmark_hull_masks(Tiny, folders, tmp_path):
    """20 faces labelled with their landmark hull, 11 held out: mean IoU >= 0.8 after 300 steps (batch 4)."""
    src, dst = folders
    files = sorted(src.glob("*.jpg")) + sorted(dst.glob("*.jpg"))
    order = np.random.RandomState(0).permutation(len(files))
    train, held = [files[i] for i in order[:20]], [files[i] for i in order[20:]]
    for f in files:
        d = DFLJPG.load(f)
        polys = SegIEPolys()
        if f in train:
            poly = polys.add_poly(SegIEPolyType.INCLUDE)
            for x, y in _hull(d):
                poly.add_pt(x, y)
        d.set_seg_ie_polys(polys)
        d.set_xseg_mask(None)
        d.save()

    def hull_mask(d):
        s = d.get_shape()[0]
        g = np.zeros((s, s), np.float32)
        cv2.fillConvexPoly(g, _hull(d).astype(np.int32), 1)
        return cv2.resize(g, (64, 64)) >= 0.5

    held_faces = np.stack([cv2.resize(DFLJPG.load(f).get_img(), (64, 64), interpolation=cv2.INTER_AREA)
                           for f in held]).astype(np.float32) / 255
    held_masks = np.stack([hull_mask(DFLJPG.load(f)) for f in held])
    mean_label = np.mean([hull_mask(DFLJPG.load(f)) for f in train], axis=0) >= 0.5

    def iou(pred):
        return float(np.mean([(p & g).sum() / max(1, (p | g).sum()) for p, g in zip(pred, held_masks)]))

    m = Tiny(tmp_path / "model", training_data_src_path=src, training_data_dst_path=dst, cpu_only=True)
    start = iou(m.predict_masks(held_faces)[..., 0] >= 0.5)
    for _ in range(300):
        m.train_one_iter()
    m.finalize()
    end = iou(m.predict_masks(held_faces)[..., 0] >= 0.5)
    baseline = iou(np.repeat(mean_label[None], len(held), 0))
    print(f"XSeg held-out IoU: {start:.3f} -> {end:.3f} after 300 steps (mean training label: {baseline:.3f})")
    losses = [row[0] for row in m.loss_history]
    assert np.mean(losses[-30:]) < 0.6 * np.mean(losses[:30])
    assert end >= 0.8 and end > baseline
