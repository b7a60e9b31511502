"""`xseg apply` / `remove` / `remove_labels` / `fetch`, the generic model folder, XSeg weight files, and the applied
mask as SAEHD's training mask. Faces made from tests/data photos (one has polygons, one an applied mask); the XSeg
models are small synthetic ones (base 4 channels at the original's 256 px)."""
import shutil

import cv2
import numpy as np
import pytest

import main
from core import interact
from core.dflimg import DFLJPG, SegIEPolys, SegIEPolyType
from core.dflimg.dfljpg import XSEG_MASK_MAX_BYTES
from core.errors import UserError
from core.leras import weights
from faceset_fixtures import made_faces_dir  # noqa: F401  (fixture)
from mainscripts import XSegUtil
from models import model_files


@pytest.fixture(autouse=True)
def _no_prompts():
    interact.set_non_interactive(True)
    yield
    interact.set_non_interactive(False)


@pytest.fixture
def aligned(made_faces_dir, tmp_path):
    dst = tmp_path / "aligned"
    shutil.copytree(made_faces_dir, dst)
    for p in dst.iterdir():
        p.chmod(0o644)
    return dst


@pytest.fixture(scope="module")
def xseg_model_dir(tmp_path_factory):
    """A trained-model folder as the original writes it: XSeg_256.npy (+ _opt) and XSeg_data.dat (face type wf)."""
    from core.leras import optimizers
    from facelib.XSegNet import XSegNet
    root = tmp_path_factory.mktemp("xseg_model")
    net = XSegNet(root, base_ch=4, training=True, optimizer=optimizers.RMSprop(lr=1e-4, lr_dropout=0.3, name="opt"))
    for saveable, name in net.model_filename_list:
        saveable.save_weights(str(root / name))
    model_files.write_data(root / "XSeg_data.dat", 100, {"face_type": "wf", "pretrain": False, "batch_size": 16},
                           [], None, None)
    return root


def _state(folder):
    out = {}
    for p in sorted(folder.glob("*.jpg")):
        d = DFLJPG.load(p)
        out[p.name] = (d.has_seg_ie_polys(), d.has_xseg_mask(), d.get_img().tobytes())
    return out


def _label(path):
    d = DFLJPG.load(path)
    polys = SegIEPolys()
    poly = polys.add_poly(SegIEPolyType.INCLUDE)
    for x, y in cv2.convexHull(d.get_landmarks().astype(np.float32))[:, 0]:
        poly.add_pt(x, y)
    d.set_seg_ie_polys(polys)
    d.save()


# ------------------------------------------------------------------------------------------------------ weights
def test_weight_file_round_trip_keys_and_inference(xseg_model_dir):
    from facelib.XSegNet import XSegNet
    arrays = weights.read_weight_file(xseg_model_dir / "XSeg_256.npy")
    assert list(arrays)[:6] == ["conv01/conv/weight:0", "conv01/conv/bias:0", "conv01/frn/weight:0",
                                "conv01/frn/bias:0", "conv01/frn/eps:0", "conv01/tlu/tau:0"]
    assert arrays["dense1/weight:0"].shape == (4 * 4 * 4 * 8, 512)
    opt = weights.read_weight_file(xseg_model_dir / "XSeg_256_opt.npy")
    assert "iters:0" in opt and "acc_XSeg/conv01/conv/weight_0:0" in opt

    net = XSegNet(xseg_model_dir)   # base channels read from the file
    assert net.base_ch == 4 and net.get_resolution() == 256
    for key, var in net.model.get_weights_dict().items():
        np.testing.assert_array_equal(var.numpy(), arrays[key])
    faces = np.random.RandomState(0).uniform(0, 1, (3, 256, 256, 3)).astype(np.float32)
    raw = net.predict(faces)
    masks = net.extract(faces)
    assert masks.shape == (3, 256, 256, 1) and net.extract(faces[0]).shape == (256, 256, 1)
    np.testing.assert_allclose(masks, np.where(raw < 0.1, 0, raw), atol=1e-6)   # noise below 0.1 removed


def test_missing_or_foreign_weight_files_are_user_errors(tmp_path, xseg_model_dir):
    from facelib.XSegNet import XSegNet
    with pytest.raises(UserError, match="XSeg_256.npy is missing"):
        XSegNet(tmp_path)
    weights.write_weight_file(tmp_path / "XSeg_256.npy", {"encoder/weight:0": np.zeros((3, 3), np.float32)})
    with pytest.raises(UserError, match="not an XSeg model"):
        XSegNet(tmp_path)


# -------------------------------------------------------------------------------------------------------- apply
def test_apply_writes_binary_masks_and_nothing_else(aligned, xseg_model_dir):
    before = _state(aligned)
    summary = XSegUtil.apply_xseg(aligned, xseg_model_dir, device_idxs=[])
    after = _state(aligned)
    assert summary["faces masked"] == len(before) >= 6
    for name, (polys, _, pixels) in before.items():
        assert after[name][0] == polys and after[name][2] == pixels   # labels and image untouched
        d = DFLJPG.load(aligned / name)
        mask = d.get_xseg_mask()
        assert mask.shape == (256, 256, 1) and set(np.unique(mask)) <= {0.0, 1.0}
        assert len(d.get_xseg_mask_compressed()) <= XSEG_MASK_MAX_BYTES


