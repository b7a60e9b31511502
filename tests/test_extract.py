"""`extract` on real photos: metadata, alignment per face type, rotation retries, no-face and bad frames, resume,
the output-folder questions, and main.py end to end through the worker pool."""
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image

from core.dflimg import DFLJPG
from core.errors import UserError
from facelib import LandmarksProcessor
from facelib.FaceType import FaceType
from mainscripts import Extractor
from mainscripts.extract.frames import ROTATIONS, rotate, unrotate_points
from mainscripts.extract.stages import ExtractConfig, Face, write_faces

PHOTOS = ["jesper/jesper.jpg", "jesper/anne_helene.jpg", "stills/grace_hopper.jpg", "stills/astronaut.png"]


def frames_dir(tmp_path, data_dir, names, sub="frames"):
    d = tmp_path / sub
    d.mkdir()
    for n in names:
        shutil.copy(data_dir / n, d)
    return d


def run(input_dir, output_dir, **kw):
    kw.setdefault("face_type", "wf")
    kw.setdefault("image_size", 256)
    kw.setdefault("detector", "centerface")
    kw.setdefault("landmarker", "dlib68")
    kw.setdefault("output_debug", False)
    kw.setdefault("workers", 1)
    return Extractor.extract(input_dir, output_dir, **kw)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory, data_dir):
    tmp = tmp_path_factory.mktemp("extract")
    src = frames_dir(tmp, data_dir, PHOTOS)
    summary = run(src, tmp / "aligned", output_debug=True)
    return src, tmp / "aligned", summary


def test_metadata_is_complete_and_matches_the_pixels(extracted):
    src, out, summary = extracted
    faces = sorted(p.name for p in out.iterdir())
    assert faces == ["anne_helene_0.jpg", "astronaut_0.jpg", "grace_hopper_0.jpg", "jesper_0.jpg"]
    assert (summary["frames"], summary["faces"], summary["frames with no face"]) == (4, 4, 0)
    for name in faces:
        d = DFLJPG.load(out / name)
        assert d.get_face_type() == "whole_face" and d.get_shape() == (256, 256, 3)
        frame_name = d.get_source_filename()
        assert name.startswith(frame_name.rsplit(".", 1)[0] + "_")
        rect = d.get_source_rect()
        assert rect.dtype.kind == "i" and rect.shape == (4,) and rect[0] < rect[2] and rect[1] < rect[3]
        src_lm, lm, mat = d.get_source_landmarks(), d.get_landmarks(), d.get_image_to_face_mat()
        assert src_lm.shape == lm.shape == (68, 2) and mat.shape == (2, 3)
        # landmarks inside the rect's neighbourhood, aligned landmarks = source landmarks through the matrix
        assert np.all(src_lm.min(0) > rect[:2] - 0.3 * (rect[2:] - rect[:2]))
        assert np.allclose(LandmarksProcessor.transform_points(src_lm, mat), lm, atol=0.01)
        frame = cv2.imread(str(src / frame_name))
        expect = cv2.warpAffine(frame, mat, (256, 256), flags=cv2.INTER_LANCZOS4)
        assert np.abs(expect.astype(float) - d.get_img()).mean() < 3.0   # JPEG q90 noise only
        debug = cv2.imread(str(out.parent / "aligned_debug" / (frame_name.rsplit(".", 1)[0] + ".jpg")))
        assert debug.shape == frame.shape and np.abs(debug.astype(float) - frame).mean() > 1.0


def _unit_fit(points, template):
    """Least-squares similarity (complex form) mapping points onto the template: independent of the product."""
    z = points[:, 0] + 1j * points[:, 1]
    w = template[:, 0] + 1j * template[:, 1]
    a = np.sum((w - w.mean()) * np.conj(z - z.mean())) / np.sum(np.abs(z - z.mean()) ** 2)
    return lambda p: (lambda q: np.stack([q.real, q.imag], 1))(a * (p[:, 0] + 1j * p[:, 1]) + w.mean() - a * z.mean())


# Reference §4.4: padding per face type; the crop spans 1 + 2*sqrt(2)*padding template units around its centre.
PADDING = {"h": 0.0, "mf": 0.0675, "f": 0.2109375, "wf": 0.40, "head": 0.70}
_T = LandmarksProcessor.landmarks_2D
TEMPLATE_EYES = np.array([_T[19:25].mean(0), _T[25:31].mean(0)])    # template rows 19..30 = 68-point eyes 36..47


