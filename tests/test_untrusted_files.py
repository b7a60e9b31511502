"""Files from strangers and faults, tried as an attacker would: crafted pickles (dtype states, integer-sized
buffers, memo bombs, deep nesting, cycles), oversized images, planted links, colliding names, hostile model options,
dead workers, output folders that are inputs. Each is refused with one line naming the file, and nothing is run,
written outside or lost."""
import errno
import os
import pickle
import struct
import zlib

import cv2
import numpy as np
import pytest

from core import interact
from core.errors import UserError
from core.safe_pickle import UnsafePickleError, safe_loads
from faceset_fixtures import made_faces_dir  # noqa: F401  (fixture)

_RECONSTRUCT = np.zeros(0).__reduce__()[0]
_FROMBUFFER = np.arange(2).__reduce_ex__(5)[0]


class R:
    """An object that pickles as `func(*args)` (+ BUILD `state`), to write what a hostile file would hold."""

    def __init__(self, func, args, state=None):
        self.func, self.args, self.state = func, args, state

    def __reduce__(self):
        return (self.func, self.args) if self.state is None else (self.func, self.args, self.state)


def _dtype(code, state):
    return R(np.dtype, (code, False, True), state)


def _array(dtype_obj, shape, raw):
    return R(_RECONSTRUCT, (np.ndarray, (0,), b"b"), (1, shape, dtype_obj, False, raw))


SIMPLE = (3, "<", None, None, None, -1, -1, 0)
FIELD_PAST_ITEM = (3, "|", None, ("a",), {"a": (np.dtype("f8"), 4096)}, 8, 1, 16)


def _op_pickle(body):
    return b"\x80\x04" + body + b"."


HOSTILE_PICKLES = {
    "os_system_global": (None, "forbidden object os.system"),
    "eval_stack_global": (_op_pickle(b"\x8c\x08builtins\x8c\x04eval\x93\x8c\x011\x85R"), "forbidden object builtins"),
    "dtype_state_field_past_the_item": (pickle.dumps(_array(_dtype("f8", FIELD_PAST_ITEM), (1,), b"\0" * 8)),
                                        "only simple number types"),
    "dtype_state_with_subarray": (pickle.dumps(_dtype("f8", (3, "<", (np.dtype("f8"), (4,)), None, None, -1, -1, 0))),
                                  "only simple number types"),
    "dtype_state_changes_itemsize": (pickle.dumps(_array(_dtype("u1", (3, "|", None, None, None, 1 << 30, 1, 0)),
                                                         (4,), b"abcd")), "only simple number types"),
    "dtype_object_code": (pickle.dumps(_dtype("O8", SIMPLE)), "'O8' is not allowed"),
    "dtype_void_code": (pickle.dumps(_dtype("V16", (3, "|", None, None, None, 16, 1, 0))), "'V16' is not allowed"),
    "dtype_unicode_code": (pickle.dumps(np.array(["ab"])), "is not allowed"),
    "dtype_complex_code": (pickle.dumps(np.zeros(2, np.complex64)), "'c8' is not allowed"),
    "dtype_datetime_code": (pickle.dumps(np.zeros(2, "M8[s]")), "is not allowed"),
    "array_state_bigger_than_data": (pickle.dumps(_array(np.dtype("u1"), (10 ** 9,), b"xx")), "needs 1000000000"),
    "array_state_smaller_than_data": (pickle.dumps(_array(np.dtype("u1"), (1,), b"xx")), "needs 1 bytes"),
    "array_shape_negative": (pickle.dumps(_array(np.dtype("u1"), (-1,), b"")), "shape"),
    "array_shape_33_dims": (pickle.dumps(_array(np.dtype("u1"), (1,) * 33, b"x")), "shape"),
    "frombuffer_integer_buffer": (pickle.dumps(R(_FROMBUFFER, (5 * 10 ** 9, np.dtype("u1"), (5 * 10 ** 9,), "C"))),
                                  "not bytes"),
    "reconstruct_nonempty_shape": (pickle.dumps(R(_RECONSTRUCT, (np.ndarray, (10 ** 9,), b"b"))), "empty array"),
    "ndarray_direct_call": (pickle.dumps(R(np.ndarray, ((10 ** 9,), "u1"))), "direct numpy.ndarray"),
    "build_on_a_dict": (_op_pickle(b"}\x94}\x94b"), "setting the state of a dict"),
    "inst_opcode": (b"(ibuiltins\nlist\n.", "construction opcodes"),
    "newobj_opcode": (_op_pickle(b"\x8c\x05numpy\x8c\x05dtype\x93)\x81"), "construction opcodes"),
    "scalar_wrong_length": (pickle.dumps(R(np.float64(1).__reduce__()[0], (np.dtype("f8"), b"xx"))),
                            "needs 8 bytes"),
    "enum_huge_int": (None, "not a small integer"),
    "reduce_on_a_string": (_op_pickle(b"\x8c\x03abc)R"), "calling a str"),
    "persistent_id": (_op_pickle(b"\x8c\x01x\x94Q"), "persistent references"),
    "memo_bomb_deep": (None, "nested deeper than 64"),
    "memo_bomb_wide": (None, "shared entries counted each time"),
    "self_cycle": (None, "a cycle"),
    "nesting_100k_tuples": (_op_pickle(b")" + b"\x85" * 100000), "nested deeper than 64"),
    "bytearray8_claims_2gb": (_op_pickle(b"\x96" + struct.pack("<Q", 1 << 31) + b"xx"), "bytearray claims"),
    "truncated": (pickle.dumps({"a": list(range(100))})[:-20], "corrupt or truncated"),
    "ext_opcode": (_op_pickle(b"\x82\x01"), "corrupt or truncated"),
}


