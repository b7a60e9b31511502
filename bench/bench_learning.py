"""Learning curves: how fast a model learns per second of training, not only per step.

Trains Quick96 and a small SAEHD (bf16 by default) on the demo faces for a fixed wall budget each and, at
checkpoints, records the mean training losses since the previous checkpoint, the held-out dst->dst reconstruction
SSIM/PSNR inside the face hull, and the identity of the swap of the held-out dst faces (dlib 128-D embedding, the
quality report's measure): distance to the src identity and to the dst identity (means over their faces), and the
share of faces recognised as src (below dlib's same-person distance 0.6 from src and nearer src than dst).
"Quality threshold" = the first checkpoint where that share is >= 0.5, the demo's test of a recognisable swap. Evaluation time is not counted as training time.

The faces come from the demo videos (workspace/data_src.mp4, data_dst.mp4) through the product's own commands
(frames, then CenterFace + dlib68 whole-face extraction); every 4th dst face is held out of training.
Writes bench/results/learning_curves.csv and learning_curves.png (each figure against minutes and against
iterations), and prints one BENCH-JSON row per model with the minutes and iterations to the threshold.
BENCH_QUICK=1 (run_all): 1 minute per model, Quick96 only.

    python bench/bench_learning.py [--minutes 30] [--checkpoints 10] [--models quick96,saehd] [--fp32]
                                   [--saehd-option archi=df-ud ...]
"""
import argparse
import csv
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchlib import quick, record  # noqa: E402

#: SAEHD small enough to learn on 2 CPU cores: resolution 96 whole face (the demo's face type), LIAE with the
#: -ud variant (a quarter of the decoder's spatial work), batch 8.
SAEHD_OPTIONS = {"resolution": "96", "face_type": "wf", "archi": "liae-ud", "ae_dims": "128", "e_dims": "48",
                 "d_dims": "48", "d_mask_dims": "16", "batch_size": "8"}
MODELS = {"quick96": ("Quick96", {}), "saehd": ("SAEHD", SAEHD_OPTIONS)}
FIELDS = ["model", "checkpoint", "iter", "train_min", "src_loss", "dst_loss", "holdout_ssim", "holdout_psnr",
          "id_to_src", "id_to_dst", "share_recognised"]


def run(cmd):
    p = subprocess.run([sys.executable, str(ROOT / "main.py"), *cmd, "--non-interactive"], cwd=ROOT,
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd[:2])} failed:\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")


def prepare_faces(work):
    """data_src/aligned, data_dst/aligned (training) and data_dst/holdout (every 4th dst face) in `work`."""
    for side in ("src", "dst"):
        video = next((ROOT / "workspace").glob(f"data_{side}.*"))
        frames = work / f"data_{side}"
        run(["videoed", "extract-video", "--input-file", str(video), "--output-dir", str(frames), "--fps", "0",
             "--output-ext", "png"])
        run(["extract", "--input-dir", str(frames), "--output-dir", str(frames / "aligned"), "--detector",
             "centerface", "--face-type", "wf"])
    holdout = work / "data_dst" / "holdout"
    holdout.mkdir()
    for i, p in enumerate(sorted((work / "data_dst" / "aligned").glob("*.jpg"))):
        if i % 4 == 3:
            shutil.move(str(p), holdout / p.name)
    return work / "data_src" / "aligned", work / "data_dst" / "aligned", holdout


