"""Aligned-face files: the original's files load and re-save unchanged, every key round-trips, files we write parse
with an independent parser, and hostile or broken files are refused without running anything."""
import os
import pickle
import struct
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from core.dflimg import DFLJPG, FaceMeta, NotDFLImageError, SegIEPolys, SegIEPolyType, iter_dfl_images, jpeg
from core.errors import UserError
from faceset_fixtures import made_faces_dir  # noqa: F401  (fixture)

COMPAT_FACE_DIRS = ["aligned_whole_face", "aligned_full_face", "aligned_head", "data_dst/aligned"]


# ---- an independent reader, written from the format description (not from core.dflimg) -----------------------------
def read_segments(data):
    """[(marker byte, payload)] up to SOS; the APP15 payload is the pickled metadata dict."""
    assert data[:2] == b"\xff\xd8"
    pos, out = 2, []
    while True:
        assert data[pos] == 0xFF
        marker = data[pos + 1]
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        out.append((marker, data[pos + 4:pos + 2 + length]))
        pos += 2 + length
        if marker == 0xDA:
            return out


def app15_dict(path):
    """What the original program sees: pickle.loads of the APP15 payload (used only on files this suite wrote)."""
    segs = read_segments(Path(path).read_bytes())
    payloads = [p for m, p in segs if m == 0xEF]
    assert len(payloads) == 1
    return pickle.loads(payloads[0])


def assert_same(a, b, where="value"):
    assert type(a) is type(b), f"{where}: {type(a)} != {type(b)}"
    if isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b), where
    else:
        assert a == b, where


# ---- files written by the original -----------------------------------------------------------------------------------
@pytest.mark.parametrize("sub", COMPAT_FACE_DIRS)
def test_original_files_load_and_resave_byte_identical(compat_dir, tmp_path, sub):
    files = sorted((compat_dir / sub).glob("*.jpg"))
    assert files
    for f in files:
        d = DFLJPG.load(f)
        assert d.get_landmarks().shape == (68, 2) and d.get_landmarks().dtype == np.float64  # as the original returns them
        assert d.get_face_type() in ("whole_face", "full_face", "head")
        assert d.get_shape() == (256, 256, 3)
        assert d.get_image_to_face_mat().shape == (2, 3)
        assert d.get_source_filename() and d.get_source_rect().dtype == np.int64
        assert d.get_img().shape == (256, 256, 3)
        out = tmp_path / f.name
        d.filename = out
        d.save()
        assert out.read_bytes() == f.read_bytes(), f"{sub}/{f.name} changed on re-save"


def test_original_metadata_rewritten_by_us_is_identical_for_the_original(compat_dir, tmp_path):
    """Forcing our own pickle (a changed-then-restored value), the original reads the same dict, types included."""
    for f in sorted((compat_dir / "aligned_whole_face").glob("*.jpg")):
        ours = DFLJPG.load(f)
        before = ours.get_dict()
        ours.set_source_filename("x.png")
        ours.filename = tmp_path / f.name
        ours.save()
        ours.set_source_filename(before["source_filename"])
        ours.save()
        assert_same(app15_dict(ours.filename), before, f.name)
        segs = read_segments(ours.filename.read_bytes())
        assert [m for m, _ in segs][:2] == [0xE0, 0xEF], "APP15 must follow the JFIF APP0"


def test_original_polygons_and_mask(compat_dir):
    d = DFLJPG.load(compat_dir / "aligned_whole_face" / "grace_hopper_0.jpg")
    polys = d.get_seg_ie_polys()
    assert [p.type for p in polys] == [SegIEPolyType.INCLUDE, SegIEPolyType.EXCLUDE]
    assert [p.get_pts_count() for p in polys] == [22, 11]
    mask = d.get_xseg_mask()
    assert mask.shape == (256, 256, 1) and mask.dtype == np.float32 and set(np.unique(mask)) <= {0.0, 1.0}
    assert 0.2 < mask.mean() < 0.8
    assert DFLJPG.load(compat_dir / "aligned_whole_face" / "jesper_0.jpg").has_xseg_mask() is False


# ---- our own files ---------------------------------------------------------------------------------------------------
def _face_img(size=96):
    img = cv2.imread(str(Path(__file__).parent / "data" / "stills" / "grace_hopper.jpg"))
    return cv2.resize(img[:400, 80:480], (size, size))


