"""faceset.pak: the original's pak loads, our packs have the original's layout (quirk included), unpack gives the
files back byte-identical, person subfolders, and hostile paks are refused."""
import pickle
import shutil
import struct

import numpy as np
import pytest

from core import interact
from core.dflimg import DFLJPG
from core.errors import UserError
from faceset_fixtures import faces_dir, made_faces_dir  # noqa: F401  (fixtures)
from facelib.FaceType import FaceType
from samplelib import PackedFaceset
from samplelib.Sample import Sample, SampleType


@pytest.fixture(autouse=True)
def _no_prompts():
    interact.set_non_interactive(True)
    yield
    interact.set_non_interactive(False)


def parse_pak(data):
    """Independent reader from the layout description: (version, configs pickle bytes, offsets, data start)."""
    version, n = struct.unpack("<QQ", data[:16])
    header = data[16:16 + n]
    # the count is in the pickle; the offsets follow it: count + 1 little-endian u64
    count = len(pickle.loads(header))
    table = 16 + n
    offsets = list(struct.unpack(f"<{count + 1}Q", data[table:table + 8 * (count + 1)]))
    return version, header, offsets, table + 8 * (count + 1)


def test_original_pak_loads_and_matches_its_files(compat_dir):
    samples = PackedFaceset.load(compat_dir / "faceset_pak")
    src = compat_dir / "aligned_whole_face"
    assert len(samples) == 22
    for s in samples:
        assert s.read_raw_file() == (src / s.filename).read_bytes(), s.filename
        d = DFLJPG.load(src / s.filename)
        assert s.sample_type == SampleType.FACE and s.face_type == FaceType.WHOLE_FACE
        assert s.shape == (256, 256, 3) and s.person_name is None and s.eyebrows_expand_mod == 1.0
        np.testing.assert_array_equal(s.landmarks, d.meta.landmarks)
        assert s.seg_ie_polys.identical(d.get_seg_ie_polys())
        assert (s.xseg_mask_compressed is None) == (not d.has_xseg_mask())
    gh = next(s for s in samples if s.filename == "grace_hopper_0.jpg")
    np.testing.assert_array_equal(gh.get_xseg_mask(), DFLJPG.load(src / gh.filename).get_xseg_mask())
    assert samples[-1].load_bgr().shape == (256, 256, 3)  # the last sample: its size comes from the clamped offset


def test_our_pack_has_the_original_layout(compat_dir, compat_copy):
    folder = compat_copy("aligned_whole_face")
    PackedFaceset.pack(folder, delete_originals=False)
    ours = (folder / "faceset.pak").read_bytes()
    orig = (compat_dir / "faceset_pak" / "faceset.pak").read_bytes()
    v1, h1, off1, start1 = parse_pak(ours)
    v2, h2, off2, start2 = parse_pak(orig)
    assert v1 == v2 == 1
    assert off1[:-1] == off2[:-1]
    assert off1[-1] == len(ours) and off2[-1] == len(orig)  # the last entry is an absolute position
    assert ours[start1:] == orig[start2:]
    a, b = pickle.loads(h1), pickle.loads(h2)  # the original's own reader is pickle.loads
    assert len(a) == len(b)
    for x, y in zip(a, b):
        assert list(x) == list(y)
        assert type(x["sample_type"]) is SampleType and type(x["face_type"]) is FaceType
        for k in x:
            if isinstance(x[k], np.ndarray):
                assert x[k].dtype == y[k].dtype and np.array_equal(x[k], y[k]), k
            elif k == "seg_ie_polys":
                assert [p["type"] for p in x[k]["polys"]] == [p["type"] for p in y[k]["polys"]]
                for p, q in zip(x[k]["polys"], y[k]["polys"]):
                    assert p["pts"].dtype == q["pts"].dtype == np.float32 and np.array_equal(p["pts"], q["pts"])
            else:
                assert x[k] == y[k] and type(x[k]) is type(y[k]), k
    assert b"numpy._core" not in h1


def test_pack_unpack_round_trip_byte_identical(faces_dir, tmp_path):
    original = {p.name: p.read_bytes() for p in faces_dir.iterdir()}
    PackedFaceset.pack(faces_dir, delete_originals=True)
    assert [p.name for p in faces_dir.iterdir()] == ["faceset.pak"]
    samples = PackedFaceset.load(faces_dir)
    assert sorted(s.filename for s in samples) == sorted(original)
    for s in samples:
        img = s.load_bgr()
        assert img.dtype == np.float32 and img.max() <= 1.0 and img.shape == s.shape
    PackedFaceset.unpack(faces_dir)
    assert {p.name: p.read_bytes() for p in faces_dir.iterdir()} == original


