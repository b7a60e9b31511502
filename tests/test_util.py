"""`main.py util`: metadata save/restore (our meta.dat and the original's), recover original file names, landmark
debug images, mask export, the CLI and the util launchers."""
import os
import pickle
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from core import interact
from core.cv2ex import cv2_imread, cv2_imwrite
from core.dflimg import DFLJPG, metafile
from core.errors import UserError
from facelib import LandmarksProcessor
from facelib.FaceType import FaceType
from faceset_fixtures import faces_dir, made_faces_dir  # noqa: F401  (fixtures)
from mainscripts import Util


@pytest.fixture(autouse=True)
def _no_prompts():
    interact.set_non_interactive(True)
    yield
    interact.set_non_interactive(False)


def _meta_of(folder):
    return {p.name: DFLJPG.load(p).get_dict() for p in sorted(folder.glob("*.jpg"))}


def _same(a, b):
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    return type(a) is type(b) and a == b


def test_save_edit_restore_keeps_metadata_and_size(faces_dir):
    before_bytes = {p.name: p.read_bytes() for p in faces_dir.glob("*.jpg")}
    before = _meta_of(faces_dir)
    Util.save_faceset_metadata_folder(faces_dir)
    meta_dat = (faces_dir / "meta.dat").read_bytes()
    assert meta_dat.startswith(b"DFL-FACESET-META 1\n") and b"\x80\x04" not in meta_dat[:2]
    edited = sorted(before)[:3]
    for name in edited:  # an external editor: doubles the size and drops the metadata
        img = cv2_imread(faces_dir / name)
        cv2_imwrite(faces_dir / name, cv2.resize(img, None, fx=2, fy=2), [int(cv2.IMWRITE_JPEG_QUALITY), 95])
        assert DFLJPG.load(faces_dir / name, require_metadata=False).has_data() is False
    Util.restore_faceset_metadata_folder(faces_dir)
    assert not (faces_dir / "meta.dat").exists()
    after = _meta_of(faces_dir)
    for name in before:
        assert _same(after[name], before[name]), name
        d = DFLJPG.load(faces_dir / name)
        assert d.get_shape() == DFLJPG.from_bytes(before_bytes[name], name).get_shape()
        if name not in edited:
            assert (faces_dir / name).read_bytes() == before_bytes[name], f"{name} was untouched but changed"


def test_restore_reads_the_original_meta_dat(compat_dir, compat_copy):
    folder = compat_copy("aligned_whole_face")
    before = _meta_of(folder)
    shutil.copy(compat_dir / "meta" / "meta.dat", folder / "meta.dat")
    img = cv2_imread(folder / "jesper_0.jpg")
    cv2_imwrite(folder / "jesper_0.jpg", cv2.resize(img, (300, 300)))
    Util.restore_faceset_metadata_folder(folder)
    assert DFLJPG.load(folder / "jesper_0.jpg").get_shape() == (256, 256, 3)
    assert all(_same(v, before[k]) for k, v in _meta_of(folder).items())