def _full_record():
    lm = (np.random.RandomState(0).rand(68, 2) * 96).astype(np.float64)
    polys = SegIEPolys()
    exc = polys.add_poly(SegIEPolyType.EXCLUDE)
    for x, y in [(40, 40), (60, 40), (60, 60)]:
        exc.add_pt(x, y)
    inc = polys.add_poly(SegIEPolyType.INCLUDE)
    for x, y in [(10, 10), (90, 10), (90, 90), (10, 90)]:
        inc.add_pt(x, y)
    mask = np.zeros((96, 96, 1), np.float32)
    mask[20:70, 30:80] = 1
    return dict(face_type="whole_face", landmarks=lm, source_filename="00042.png",
                source_rect=np.array([11, 22, 133, 144]), source_landmarks=lm * 3 + 5,
                image_to_face_mat=np.array([[0.5, 0.1, -3.0], [-0.1, 0.5, 7.25]]), seg_ie_polys=polys,
                xseg_mask=mask, eyebrows_expand_mod=1.5)


def test_every_key_round_trips(tmp_path):
    rec = _full_record()
    path = tmp_path / "face.jpg"
    DFLJPG.create(path, _face_img(), **rec)
    d = DFLJPG.load(path)
    assert d.get_face_type() == "whole_face"
    np.testing.assert_array_equal(d.get_landmarks(), rec["landmarks"])
    np.testing.assert_array_equal(d.meta.landmarks, rec["landmarks"])
    assert d.get_source_filename() == "00042.png"
    np.testing.assert_array_equal(d.get_source_rect(), [11, 22, 133, 144])
    np.testing.assert_array_equal(d.get_source_landmarks(), rec["source_landmarks"])
    np.testing.assert_array_equal(d.get_image_to_face_mat(), rec["image_to_face_mat"])
    assert d.get_eyebrows_expand_mod() == 1.5
    polys = d.get_seg_ie_polys()
    assert [p.type for p in polys] == [SegIEPolyType.INCLUDE, SegIEPolyType.EXCLUDE]  # include sorted first
    np.testing.assert_array_equal(polys.get_poly(0).get_pts(), [(10, 10), (90, 10), (90, 90), (10, 90)])
    np.testing.assert_array_equal(d.get_xseg_mask(), rec["xseg_mask"])
    assert d.get_shape() == (96, 96, 3)
    # each setter, then save and reload
    d.set_face_type("head")
    d.set_source_filename("other.jpg")
    d.set_eyebrows_expand_mod(None)
    d.set_seg_ie_polys(SegIEPolys())
    d.set_xseg_mask(None)
    d.save()
    e = DFLJPG.load(path)
    assert e.get_face_type() == "head" and e.get_source_filename() == "other.jpg"
    assert e.get_eyebrows_expand_mod() is None and not e.has_seg_ie_polys() and not e.has_xseg_mask()
    assert set(app15_dict(path)) == {"face_type", "landmarks", "source_filename", "source_rect",
                                     "source_landmarks", "image_to_face_mat"}  # None values are dropped


def test_written_file_parses_with_independent_reader_and_original_types(tmp_path):
    path = tmp_path / "face.jpg"
    DFLJPG.create(path, _face_img(), **_full_record())
    data = path.read_bytes()
    segs = read_segments(data)
    assert [m for m, _ in segs][:2] == [0xE0, 0xEF]
    assert segs[0][1][:5] == b"JFIF\x00"
    assert data.endswith(b"\xff\xd9")
    payload = segs[1][1]
    assert payload[:2] == b"\x80\x04"  # pickle protocol 4 (readable by the original's Python 3.6)
    assert b"numpy._core" not in payload and b"numpy.core.multiarray" in payload  # NumPy 1.x and 2.x
    d = pickle.loads(payload)
    assert list(d) == ["face_type", "landmarks", "source_filename", "source_rect", "source_landmarks",
                       "image_to_face_mat", "seg_ie_polys", "xseg_mask", "eyebrows_expand_mod"]
    assert isinstance(d["landmarks"], list) and len(d["landmarks"]) == 68
    assert all(type(v) is float for pt in d["landmarks"] + d["source_landmarks"] for v in pt)
    assert d["source_rect"].dtype == np.int64 and d["source_rect"].shape == (4,)
    assert d["image_to_face_mat"].dtype == np.float64 and d["image_to_face_mat"].shape == (2, 3)
    assert [p["type"] for p in d["seg_ie_polys"]["polys"]] == [1, 0]
    assert all(type(p["type"]) is int and p["pts"].dtype == np.float32 for p in d["seg_ie_polys"]["polys"])
    assert d["xseg_mask"].dtype == np.uint8 and d["xseg_mask"].ndim == 1
    assert d["xseg_mask"][:8].tobytes() == b"\x89PNG\r\n\x1a\n"
    assert type(d["eyebrows_expand_mod"]) is float and type(d["face_type"]) is str
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == (96, 96, 3)