def _crafted(kind, marker):
    if kind == "os_system_global":
        return f"cos\nsystem\n(S'touch {marker}'\ntR.".encode()
    if kind == "enum_huge_int":
        from facelib.FaceType import FaceType
        return pickle.dumps(R(FaceType, (10 ** 400,)), protocol=4)
    if kind == "memo_bomb_deep":
        a = []
        for _ in range(90):
            a = [a, a]
        return pickle.dumps(a, protocol=4)
    if kind == "memo_bomb_wide":
        a = [b"x" * 4096]
        for _ in range(30):
            a = [a] * 16
        return pickle.dumps(a, protocol=4)
    loop = []
    loop.append(loop)
    return pickle.dumps(loop, protocol=4)


@pytest.mark.parametrize("name", sorted(HOSTILE_PICKLES))
def test_hostile_pickle_is_refused_in_one_line_without_memory(name, tmp_path):
    import tracemalloc
    data, expected = HOSTILE_PICKLES[name]
    marker = tmp_path / "PWNED"
    if data is None:
        data = _crafted(name, marker)
    tracemalloc.start()
    try:
        with pytest.raises(UnsafePickleError) as info:
            safe_loads(data, "evil.dat")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    msg = str(info.value)
    assert msg.startswith("evil.dat: ") and "\n" not in msg and expected in msg, msg
    assert peak < 64 << 20, peak
    assert not marker.exists()


def test_large_memo_index_allocates_nothing():
    # LONG_BINPUT 2**31: the C unpickler would size its memo table to the index; ours is a dict.
    data = _op_pickle(b"K\x01r\x00\x00\x00\x80j\x00\x00\x00\x80")
    import tracemalloc
    tracemalloc.start()
    try:
        assert safe_loads(data) == 1
        assert tracemalloc.get_traced_memory()[1] < 1 << 20
    finally:
        tracemalloc.stop()


def test_simple_dtypes_of_either_byte_order_still_load():
    for a in (np.arange(3, dtype=">f8"), np.arange(3, dtype="<u2"), np.array([True]), np.arange(2, dtype="f2")):
        b = safe_loads(pickle.dumps(a, protocol=4))
        assert b.dtype == a.dtype and np.array_equal(a, b)
    assert safe_loads(pickle.dumps({"t": (np.dtype(">i2"), [np.dtype("f4")])})) == \
        {"t": (np.dtype(">i2"), [np.dtype("f4")])}


# ---------------------------------------------------------------------------------------- values in real files
def _face_with_meta(src, dst, **changes):
    from core.dflimg import DFLJPG, jpeg
    d = DFLJPG.load(src)
    meta = d.meta.to_dict()
    meta.update(changes)
    payload = pickle.dumps(meta, protocol=4)
    dst.write_bytes(jpeg.join(jpeg.set_app15(d.segments, payload), d.trailer))
    return dst


