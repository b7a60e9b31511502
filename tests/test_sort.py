"""Sort tool on a real faceset: Jesper's faces and other people's from the test photos, plus blurred, darkened,
mirrored and black-padded copies of a few of Jesper's faces.

The faceset is built here from the photos in tests/data (jesper/*.jpg and two stills) with dlib (detector + 68-point
predictor) and our alignment, as the extractor does: 22 faces of 7 people, plus 12 degraded copies.
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
STILLS = ("astronaut.png", "grace_hopper.jpg")    # one face each (dlib's second "face" on astronaut is a patch)

# Who each face is: the album's People lists (tests/data/jesper/index.xml), its face areas on qt-logo.jpg, and a
# look at the faces for the other photos of several people. bar55_2, a third face in bar55.jpg, is a woman the
# album does not name.
PEOPLE = {
    "anne_helene_0": "Anne Helene", "bar55_0": "Jesper", "bar55_1": "Anne Helene", "bar55_2": "unnamed",
    "bar55_2_0": "Jesper", "bar55_2_1": "Anne Helene", "cold_water_0": "Jesper", "grand_canyon_1_0": "Anne Helene",
    "grand_canyon_1_1": "Jesper", "grand_canyon_2_0": "Jesper", "jesper_0": "Jesper", "jesper_2_0": "Jesper",
    "new_wave_1_0": "Jesper", "new_wave_2_0": "Jesper", "pool_2_0": "Jesper", "qt-logo_0": "Jim",
    "qt-logo_1": "Jesper", "qt-logo_2": "Wayne", "wayne_0": "Jim", "wayne_1": "Wayne",
    "astronaut_0": "Eileen Collins", "grace_hopper_0": "Grace Hopper",
}


# ---- building the faceset ---------------------------------------------------------------------------------------
def _build_from_photos(photos, out_dir, max_faces=None):
    """Aligned whole faces from the photos: dlib finds faces (trying 0/90/270/180 degrees, as the extractor),
    biggest first, named <photo stem>_<n>.jpg."""
    import dlib
    import face_recognition_models
    from core.dflimg import DFLJPG
    from facelib import LandmarksProcessor
    from facelib.FaceType import FaceType

    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(face_recognition_models.pose_predictor_model_location())
    for photo in photos:
        img = cv2.imread(str(photo))
        for rot in (0, 1, 3, 2):       # np.rot90 turns: 0, 90, 270, 180 degrees
            rimg = np.ascontiguousarray(np.rot90(img, rot))
            rects = [r for r in detector(cv2.cvtColor(rimg, cv2.COLOR_BGR2RGB), 1) if r.width() >= 40]
            if rects:
                break
        rects.sort(key=lambda r: -r.area())
        for i, r in enumerate(rects[:max_faces]):
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
    """The faceset, read-only by convention (tests sort a copy: `work`)."""
    folder = tmp_path_factory.mktemp("sortset") / "aligned"
    folder.mkdir()
    _build_from_photos(sorted((data_dir / "jesper").glob("*.jpg")), folder)
    _build_from_photos([data_dir / "stills" / s for s in STILLS], folder, max_faces=1)
    _add_copies(folder)
    return folder


@pytest.fixture(scope="session")
def people(faceset):
    """content digest -> who the face is (degraded copies are their original's person)."""
    out = {}
    for p in faceset.glob("*.jpg"):
        stem = p.stem
        for k in KINDS:
            stem = stem.removeprefix(k + "_")
        out[digest(p)] = PEOPLE[stem]
    return out


@pytest.fixture
def work(faceset, tmp_path):
    """A fresh copy of the faceset in workspace-like `<tmp>/aligned` (trash goes to `<tmp>/aligned_trash`)."""
    dst = tmp_path / "aligned"
    shutil.copytree(faceset, dst)
    return dst


# ---- who is who -------------------------------------------------------------------------------------------------
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


def test_the_faceset_has_the_people_of_the_album(faceset, people, data_dir):
    from core.dflimg import DFLJPG

    album = _album(data_dir)
    names = {p.stem for p in faceset.glob("*.jpg") if not p.stem.startswith(KINDS)}
    assert names == set(PEOPLE), "the detector found other faces than the table expects"
    for name, who in PEOPLE.items():
        photo = name.rsplit("_", 1)[0] + ".jpg"
        if photo not in album or who == "unnamed":
            continue
        in_photo, areas, angle = album[photo]
        assert who in in_photo, name
        if areas and angle is None:        # the album's face areas (x, y, w, h) on the unrotated photo
            l, t, r, b = np.asarray(DFLJPG.load(faceset / f"{name}.jpg").get_source_rect(), float)
            nearest = min(areas, key=lambda a: (a[1][0] + a[1][2] / 2 - (l + r) / 2) ** 2 +
                          (a[1][1] + a[1][3] / 2 - (t + b) / 2) ** 2)
            assert nearest[0] == who, name
    assert Counter(people.values()) == {"Jesper": 23, "Anne Helene": 4, "Jim": 2, "Wayne": 2, "unnamed": 1,
                                        "Eileen Collins": 1, "Grace Hopper": 1}


def test_identity_groups_the_faces_by_person(faceset, people):
    from mainscripts.sort import identity

    identity.init_worker(None)
    paths = sorted(faceset.glob("*.jpg"))
    labels, _ = identity.cluster(np.stack([identity.face_embedding(str(p)) for p in paths]), 0.6)
    group = {digest(p): int(k) for p, k in zip(paths, labels)}
    by_person = {}
    for h, who in people.items():
        by_person.setdefault(who, []).append(group[h])
    # The biggest group is Jesper's (most of his faces), and nobody else is in it.
    assert by_person["Jesper"].count(0) >= 0.7 * len(by_person["Jesper"])
    assert all(0 not in groups for who, groups in by_person.items() if who != "Jesper")
    # Each other person's faces are together, apart from the other people's.
    for who in ("Anne Helene", "Jim", "Wayne"):
        assert len(set(by_person[who])) == 1, who
    assert len({by_person[w][0] for w in ("Anne Helene", "Jim", "Wayne", "Eileen Collins", "Grace Hopper")}) == 5
    # A blurred, darkened, mirrored or padded copy is still its original's person.
    for p in paths:
        if p.stem.startswith(KINDS):
            original = faceset / (p.name.split("_", 1)[1])
            assert group[digest(p)] == group[digest(original)], p.name


def test_identity_keeps_jesper_and_trashes_the_others(work, people):
    assert sort(work, "identity", "--identity-trash", "y") == 0
    kept = [people[digest(p)] for p in ordered(work)]
    trashed = [people[digest(p)] for p in (work.parent / "aligned_trash").glob("*.jpg")]
    assert set(kept) == {"Jesper"} and len(kept) >= 0.7 * list(people.values()).count("Jesper")
    assert sorted(kept + trashed) == sorted(people.values())


def test_identity_without_trash_puts_each_group_together_biggest_first(work, people):
    assert sort(work, 15) == 0
    order = [people[digest(p)] for p in ordered(work)]
    first_other = next(i for i, who in enumerate(order) if who != "Jesper")
    assert first_other >= 0.7 * order.count("Jesper")
    for who in ("Anne Helene", "Jim", "Wayne"):
        at = [i for i, w in enumerate(order) if w == who]
        assert at == list(range(at[0], at[0] + len(at))), f"{who}'s faces are not next to each other: {order}"


@pytest.mark.parametrize("similar", ["y", "n"])
def test_absdiff_is_the_greedy_chain_one_row_of_distances_at_a_time(work, monkeypatch, similar):
    """The order is the original's greedy chain over the full N x N table (built here, in the test), but the sort
    itself never computes more than one row of that table at a time."""
    from mainscripts.sort import absdiff

    paths = sorted(work.glob("*.jpg"))
    x = np.stack([absdiff.small_image(str(p)) for p in paths]).astype(np.int64)
    table = np.stack([np.abs(x - row).sum(axis=1) for row in x])
    order = list(range(len(paths)))
    for i in range(len(order) - 1):
        dist = table[order[i], order[i + 1:]]
        j = i + 1 + int(dist.argmin() if similar == "y" else dist.argmax())
        order[i + 1], order[j] = order[j], order[i + 1]
    expected = [digest(paths[k]) for k in order]

    real, rows = cv2.batchDistance, []

    def one_row_only(src1, src2, *args, **kw):
        rows.append(len(src1))
        return real(src1, src2, *args, **kw)

    monkeypatch.setattr(cv2, "batchDistance", one_row_only)
    for name in ("0_broken.jpg", "m_broken.jpg"):   # unreadable files among the faces go to trash
        (work / name).write_bytes(b"not an image")
    assert sort(work, "absdiff", "--absdiff-similar", similar) == 0
    assert [digest(p) for p in ordered(work)] == expected
    assert sorted(p.name for p in (work.parent / "aligned_trash").iterdir()) == ["0_broken.jpg", "m_broken.jpg"]
    assert rows and set(rows) == {1}


def test_best_faces_keeps_exactly_the_target(work):
    n = len(list(work.glob("*.jpg")))
    (work.parent / "aligned_trash").mkdir()
    stale = work.parent / "aligned_trash" / "stale.jpg"
    shutil.copy(next(work.glob("*.jpg")), stale)
    assert sort(work, "final-by-blur", "--target-count", "7") == 0
    assert len(list(work.glob("*.jpg"))) == 7
    trash = list((work.parent / "aligned_trash").glob("*.jpg"))
    assert len(trash) == n - 7 and not stale.exists()      # the trash is emptied first, as the original


def test_menu_best_faces_asks_the_target_count(work, monkeypatch, capsys):
    """A user at a terminal: the menu (original numbering), then the target-count prompt."""
    from core import interact

    n = len(list(work.glob("*.jpg")))
    typed = iter(["13", "9"])
    monkeypatch.setattr(interact, "is_interactive", lambda: True)
    monkeypatch.setattr("builtins.input", lambda text="": next(typed))
    assert run_main(["sort", "--input-dir", str(work), "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "[0] blur" in out and "[13] best faces" in out and "[15] identity" in out
    assert len(list(work.glob("*.jpg"))) == 9
    assert len(list((work.parent / "aligned_trash").glob("*.jpg"))) == n - 9


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


def test_packed_faceset_must_be_unpacked(work, capsys):
    from samplelib import PackedFaceset

    PackedFaceset.pack(work, delete_originals=True)
    pak = (work / "faceset.pak").read_bytes()
    assert [p.name for p in work.iterdir()] == ["faceset.pak"]
    capsys.readouterr()
    assert sort(work, "blur") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "unpack it first" in err and "--unpack-faceset" in err
    assert [p.name for p in work.iterdir()] == ["faceset.pak"] and (work / "faceset.pak").read_bytes() == pak
    # unpacked beside the pak, the files sort, with a reminder that the pak is not
    PackedFaceset.unpack(work)
    PackedFaceset.pack(work, delete_originals=False)
    n = len(list(work.glob("*.jpg")))
    assert sort(work, "brightness") == 0
    assert "faceset.pak is not sorted" in capsys.readouterr().out
    assert sorted(p.name for p in work.glob("*.jpg")) == [f"{i:05d}.jpg" for i in range(n)]


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


def test_oneface_without_multi_face_frames_says_so(work, capsys):
    """Faces named as the extractor names them, one per frame: the message says there is nothing to remove, not to
    recover the names; only unnamed faces get the recover advice."""
    files = sorted(work.glob("*.jpg"))
    for i, p in enumerate(files[:4]):
        p.rename(work / f"{i:05d}_0.jpg")
    for p in files[5:]:
        p.unlink()
    before = contents(work)
    assert sort(work, "oneface") == 0
    out = capsys.readouterr()
    assert "no frame has more than one face (4 faces from 4 frames)" in out.out + out.err
    assert "1 faces not named <frame>_<face index> were not checked" in out.out + out.err
    assert contents(work) == before
    (work / files[4].name).unlink()
    assert sort(work, "oneface") == 0
    out = capsys.readouterr()
    assert "no frame has more than one face" in out.out + out.err
    assert "recover" not in out.out + out.err