class Evaluator:
    """Held-out figures of a model at a checkpoint (see the module docstring)."""

    def __init__(self, src_dir, dst_dir, holdout_dir):
        import numpy as np

        from facelib.FaceEmbedder import FaceEmbedder
        from mainscripts.report import frames
        self.np = np
        self.embedder = FaceEmbedder()
        skipped = []
        self.faces = frames.load_faces(holdout_dir, skipped)
        self.src_mean, _ = frames.src_identity(self.embedder, frames.load_faces(src_dir, skipped), 32)
        self.dst_mean, _ = frames.src_identity(self.embedder, frames.load_faces(dst_dir, skipped) + self.faces, 32)

    def _embed(self, crop, landmarks):
        import cv2
        np = self.np
        scale = 256 / crop.shape[0]
        img = cv2.resize(np.clip(crop * 255, 0, 255).astype(np.uint8), (256, 256), interpolation=cv2.INTER_CUBIC)
        return self.embedder.embed(img, np.asarray(landmarks) * scale)

    def __call__(self, model):
        from facelib import LandmarksProcessor
        from mainscripts.report import metrics
        from mainscripts.report.model_eval import model_crop
        np = self.np
        res, ft = int(model.resolution), model.face_type
        predict = model.get_predictor()
        ssim, psnr, to_src, to_dst, recognised = [], [], [], [], []
        for _, face in self.faces:
            crop, mask = model_crop(face, res, ft)
            rec = model.reconstruct_dst(crop[None])[0]
            ssim.append(metrics.ssim(crop, rec, mask))
            psnr.append(metrics.psnr(crop, rec, mask))
            swap = np.clip(predict(crop[None])[0][0], 0.0, 1.0)
            mat = LandmarksProcessor.get_transform_mat(face.get_landmarks(), res, ft)
            lm = LandmarksProcessor.transform_points(face.get_landmarks(), mat)
            e_swap = self._embed(swap, lm)
            to_src.append(float(np.linalg.norm(e_swap - self.src_mean)))
            to_dst.append(float(np.linalg.norm(e_swap - self.dst_mean)))
            recognised.append(metrics.recognised_as_src(to_src[-1], to_dst[-1]))
        return {"holdout_ssim": float(np.mean(ssim)), "holdout_psnr": float(np.mean(psnr)),
                "id_to_src": float(np.mean(to_src)), "id_to_dst": float(np.mean(to_dst)),
                "share_recognised": float(np.mean(recognised))}


def train_curve(key, src, dst, evaluator, minutes, checkpoints, bf16, extra_options):
    """Rows of FIELDS for one model trained for `minutes` of training time."""
    import numpy as np

    from models import import_model
    cls_name, options = MODELS[key]
    options = dict(options, **extra_options) if key == "saehd" else dict(options)
    rows = []
    with tempfile.TemporaryDirectory(prefix=f"learn_{key}_") as model_dir:
        model = import_model(cls_name)(model_dir, training_data_src_path=str(src), training_data_dst_path=str(dst),
                                       silent_start=True, option_values=options, mixed_precision=bf16)
        budget = minutes * 60.0
        marks = [budget * (k + 1) / checkpoints for k in range(checkpoints)]
        trained, last_iter = 0.0, 0

        def checkpoint(n):
            nonlocal last_iter
            hist = np.asarray(model.get_loss_history()[last_iter:] or [[float("nan")] * 2])
            last_iter = model.get_iter()
            row = {"model": key, "checkpoint": n, "iter": last_iter, "train_min": round(trained / 60.0, 3),
                   "src_loss": float(hist[:, 0].mean()), "dst_loss": float(hist[:, 1].mean()), **evaluator(model)}
            rows.append(row)
            print(f"{key} #{n}: iter {row['iter']}, {row['train_min']:.1f} min, loss {row['src_loss']:.3f}/"
                  f"{row['dst_loss']:.3f}, held-out SSIM {row['holdout_ssim']:.3f} PSNR {row['holdout_psnr']:.2f}, "
                  f"swap->src {row['id_to_src']:.3f} swap->dst {row['id_to_dst']:.3f} "
                  f"(recognised as src: {row['share_recognised']:.0%})", flush=True)

        checkpoint(0)
        for n, mark in enumerate(marks, 1):
            while trained < mark:
                t = time.perf_counter()
                model.train_one_iter()
                trained += time.perf_counter() - t
            checkpoint(n)
        model.finalize()
    return rows