def test_app15_goes_after_last_appn_and_old_one_is_dropped(tmp_path):
    ok, buf = cv2.imencode(".jpg", _face_img(), [int(cv2.IMWRITE_JPEG_QUALITY), 90])
    segs, trailer = jpeg.parse(buf.tobytes())
    exif = jpeg.Segment(0xE1, b"Exif\x00\x00" + bytes(20))
    old = jpeg.Segment(0xEF, pickle.dumps({"face_type": "full_face", "landmarks": [[1.0, 2.0]] * 68}))
    segs = [segs[0], old, segs[1], exif] + segs[2:]
    path = tmp_path / "face.jpg"
    path.write_bytes(jpeg.join(segs, trailer))
    d = DFLJPG.load(path)
    assert d.get_face_type() == "full_face"
    d.set_face_type("whole_face")
    d.save()
    markers = [m for m, _ in read_segments(path.read_bytes())]
    assert markers[:3] == [0xE0, 0xE1, 0xEF] and markers.count(0xEF) == 1
    assert app15_dict(path)["face_type"] == "whole_face"


def test_segment_limit_is_guarded(tmp_path):
    path = tmp_path / "face.jpg"
    DFLJPG.create(path, _face_img(), **_full_record())
    before = path.read_bytes()
    d = DFLJPG.load(path)
    polys = SegIEPolys()
    poly = polys.add_poly(SegIEPolyType.INCLUDE)
    for i in range(9000):
        poly.add_pt(i % 96, i // 96)
    d.set_seg_ie_polys(polys)
    with pytest.raises(UserError, match="face.jpg.*65533"):
        d.save()
    assert path.read_bytes() == before


def test_xseg_mask_png_then_jpeg_under_50000_bytes(tmp_path):
    d = DFLJPG.create(tmp_path / "f.jpg", _face_img(256), face_type="whole_face", landmarks=np.zeros((68, 2)))
    noise = np.random.RandomState(1).rand(256, 256, 1).astype(np.float32)
    d.set_xseg_mask(noise)
    buf = d.get_xseg_mask_compressed()
    assert buf[:2].tobytes() == b"\xff\xd8" and len(buf) <= 50000  # a PNG of noise is ~65 KB
    d.save()
    assert np.abs(DFLJPG.load(d.filename).get_xseg_mask() - noise).mean() < 0.2


def test_segpolys_forms_sort_and_overlay():
    pts_in = np.array([[10, 10], [50, 10], [50, 50], [10, 50]], np.float32)
    pts_out = np.array([[20, 20], [40, 20], [40, 40], [20, 40]], np.float32)
    legacy = SegIEPolys.load([(0, pts_out), (1, pts_in)])
    as_dict = SegIEPolys.load({"polys": [{"type": 0, "pts": pts_out}, {"type": 1, "pts": pts_in}]})
    for polys in (legacy, as_dict):
        assert [p.type for p in polys] == [1, 0]
        mask = np.zeros((64, 64, 1), np.float32)
        polys.overlay_mask(mask)
        assert mask[15, 15, 0] == 1 and mask[30, 30, 0] == 0 and mask[5, 5, 0] == 0
    dumped = as_dict.dump()
    assert [p["type"] for p in dumped["polys"]] == [1, 0] and dumped["polys"][0]["pts"].dtype == np.float32
    assert SegIEPolys.load(dumped).identical(as_dict)
    p = as_dict.get_poly(0)
    p.undo()
    assert p.get_pts_count() == 3 and p.redo() == 4


def test_unknown_keys_kept_and_facemeta_round_trip():
    d = {"face_type": "whole_face", "landmarks": [[1.5, 2.5]] * 68, "my_tool_key": {"a": (1, 2)}}
    m = FaceMeta.from_dict(d)
    assert m.extra == {"my_tool_key": {"a": (1, 2)}}
    assert_same(m.to_dict(), d)


# ---- hostile and broken files ----------------------------------------------------------------------------------------
class _Reduce:
    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


class _State(_Reduce):
    def __init__(self, func, args, state):
        super().__init__(func, *args)
        self.state = state

    def __reduce__(self):
        return self.func, self.args, self.state


def _payloads(marker):
    m = str(marker)
    good = {"face_type": "whole_face", "landmarks": [[1.0, 2.0]] * 68}
    return {
        "os_system": _Reduce(os.system, f"touch {m}"),
        "subprocess_call": _Reduce(subprocess.call, ["touch", m]),
        "builtins_eval": _Reduce(eval, f"open({m!r}, 'w').close()"),
        "builtins_exec": _Reduce(exec, f"open({m!r}, 'w').close()"),
        "file_creating_callable": _Reduce(open, m, "w"),
        "pathlib_touch": _Reduce(Path.touch, Path(m)),
        "nested_in_allowed_structure": {**good, "seg_ie_polys": {"polys": [{"type": 1, "pts": [
            _Reduce(os.system, f"touch {m}")]}]}},
        "object_dtype_array": {**good, "source_rect": np.array([1, "x", None, 2.0], dtype=object)},
        "huge_uninitialised_array": {**good, "xseg_mask": _Reduce(np.ndarray, (2 * 10 ** 8,), "u1")},
        "ndarray_subclass": {**good, "image_to_face_mat": np.ma.masked_array(np.zeros((2, 3)))},
        "not_a_dict": [1, 2, 3],
        "bad_landmarks_shape": {"face_type": "whole_face", "landmarks": [1.0, 2.0, 3.0]},
        "unknown_face_type": {**good, "face_type": "alien"},
    }


def _with_app15(face_bytes, payload_bytes):
    segs, trailer = jpeg.parse(face_bytes)
    return jpeg.join(jpeg.set_app15(segs, payload_bytes), trailer)


def _hostile_files(folder, good_face, marker):
    """Write every hostile/broken variant into `folder`; returns their names."""
    face = good_face.read_bytes()
    names = []
    for name, obj in _payloads(marker).items():
        (folder / f"evil_{name}.jpg").write_bytes(_with_app15(face, pickle.dumps(obj, protocol=4)))
        names.append(f"evil_{name}.jpg")
    app15_at = face.index(b"\xff\xef")
    broken = {
        "zero_bytes.jpg": b"",
        "truncated.jpg": face[:len(face) // 2],
        "truncated_in_app15.jpg": face[:app15_at + 40],
        "length_past_eof.jpg": face[:app15_at + 2] + b"\xff\xf0" + face[app15_at + 4:app15_at + 64],
        "garbage_pickle.jpg": _with_app15(face, b"\x80\x04\x95garbage-not-a-pickle"),
        "png_renamed.jpg": cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))[1].tobytes(),
        "not_an_image.jpg": b"hello, I am text",
        "plain_photo.jpg": cv2.imencode(".jpg", np.zeros((8, 8, 3), np.uint8))[1].tobytes(),
        "plain_photo.png": cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))[1].tobytes(),
    }
    for name, data in broken.items():
        (folder / name).write_bytes(data)
    return names + list(broken)