def _expected(unit_points, code, unit_landmarks, size):
    centre = np.array([0.5, 0.5])
    if code == "wf":
        centre[1] -= 0.07
    elif code == "head":
        u = unit_landmarks
        left = np.mean([u[27, 0] - u[0, 0], u[28, 0] - u[1, 0], u[29, 0] - u[2, 0]])
        right = np.mean([u[16, 0] - u[27, 0], u[15, 0] - u[28, 0], u[14, 0] - u[29, 0]])
        yaw = right - left
        centre += [yaw * abs(np.tanh(2 * yaw)) / 2, -0.5]
    return ((unit_points - centre) / (1 + 2 * np.sqrt(2) * PADDING[code]) + 0.5) * size


@pytest.mark.parametrize("code", ["wf", "f", "head", "h", "mf"])
def test_aligned_eyes_are_where_the_face_type_puts_them(tmp_path, data_dir, code):
    src = frames_dir(tmp_path, data_dir, PHOTOS)
    run(src, tmp_path / "aligned", face_type=code, image_size=384 if code == "head" else 256)
    to_template = {}
    for p in sorted((tmp_path / "aligned").iterdir()):
        d = DFLJPG.load(p)
        size = d.get_shape()[0]
        assert d.get_face_type() == FaceType.toString(FaceType.from_option(code))
        src_lm, lm = d.get_source_landmarks(), d.get_landmarks()
        fit = _unit_fit(np.concatenate([src_lm[17:49], src_lm[54:55]]), np.concatenate([_T[0:32], _T[37:38]]))
        unit = fit(src_lm)
        eyes = np.array([lm[36:42].mean(0), lm[42:48].mean(0)])
        # this face's eyes, placed by the face type's geometry: within 2% of the image size
        expected = _expected(np.array([unit[36:42].mean(0), unit[42:48].mean(0)]), code, unit, size)
        assert np.abs(eyes - expected).max() < 0.02 * size, p.name
        to_template[p.name] = np.abs(eyes - _expected(TEMPLATE_EYES, code, unit, size)).max() / size
    # and the mean face's eye positions: real faces differ from the mean face (jesper's eyes by 3.9% in a half
    # face), a typical face by less than 2%
    assert len(to_template) == 4 and np.median(list(to_template.values())) < 0.02, to_template


def test_mark_only_keeps_the_whole_frame(tmp_path, data_dir):
    src = frames_dir(tmp_path, data_dir, ["jesper/jesper.jpg"])
    run(src, tmp_path / "aligned", face_type="mark_only", output_debug=True)
    d = DFLJPG.load(tmp_path / "aligned" / "jesper_0.jpg")
    assert d.get_face_type() == "mark_only" and d.get_shape()[:2] == (533, 800)
    assert d.get_image_to_face_mat() is None
    assert np.allclose(d.get_landmarks(), d.get_source_landmarks())
    assert (tmp_path / "aligned_debug" / "jesper.jpg").is_file()


def test_rotation_points_map_back():
    img = np.zeros((30, 50), np.uint8)
    for x, y in ((3, 4), (49, 0), (0, 29), (20, 17)):
        frame = img.copy()
        frame[y, x] = 255
        for rot in ROTATIONS:
            turned = rotate(frame, rot)
            assert turned.shape == ((50, 30) if rot in (90, 270) else (30, 50))
            ty, tx = np.argwhere(turned == 255)[0]
            assert np.allclose(unrotate_points([(tx, ty)], rot, frame.shape), [[x, y]]), (rot, x, y)


def test_upside_down_photo_is_found_through_the_rotation_retry(tmp_path, data_dir):
    # grand_canyon_1.jpg is stored upside down (index.xml angle="180"); a turned copy of jesper.jpg too.
    src = frames_dir(tmp_path, data_dir, ["jesper/grand_canyon_1.jpg", "jesper/jesper.jpg"])
    jesper = cv2.imread(str(src / "jesper.jpg"))
    cv2.imwrite(str(src / "jesper_turned.png"), rotate(jesper, 90))
    summary = run(src, tmp_path / "aligned", face_type="f")
    assert summary["frames found rotated"] == 2
    for name in ("grand_canyon_1_0.jpg", "grand_canyon_1_1.jpg", "jesper_turned_0.jpg"):
        lm = DFLJPG.load(tmp_path / "aligned" / name).get_landmarks()
        assert lm[36:48, 1].mean() < lm[48:68, 1].mean(), f"{name}: aligned face is not upright"
    upright = DFLJPG.load(tmp_path / "aligned" / "jesper_0.jpg").get_source_landmarks()
    turned = DFLJPG.load(tmp_path / "aligned" / "jesper_turned_0.jpg").get_source_landmarks()
    # the turned frame's landmarks (in its own pixels) turned back are the upright frame's (to 3% of the face width)
    back = unrotate_points(turned, 90, jesper.shape)
    assert np.abs(back - upright).max() < 0.03 * np.ptp(upright[:, 0])


