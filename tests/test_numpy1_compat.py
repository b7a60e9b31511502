"""The original's release builds (Python 3.6, NumPy 1.19) open what we write: every pickle we save (model
data.dat, weight files, default options, faceset.pak header, aligned-face metadata) is loaded with the plain
`pickle` module in a child process where `numpy._core` (NumPy 2's name) cannot be imported, as in NumPy 1.x, and
every key and value is compared with what we wrote. Protocol 4 at most, and no NumPy scalar objects."""
import json
import struct
import subprocess
import sys

import numpy as np

from core import interact
from faceset_fixtures import made_faces_dir  # noqa: F401  (fixture)

CHILD = r"""
import hashlib, importlib.abc, json, pickle, sys, warnings
warnings.simplefilter("ignore")
import numpy
import numpy.core.multiarray, numpy.core.numeric   # real modules in NumPy 1.x (shims over numpy._core in 2.x)
for name in [n for n in sys.modules if n == "numpy._core" or n.startswith("numpy._core.")]:
    del sys.modules[name]

class NoNumpyCore(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "numpy._core" or name.startswith("numpy._core."):
            raise ModuleNotFoundError(f"No module named {name!r}")

sys.meta_path.insert(0, NoNumpyCore())

def describe(v):
    if isinstance(v, numpy.ndarray):
        return ["ndarray", v.dtype.str, list(v.shape), hashlib.sha256(v.tobytes()).hexdigest()]
    if isinstance(v, numpy.generic):
        return ["numpy scalar", type(v).__name__]
    if isinstance(v, dict):
        return {str(k): describe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [describe(x) for x in v]
    return [type(v).__name__, repr(v)]

out = {}
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    if path.endswith(".jpg"):
        i = data.find(b"\xff\xef")
        data = data[i + 4:i + 2 + int.from_bytes(data[i + 2:i + 4], "big")]
    elif path.endswith(".pak"):
        n = int.from_bytes(data[8:16], "little")
        data = data[16:16 + n]
    class Unpickler(pickle.Unpickler):   # the original's two IntEnums, which only the original has
        def find_class(self, module, name):
            if (module, name) in (("samplelib.Sample", "SampleType"), ("facelib.FaceType", "FaceType")):
                return int
            return super().find_class(module, name)
    out[path] = {"protocol": data[1] if data[:1] == b"\x80" else 0, "value": describe(Unpickler(
        __import__("io").BytesIO(data)).load())}
print(json.dumps(out))
"""


def _describe(v):
    import hashlib
    if isinstance(v, np.ndarray):
        return ["ndarray", v.dtype.str, list(v.shape), hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest()]
    if isinstance(v, dict):
        return {str(k): _describe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_describe(x) for x in v]
    return [type(v).__name__, repr(v)]


def test_numpy1_without_numpy_core_loads_every_file_we_write(tmp_path, made_faces_dir):  # noqa: F811
    from core.safe_pickle import safe_loads
    from samplelib import PackedFaceset
    from test_model_framework import _make, _tiny_model_class

    interact.set_non_interactive(True)
    try:
        model_dir = tmp_path / "model"
        m = _make(_tiny_model_class(), model_dir, option_values={"size": "8"})
        m.options["power"] = np.float32(0.25)       # NumPy scalars in options are written as Python numbers
        m.options["size"] = np.int64(8)
        m.loss_history = [[np.float32(0.5), 0.25]]
        m.sample_for_preview = [[np.zeros((1, 8, 8, 3), np.float32), np.ones((1, 8, 8, 1), np.float32)]]
        m.iter = 3
        m.save()
        m.finalize()
        faces = tmp_path / "aligned"
        faces.mkdir()
        for p in sorted(made_faces_dir.glob("*.jpg"))[:2]:
            (faces / p.name).write_bytes(p.read_bytes())
        face = faces / "with_polys.jpg"
        face.write_bytes(sorted(made_faces_dir.glob("*.jpg"))[0].read_bytes())
        from core.dflimg import DFLJPG, SegIEPolys
        d = DFLJPG.load(face)
        polys = SegIEPolys()
        polys.add_poly(1).set_points(np.array([[1, 2], [30, 2], [15, 40]], np.float32))
        d.set_seg_ie_polys(polys)
        d.save()
        face_meta = face.read_bytes()
        PackedFaceset.pack(faces, delete_originals=False)
        (tmp_path / "with_polys.jpg").write_bytes(face_meta)
    finally:
        interact.set_non_interactive(False)

    files = sorted(p for p in model_dir.iterdir() if p.suffix in (".dat", ".npy"))
    files += [faces / "faceset.pak", tmp_path / "with_polys.jpg"]
    assert {p.name for p in files} >= {"new_Tiny_data.dat", "new_Tiny_net.npy", "new_Tiny_src_dst_opt.npy",
                                       "Tiny_default_options.dat", "faceset.pak", "with_polys.jpg"}
    r = subprocess.run([sys.executable, "-c", CHILD, *map(str, files)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    loaded = json.loads(r.stdout)
    for p in files:
        raw = p.read_bytes()
        assert b"numpy._core" not in raw and b"scalar" not in raw, p.name
        got = loaded[str(p)]
        assert 2 <= got["protocol"] <= 4, p.name
        if p.suffix == ".jpg":
            i = raw.find(b"\xff\xef")
            raw = raw[i + 4:i + 2 + struct.unpack(">H", raw[i + 2:i + 4])[0]]
        elif p.suffix == ".pak":
            raw = raw[16:16 + struct.unpack("<Q", raw[8:16])[0]]
        ours = safe_loads(raw, p.name)   # what we read back: the same keys and values, key by key
        assert got["value"] == _describe(ours), p.name
    data = loaded[str(model_dir / "new_Tiny_data.dat")]["value"]
    assert data["iter"] == ["int", "3"] and data["options"]["power"] == ["float", "0.25"]
    assert data["options"]["size"] == ["int", "8"] and data["loss_history"] == [[["float", "0.5"], ["float", "0.25"]]]
