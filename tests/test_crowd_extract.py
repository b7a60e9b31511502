"""Crowds, small and turned faces: recall per face-size bin on synthetic crowd frames built from the real faces of
the test data (known boxes, tests/crowd_frames.py), the minimum-size rule measured on the face and counted in the
summary, a frame of 100 small faces, a crowd turned sideways, and faces flagged as profiles."""
import collections

import cv2
import numpy as np
import pytest

import crowd_frames as CF
from core.dflimg import DFLJPG
from face_tags import tagged_photos
from facelib import detectors as D
from facelib import face_measure
from facelib import landmarkers as L
from mainscripts import Extractor
from mainscripts.extract import stages

SMALL_KEY = "faces smaller than {} px not extracted (--min-face-size)"


@pytest.fixture(scope="module")
def sources(data_dir):
    found = CF.source_faces(str(data_dir))
    assert len(found) >= 20, "fewer real source faces than the crowd frames rely on"
    return found


@pytest.fixture(scope="module")
def small_detector():
    return D.create_detector("centerface", min_face_size=16)


def recall_by_bin(detect, frames):
    hit, total = collections.Counter(), collections.Counter()
    for img, faces in frames:
        for face, ok in zip(faces, CF.match(faces, detect(img))[0]):
            key = "16-24" if face.size < 24 else ">=24"
            total[key] += 1
            hit[key] += ok
    return {k: hit[k] / total[k] for k in total}, total


def run(input_dir, output_dir, **kw):
    kw = {"face_type": "wf", "image_size": 256, "detector": "centerface", "landmarker": "dlib68",
          "output_debug": False, "workers": 1, **kw}
    return Extractor.extract(input_dir, output_dir, **kw)


def write_frame(tmp_path, name, img):
    d = tmp_path / "frames"
    d.mkdir(exist_ok=True)
    cv2.imwrite(str(d / name), img)
    return d


def test_recall_per_size_bin_meets_the_targets(sources, small_detector):
    rng = np.random.default_rng(3)
    frames = [CF.crowd_frame(rng, sources, 960, 540, 40, max_angle=30) for _ in range(4)]
    rates, total = recall_by_bin(small_detector.detect, frames)
    assert total["16-24"] >= 40 and total[">=24"] >= 60, total
    assert rates[">=24"] >= 0.95, rates
    assert rates["16-24"] >= 0.80, rates


def test_no_face_on_face_free_frames(sources, small_detector):
    rng = np.random.default_rng(4)
    default = D.create_detector("centerface")
    found = 0
    for name in CF.BACKGROUNDS[:10]:
        img, _ = CF.crowd_frame(rng, sources, 960, 540, 0, bg=name)
        found += len(small_detector.detect(img)) + len(default.detect(img))
    assert found <= 1


def test_face_size_is_the_original_box_side(data_dir):
    """On the tagged photos, the size measured on the landmarks is the tagged box side (what the original's 40 px
    rule was applied to), within 20 %."""
    lmk = L.create_landmarker("dlib68")
    ratios = []
    for _, img, areas in tagged_photos(data_dir / "jesper"):
        for x, y, w, h in areas:
            lm = lmk.landmarks(img, [(x, y, x + w, y + h * 1.1)])[0]
            ratios.append(face_measure.face_size(lm) / min(w, h))
    assert 0.8 <= float(np.median(ratios)) <= 1.2, ratios


def test_size_rule_counts_and_shows_what_it_drops(tmp_path, sources):
    rng = np.random.default_rng(5)
    img, faces = CF.crowd_frame(rng, sources, 960, 540, 24, sizes=((18, 30), (50, 90)), max_angle=10)
    src = write_frame(tmp_path, "crowd.png", img)
    summary = run(src, tmp_path / "aligned", output_debug=True)
    small = summary[SMALL_KEY.format(40)]
    assert small >= 5 and summary["faces"] >= 5, summary.counts
    for p in (tmp_path / "aligned").glob("*.jpg"):
        assert face_measure.face_size(DFLJPG.load(p).get_source_landmarks()) >= 40, p.name
    assert (tmp_path / "aligned_debug" / "crowd.jpg").is_file()

    lower = run(src, tmp_path / "aligned16", min_face_size=16)
    assert lower["faces"] >= summary["faces"] + small * 0.8, (summary.counts, lower.counts)
    assert lower[SMALL_KEY.format(16)] <= 2
    big = sum(1 for f in faces if f.size >= 50)
    assert summary["faces"] >= 0.9 * big


def test_frame_of_100_small_faces_and_max_faces_keeps_the_largest(tmp_path, sources, small_detector):
    rng = np.random.default_rng(6)
    img, faces = CF.crowd_frame(rng, sources, 1280, 720, 100, sizes=((18, 36),), max_angle=20)
    assert len(faces) == 100
    rects = small_detector.detect(img)
    found = CF.match(faces, rects)[0]
    assert sum(found) >= 90, sum(found)
    _, _, kept = stages.find_rects(img, small_detector, max_faces=10, min_face_size=16)
    areas = sorted(((r[2] - r[0]) * (r[3] - r[1]) for r in rects), reverse=True)
    assert [(r[2] - r[0]) * (r[3] - r[1]) for r in kept] == areas[:10]
    src = write_frame(tmp_path, "hundred.jpg", img)
    summary = run(src, tmp_path / "aligned", min_face_size=16, max_faces_from_image=10)
    assert summary["faces"] == 10


def test_rotated_crowd_is_found_through_the_rotation_retry(tmp_path, sources):
    rng = np.random.default_rng(7)
    img, faces = CF.crowd_frame(rng, sources, 960, 540, 12, sizes=((48, 96),), max_angle=15)
    src = write_frame(tmp_path, "turned.png", np.ascontiguousarray(np.rot90(img, 1)))
    summary = run(src, tmp_path / "aligned")
    assert summary["frames found rotated"] == 1
    assert summary["faces"] >= 0.9 * len(faces), summary.counts


def test_profiles_are_flagged_in_summary_and_debug_image(tmp_path, data_dir, monkeypatch):
    """dlib68 faces turned past 45 degrees are counted and labelled when no FAN weights are present."""
    from facelib import internal_weights
    monkeypatch.setattr(internal_weights, "INTERNAL_DIR", tmp_path / "_internal")
    monkeypatch.setattr(face_measure, "yaw_degrees", lambda lm: 60.0)
    img = cv2.imread(str(data_dir / "stills" / "grace_hopper.jpg"))
    src = write_frame(tmp_path, "grace.png", img)
    labels = []
    draw = stages._label
    monkeypatch.setattr(stages, "_label", lambda image, rect, text, color: (labels.append(text),
                                                                          draw(image, rect, text, color)))
    summary = run(src, tmp_path / "aligned", output_debug=True)
    key = next(k for k in summary.counts if "unreliable dlib68 landmarks" in k)
    assert summary[key] == summary["faces"] == 1
    assert labels == ["profile: landmarks unreliable"]
    assert (tmp_path / "aligned_debug" / "grace.jpg").is_file()
    assert stages.profile_landmarker_for("dlib68") is None and stages.profile_landmarker_for("fan2d") is None