def test_frames_without_faces_are_counted(tmp_path, data_dir):
    skdata = pytest.importorskip("skimage.data")
    src = frames_dir(tmp_path, data_dir, ["jesper/jesper.jpg"])
    cv2.imwrite(str(src / "chelsea.png"), skdata.chelsea()[..., ::-1])
    cv2.imwrite(str(src / "coffee.png"), skdata.coffee()[..., ::-1])
    summary = run(src, tmp_path / "aligned", output_debug=True)
    assert (summary["frames"], summary["faces"], summary["frames with no face"]) == (3, 1, 2)
    assert sorted(p.name for p in (tmp_path / "aligned").iterdir()) == ["jesper_0.jpg"]
    # every frame gets its debug image, with or without faces
    assert len(list((tmp_path / "aligned_debug").iterdir())) == 3


def test_bad_frames_are_converted_or_skipped_and_counted(tmp_path, data_dir, capsys):
    src = tmp_path / "frames"
    src.mkdir()
    photo = Image.open(data_dir / "jesper" / "jesper.jpg")
    photo.convert("L").save(src / "a_gray.png")
    photo.convert("CMYK").save(src / "b_cmyk.jpg")
    bgr = cv2.imread(str(data_dir / "jesper" / "jesper.jpg"))
    cv2.imwrite(str(src / "c_16bit.png"), bgr.astype(np.uint16) * 257)
    cv2.imwrite(str(src / "d_alpha.png"), np.dstack([bgr, np.full(bgr.shape[:2], 200, np.uint8)]))
    (src / "e_broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (src / "f_empty.png").write_bytes(b"")
    cv2.imwrite(str(src / "g_tiny.png"), cv2.resize(bgr, (60, 40)))
    summary = run(src, tmp_path / "aligned")
    assert summary["frames"] == 7 and summary["faces"] == 4
    assert summary["skipped (unreadable)"] == 2 and summary["skipped (smaller than 64 px)"] == 1
    assert summary["converted (grayscale)"] == 1 and summary["converted (16-bit)"] == 1
    assert sorted(p.name for p in (tmp_path / "aligned").iterdir()) == \
        ["a_gray_0.jpg", "b_cmyk_0.jpg", "c_16bit_0.jpg", "d_alpha_0.jpg"]
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("Done: 7 frames, 4 faces, 0 frames with no face") and "2 skipped (unreadable)" in line


def test_max_faces_keeps_the_largest(tmp_path, data_dir):
    src = frames_dir(tmp_path, data_dir, ["jesper/bar55.jpg"])
    run(src, tmp_path / "all", face_type="f")
    run(src, tmp_path / "two", face_type="f", max_faces_from_image=2)
    area = lambda p: np.prod(np.ptp(DFLJPG.load(p).get_source_landmarks(), axis=0))  # noqa: E731
    every = sorted((area(p) for p in (tmp_path / "all").iterdir()), reverse=True)
    two = sorted((area(p) for p in (tmp_path / "two").iterdir()), reverse=True)
    assert len(every) >= 4 and len(two) == 2 and np.allclose(two, every[:2])


def test_crop_far_bigger_than_the_detector_box_is_dropped_for_full_face(tmp_path, data_dir):
    from facelib.landmarkers import create_landmarker
    img = cv2.imread(str(data_dir / "jesper" / "jesper.jpg"))
    rect = (169, 25, 718, 524)
    lmrks = create_landmarker("dlib68").landmarks(img, [rect])[0]
    tiny = Face((400, 300, 430, 330), lmrks)
    for code, kept in (("f", 0), ("wf", 1)):
        out = tmp_path / code
        out.mkdir()
        cfg = ExtractConfig(int(FaceType.from_option(code)), 128, 90, 0, "centerface", "dlib68", str(out), None)
        assert write_faces(tmp_path / "jesper.jpg", img, [tiny], cfg) == (kept, 1 - kept)
        # a face marked by hand is always kept
        assert write_faces(tmp_path / "jesper.jpg", img, [tiny], cfg, manual=True) == (1, 0)


def _fake_faces(out, frame, count):
    img = np.full((64, 64, 3), 128, np.uint8)
    for i in range(count):
        DFLJPG.create(out / f"{frame.rsplit('.', 1)[0]}_{i}.jpg", img, face_type="whole_face",
                      landmarks=np.zeros((68, 2)).tolist(), source_filename=frame)


def test_continue_extraction_from_the_128th_face_from_the_end(tmp_path, data_dir):
    src = tmp_path / "frames"
    src.mkdir()
    for name, photo in (("a.jpg", "jesper.jpg"), ("b.jpg", "anne_helene.jpg"), ("c.jpg", "jesper.jpg")):
        shutil.copy(data_dir / "jesper" / photo, src / name)
    out = tmp_path / "aligned"
    out.mkdir()
    # a.jpg was extracted before; b.jpg's 128 faces (fake) are the last 128; c.jpg was not reached
    _fake_faces(out, "a.jpg", 3)
    _fake_faces(out, "b.jpg", 128)
    summary = run(src, out, continue_extraction=True)
    assert summary["frames"] == 2   # b.jpg again, then c.jpg
    names = sorted(p.name for p in out.iterdir())
    assert names == ["a_0.jpg", "a_1.jpg", "a_2.jpg", "b_0.jpg", "c_0.jpg"]
    assert DFLJPG.load(out / "a_0.jpg").get_shape()[0] == 64                # kept as it was
    assert DFLJPG.load(out / "b_0.jpg").get_source_landmarks() is not None  # extracted again


def test_old_output_is_deleted_only_when_agreed(tmp_path, data_dir):
    src = frames_dir(tmp_path, data_dir, ["jesper/jesper.jpg"])
    out = tmp_path / "aligned"
    out.mkdir()
    (tmp_path / "aligned_debug").mkdir()
    _fake_faces(out, "old.jpg", 2)
    shutil.copy(src / "jesper.jpg", tmp_path / "aligned_debug" / "old.jpg")
    with pytest.raises(UserError, match="not empty"):
        run(src, out, delete_existing=False)
    with pytest.raises(UserError, match="Image size"):     # a wrong answer stops before anything is deleted
        run(src, out, delete_existing=True, image_size=100)
    assert len(list(out.iterdir())) == 2
    run(src, out, delete_existing=True, continue_extraction=True)   # only 2 files: nothing to continue
    assert sorted(p.name for p in out.iterdir()) == ["jesper_0.jpg"]
    assert list((tmp_path / "aligned_debug").iterdir()) == []


def test_settings_errors_are_user_errors(tmp_path, data_dir):
    src = frames_dir(tmp_path, data_dir, ["jesper/jesper.jpg"])
    with pytest.raises(UserError, match="must not be the input folder"):
        run(src, src)
    with pytest.raises(UserError, match="Image size"):
        run(src, tmp_path / "out", image_size=100)
    with pytest.raises(UserError, match="Face type"):
        run(src, tmp_path / "out", face_type="body")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UserError, match="no images"):
        run(tmp_path / "empty", tmp_path / "out2")