@pytest.mark.parametrize("changes, expected", [
    ({"eyebrows_expand_mod": 10 ** 400}, "OverflowError"),
    ({"landmarks": [[10 ** 400, 1.0]] * 68}, "OverflowError"),
    ({"source_rect": "abcd"}, "source_rect"),
    ({"image_to_face_mat": [[float("inf")] * 3] * 2, "face_type": 7}, "face_type"),
])
def test_face_metadata_with_hostile_values_is_one_line(made_faces_dir, tmp_path, changes, expected):  # noqa: F811
    from core.dflimg import DFLJPG, NotDFLImageError
    src = sorted(made_faces_dir.glob("*.jpg"))[0]
    bad = _face_with_meta(src, tmp_path / "bad.jpg", **changes)
    with pytest.raises(NotDFLImageError) as info:
        DFLJPG.load(bad)
    assert "bad.jpg" in str(info.value) and expected in str(info.value) and "\n" not in str(info.value)


def test_meta_dat_hostile_shapes_and_nesting_are_one_line(tmp_path):
    from core.dflimg import metafile
    p = tmp_path / "meta.dat"
    cases = [
        (pickle.dumps({"a.jpg": ((40000, 40000, 3), {})}), "over the 100 MP limit"),
        (pickle.dumps({"a.jpg": ((float("inf"), 3, 3), {})}), "OverflowError"),
        (metafile.MAGIC + b'{"files": {"a.jpg": {"shape": [2, 2, 3], "meta": ' + b"[" * 100000 + b"]" * 100000
         + b"}}}", "RecursionError"),
        (metafile.MAGIC + b'{"files": {"a.jpg": {"shape": [1e400, 2, 3], "meta": {}}}}', "OverflowError"),
    ]
    for data, expected in cases:
        p.write_bytes(data)
        with pytest.raises(UserError) as info:
            metafile.read(p)
        assert str(info.value).startswith(str(p)) and expected in str(info.value), str(info.value)


def test_model_data_with_out_of_range_options_is_refused(tmp_path):
    """ae_dims 20000 (the flag allows 32..1024) would train into 13.8 GB: the saved options pass the flag's check."""
    from models import model_files
    from models.Model_SAEHD.options import OPTIONS
    from models.ModelBase import ModelBase
    decl = next(o for o in OPTIONS if o.name == "ae_dims")
    with pytest.raises(UserError, match=r"x_SAEHD_data.dat: saved option ae_dims: 20000 is outside 32..1024"):
        ModelBase._saved(decl, 20000, tmp_path / "x_SAEHD_data.dat")
    with pytest.raises(UserError, match="is not a valid int"):
        ModelBase._saved(decl, "many", tmp_path / "x_SAEHD_data.dat")
    with pytest.raises(UserError, match="is not a valid int"):
        ModelBase._saved(decl, float("inf"), tmp_path / "x_SAEHD_data.dat")
    archi = next(o for o in OPTIONS if o.name == "face_type")
    with pytest.raises(UserError, match="is not one of"):
        ModelBase._saved(archi, "../../x", tmp_path / "x_SAEHD_data.dat")
    p = tmp_path / "x_SAEHD_data.dat"
    p.write_bytes(pickle.dumps({"iter": float("inf"), "options": {}}))
    with pytest.raises(UserError, match="x_SAEHD_data.dat: damaged iteration"):
        model_files.read_data(p)


def test_model_with_hostile_option_does_not_build(tmp_path, compat_dir):
    import shutil

    from model_fixtures import make_model
    from models import model_files
    model = tmp_path / "model"
    shutil.copytree(compat_dir / "models" / "M1", model)
    os.chmod(model, 0o755)
    for p in model.iterdir():
        os.chmod(p, 0o644)
    d = model_files.read_data(model / "M1_SAEHD_data.dat")
    d["options"]["ae_dims"] = 20000
    model_files.write_data(model / "M1_SAEHD_data.dat", **d)
    with pytest.raises(UserError, match=r"M1_SAEHD_data.dat: saved option ae_dims: 20000 is outside 32..1024"):
        make_model("SAEHD", model, is_training=False)


# ------------------------------------------------------------------------------------------------- pixel limit
def _png_header_only(w, h):
    """A small PNG whose header claims w x h (a decompression bomb needs no more to make OpenCV allocate)."""
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))  # noqa: E731
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + \
        chunk(b"IEND", b"")


