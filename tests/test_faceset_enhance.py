"""`facesettool enhance` on the original's aligned faces: each face goes through the x4 network, comes back at its
own size with its metadata unchanged into `<dir>_enhanced`, and merges back on request. Large faces run in tiles:
the same picture as in one piece, and peak memory on a 1024 px face under 2 GB (measured in a child process)."""
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


class Calls(list):
    """The (input, output) shapes of each network call; `kw`: the keywords each call was given."""

    def __init__(self):
        super().__init__()
        self.kw = []


@pytest.fixture
def x4_calls(monkeypatch):
    """Records the shapes going into and out of the x4 network."""
    from merger import enhancers
    calls = Calls()
    real = enhancers.get_enhancer

    def spy(name):
        net = real(name)

        def run(img, **kw):
            out = net(img, **kw)
            calls.append((img.shape, out.shape))
            calls.kw.append(kw)
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
    # x4 and back to the face's size, tile by tile inside the network call
    assert x4_calls == [((128, 128, 3), (128, 128, 3))] * len(FACES)
    assert all(kw["keep_size"] for kw in x4_calls.kw)
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
    assert FacesetEnhancer.resolve("auto") == "realesr-animevideov3"
    assert FacesetEnhancer.resolve("realesr-animevideov3") == "realesr-animevideov3"


def test_plain_jpgs_are_skipped_and_an_empty_folder_is_an_error(aligned, x4_calls, capsys, data_dir):
    shutil.copy(data_dir / "jesper" / "pool.jpg", aligned / "pool.jpg")
    assert _run("--input-dir", str(aligned), "--enhancer", "realesr-animevideov3", "--merge", "n") == 0
    assert "pool.jpg: not an aligned face" in capsys.readouterr().err
    empty = aligned.parent / "empty"
    empty.mkdir()
    assert _run("--input-dir", str(empty)) == 2
    assert "no aligned faces" in capsys.readouterr().err


def test_tile_size_flag_and_progress_bar(aligned, x4_calls, capsys):
    assert _run("--input-dir", str(aligned), "--enhancer", "realesr-animevideov3", "--merge", "n",
                "--tile-size", "48") == 0
    assert [kw["tile"] for kw in x4_calls.kw] == [48, 48]
    out = capsys.readouterr().out
    assert "in tiles of 48 px" in out and "2.0/2 faces [" in out     # counted in fractions of a face, with ETA
    assert _run("--input-dir", str(aligned), "--tile-size", "4096") == 2


def test_tiles_give_the_picture_of_the_whole_face(compat_dir):
    """Tiles with their margin of neighbouring pixels join without seams: the result matches the face run in one
    piece (the network sees slightly less context at tile borders, nothing more)."""
    from merger.enhancers import get_enhancer
    img = DFLJPG.load(compat_dir / "aligned_whole_face" / "grace_hopper_0.jpg").get_img()
    img = cv2.resize(img, (150, 150), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    net = get_enhancer("realesr-animevideov3")
    whole, steps = net(img, tile=150), []
    tiled = net(img, tile=64, on_tile=lambda k, n: steps.append((k, n)))
    assert steps == [(k, 9) for k in range(1, 10)]
    assert tiled.shape == whole.shape == (600, 600, 3)
    diff = np.abs(tiled - whole)
    assert diff.mean() < 0.003 and np.percentile(diff, 99) < 0.03, (diff.mean(), np.percentile(diff, 99))
    # Scaled back tile by tile = the whole x4 image scaled back, up to the network's own differences at tile borders.
    back = net(img, tile=64, keep_size=True)
    np.testing.assert_allclose(back, cv2.resize(tiled, (150, 150), interpolation=cv2.INTER_LANCZOS4), atol=2e-3)


def test_peak_memory_on_a_1024_px_face_stays_under_2_gb(tmp_path, compat_dir):
    """In one piece realesr-animevideov3 takes ~3 GB on a 1024 px face (x4plus ~13 GB on 512 px); in tiles the whole
    `facesettool enhance` process stays under 2 GB."""
    from child_peak import run_main_measured
    d = tmp_path / "aligned"
    d.mkdir()
    src = DFLJPG.load(compat_dir / "aligned_whole_face" / "astronaut_0.jpg")
    face = DFLJPG.create(d / "astronaut_0.jpg", cv2.resize(src.get_img(), (1024, 1024), interpolation=cv2.INTER_CUBIC),
                         quality=95, save=False)
    face.meta = src.meta.copy()
    face.save()
    r = run_main_measured(["facesettool", "enhance", "--non-interactive", "--input-dir", str(d),
                           "--enhancer", "realesr-animevideov3", "--merge", "n"])
    assert r["rc"] == 0 and "1 faces enhanced" in r["output"], r["output"][-2000:]
    assert DFLJPG.load(tmp_path / "aligned_enhanced" / "astronaut_0.jpg").get_img().shape == (1024, 1024, 3)
    print(f"peak {r['peak_gb']:.2f} GB, {r['seconds']:.1f} s")
    assert r["peak_gb"] < 2.0, r["peak_gb"]