def test_main_py_extract_end_to_end_with_workers(tmp_path, repo_root):
    import imageio_ffmpeg
    src = tmp_path / "data_dst"
    src.mkdir()
    reader = imageio_ffmpeg.read_frames(str(repo_root / "workspace" / "data_dst.mp4"))
    meta = next(reader)
    w, h = meta["size"]
    for i, raw in enumerate(reader):
        if i % 15 == 0:
            cv2.imwrite(str(src / f"{i:05d}.png"), np.frombuffer(raw, np.uint8).reshape(h, w, 3)[..., ::-1])
    proc = subprocess.run([sys.executable, str(repo_root / "main.py"), "extract", "--input-dir", str(src),
                           "--output-dir", str(src / "aligned"), "--output-debug", "--workers", "2",
                           "--face-type", "whole_face", "--image-size", "256", "--non-interactive"],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Done: 4 frames, 4 faces, 0 frames with no face" in proc.stdout
    assert sorted(p.name for p in (src / "aligned").iterdir()) == [f"{i:05d}_0.jpg" for i in (0, 15, 30, 45)]
    assert len(list((src / "aligned_debug").iterdir())) == 4


def test_a_failing_frame_is_reported_and_skipped(tmp_path, data_dir, capsys):
    from mainscripts.extract.stages import FrameExtractor

    class Broken:
        def landmarks(self, img, rects):
            raise RuntimeError("odd pixels")

    cfg = ExtractConfig(int(FaceType.WHOLE_FACE), 128, 90, 0, "centerface", "dlib68", str(tmp_path), None)
    ex = FrameExtractor(cfg)
    ex.landmarker = Broken()
    res = ex.process(data_dir / "jesper" / "jesper.jpg")
    assert res.skipped == "failed" and res.faces == 0
    assert "jesper.jpg: extraction failed (RuntimeError: odd pixels) - skipped" in capsys.readouterr().err