def test_images_over_the_pixel_limit_are_refused_before_decoding(tmp_path, monkeypatch):
    import tracemalloc

    from core import cv2ex
    from mainscripts.extract.frames import read_frame
    big = tmp_path / "bomb.png"
    big.write_bytes(_png_header_only(30000, 30000))
    tracemalloc.start()
    try:
        with pytest.raises(cv2ex.ImageTooLargeError, match=r"bomb.png: 30000x30000 image \(900 MP\) is over"):
            cv2ex.cv2_imread(big)
        assert tracemalloc.get_traced_memory()[1] < 16 << 20
    finally:
        tracemalloc.stop()
    frame = read_frame(big)   # extract: the frame is skipped with the reason, the others go on
    assert frame.img is None and "over the 100 MP limit" in frame.skipped
    ok, jpg = cv2.imencode(".jpg", np.zeros((8, 8, 3), np.uint8))
    data = bytearray(jpg.tobytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", 60000, 60000)
    with pytest.raises(cv2ex.ImageTooLargeError, match="60000x60000"):
        cv2ex.imdecode(bytes(data), cv2.IMREAD_COLOR, "face.jpg")
    monkeypatch.setenv("DFL_MAX_IMAGE_PIXELS", str(10 ** 10))   # --max-image-megapixels 10000
    with pytest.raises(UserError, match="not a readable image"):
        cv2ex.imdecode(bytes(data), cv2.IMREAD_COLOR, "face.jpg")


def test_pixel_limit_reaches_worker_processes(monkeypatch):
    import functools

    from core import cv2ex
    from core.workers import map_items
    monkeypatch.setenv("DFL_MAX_IMAGE_PIXELS", "0")
    cv2ex.set_max_image_pixels(1000)   # what main.py does with --max-image-megapixels 0.001
    ok, png = cv2.imencode(".png", np.zeros((40, 40), np.uint8))
    check = functools.partial(cv2ex.check_image_size, what="frame.png")
    with pytest.raises(cv2ex.ImageTooLargeError, match="frame.png: 40x40 image"):
        list(map_items(check, [png.tobytes()] * 2, workers=2, show_progress=False))


# ------------------------------------------------------------------------------------------- writes and links
def test_writer_never_follows_a_planted_link(tmp_path):
    from core.pathex import write_bytes_atomic
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    folder = tmp_path / "downloaded"
    folder.mkdir()
    for name in ("a.jpg.tmp", ".a.jpg.tmp", "a.jpg.bak"):
        (folder / name).symlink_to(victim)
    write_bytes_atomic(folder / "a.jpg", b"new", keep_previous=True)
    assert (folder / "a.jpg").read_bytes() == b"new" and victim.read_text() == "precious"
    write_bytes_atomic(folder / "a.jpg", b"newer", keep_previous=True)   # the planted .bak link is replaced
    assert victim.read_text() == "precious" and (folder / "a.jpg.bak").read_bytes() == b"new"
    (folder / "b.jpg").symlink_to(victim)   # the target itself a link: the link is replaced, not written through
    write_bytes_atomic(folder / "b.jpg", b"x")
    assert victim.read_text() == "precious" and not (folder / "b.jpg").is_symlink()
    assert sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp") and not p.is_symlink()) == []


@pytest.mark.parametrize("fault, expected", [
    ("missing", "folder .* does not exist"),
    ("read_only", "is read-only or not writable"),
    ("full", "the disk is full"),
])
def test_output_folder_errors_are_one_line(tmp_path, monkeypatch, fault, expected):
    from core import pathex
    target = tmp_path / "out" / "a.png"
    if fault != "missing":
        target.parent.mkdir()
    if fault == "read_only":
        if os.geteuid() == 0:   # root writes anywhere: make the OS answer as a read-only folder would
            monkeypatch.setattr(pathex.tempfile, "mkstemp", _raise(OSError(errno.EROFS, "Read-only file system")))
        else:
            target.parent.chmod(0o500)
    if fault == "full":
        monkeypatch.setattr(pathex.os, "fsync", _raise(OSError(errno.ENOSPC, "No space left on device")))
    with pytest.raises(UserError, match=expected) as info:
        pathex.write_bytes_atomic(target, b"data")
    assert "\n" not in str(info.value) and str(target) in str(info.value)
    if target.parent.exists():
        assert list(target.parent.iterdir()) == []


def test_command_output_folder_is_checked_before_work_starts(tmp_path, monkeypatch):
    from core import pathex
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match=r"^--output-dir .*file/merged: .*is in the way"):
        pathex.ensure_output_dir(tmp_path / "file" / "merged", "--output-dir")
    monkeypatch.setattr(pathex.tempfile, "mkstemp", _raise(OSError(errno.EROFS, "Read-only file system")))
    with pytest.raises(UserError, match=r"^--output-dir .*merged: folder .* is read-only or not writable"):
        pathex.ensure_output_dir(tmp_path / "merged", "--output-dir")