def test_payloads_are_live_with_plain_pickle(tmp_path):
    """Sanity check of the test itself: the standard unpickler does run such a payload."""
    marker = tmp_path / "RAN"
    pickle.loads(pickle.dumps(_payloads(marker)["file_creating_callable"], protocol=4)).close()
    assert marker.exists()


def test_hostile_and_broken_files_are_refused_and_folder_goes_on(made_faces_dir, tmp_path):
    folder = tmp_path / "aligned"
    folder.mkdir()
    good = sorted(made_faces_dir.glob("*.jpg"))[:2]
    for g in good:
        (folder / g.name).write_bytes(g.read_bytes())
    marker = tmp_path / "PWNED"
    bad = _hostile_files(folder, good[0], marker)
    skipped = {}
    loaded = [p.name for p, _ in iter_dfl_images(folder, on_skip=lambda p, e: skipped.setdefault(p.name, str(e)))]
    assert loaded == sorted(g.name for g in good)
    assert sorted(skipped) == sorted(bad)
    for name, msg in skipped.items():
        assert name in msg and "\n" not in msg, msg
    assert "forbidden object posix.system" in skipped["evil_os_system.jpg"]
    assert "array type 'O8' is not allowed" in skipped["evil_object_dtype_array.jpg"]
    assert "direct numpy.ndarray(...) call is not allowed" in skipped["evil_huge_uninitialised_array.jpg"]
    assert not marker.exists(), "a payload ran"
    for name in bad:
        with pytest.raises(NotDFLImageError):
            DFLJPG.load(folder / name)
    assert not marker.exists()


