"""`facesettool enhance` on the original's aligned faces: each face goes through the x4 network, comes back at its
own size with its metadata unchanged into `<dir>_enhanced`, and merges back on request."""
import shutil

import cv2
import numpy as np
import pytest

from core import interact
from core.dflimg import DFLJPG

FACES = ("anne_helene_0.jpg", "grace_hopper_0.jpg")   # grace_hopper_0 has polygons and an XSeg mask


@pytest.fixture(autouse=True)
def _non_interactive():
    interact.set_non_interactive(True)
    yield
    interact.set_non_interactive(False)


@pytest.fixture
def aligned(tmp_path, compat_dir):
    d = tmp_path / "data_src" / "aligned"
    d.mkdir(parents=True)
    for name in FACES:
        # Half size keeps the network fast; the metadata stays as the original wrote it.
        src = DFLJPG.load(compat_dir / "aligned_whole_face" / name)
        small = cv2.resize(src.get_img(), (128, 128), interpolation=cv2.INTER_AREA)
        face = DFLJPG.create(d / name, small, quality=95, save=False)
        face.meta = src.meta.copy()
        face.save()
    return d


@pytest.fixture
def x4_calls(monkeypatch):
    """Records the shapes going into and out of the x4 network."""
    from merger import enhancers
    calls = []
    real = enhancers.get_enhancer

    def spy(name):
        net = real(name)

        def run(img):
            out = net(img)
            calls.append((img.shape, out.shape))
            return out
        return run
    monkeypatch.setattr(enhancers, "get_enhancer", spy)
    return calls


def _run(*argv):
    import main
    return main.main(["facesettool", "enhance", "--non-interactive", *argv])


def test_enhance_quadruples_restores_size_and_keeps_metadata(aligned, x4_calls):
    before = {n: DFLJPG.load(aligned / n) for n in FACES}
    assert _run("--input-dir", str(aligned), "--enhancer", "realesr-animevideov3", "--merge", "n") == 0
    out_dir = aligned.parent / "aligned_enhanced"
    assert x4_calls == [((128, 128, 3), (512, 512, 3))] * len(FACES)
    for n in FACES:
        new = DFLJPG.load(out_dir / n)
        assert new.get_img().shape == (128, 128, 3)
        assert new.meta.to_app15() == before[n].meta.to_app15()          # every key and value
        diff = np.abs(new.get_img().astype(np.float32) - before[n].get_img()).mean()
        assert 0.5 < diff < 20, diff                        # changed, still the same face
    assert DFLJPG.load(out_dir / "grace_hopper_0.jpg").get_xseg_mask() is not None
    # The originals are untouched until merged back.
    assert all((aligned / n).read_bytes() == before[n].dump() for n in FACES)


def test_merge_back_replaces_the_faces_and_removes_the_temp_folder(aligned, x4_calls):
    old = {n: (aligned / n).read_bytes() for n in FACES}
    assert _run("--input-dir", str(aligned), "--enhancer", "realesr-animevideov3", "--merge", "y") == 0
    assert not (aligned.parent / "aligned_enhanced").exists()
    assert all((aligned / n).read_bytes() != old[n] for n in FACES)
    assert DFLJPG.load(aligned / "anne_helene_0.jpg").get_landmarks() is not None


def test_auto_is_the_face_enhancer_only_when_its_weights_are_there(monkeypatch):
    from facelib import internal_weights
    from mainscripts import FacesetEnhancer
    monkeypatch.setattr(internal_weights, "is_present", lambda name: name == "FaceEnhancer.npy")
    assert FacesetEnhancer.resolve("auto") == "FaceEnhancer"
    monkeypatch.setattr(internal_weights, "is_present", lambda name: False)
    assert FacesetEnhancer.resolve("auto") == "realesrgan-x4plus"
    assert FacesetEnhancer.resolve("realesr-animevideov3") == "realesr-animevideov3"


def test_plain_jpgs_are_skipped_and_an_empty_folder_is_an_error(aligned, x4_calls, capsys, data_dir):
    shutil.copy(data_dir / "jesper" / "pool.jpg", aligned / "pool.jpg")
    assert _run("--input-dir", str(aligned), "--enhancer", "realesr-animevideov3", "--merge", "n") == 0
    assert "pool.jpg: not an aligned face" in capsys.readouterr().err
    empty = aligned.parent / "empty"
    empty.mkdir()
    assert _run("--input-dir", str(empty)) == 2
    assert "no aligned faces" in capsys.readouterr().err