def _raise(exc):
    def f(*a, **k):
        raise exc
    return f


# ---------------------------------------------------------------------------------------------------- unpack
@pytest.fixture
def pak_folder(made_faces_dir, tmp_path):  # noqa: F811
    from samplelib import PackedFaceset
    interact.set_non_interactive(True)
    folder = tmp_path / "aligned"
    folder.mkdir()
    for p in sorted(made_faces_dir.glob("*.jpg"))[:3]:
        (folder / p.name).write_bytes(p.read_bytes())
    PackedFaceset.pack(folder, delete_originals=True)
    yield folder
    interact.set_non_interactive(False)


def test_unpack_refuses_collisions_and_keeps_the_pak(pak_folder, tmp_path):
    from samplelib import PackedFaceset
    names = [s.filename for s in PackedFaceset.load(pak_folder)]
    (pak_folder / names[1]).write_bytes(b"someone else's file")
    pak = (pak_folder / "faceset.pak").read_bytes()
    with pytest.raises(UserError, match=rf"would overwrite 1 file\(s\) \({names[1]}\).*Nothing was written"):
        PackedFaceset.unpack(pak_folder)
    assert (pak_folder / "faceset.pak").read_bytes() == pak
    assert (pak_folder / names[1]).read_bytes() == b"someone else's file"
    assert sorted(p.name for p in pak_folder.iterdir()) == sorted(["faceset.pak", names[1]])


def test_unpack_follows_no_planted_link(pak_folder, tmp_path):
    from samplelib import PackedFaceset
    victim = tmp_path / "victim"
    victim.write_text("precious")
    names = [s.filename for s in PackedFaceset.load(pak_folder)]
    for n in names:
        (pak_folder / (n + ".tmp")).symlink_to(victim)
    PackedFaceset.unpack(pak_folder)
    assert victim.read_text() == "precious" and not (pak_folder / "faceset.pak").exists()
    assert all((pak_folder / n).stat().st_size > 1000 and not (pak_folder / n).is_symlink() for n in names)


def test_unpack_refuses_names_repeated_in_the_pak(made_faces_dir, tmp_path):  # noqa: F811
    from samplelib import PackedFaceset
    interact.set_non_interactive(True)
    folder = tmp_path / "aligned"
    folder.mkdir()
    for name, p in zip(("a.jpg", "b.jpg"), sorted(made_faces_dir.glob("*.jpg"))):
        (folder / name).write_bytes(p.read_bytes())
    PackedFaceset.pack(folder, delete_originals=True)
    pak = folder / "faceset.pak"
    pak.write_bytes(pak.read_bytes().replace(b"b.jpg", b"a.jpg", 1))
    with pytest.raises(UserError, match=r"would overwrite 1 file\(s\) \(a.jpg\): .*repeated in the pak"):
        PackedFaceset.unpack(folder)
    assert sorted(p.name for p in folder.iterdir()) == ["faceset.pak"]
    interact.set_non_interactive(False)


# ---------------------------------------------------------------------------------------------------- workers
def test_a_worker_that_dies_ends_the_command_with_one_line():
    from core.workers import map_items
    with pytest.raises(UserError, match="a worker process died .* stopped after"):
        list(map_items(os._exit, [3, 3, 3], workers=2, show_progress=False))


# ------------------------------------------------------------------------------------------------------ merge
@pytest.mark.parametrize("which", ["frames", "aligned", "model", "inside_aligned", "same_for_masks"])
def test_merge_refuses_output_folders_that_are_inputs(tmp_path, which):
    from mainscripts.Merger import _check_outputs
    frames, aligned, model = tmp_path / "data_dst", tmp_path / "data_dst" / "aligned", tmp_path / "model"
    out = {"frames": frames, "aligned": aligned, "model": model, "inside_aligned": aligned / "x",
           "same_for_masks": tmp_path / "merged"}[which]
    mask = out if which == "same_for_masks" else tmp_path / "merged_mask"
    with pytest.raises(UserError, match="--output-dir"):
        _check_outputs({"frames folder": frames, "aligned faces folder": aligned, "model folder": model},
                       {"--output-dir": out, "--output-mask-dir": mask})
    _check_outputs({"frames folder": frames, "aligned faces folder": aligned, "model folder": model},
                   {"--output-dir": frames / "merged", "--output-mask-dir": frames / "merged_mask"})