def test_restore_refuses_a_malicious_meta_dat(made_faces_dir, tmp_path):
    folder = tmp_path / "a"
    shutil.copytree(made_faces_dir, folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    marker = tmp_path / "PWNED"

    class Evil:
        def __reduce__(self):
            return os.system, (f"touch {marker}",)

    (folder / "meta.dat").write_bytes(pickle.dumps({"x.jpg": ((8, 8, 3), {"face_type": Evil()})}))
    with pytest.raises(UserError, match="meta.dat.*posix.system"):
        Util.restore_faceset_metadata_folder(folder)
    assert not marker.exists()
    assert all(p.read_bytes() == before[p.name] for p in folder.iterdir() if p.name != "meta.dat")


def test_meta_dat_format_round_trips_odd_values(tmp_path):
    entries = {"a.jpg": ((4, 5, 3), {"k": (1, 2.5, "s", None, True), "b": b"\x00\xff", "$nd": 1,
                                      "arr": np.arange(6, dtype=np.int32).reshape(2, 3), 7: [0.1, 1e-300]})}
    metafile.write(tmp_path / "meta.dat", entries)
    assert _same(metafile.read(tmp_path / "meta.dat"), entries)


def test_recover_original_filename_after_shuffle(faces_dir):
    by_content = {p.read_bytes(): p.name for p in faces_dir.glob("*.jpg")}
    names = sorted(by_content.values())
    shuffled = names[:]
    random.Random(3).shuffle(shuffled)
    for i, p in enumerate(sorted(faces_dir.glob("*.jpg"))):
        p.rename(faces_dir / f"tmp_{i}.jpg")
    for i, p in enumerate(sorted(faces_dir.glob("tmp_*.jpg"))):  # shuffled names, some colliding with old ones
        p.rename(faces_dir / f"{i:05d}_{shuffled[i]}")
    (faces_dir / "zz_plain.jpg").write_bytes(cv2.imencode(".jpg", np.zeros((4, 4, 3), np.uint8))[1].tobytes())
    Util.recover_original_aligned_filename(faces_dir)
    recovered = sorted(p.name for p in faces_dir.glob("*.jpg") if p.name != "zz_plain.jpg")
    assert recovered == names
    for p in faces_dir.glob("*.jpg"):
        if p.name == "zz_plain.jpg":
            continue
        d = DFLJPG.load(p)
        assert re.fullmatch(re.escape(Path(d.get_source_filename()).stem) + r"_\d+\.jpg", p.name)
        if sum(n.startswith(Path(d.get_source_filename()).stem + "_") for n in names) == 1:
            assert by_content[p.read_bytes()] == p.name  # a single face of its photo gets exactly its name back


def test_export_faceset_mask(faces_dir):
    Util.export_faceset_mask(faces_dir)
    faces = [p for p in sorted(faces_dir.glob("*.jpg")) if not p.stem.endswith("_mask")]
    kinds = set()
    for p in faces:
        d = DFLJPG.load(p)
        mask = cv2_imread(faces_dir / f"{p.stem}_mask.jpg", cv2.IMREAD_GRAYSCALE).astype(np.float32) / 255
        assert mask.shape == d.get_shape()[:2]
        if d.has_xseg_mask():
            expect = (d.get_xseg_mask()[..., 0] >= 0.5).astype(np.float32)
            kinds.add("xseg")
        elif d.has_seg_ie_polys():
            expect = np.zeros(d.get_shape()[:2] + (1,), np.float32)
            d.get_seg_ie_polys().overlay_mask(expect)
            expect = expect[..., 0]
            kinds.add("polys")
        else:
            expect = LandmarksProcessor.get_image_hull_mask(d.get_shape(), d.get_landmarks())[..., 0]
            kinds.add("hull")
        assert np.abs(mask - expect).mean() < 0.02, p.name
    assert kinds == {"xseg", "polys", "hull"}
    Util.export_faceset_mask(faces_dir)  # a second run skips the *_mask files instead of reporting them
    assert not list(faces_dir.glob("*_mask_mask.jpg"))


def test_add_landmarks_debug_images(faces_dir):
    Util.add_landmarks_debug_images(faces_dir)
    faces = [p for p in sorted(faces_dir.glob("*.jpg")) if not p.stem.endswith("_debug")]
    for p in faces:
        d = DFLJPG.load(p)
        dbg = cv2_imread(faces_dir / f"{p.stem}_debug.jpg").astype(np.float32)
        img = d.get_img().astype(np.float32)
        assert dbg.shape == img.shape
        lm = d.get_landmarks()
        # As the original: the landmark hull is darkened to half, the rest of the image is left as it was.
        hull = LandmarksProcessor.get_image_hull_mask(img.shape, lm)[..., 0]
        green = dbg[..., 1] - np.maximum(dbg[..., 0], dbg[..., 2])
        drawn = cv2.dilate((green > 15).astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
        inner = (cv2.erode(hull, np.ones((9, 9), np.uint8)) > 0) & ~drawn
        outer = cv2.dilate(hull, np.ones((33, 33), np.uint8)) == 0  # clear of the 8x8 JPEG blocks the hull touches
        q50 = cv2.imdecode(cv2.imencode(".jpg", d.get_img(), [int(cv2.IMWRITE_JPEG_QUALITY), 50])[1], 1)
        assert abs(dbg[inner].mean() / q50[inner].mean() - 0.5) < 0.1, p.name
        assert np.abs(dbg[outer] - q50[outer]).mean() < 2, p.name
        # and the landmarks are drawn in green (halved inside the hull): greener than the image around them
        at_lm = [green[y, x] for x, y in lm.astype(int) if 0 <= x < img.shape[1] and 0 <= y < img.shape[0]]
        assert np.mean(at_lm) > 40 and green.mean() < 15, p.name


def test_landmarks_debug_image_of_a_mark_only_face(made_faces_dir, tmp_path, data_dir):
    """mark_only "faces" are whole frames: the debug image shows the detector rect (blue) and the crop frame (red)."""
    face = next(DFLJPG.load(p) for p in sorted(made_faces_dir.glob("*.jpg")))
    frame = cv2_imread(data_dir / "jesper" / face.get_source_filename())
    folder = tmp_path / "aligned"
    folder.mkdir()
    DFLJPG.create(folder / "frame_0.jpg", frame, face_type="mark_only", landmarks=face.get_source_landmarks(),
                  source_filename=face.get_source_filename(), source_rect=face.get_source_rect())
    Util.add_landmarks_debug_images(folder)
    dbg = cv2_imread(folder / "frame_0_debug.jpg").astype(int)
    l, t, r, b = (int(v) for v in face.get_source_rect())
    edge = dbg[t, l + 3:r - 3]
    assert (edge[:, 0] - edge[:, 2]).mean() > 100, "no blue detector rect"
    quad = LandmarksProcessor.transform_points(
        np.float32([(0, 0), (255, 0)]),
        LandmarksProcessor.get_transform_mat(face.get_source_landmarks(), 256, FaceType.FULL), True).astype(int)
    x, y = (quad[0] + quad[1]) // 2
    assert dbg[y - 1:y + 2, x - 1:x + 2, 2].max() > 200, "no red crop frame"


def test_cli_pack_unpack(made_faces_dir, tmp_path, repo_root):
    folder = tmp_path / "aligned"
    shutil.copytree(made_faces_dir, folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    run = [sys.executable, str(repo_root / "main.py"), "util", "--input-dir", str(folder), "--non-interactive"]
    r = subprocess.run(run + ["--pack-faceset", "--delete-original", "n"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "Delete original files? ( y/n ) : n" in r.stdout, r.stderr
    assert (folder / "faceset.pak").exists() and len(list(folder.glob("*.jpg"))) == len(before)
    for p in folder.glob("*.jpg"):
        p.unlink()
    r = subprocess.run(run + ["--unpack-faceset"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    r = subprocess.run(run + ["--unpack-faceset"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "faceset.pak" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


LAUNCHER_JOBS = {
    "util add landmarks debug images": "--add-landmarks-debug-images",
    "util faceset metadata save": "--save-faceset-metadata",
    "util faceset metadata restore": "--restore-faceset-metadata",
    "util faceset pack": "--pack-faceset",
    "util faceset unpack": "--unpack-faceset",
    "util recover original filename": "--recover-original-aligned-filename",
    "util export faceset mask": "--export-faceset-mask",
}


@pytest.mark.parametrize("prefix,ws", [("4.2) data_src", "data_src"), ("5.2) data_dst", "data_dst")])
def test_util_launchers(repo_root, prefix, ws):
    import main
    parser = main.build_parser()
    for title, flag in LAUNCHER_JOBS.items():
        sh = repo_root / "scripts" / f"{prefix} {title}.sh"
        bat = repo_root / "scripts" / f"{prefix} {title}.bat"
        assert os.access(sh, os.X_OK), sh
        sh_cmd = sh.read_text().splitlines()[-1]
        assert f'--input-dir "$DFL_WORKSPACE/{ws}/aligned" {flag}' in sh_cmd
        bat_lines = bat.read_bytes().decode().split("\r\n")
        assert f'--input-dir "%DFL_WORKSPACE%\\{ws}\\aligned" {flag}' in bat_lines[2] and bat_lines[3] == "pause"
        args = parser.parse_args(["util", "--input-dir", f"workspace/{ws}/aligned", flag])
        assert getattr(args, flag[2:].replace("-", "_")) is True
