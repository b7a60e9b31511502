"""Fuzz test of every pickle reader: thousands of mutated copies of the original's pickles (face metadata,
faceset.pak header, meta.dat, data.dat, default options) and of ours (data.dat, weights, face metadata, a whole
aligned-face JPG, decoded) go through
the readers in child processes with a memory limit and a per-case alarm. Passes when no child crashes, hangs or
exceeds the memory bound, and every case either loads or is refused with a UserError (one line naming the file).

Mutations: byte flips, random bytes, cut/duplicated/spliced ranges, opcodes replaced by random opcodes, and 1/2/4/8-byte
integers replaced by extreme values (lengths, memo indexes, shapes). Seeded, so a failure is reproducible: the child
writes the input it is working on before each case, and the test keeps the one that crashed.
"""
import json
import pickle
import struct
import subprocess
import sys

import numpy as np
import pytest

from conftest import COMPAT
from faceset_fixtures import made_faces_dir  # noqa: F401  (fixture)

CASES_PER_CHILD = 4000
CHILDREN = 2
MEMORY_LIMIT = 3 << 30          # address space of a child (NumPy and OpenBLAS reserve some up front)
PEAK_RSS_BOUND = 1 << 30        # what a child may really use
CASE_SECONDS = 10

CHILD = r"""
import json, os, random, resource, signal, struct, sys, traceback
repo, seeds_dir, seed, count, progress = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
sys.path.insert(0, repo)
sys.path.insert(0, os.path.join(repo, "tests"))
from child_peak import peak_rss_kb
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[6]), int(sys.argv[6])))
from core.errors import UserError
from core.dflimg import metafile
from core.safe_pickle import safe_loads
from models import model_files
from core.leras import weights
from samplelib import PackedFaceset

from core.dflimg import DFLJPG, jpeg
with open(sys.argv[8], "rb") as f:
    base = DFLJPG.from_bytes(f.read(), "base.jpg")
def read_app15(data, path):
    # the whole face file as DFLJPG.load reads it: one NotDFLImageError naming the file for anything wrong
    DFLJPG.from_bytes(jpeg.join(jpeg.set_app15(base.segments, data), base.trailer), path)
def read_pak_header(data, path):
    configs = safe_loads(data, path)
    if not isinstance(configs, list):
        raise UserError("not a list")
    for i, cfg in enumerate(configs):
        PackedFaceset._sample_from_config(cfg, path, i)
def via_file(reader):
    def read(data, path):
        with open(path, "wb") as f:
            f.write(data)
        reader(path)
    return read
def read_jpg(data, path):
    DFLJPG.from_bytes(data, path, require_metadata=False).get_img()
READERS = {"jpg": read_jpg, "app15": read_app15, "pak": read_pak_header, "meta": via_file(metafile.read),
           "data": via_file(model_files.read_data), "options": via_file(model_files.read_options),
           "weights": via_file(weights.read_weight_file)}

OPS = list(b"()*.0123FGIJKLMNPQRSTUVXabcdeghijlopqrstu}~\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x8b\x8c"
           b"\x8d\x8e\x8f\x90\x91\x92\x93\x94\x95\x96\x97\x98")
EXTREMES = [0, 1, 0x7f, 0xff, 0x7fff, 0xffff, 0x7fffffff, 0xffffffff, 1 << 31, (1 << 63) - 1, (1 << 64) - 1]

def mutate(rng, data):
    data = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 3, 8))):
        n = len(data)
        if n < 4:
            data += bytes(rng.randrange(256) for _ in range(4))
            continue
        kind = rng.randrange(7)
        i = rng.randrange(n)
        if kind == 0:
            data[i] ^= 1 << rng.randrange(8)
        elif kind == 1:
            data[i] = rng.randrange(256)
        elif kind == 2:
            data[i] = rng.choice(OPS)
        elif kind == 3:
            del data[i:i + rng.randrange(1, 64)]
        elif kind == 4:
            j = rng.randrange(n)
            data[i:i] = data[j:j + rng.randrange(1, 256)]
        elif kind == 5:
            size = rng.choice((1, 2, 4, 8))
            v = rng.choice(EXTREMES) & ((1 << (8 * size)) - 1)
            data[i:i + size] = v.to_bytes(size, "little")
        else:
            data = data[:i]
    return bytes(data)

seeds = []
for name in sorted(os.listdir(seeds_dir)):
    with open(os.path.join(seeds_dir, name), "rb") as f:
        seeds.append((name.split(".")[0], name, f.read()))
rng = random.Random(seed)
outcomes = {"loaded": 0, "refused": 0}
signal.signal(signal.SIGALRM, lambda *a: (_ for _ in ()).throw(TimeoutError("case took too long")))
scratch = os.path.join(os.path.dirname(progress), f"scratch_{seed}.dat")
for case in range(count):
    kind, name, data = rng.choice(seeds)
    bad = mutate(rng, data)
    with open(progress, "wb") as f:
        f.write(name.encode() + b"\n" + bad)
    signal.alarm(int(sys.argv[7]))
    try:
        READERS[kind](bad, scratch)
        outcomes["loaded"] += 1
    except UserError as e:
        msg = str(e)
        if "\n" in msg:
            print(json.dumps({"error": "multi-line message", "case": case, "seed": name, "msg": msg}))
            sys.exit(3)
        outcomes["refused"] += 1
    except BaseException as e:
        print(json.dumps({"error": f"{type(e).__name__}: {e}"[:500], "case": case, "seed": name,
                          "trace": traceback.format_exc()[-2000:]}))
        sys.exit(4)
    finally:
        signal.alarm(0)
print(json.dumps({"cases": count, "outcomes": outcomes, "peak_rss_kb": peak_rss_kb()}))
"""