def test_apply_reframes_faces_of_another_type(aligned, xseg_model_dir, monkeypatch):
    """A full-face XSeg model on whole-face faces masks only the full-face part of each face."""
    from facelib.XSegNet import XSegNet
    monkeypatch.setattr(XSegNet, "extract", lambda self, faces: np.ones(np.shape(faces)[:-1] + (1,), np.float32))
    with pytest.raises(UserError, match="trained on 'wf' faces"):
        XSegUtil.apply_xseg(aligned, xseg_model_dir, face_type_value="f", device_idxs=[])
    other = aligned.parent / "ft_model"
    other.mkdir()
    shutil.copy(xseg_model_dir / "XSeg_256.npy", other)   # no XSeg_data.dat: the face type is asked
    XSegUtil.apply_xseg(aligned, other, face_type_value="f", device_idxs=[])
    for p in sorted(aligned.glob("*.jpg")):
        mask = DFLJPG.load(p).get_xseg_mask()[..., 0]
        assert mask[128, 128] == 1 and mask[2, 2] == 0 and mask[-3, -3] == 0
        assert 0.2 < mask.mean() < 0.8
    XSegUtil.apply_xseg(aligned, other, face_type_value="same", device_idxs=[])
    assert DFLJPG.load(sorted(aligned.glob("*.jpg"))[0]).get_xseg_mask().min() == 1.0


def test_generic_apply_through_the_cli(aligned, xseg_model_dir, tmp_path, capsys):
    generic = tmp_path / "_internal" / "model_generic_xseg"
    rc = main.main(["xseg", "apply", "--input-dir", str(aligned), "--model-dir", str(generic), "--cpu-only"])
    err = capsys.readouterr().err
    assert rc == 2 and "model_generic_xseg" in err and "XSeg_256.npy" in err and len(err.strip().splitlines()) == 1
    generic.mkdir(parents=True)
    for name in ("XSeg_256.npy", "XSeg_data.dat"):
        shutil.copy(xseg_model_dir / name, generic)
    assert main.main(["xseg", "apply", "--input-dir", str(aligned), "--model-dir", str(generic), "--cpu-only"]) == 0
    assert all(has_mask for _, has_mask, _ in _state(aligned).values())


def test_applied_mask_is_the_training_mask_of_saehd(aligned):
    """SAEHD/AMP masked training takes the applied XSeg mask over the landmark hull (the FULL_FACE mask)."""
    from facelib.FaceType import FaceType
    from samplelib.Sample import Sample
    from samplelib.SampleProcessor import ChannelType, FaceMaskType, Options, SampleType, process
    path = sorted(aligned.glob("*.jpg"))[0]
    d = DFLJPG.load(path)
    size = d.get_shape()[0]
    mask = np.zeros((size, size, 1), np.float32)
    mask[:, : size // 3] = 1
    d.set_xseg_mask(mask)
    d.save()
    out = dict(sample_type=SampleType.FACE_MASK, resolution=size, face_type=FaceType.WHOLE_FACE, warp=False,
               transform=False, channel_type=ChannelType.G, face_mask_type=FaceMaskType.FULL_FACE)
    got = process(Sample.from_dflimg(path, DFLJPG.load(path)), Options(random_flip=False), [out], seed=1)[0]
    np.testing.assert_allclose(got, mask, atol=1e-6)


# ------------------------------------------------------------------------------------------------ remove / fetch
def _mask_all(folder):
    for p in folder.glob("*.jpg"):
        d = DFLJPG.load(p)
        s = d.get_shape()[0]
        d.set_xseg_mask(np.ones((s, s, 1), np.float32))
        d.save()


def test_remove_warns_and_removes_only_the_masks(aligned, capsys):
    _mask_all(aligned)
    before = _state(aligned)
    summary = XSegUtil.remove_xseg(aligned)
    out = capsys.readouterr().out
    assert out.count("!!! WARNING : APPLIED XSEG MASKS WILL BE REMOVED FROM THE FRAMES !!!") == 3
    assert "Press enter to continue." in out and summary["masks removed"] == len(before)
    for name, (polys, _, pixels) in _state(aligned).items():
        assert (polys, pixels) == (before[name][0], before[name][2])
    assert not any(m for _, m, _ in _state(aligned).values())
    assert any(p for p, _, _ in before.values())


def test_remove_labels_warns_and_removes_only_the_polygons(aligned, capsys):
    _mask_all(aligned)
    before = _state(aligned)
    assert main.main(["xseg", "remove_labels", "--input-dir", str(aligned)]) == 0
    out = capsys.readouterr().out
    assert out.count("!!! WARNING : LABELED XSEG POLYGONS WILL BE REMOVED FROM THE FRAMES !!!") == 3
    after = _state(aligned)
    assert not any(p for p, _, _ in after.values())
    assert all(after[n][1:] == before[n][1:] for n in before)


def test_fetch_copies_labelled_faces_and_deletes_them_when_asked(aligned):
    names = sorted(p.name for p in aligned.glob("*.jpg"))
    _label(aligned / names[1])
    labelled = sorted(n for n, (polys, _, _) in _state(aligned).items() if polys)
    assert len(labelled) == 2
    assert main.main(["xseg", "fetch", "--input-dir", str(aligned), "--delete-original", "n"]) == 0
    out_dir = aligned.parent / "aligned_xseg"
    assert sorted(p.name for p in out_dir.iterdir()) == labelled
    assert sorted(p.name for p in aligned.glob("*.jpg")) == names
    for n in labelled:
        assert (out_dir / n).read_bytes() == (aligned / n).read_bytes()
    shutil.rmtree(out_dir)
    summary = XSegUtil.fetch_xseg(aligned)   # the original's default: delete the originals
    assert summary["originals deleted"] == 2
    assert sorted(p.name for p in aligned.glob("*.jpg")) == sorted(set(names) - set(labelled))
    assert sorted(p.name for p in out_dir.iterdir()) == labelled


def test_merger_finds_the_xseg_model_in_the_model_folder(xseg_model_dir, tmp_path):
    from facelib.XSegNet import XSegNet, load_for_merger
    assert load_for_merger(tmp_path) is None
    assert isinstance(load_for_merger(xseg_model_dir), XSegNet)
