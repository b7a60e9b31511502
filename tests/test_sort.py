"""Sort tool on a real faceset: Jesper's faces and other people's from the test photos, plus blurred, darkened,
mirrored and black-padded copies of a few of Jesper's faces.

The faceset is the original program's aligned faces (../shared/compat) when present, else it is built here from
tests/data/jesper with dlib (detector + 68-point predictor) and our alignment, as the extractor does.
"""
import hashlib
import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest

from core.errors import UserError
from main import main as run_main
from mainscripts.sort import registry

FACE_SIZE = 256
COPY_SOURCES = ("jesper.jpg", "jesper_2.jpg", "grand_canyon_2.jpg")   # photos of Jesper alone
KINDS = ("blurred", "darkened", "flipped", "padded")
PAD = 100


# ---- building the faceset ---------------------------------------------------------------------------------------
def _build_from_photos(photo_dir, out_dir):
    """Aligned whole faces from the photos: dlib finds faces (trying 0/90/270/180 degrees, as the extractor)."""
    import dlib
    import face_recognition_models
    from core.dflimg import DFLJPG
    from facelib import LandmarksProcessor
    from facelib.FaceType import FaceType

    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(face_recognition_models.pose_predictor_model_location())
    for photo in sorted(photo_dir.glob("*.jpg")):
        img = cv2.imread(str(photo))
        for rot in (0, 1, 3, 2):       # np.rot90 turns: 0, 90, 270, 180 degrees
            rimg = np.ascontiguousarray(np.rot90(img, rot))
            rects = [r for r in detector(cv2.cvtColor(rimg, cv2.COLOR_BGR2RGB), 1) if r.width() >= 40]
            if rects:
                break
        rects.sort(key=lambda r: -r.area())
        for i, r in enumerate(rects):
            pts = np.array([[p.x, p.y] for p in predictor(cv2.cvtColor(rimg, cv2.COLOR_BGR2RGB), r).parts()],
                           np.float32)
            corners = np.array([[r.left(), r.top()], [r.right(), r.bottom()]], np.float32)
            pts, corners = _unrotate(pts, rimg.shape, rot), _unrotate(corners, rimg.shape, rot)
            mat = LandmarksProcessor.get_transform_mat(pts, FACE_SIZE, FaceType.WHOLE_FACE)
            face = cv2.warpAffine(img, mat, (FACE_SIZE, FACE_SIZE), flags=cv2.INTER_LINEAR)
            DFLJPG.create(out_dir / f"{photo.stem}_{i}.jpg", face, 90, face_type="whole_face",
                          landmarks=LandmarksProcessor.transform_points(pts, mat), source_filename=photo.name,
                          source_rect=np.array([*corners.min(0), *corners.max(0)], np.int64),
                          source_landmarks=pts, image_to_face_mat=mat)


def _unrotate(pts, shape, turns):
    """Points found on np.rot90(img, turns) back to img's coordinates (one counter-clockwise turn at a time)."""
    h, w = shape[:2]
    for _ in range(turns):
        pts = np.stack([(h - 1) - pts[:, 1], pts[:, 0]], axis=1)
        h, w = w, h
    return pts


def _add_copies(folder):
    """Degraded copies of Jesper's faces, each with its own source_filename so names can be recovered."""
    from core.dflimg import DFLJPG
    from facelib import LandmarksProcessor

    for path in sorted(folder.glob("*.jpg")):
        d = DFLJPG.load(path)
        if d.get_source_filename() not in COPY_SOURCES:
            continue
        img, lm = d.get_img(), np.asarray(d.get_landmarks(), np.float32)
        variants = {
            "blurred": (cv2.GaussianBlur(img, (0, 0), 2.5), lm),
            "darkened": ((img * 0.35).astype(np.uint8), lm),
            "flipped": (np.ascontiguousarray(img[:, ::-1]), LandmarksProcessor.mirror_landmarks(lm, FACE_SIZE)),
            "padded": (np.pad(img[:-PAD, :-PAD], ((PAD, 0), (PAD, 0), (0, 0))), lm + PAD),
        }
        for kind, (vimg, vlm) in variants.items():
            src = f"{kind}_{Path(d.get_source_filename()).stem}"
            DFLJPG.create(folder / f"{src}_0.jpg", vimg, 90, face_type=d.get_face_type(), landmarks=vlm,
                          source_filename=src + ".jpg", source_rect=d.get_source_rect())