def _app15(path):
    data = path.read_bytes()
    i = data.find(b"\xff\xef")
    length = struct.unpack(">H", data[i + 2:i + 4])[0]
    return data[i + 4:i + 2 + length]


def _write_seeds(folder, compat_dir, made_faces):
    from core.leras import weights
    from models import model_files
    folder.mkdir()
    seeds = {}
    if compat_dir is not None:
        seeds["app15.orig_xseg"] = _app15(compat_dir / "aligned_whole_face" / "grace_hopper_0.jpg")
        seeds["app15.orig_polys"] = _app15(compat_dir / "aligned_whole_face" / "jesper_2_0.jpg")
        pak = (compat_dir / "faceset_pak" / "faceset.pak").read_bytes()
        n = struct.unpack("<Q", pak[8:16])[0]
        configs = pickle.loads(pak[16:16 + n])
        seeds["pak.orig"] = pickle.dumps(configs[:3], protocol=4)   # the original's header, three samples
        meta = pickle.loads((compat_dir / "meta" / "meta.dat").read_bytes())
        seeds["meta.orig"] = pickle.dumps(dict(list(meta.items())[:3]))
        data = pickle.loads((compat_dir / "models" / "M1" / "M1_SAEHD_data.dat").read_bytes())
        data["sample_for_preview"] = [[a[:1, :16, :16] for a in side] for side in data["sample_for_preview"]]
        seeds["data.orig"] = pickle.dumps(data)
        seeds["options.orig"] = (compat_dir / "models" / "M1" / "SAEHD_default_options.dat").read_bytes()
    seeds["app15.ours"] = _app15(made_faces[0])
    seeds["jpg.ours"] = made_faces[0].read_bytes()
    ours = folder.parent / "ours_data.dat"
    model_files.write_data(ours, 12, {"resolution": 64, "archi": "liae-ud", "lr_dropout": "n", "ct_mode": "none"},
                           [[0.5, 0.25]] * 20, [[np.zeros((1, 8, 8, 3), np.float32)] * 2], None)
    seeds["data.ours"] = ours.read_bytes()
    seeds["weights.ours"] = weights.weight_file_bytes({"enc/w:0": np.ones((3, 3, 2), np.float32),
                                                       "iters:0": np.array(5, np.int64)})
    for name, data in seeds.items():
        (folder / f"{name}.bin").write_bytes(data)
    return seeds


def test_mutated_pickles_never_crash_hang_or_exhaust_memory(tmp_path, repo_root, made_faces_dir):  # noqa: F811
    compat = COMPAT if COMPAT.is_dir() else None   # the original's files, beside a development checkout
    seeds = _write_seeds(tmp_path / "seeds", compat, sorted(made_faces_dir.glob("*.jpg")))
    procs = []
    for k in range(CHILDREN):
        progress = tmp_path / f"progress_{k}.bin"
        procs.append((progress, subprocess.Popen(
            [sys.executable, "-c", CHILD, str(repo_root), str(tmp_path / "seeds"), str(1000 + k),
             str(CASES_PER_CHILD), str(progress), str(MEMORY_LIMIT), str(CASE_SECONDS),
             str(sorted(made_faces_dir.glob("*.jpg"))[0])],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    results = []
    for progress, proc in procs:
        try:
            out, err = proc.communicate(timeout=600)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail(f"a fuzz child hung; input kept in {progress}")
        if proc.returncode != 0:
            kept = tmp_path / "crash_input.bin"
            kept.write_bytes(progress.read_bytes())
            pytest.fail(f"fuzz child ended with {proc.returncode} (input in {kept}): {out[-3000:]} {err[-3000:]}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    total = sum(r["cases"] for r in results)
    peak = max(r["peak_rss_kb"] for r in results) * 1024
    refused = sum(r["outcomes"]["refused"] for r in results)
    print(f"\nfuzz: {total} cases from {len(seeds)} seeds, {refused} refused, "
          f"{total - refused} loaded, peak RSS {peak / 2 ** 20:.0f} MB per child")
    assert total == CASES_PER_CHILD * CHILDREN and peak < PEAK_RSS_BOUND
    assert 0 < refused < total   # the mutations reach both outcomes
