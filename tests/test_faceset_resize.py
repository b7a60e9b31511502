"""`facesettool resize`: new size, face-type change keeping landmarks, polygons, XSeg mask and the source matrix
consistent, the merge-back question, skipped files, and main.py end to end."""
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest

from core.dflimg import DFLJPG, SegIEPolys, SegIEPolyType
from facelib import LandmarksProcessor
from mainscripts import Extractor
from mainscripts.FacesetResizer import resize_faceset

PHOTOS = ["jesper/jesper.jpg", "jesper/anne_helene.jpg"]
HULL = [0, 4, 8, 12, 16, 26, 19]      # landmark indexes the test polygon runs through


@pytest.fixture(scope="module")
def extracted(tmp_path_factory, data_dir):
    """Whole faces at 256 and full faces at 256 of the same photos, the whole faces with polygons and a mask."""
    tmp = tmp_path_factory.mktemp("resize")
    frames = tmp / "frames"
    frames.mkdir()
    for n in PHOTOS:
        shutil.copy(data_dir / n, frames)
    for code in ("wf", "f"):
        Extractor.extract(frames, tmp / code, face_type=code, image_size=256, detector="centerface",
                          landmarker="dlib68", output_debug=False, workers=1)
    for p in sorted((tmp / "wf").iterdir()):
        d = DFLJPG.load(p)
        lm = d.get_landmarks()
        polys = SegIEPolys()
        poly = polys.add_poly(SegIEPolyType.INCLUDE)
        for x, y in lm[HULL]:
            poly.add_pt(x, y)
        d.set_seg_ie_polys(polys)
        mask = np.zeros((256, 256, 1), np.float32)
        cv2.fillPoly(mask, [np.round(lm[HULL]).astype(np.int32)], 1.0)
        d.set_xseg_mask(mask)
        d.save()
    return tmp


def copy_of(extracted, tmp_path, name="wf"):
    dst = tmp_path / "aligned"
    shutil.copytree(extracted / name, dst)
    return dst


def test_new_size_scales_everything(extracted, tmp_path):
    faces = copy_of(extracted, tmp_path)
    summary = resize_faceset(faces, image_size=128, face_type="same", merge=False, workers=1)
    assert summary["faces resized"] == 2
    for p in sorted(faces.iterdir()):
        old, new = DFLJPG.load(p), DFLJPG.load(tmp_path / "aligned_resized" / p.name)
        assert new.get_shape() == (128, 128, 3) and new.get_face_type() == "whole_face"
        assert np.allclose(new.get_landmarks(), old.get_landmarks() / 2, atol=1e-3)
        assert np.allclose(new.get_seg_ie_polys().get_polys()[0].get_pts(),
                           old.get_seg_ie_polys().get_polys()[0].get_pts() / 2, atol=1e-3)
        assert np.allclose(new.get_image_to_face_mat(), old.get_image_to_face_mat() / 2, atol=1e-3)
        assert np.array_equal(new.get_xseg_mask(), old.get_xseg_mask())
        assert new.get_source_filename() == old.get_source_filename()
        small = cv2.resize(old.get_img(), (128, 128), interpolation=cv2.INTER_AREA)
        assert np.abs(small.astype(float) - new.get_img()).mean() < 3.0


def test_face_type_change_keeps_the_metadata_consistent(extracted, tmp_path):
    faces = copy_of(extracted, tmp_path)
    resize_faceset(faces, image_size=256, face_type="f", merge=False, workers=1)
    for p in sorted(faces.iterdir()):
        new = DFLJPG.load(tmp_path / "aligned_resized" / p.name)
        direct = DFLJPG.load(extracted / "f" / p.name)   # the same frame extracted as full face
        assert new.get_face_type() == "full_face"
        lm = new.get_landmarks()
        # landmarks: where the source landmarks land through the new matrix, and where a full-face extraction puts them
        assert np.allclose(LandmarksProcessor.transform_points(new.get_source_landmarks(),
                                                               new.get_image_to_face_mat()), lm, atol=0.05)
        assert np.allclose(lm, direct.get_landmarks(), atol=0.05)
        # the polygon still runs through the same landmarks
        assert np.allclose(new.get_seg_ie_polys().get_polys()[0].get_pts(), lm[HULL], atol=0.05)
        # the mask (kept at 256) still covers that polygon
        mask = new.get_xseg_mask()[..., 0]
        expect = np.zeros((256, 256), np.float32)
        cv2.fillPoly(expect, [np.round(lm[HULL]).astype(np.int32)], 1.0)
        assert set(np.unique(mask)) <= {0.0, 1.0}
        assert (mask * expect).sum() / np.maximum(mask, expect).sum() > 0.95
        # the pixels: the full-face crop of the frame (the whole face held all of it)
        assert np.abs(new.get_img().astype(float) - direct.get_img()).mean() < 4.0


def test_merge_back_replaces_the_faces(extracted, tmp_path):
    faces = copy_of(extracted, tmp_path)
    resize_faceset(faces, image_size=160, face_type="same", merge=True, workers=1)
    assert not (tmp_path / "aligned_resized").exists()
    assert all(DFLJPG.load(p).get_shape()[0] == 160 for p in faces.iterdir())


def test_bad_files_are_skipped_and_counted(extracted, tmp_path, capsys):
    faces = copy_of(extracted, tmp_path)
    cv2.imwrite(str(faces / "plain.jpg"), np.zeros((64, 64, 3), np.uint8))
    wide = DFLJPG.load(faces / "jesper_0.jpg")
    DFLJPG.create(faces / "wide.jpg", np.zeros((64, 96, 3), np.uint8), landmarks=wide.get_landmarks().tolist(),
                  face_type="whole_face")
    (tmp_path / "aligned_resized").mkdir()
    (tmp_path / "aligned_resized" / "stale.jpg").write_bytes(b"old")
    summary = resize_faceset(faces, image_size=128, face_type="same", merge=False, workers=1)
    assert summary["faces resized"] == 2 and summary["skipped"] == 2
    assert sorted(p.name for p in (tmp_path / "aligned_resized").iterdir()) == ["anne_helene_0.jpg", "jesper_0.jpg"]
    err = capsys.readouterr().err
    assert "plain.jpg" in err and "wide.jpg: not square (96x64)" in err


def test_main_py_facesettool_resize(extracted, tmp_path, repo_root):
    faces = copy_of(extracted, tmp_path)
    proc = subprocess.run([sys.executable, str(repo_root / "main.py"), "facesettool", "resize", "--input-dir",
                           str(faces), "--image-size", "128", "--face-type", "head", "--merge", "y", "--workers", "2",
                           "--non-interactive"], capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Done: 2 faces resized" in proc.stdout
    assert all(DFLJPG.load(p).get_face_type() == "head" for p in faces.iterdir())
    bad = subprocess.run([sys.executable, str(repo_root / "main.py"), "facesettool", "resize", "--input-dir",
                          str(faces), "--image-size", "64", "--non-interactive"], capture_output=True, text=True,
                         stdin=subprocess.DEVNULL, timeout=120)
    assert bad.returncode == 2 and "64 is outside 128..2048" in bad.stderr