@pytest.fixture(scope="session")
def faceset(tmp_path_factory, data_dir):
    from facelib import LandmarksProcessor
    missing = [f for f in ("get_image_hull_mask", "estimate_pitch_yaw_roll", "mirror_landmarks", "get_transform_mat")
               if not hasattr(LandmarksProcessor, f)]
    if missing:
        pytest.skip(f"facelib.LandmarksProcessor lacks {', '.join(missing)} (issue 4, in progress)")
    folder = tmp_path_factory.mktemp("sortset") / "aligned"
    compat = Path(__file__).resolve().parents[2] / "shared" / "compat" / "aligned_whole_face"
    if compat.is_dir():
        shutil.copytree(compat, folder)
        for p in folder.iterdir():
            p.chmod(0o644)
    else:
        folder.mkdir()
        _build_from_photos(data_dir / "jesper", folder)
    _add_copies(folder)
    return folder


@pytest.fixture
def work(faceset, tmp_path):
    """A fresh copy of the faceset in workspace-like `<tmp>/aligned` (trash goes to `<tmp>/aligned_trash`)."""
    dst = tmp_path / "aligned"
    shutil.copytree(faceset, dst)
    return dst


# ---- who is who, from the photo album's index.xml -------------------------------------------------------------
def _album(data_dir):
    album = {}
    for im in ET.parse(data_dir / "jesper" / "index.xml").getroot().iter("image"):
        people, areas = [], []
        for opt in im.iter("option"):
            if opt.get("name") == "People":
                for v in opt.iter("value"):
                    people.append(v.get("value"))
                    if v.get("area"):
                        areas.append((v.get("value"), [float(x) for x in v.get("area").split()]))
        album[im.get("file")] = (people, areas, im.get("angle"))
    return album


def who(dfl, album):
    """'Jesper', 'other' or None (unknown: a photo of Jesper with others and no face areas)."""
    src = dfl.get_source_filename()
    if any(src.startswith(k + "_") for k in KINDS):
        return "Jesper"
    if src not in album:
        return "other"                       # the stills: astronaut, Grace Hopper
    people, areas, angle = album[src]
    if "Jesper" not in people:
        return "other"
    if people == ["Jesper"]:
        return "Jesper"
    if areas and angle is None:
        l, t, r, b = np.asarray(dfl.get_source_rect(), float)
        cx, cy = (l + r) / 2, (t + b) / 2
        name, _ = min(areas, key=lambda a: (a[1][0] + a[1][2] / 2 - cx) ** 2 + (a[1][1] + a[1][3] / 2 - cy) ** 2)
        return "Jesper" if name == "Jesper" else "other"
    return None


# ---- helpers ---------------------------------------------------------------------------------------------------
def digest(path):
    return hashlib.sha1(Path(path).read_bytes()).hexdigest()


def contents(folder):
    return Counter(digest(p) for p in folder.glob("*.jpg")) if folder.is_dir() else Counter()


def sort(folder, method, *flags, workers="1"):
    return run_main(["sort", "--input-dir", str(folder), "--by", str(method), "--non-interactive",
                     "--workers", workers, *flags])


def ordered(folder):
    """Names of the original files (by content) in the sorted order."""
    return sorted(folder.glob("*.jpg"))


def kind_of(faceset):
    """content digest -> copy kind ('blurred', ...) or '' for an original face."""
    return {digest(p): next((k for k in KINDS if p.name.startswith(k + "_")), "") for p in faceset.glob("*.jpg")}


# ---- tests -----------------------------------------------------------------------------------------------------
def test_registry_has_the_original_numbering_and_names():
    assert [m.number for m in registry.METHODS] == list(range(16))
    assert registry.names() == ["blur", "motion-blur", "face-yaw", "face-pitch", "face-source-rect-size", "hist",
                                "hist-dissim", "brightness", "hue", "black", "origname", "oneface", "absdiff",
                                "final-by-blur", "final-by-size", "identity"]
    assert registry.resolve("final") is registry.resolve("13") is registry.resolve("FINAL-BY-BLUR")
    assert registry.resolve("final-fast").number == 14
    with pytest.raises(UserError, match="unknown sort method"):
        registry.resolve("sharpest")
    for m in registry.METHODS:
        assert callable(m.load())


@pytest.mark.parametrize("method", [m.name for m in registry.METHODS])
def test_every_method_keeps_every_file(work, method):
    before = contents(work)
    assert sort(work, method, "--target-count", "12") == 0
    trash = work.parent / "aligned_trash"
    assert contents(work) + contents(trash) == before
    names = sorted(p.name for p in work.glob("*.jpg"))
    if method != "oneface":      # our faces are not named <frame>_<index>: oneface finds nothing and renames nothing
        assert names == [f"{i:05d}.jpg" for i in range(len(names))]
    if method.startswith("final"):
        assert len(names) == 12 and len(list(trash.glob("*.jpg"))) == len(before) - 12