def test_person_subfolders(made_faces_dir, tmp_path):
    root = tmp_path / "persons"
    files = sorted(made_faces_dir.glob("*.jpg"))
    for i, f in enumerate(files):
        person = root / ("alice" if i % 2 else "bob")
        person.mkdir(parents=True, exist_ok=True)
        shutil.copy(f, person / f.name)
    before = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*.jpg")}
    PackedFaceset.pack(root, as_person_faceset=True, delete_originals=True)
    assert [p.name for p in root.iterdir()] == ["faceset.pak"]
    samples = PackedFaceset.load(root)
    assert {s.person_name for s in samples} == {"alice", "bob"}
    PackedFaceset.unpack(root)
    assert {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*.jpg")} == before
    assert not (root / "faceset.pak").exists()


def test_pack_of_empty_folder_keeps_existing_pak(made_faces_dir, tmp_path):
    folder = tmp_path / "a"
    shutil.copytree(made_faces_dir, folder)
    PackedFaceset.pack(folder, delete_originals=True)
    pak = (folder / "faceset.pak").read_bytes()
    with pytest.raises(UserError, match="no aligned faces"):
        PackedFaceset.pack(folder, delete_originals=True)
    assert (folder / "faceset.pak").read_bytes() == pak


def test_pack_over_an_existing_pak_asks_and_a_no_keeps_it(made_faces_dir, tmp_path, monkeypatch):
    folder = tmp_path / "a"
    shutil.copytree(made_faces_dir, folder)
    (folder / "faceset.pak").write_bytes(b"someone else's pak")
    monkeypatch.setattr(interact, "is_interactive", lambda: True)
    asked = []
    monkeypatch.setattr(interact, "_read_line", lambda text: asked.append(text) or "n")
    with pytest.raises(UserError, match="exists and was kept"):
        PackedFaceset.pack(folder, delete_originals=True)
    assert any("already exists. Overwrite it?" in q for q in asked)
    assert (folder / "faceset.pak").read_bytes() == b"someone else's pak"
    assert len(list(folder.glob("*.jpg"))) == len(list(made_faces_dir.glob("*.jpg")))


def test_sample_config_round_trip(made_faces_dir):
    path = sorted(made_faces_dir.glob("*.jpg"))[-1]  # the face with an applied XSeg mask
    d = DFLJPG.load(path)
    s = Sample.from_dflimg(path, d, person_name="bob")
    cfg = s.get_config()
    assert list(cfg) == ["sample_type", "filename", "face_type", "shape", "landmarks", "seg_ie_polys", "xseg_mask",
                         "xseg_mask_compressed", "eyebrows_expand_mod", "source_filename", "person_name"]
    assert cfg["eyebrows_expand_mod"] == 1.0 and cfg["seg_ie_polys"] == {"polys": []}
    assert cfg["face_type"] is FaceType.WHOLE_FACE and cfg["sample_type"] is SampleType.FACE
    t = Sample(**pickle.loads(pickle.dumps(cfg)))
    assert t.get_config().keys() == cfg.keys() and t.person_name == "bob" and t.shape == d.get_shape()
    np.testing.assert_array_equal(t.get_xseg_mask(), d.get_xseg_mask())
    np.testing.assert_array_equal(t.load_bgr(), d.get_img().astype(np.float32) / 255)


class _Reduce:
    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _pak(configs_bytes, count, blobs=(b"x",)):
    data = b"".join(blobs)
    offsets = [0]
    for b in blobs:
        offsets.append(offsets[-1] + len(b))
    return struct.pack("<QQ", 1, len(configs_bytes)) + configs_bytes + struct.pack(
        f"<{count + 1}Q", *offsets[:count + 1]) + data


@pytest.mark.parametrize("case", ["os_system", "path_traversal", "person_traversal", "truncated", "version",
                                  "offsets_past_eof", "not_a_list", "object_array", "zero_bytes", "huge_array"])
def test_hostile_or_broken_pak_is_refused(tmp_path, case):
    marker = tmp_path / "PWNED"
    good = Sample(sample_type=SampleType.FACE, filename="a.jpg", face_type=FaceType.WHOLE_FACE,
                  shape=(8, 8, 3), landmarks=np.zeros((68, 2))).get_config()
    data = {
        "os_system": lambda: _pak(pickle.dumps([dict(good, filename=_Reduce(__import__("os").system,
                                                                             f"touch {marker}"))]), 1),
        "path_traversal": lambda: _pak(pickle.dumps([dict(good, filename="../../evil.jpg")]), 1),
        "person_traversal": lambda: _pak(pickle.dumps([dict(good, person_name="..")]), 1),
        "truncated": lambda: _pak(pickle.dumps([good]), 1)[:30],
        "version": lambda: struct.pack("<Q", 2) + _pak(pickle.dumps([good]), 1)[8:],
        "offsets_past_eof": lambda: _pak(pickle.dumps([good, good]), 2, blobs=(b"x" * 100, b"y" * 50))[:-140],
        "not_a_list": lambda: _pak(pickle.dumps({"a": 1}), 0),
        "object_array": lambda: _pak(pickle.dumps([dict(good, landmarks=np.array([None, 1], object))]), 1),
        "zero_bytes": lambda: b"",
        "huge_array": lambda: _pak(pickle.dumps([dict(good, xseg_mask_compressed=_Reduce(np.ndarray, (10 ** 9,)))]), 1),
    }[case]()
    (tmp_path / "faceset.pak").write_bytes(data)
    with pytest.raises(UserError, match="faceset.pak"):
        samples = PackedFaceset.load(tmp_path)
        PackedFaceset.unpack(tmp_path)
        assert samples is None  # not reached: load or unpack must raise
    assert not marker.exists()
    assert not (tmp_path.parent / "evil.jpg").exists() and (tmp_path / "faceset.pak").exists()
