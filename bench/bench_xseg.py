"""XSeg speed: training ms per step (the original's net, 256 px, 17.57 M parameters, batch 4) and `xseg apply` faces
per second, each beside an in-run baseline.

* training step: Model_XSeg's own step (loss, RMSprop with lr dropout, compiled step) on one augmented batch made
  by SampleGeneratorFaceXSeg, repeated (the generator is timed apart: its ms per batch is the baseline, i.e. what
  one generator worker must keep up with);
* apply: XSegUtil.apply_xseg on the faces (read, re-frame, predict at 256, binarize, write `xseg_mask`), with a
  full-size net of random weights; baseline: the default mask, the landmark hull, computed and written the same way.
Faces: ../shared/compat (the original's 256 px faces, 3 labelled) when present, else made from tests/data photos.

    python bench/bench_xseg.py [--steps N]
"""
import argparse
import itertools
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from benchlib import quick, record  # noqa: E402


def _faces(work):
    compat = ROOT.parent / "shared" / "compat" / "aligned_whole_face"
    dst = work / "aligned"
    if compat.is_dir():
        shutil.copytree(compat, dst)
        for p in dst.iterdir():
            p.chmod(0o644)
        return dst, "the original's 256 px faces"
    from faceset_fixtures import make_aligned_faces
    make_aligned_faces(dst, size=256)
    return dst, "faces made from tests/data (256 px)"


def bench_training(faces, steps):
    import numpy as np

    from facelib.FaceType import FaceType
    from models.Model_XSeg.Model import Model
    from samplelib.SampleGeneratorFaceXSeg import SampleGeneratorFaceXSeg

    gen = SampleGeneratorFaceXSeg([faces], face_type=FaceType.WHOLE_FACE, batch_size=4, resolution=256,
                                  generators_count=0, seed=1)
    next(gen)
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        batch = next(gen)
        times.append(time.perf_counter() - t)
    gen_ms = sorted(times)[len(times) // 2] * 1000

    def fixed_generators(self):
        self.preview_sides = []
        self.set_training_data_generators([itertools.repeat(batch)])

    Model._make_generators = fixed_generators
    with tempfile.TemporaryDirectory() as d:
        m = Model(d, training_data_src_path=faces, training_data_dst_path=faces, cpu_only=True)
        params = m.net.model.count_params()
        m.train_one_iter()   # trace
        times = []
        for _ in range(steps):
            t = time.perf_counter()
            m.train_one_iter()
            times.append(time.perf_counter() - t)
        step_ms = sorted(times)[len(times) // 2] * 1000
        assert np.isfinite(m.loss_history[-1][0])
    record("xseg", "training step (256 px, batch 4)", step_ms, "ms", "augmented batch made by one generator",
           gen_ms, f"{params / 1e6:.2f} M parameters, CPU")


def bench_apply(faces, desc):
    import numpy as np

    from core.dflimg import iter_dfl_images
    from core.leras import device, optimizers
    from facelib import LandmarksProcessor
    from facelib.XSegNet import XSegNet
    from mainscripts import XSegUtil
    from models import model_files

    n = len(list(faces.glob("*.jpg")))
    with tempfile.TemporaryDirectory() as d:
        ctx = device.initialize(device.DeviceConfig.CPU())
        with ctx.scope():
            net = XSegNet(d, training=True, optimizer=optimizers.RMSprop(lr=1e-4, name="opt"))
        net.model.save_weights(str(Path(d) / "XSeg_256.npy"))
        model_files.write_data(Path(d) / "XSeg_data.dat", 1, {"face_type": "wf"}, [], None, None)
        XSegUtil.apply_xseg(faces, d, device_idxs=[])   # trace and warm the file cache
        t = time.perf_counter()
        XSegUtil.apply_xseg(faces, d, device_idxs=[])
        apply_fps = n / (time.perf_counter() - t)

    t = time.perf_counter()
    for _, dfl in iter_dfl_images(faces):
        mask = LandmarksProcessor.get_image_hull_mask(dfl.get_img().shape, dfl.get_landmarks())
        dfl.set_xseg_mask((mask >= 0.5).astype(np.float32))
        dfl.save()
    hull_fps = n / (time.perf_counter() - t)
    record("xseg", "apply", apply_fps, "faces/s", "landmark hull mask written the same way", hull_fps,
           f"{n} {desc}, full-size net, CPU")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=3 if quick() else 5)
    args = ap.parse_args()
    from core import interact
    interact.set_non_interactive(True)
    with tempfile.TemporaryDirectory() as d:
        faces, desc = _faces(Path(d))
        bench_apply(faces, desc)
        bench_training(faces, args.steps)


if __name__ == "__main__":
    main()