@pytest.mark.parametrize("payload", ["direct_call", "reconstruct_with_shape", "state_bigger_than_data"])
def test_safe_pickle_never_makes_an_array_bigger_than_its_data(payload):
    """`numpy.ndarray` is admitted only as `_reconstruct`'s argument: nothing allocates the 1 GB the payload asks."""
    import tracemalloc
    from core.safe_pickle import UnsafePickleError, safe_loads
    _reconstruct = np.zeros(0).__reduce__()[0]  # what NumPy itself pickles arrays with
    obj = {"direct_call": _Reduce(np.ndarray, (10 ** 9,), "u1"),
           "reconstruct_with_shape": _Reduce(_reconstruct, np.ndarray, (10 ** 9,), b"b"),
           "state_bigger_than_data": _State(_reconstruct, (np.ndarray, (0,), b"b"),
                                            (1, (10 ** 9,), np.dtype("u1"), False, b"xx"))}[payload]
    data = pickle.dumps(obj, protocol=4)
    tracemalloc.start()  # NumPy reports its data buffers to tracemalloc
    try:
        with pytest.raises(UnsafePickleError):
            safe_loads(data, "x.dat")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 ** 7


def test_safe_pickle_reads_every_array_layout_numpy_writes():
    from core.safe_pickle import UnsafePickleError, safe_loads
    for refused in (np.zeros(3, dtype=[("a", "<f4"), ("b", ">i2")]), np.array(["ab"]), np.zeros(2, np.complex64)):
        with pytest.raises(UnsafePickleError, match="is not allowed"):
            safe_loads(pickle.dumps(refused, protocol=4))
    arrays = [np.arange(6.0).reshape(2, 3), np.zeros((2, 0), np.int64), np.asfortranarray(np.arange(6).reshape(2, 3)),
              np.arange(10, dtype=np.uint8)[::3], np.arange(4, dtype=">i2"), np.ones(3, np.float16),
              np.array([True, False]), np.array(7.5)]
    for a in arrays:
        for protocol in (3, 4, 5):
            b = safe_loads(pickle.dumps(a, protocol=protocol))
            assert type(b) is np.ndarray and b.dtype == a.dtype and b.shape == a.shape and np.array_equal(b, a)
    assert safe_loads(pickle.dumps(np.float32(2.5), protocol=4)) == np.float32(2.5)


def test_cli_reports_each_bad_file_once_and_continues(made_faces_dir, tmp_path, repo_root):
    folder = tmp_path / "aligned"
    folder.mkdir()
    good = sorted(made_faces_dir.glob("*.jpg"))[:2]
    for g in good:
        (folder / g.name).write_bytes(g.read_bytes())
    marker = tmp_path / "PWNED"
    bad = _hostile_files(folder, good[0], marker)
    r = subprocess.run([sys.executable, str(repo_root / "main.py"), "util", "--input-dir", str(folder),
                        "--save-faceset-metadata", "--non-interactive"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    for name in bad:
        assert r.stderr.count(name) == 1, name
    assert f"2 faces, {len(bad)} skipped" in r.stdout
    assert not marker.exists()
    from core.dflimg import metafile
    assert sorted(metafile.read(folder / "meta.dat")) == sorted(g.name for g in good)


def test_plain_images_in_aligned_folder_reported_once_per_run(made_faces_dir, tmp_path, capsys):
    folder = tmp_path / "aligned"
    folder.mkdir()
    good = sorted(made_faces_dir.glob("*.jpg"))[0]
    (folder / good.name).write_bytes(good.read_bytes())
    (folder / "frame.png").write_bytes(cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))[1].tobytes())
    (folder / "photo.jpg").write_bytes(cv2.imencode(".jpg", np.zeros((8, 8, 3), np.uint8))[1].tobytes())
    for _ in range(2):
        assert [p.name for p, _ in iter_dfl_images(folder)] == [good.name]
    err = capsys.readouterr().err
    assert err.count("frame.png") == 1 and err.count("photo.jpg") == 1
    assert "not a JPEG" in err and "no DeepFaceLab metadata" in err