def test_blur_puts_blurred_copies_after_every_sharp_face(work, faceset):
    """Blurred copies come after every face cropped from a big (>= 120 px, so natively sharp) source face and after
    their own original. (Tiny source faces, upscaled to 256 px, are genuinely blurry and may come later.)"""
    from core.dflimg import DFLJPG

    kinds = kind_of(faceset)
    big = set()
    for p in faceset.glob("*.jpg"):
        l, t, r, b = DFLJPG.load(p).get_source_rect()
        if kinds[digest(p)] == "" and abs(r - l) >= 120:
            big.add(digest(p))
    assert len(big) >= 5
    assert sort(work, "blur") == 0
    order = [digest(p) for p in ordered(work)]
    first_blurred = min(i for i, h in enumerate(order) if kinds[h] == "blurred")
    assert max(order.index(h) for h in big) < first_blurred


def test_brightness_puts_darkened_copies_after_their_originals(work, faceset):
    from core.dflimg import DFLJPG

    by_source = {DFLJPG.load(p).get_source_filename(): digest(p) for p in faceset.glob("*.jpg")}
    assert sort(work, "brightness") == 0
    pos = {digest(p): i for i, p in enumerate(ordered(work))}
    for s in COPY_SOURCES:
        assert pos[by_source[s]] < pos[by_source[f"darkened_{Path(s).stem}.jpg"]]


def test_black_puts_padded_copies_last(work, faceset):
    kinds = kind_of(faceset)
    assert sort(work, 9) == 0
    order = [kinds[digest(p)] for p in ordered(work)]
    n = order.count("padded")
    assert order[-n:] == ["padded"] * n


def test_yaw_orders_faces_from_one_side_to_the_other(work, faceset):
    """Checked against an independent yaw proxy (nose tip offset from the jaw's midline, over jaw width): the order
    follows it (rank correlation), and each mirrored copy lands on the other side of its original."""
    from core.dflimg import DFLJPG

    def proxy(path):
        lm = np.asarray(DFLJPG.load(path).get_landmarks())
        return (lm[30, 0] - (lm[0, 0] + lm[16, 0]) / 2) / (lm[16, 0] - lm[0, 0])

    offset = {digest(p): proxy(p) for p in faceset.glob("*.jpg")}
    source = {DFLJPG.load(p).get_source_filename(): digest(p) for p in faceset.glob("*.jpg")}
    assert sort(work, "face-yaw") == 0
    order = [digest(p) for p in ordered(work)]
    ranks = np.argsort(np.argsort([offset[h] for h in order]))
    rho = np.corrcoef(ranks, np.arange(len(order)))[0, 1]
    assert abs(rho) > 0.6
    pairs = [(source[s], source[f"flipped_{Path(s).stem}.jpg"]) for s in COPY_SOURCES]
    turned = [(a, b) for a, b in pairs if abs(offset[a]) > 0.04]
    assert turned
    for a, b in turned:
        # rho < 0: the order goes from positive to negative offsets, so the face with the larger offset is first.
        assert (order.index(a) < order.index(b)) == ((offset[a] > offset[b]) == (rho < 0))


def test_identity_keeps_jesper_and_trashes_the_others(work, data_dir):
    from core.dflimg import DFLJPG

    album = _album(data_dir)
    people = {digest(p): who(DFLJPG.load(p), album) for p in work.glob("*.jpg")}
    assert sort(work, "identity", "--identity-trash", "y") == 0
    kept = [people[digest(p)] for p in ordered(work)]
    trashed = [people[digest(p)] for p in (work.parent / "aligned_trash").glob("*.jpg")]
    assert "other" not in kept
    assert trashed.count("other") == list(people.values()).count("other") >= 5
    assert kept.count("Jesper") >= 0.6 * list(people.values()).count("Jesper")


def test_identity_without_trash_puts_jesper_group_first(work, data_dir):
    from core.dflimg import DFLJPG

    album = _album(data_dir)
    people = {digest(p): who(DFLJPG.load(p), album) for p in work.glob("*.jpg")}
    assert sort(work, 15) == 0
    order = [people[digest(p)] for p in ordered(work)]
    first_other = order.index("other")
    assert first_other >= 8 and set(order[:first_other]) <= {"Jesper", None}


def test_best_faces_keeps_exactly_the_target(work):
    n = len(list(work.glob("*.jpg")))
    (work.parent / "aligned_trash").mkdir()
    stale = work.parent / "aligned_trash" / "stale.jpg"
    shutil.copy(next(work.glob("*.jpg")), stale)
    assert sort(work, "final-by-blur", "--target-count", "7") == 0
    assert len(list(work.glob("*.jpg"))) == 7
    trash = list((work.parent / "aligned_trash").glob("*.jpg"))
    assert len(trash) == n - 7 and not stale.exists()      # the trash is emptied first, as the original


def test_best_faces_with_a_target_above_the_count_keeps_all(work):
    n = len(list(work.glob("*.jpg")))
    assert sort(work, 14, "--target-count", "2000") == 0
    assert len(list(work.glob("*.jpg"))) == n