def first_reaching(rows):
    return next((r for r in rows if r["share_recognised"] >= 0.5), None)


def plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figures = [("src_loss", "src loss"), ("dst_loss", "dst loss"), ("holdout_ssim", "held-out SSIM"),
               ("holdout_psnr", "held-out PSNR (dB)"), ("id_to_src", "swap -> src identity distance"),
               ("id_to_dst", "swap -> dst identity distance"), ("share_recognised", "share recognised as src")]
    fig, axes = plt.subplots(len(figures), 2, figsize=(11, 3 * len(figures)))
    for i, (key, label) in enumerate(figures):
        for j, x in enumerate(("train_min", "iter")):
            ax = axes[i][j]
            for model in dict.fromkeys(r["model"] for r in rows):
                pts = [(r[x], r[key]) for r in rows if r["model"] == model and r[key] == r[key]]
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=model)
            ax.set_xlabel("training minutes" if x == "train_min" else "iterations")
            ax.set_ylabel(label)
            ax.grid(alpha=0.3)
            if key == "share_recognised":
                ax.axhline(0.5, color="grey", linestyle="--")
            ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=1.0 if quick() else 30.0, help="training budget per model")
    ap.add_argument("--checkpoints", type=int, default=3 if quick() else 10)
    ap.add_argument("--models", default="quick96" if quick() else "quick96,saehd")
    ap.add_argument("--fp32", action="store_true", help="train in float32 instead of bfloat16")
    ap.add_argument("--saehd-option", action="append", default=[], metavar="NAME=VALUE",
                    help="override one SAEHD option (e.g. archi=df-ud)")
    ap.add_argument("--output-dir", default=str(ROOT / "bench" / "results"))
    args = ap.parse_args()
    keys = [k.strip() for k in args.models.split(",") if k.strip()]
    unknown = [k for k in keys if k not in MODELS]
    if unknown:
        sys.exit(f"--models: unknown {', '.join(unknown)} (choose from {', '.join(MODELS)})")
    extra = dict(o.split("=", 1) for o in args.saehd_option)

    from core import interact, lognoise
    lognoise.configure(False)
    interact.set_non_interactive(True)
    out_dir = Path(args.output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="learn_faces_") as work:
        t = time.time()
        src, dst, holdout = prepare_faces(Path(work))
        print(f"faces: {len(list(src.glob('*.jpg')))} src, {len(list(dst.glob('*.jpg')))} dst for training, "
              f"{len(list(holdout.glob('*.jpg')))} dst held out ({time.time() - t:.0f} s)", flush=True)
        evaluator = Evaluator(src, dst, holdout)
        rows = []
        for key in keys:
            rows += train_curve(key, src, dst, evaluator, args.minutes, args.checkpoints, not args.fp32, extra)
    with open(out_dir / "learning_curves.csv", "w", newline="") as f:
        w = csv.DictWriter(f, FIELDS)
        w.writeheader()
        w.writerows(rows)
    plot(rows, out_dir / "learning_curves.png")
    untrained = {r["model"]: r for r in rows if r["checkpoint"] == 0}
    for key in keys:
        mine = [r for r in rows if r["model"] == key]
        hit, last = first_reaching(mine), mine[-1]
        record("learning", f"{key} minutes to most held-out swaps recognised as src",
               hit["train_min"] if hit else float("nan"), "min", "budget", args.minutes,
               note=(f"iteration {hit['iter']}" if hit else "not reached") +
                    f"; at the end: iter {last['iter']}, SSIM {last['holdout_ssim']:.3f} (untrained "
                    f"{untrained[key]['holdout_ssim']:.3f}), PSNR {last['holdout_psnr']:.2f} dB, recognised as src "
                    f"{last['share_recognised']:.0%}")
    print(f"wrote {out_dir / 'learning_curves.csv'} and {out_dir / 'learning_curves.png'}")


if __name__ == "__main__":
    main()