# ------------------------------------------------------------------------------------- recover original names
def test_recover_original_filename_leaves_no_temp_files_and_overwrites_nothing(made_faces_dir, tmp_path):  # noqa
    from core.dflimg import DFLJPG
    from mainscripts import Util
    folder = tmp_path / "aligned"
    folder.mkdir()
    faces = sorted(made_faces_dir.glob("*.jpg"))[:3]
    sources = []
    for i, p in enumerate(faces):
        d = DFLJPG.load(p)
        sources.append(d.get_source_filename())
        (folder / f"shuffled_{i}.jpg").write_bytes(p.read_bytes())
    stranger = folder / f"{os.path.splitext(sources[0])[0]}_0.jpg"
    stranger.write_bytes(b"not a face, not ours")
    d = DFLJPG.load(folder / "shuffled_1.jpg")
    d.meta.source_filename = "../../escape.png"
    d.save()
    Util.recover_original_aligned_filename(folder)
    Util.recover_original_aligned_filename(folder)   # the second pass, where leftovers used to appear
    names = sorted(p.name for p in folder.iterdir())
    assert not [n for n in names if n.endswith(".tmp")], names
    assert stranger.read_bytes() == b"not a face, not ours"
    assert not (tmp_path / "escape_0.jpg").exists() and "escape_0.jpg" in names
    assert len(names) == 4


def test_merge_reports_truncated_frames_and_merges_the_others(tmp_path, compat_dir, monkeypatch, capsys):
    import main
    import models
    from merger_data import N_FRAMES, make_workspace
    from test_merger_run import FakeModel
    monkeypatch.setattr(models, "import_model", lambda name: FakeModel)
    make_workspace(tmp_path, compat_dir)
    (tmp_path / "model").mkdir()
    dst = tmp_path / "data_dst"
    frames = {p.name: p.read_bytes() for p in dst.glob("*.png")}
    for name in ("00003.png", "00009.png"):   # one frame with a face, one without
        (dst / name).write_bytes(frames[name][:len(frames[name]) // 3])
    args = ["merge", "--input-dir", str(dst), "--output-mask-dir", str(dst / "merged_mask"), "--model-dir",
            str(tmp_path / "model"), "--model", "Quick96", "--non-interactive", "--interactive", "n",
            "--workers", "2"]
    capsys.readouterr()
    assert main.main(args[:3] + ["--output-dir", str(dst)] + args[3:]) == 2   # the frames folder: refused
    assert "--output-dir" in capsys.readouterr().err
    assert sorted(p.name for p in dst.glob("*.png")) == sorted(frames)
    assert main.main(args[:3] + ["--output-dir", str(dst / "merged")] + args[3:]) == 1
    captured = capsys.readouterr()
    failed = [line for line in captured.err.splitlines() if "Failed: " in line]
    assert len(failed) == 2 and all("not a readable image" in line for line in failed), captured.err
    assert {"00003.png", "00009.png"} == {line.split(os.sep)[-1].split(":")[0] for line in failed}
    merged = sorted(p.name for p in (dst / "merged").glob("*.png"))
    assert merged == sorted(set(frames) - {"00003.png", "00009.png"}) and len(merged) == N_FRAMES - 2
    assert "Traceback" not in captured.err + captured.out


def test_merger_settings_and_session_files_with_hostile_json_are_one_line(tmp_path):
    from merger import session
    from merger.MergerConfig import load_settings
    p = tmp_path / "settings.json"
    p.write_text("[" * 100000 + "]" * 100000)
    with pytest.raises(UserError, match="settings.json is not valid JSON \\(RecursionError"):
        load_settings(p)
    s = tmp_path / "session.json"
    s.write_text('{"format": "%s", "version": %d, "frames": [{"name": "a.png", "cfg": [1, 2]}]}'
                 % (session.FORMAT, session.VERSION))
    with pytest.raises(UserError, match="session.json: frame a.png"):
        session.load_session(s, ["a.png"], 1, "whole_face", "overlay", lambda i: False)
    s.write_text("[" * 100000)
    with pytest.raises(UserError, match="session.json is unreadable"):
        session.load_session(s, ["a.png"], 1, "whole_face", "overlay", lambda i: False)