def test_recover_original_filenames_after_sort(work):
    from mainscripts import discover_commands
    if not any(m.__name__.endswith("cmd_util") for m in discover_commands()):
        pytest.skip("util command not available")
    names = {p.name for p in work.glob("*.jpg")}
    assert sort(work, "hist") == 0
    assert {p.name for p in work.glob("*.jpg")} != names
    assert run_main(["util", "--input-dir", str(work), "--recover-original-aligned-filename",
                     "--non-interactive"]) == 0
    assert {p.name for p in work.glob("*.jpg")} == names


def test_interrupted_renaming_loses_nothing(work, monkeypatch):
    import os
    before = contents(work)
    real_rename, calls = os.rename, []

    def flaky(src, dst):
        calls.append(src)
        if len(calls) == len(before) + 5:
            raise KeyboardInterrupt
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", flaky)
    assert sort(work, "brightness") == 130
    monkeypatch.setattr(os, "rename", real_rename)
    assert contents(work) == before
    assert sort(work, "brightness") == 0
    assert contents(work) == before
    assert sorted(p.name for p in work.glob("*.jpg")) == [f"{i:05d}.jpg" for i in range(sum(before.values()))]


def test_oneface_trashes_frames_with_several_faces(work):
    files = sorted(work.glob("*.jpg"))
    names = ["00001_0", "00001_1", "00002_0", "00003_0", "00003_1", "00003_2", "00004_0"]
    for p, n in zip(files, names):
        p.rename(work / f"{n}.jpg")
    for p in files[len(names):]:
        p.unlink()
    assert sort(work, "oneface") == 0
    trash = sorted(p.name for p in (work.parent / "aligned_trash").glob("*.jpg"))
    assert trash == ["00001_0.jpg", "00001_1.jpg", "00003_0.jpg", "00003_1.jpg", "00003_2.jpg"]
    assert sorted(p.name for p in work.glob("*.jpg")) == ["00000.jpg", "00001.jpg"]


def test_non_dfl_images_go_to_trash_with_a_message(work, capsys):
    cv2.imwrite(str(work / "holiday.jpg"), np.full((64, 64, 3), 128, np.uint8))
    assert sort(work, "face-pitch") == 0
    assert [p.name for p in (work.parent / "aligned_trash").glob("*.jpg")] == ["holiday.jpg"]
    assert "holiday.jpg: not an aligned face" in capsys.readouterr().err


def test_packed_faceset_must_be_unpacked(tmp_path, capsys):
    folder = tmp_path / "aligned"
    folder.mkdir()
    (folder / "faceset.pak").write_bytes(b"\0" * 16)
    assert sort(folder, "blur") == 2
    assert "unpack it first" in capsys.readouterr().err


def test_unknown_method_and_bad_flag_are_one_line_errors(work, capsys):
    assert sort(work, "sharpest") == 2
    assert sort(work, "final", "--target-count", "zero") == 2
    err = capsys.readouterr().err
    assert "unknown sort method" in err and "not a whole number" in err


def test_without_by_the_menu_default_is_histogram_similarity(work, capsys):
    assert run_main(["sort", "--input-dir", str(work), "--non-interactive", "--workers", "1"]) == 0
    assert "by histogram similarity [5]" in capsys.readouterr().out


def test_sort_on_all_cores_from_the_cli(work):
    before = contents(work)
    assert sort(work, "brightness", workers="2") == 0
    assert contents(work) == before


def test_cpbd_sharpness_is_the_original_metric(faceset):
    from core.imagelib.sharpness import estimate_sharpness

    img = cv2.imread(str(sorted(faceset.glob("*.jpg"))[0]))
    sharp = estimate_sharpness(img)
    assert 0 < sharp <= 1
    assert estimate_sharpness(cv2.GaussianBlur(img, (0, 0), 1.5)) < sharp
    assert estimate_sharpness(np.zeros((128, 128), np.uint8)) == 0.0


def test_cpbd_matches_the_original_on_a_compat_face(compat_dir):
    """Value computed by the original's per-pixel code (estimate_sharpness.py) on this file."""
    from core.imagelib.sharpness import estimate_sharpness

    img = cv2.imread(str(compat_dir / "aligned_whole_face" / "anne_helene_0.jpg"))
    assert estimate_sharpness(img) == pytest.approx(0.32854209445585214, abs=1e-12)


def test_launchers_sort_the_aligned_folders(repo_root):
    for side, number in (("src", "4.2"), ("dst", "5.2")):
        sh = (repo_root / "scripts" / f"{number}) data_{side} sort.sh").read_text()
        bat = (repo_root / "scripts" / f"{number}) data_{side} sort.bat").read_text()
        assert f'sort --input-dir "$DFL_WORKSPACE/data_{side}/aligned" "$@"' in sh
        assert f'sort --input-dir "%DFL_WORKSPACE%\\data_{side}\\aligned" %*' in bat
