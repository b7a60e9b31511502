"""Merge speed on the demo: `main.py merge` of the 60 frames of workspace/data_dst.mp4 with a Quick96 model, overlay /
dst mask / rct, 2 workers — the whole command (a fresh process: imports, model load, merging) and its loop, with
the share of each stage.

The demo workspace is made once under bench/results/merge_ws by the demo's own commands (frames extracted at full
fps, faces by CenterFace as whole faces, a full-size Quick96 trained 1 iteration: speed does not depend on training);
--model-dir/--model/--model-name use another model folder instead (e.g. one written by the original).
Runs alternate, `--repeats` each, median reported. Measured in the same run:
- ours, default precision (bfloat16 where the CPU computes it natively, else float32),
- ours --no-mixed-precision (float32, bit-identical to the per-frame merge),
- mode `original` (read, label, write; no model call): the I/O floor of the pipeline,
- with --baseline-checkout, an earlier checkout's merge (e.g. the previous pipeline), same flags as the first run.
CPU s = CPU seconds of the command and its workers: on a machine busy with other work, wall times grow but this
stays, so it tells what an idle machine would do.
Anchor, not measured here: the original DeepFaceLab merger on this machine type, same model and frames
(issue 15): 11.7-12.9 s whole command, 14.5 frames/s in its loop.
Stage shares: start-up = share of the whole command before the first frame; decode / cut / predict / blend /
encode / write = share of the summed stage seconds of the loop (stages overlap, so they sum past the loop's wall).
Run: python bench/bench_merge.py [--workers 2] [--repeats 3] [--model-dir DIR --model Quick96 --model-name NAME]
"""
import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ORIGINAL_WHOLE_S = 12.3  # median of the original's 11.7-12.9 s for the 60 frames (issue 15)
ORIGINAL_LOOP_FPS = 14.5
# The same issue's figures for our previous pipeline (commit 91d0882), on the same idle machine: with
# --baseline-checkout of that commit, this run's ratios to it scale them into an idle-machine estimate.
PREVIOUS_WHOLE_S, PREVIOUS_LOOP_S = 8.4, 4.0
RUNS = [
    ("ours (default precision)", ["--mode", "overlay", "--mask-mode", "1", "--color-transfer-mode", "rct"]),
    ("ours --no-mixed-precision (fp32)", ["--mode", "overlay", "--mask-mode", "1", "--color-transfer-mode", "rct",
                                          "--no-mixed-precision"]),
    ("mode original (I/O floor)", ["--mode", "original"]),
]
_LOOP = re.compile(r"Merged: .* in ([0-9.]+) s")
_STAGES = re.compile(r"Merge stages \(s, summed over frames\): (.*)")


def _children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _main_py(*args, root=ROOT):
    """Run `main.py` of `root` in a fresh process: (wall s, CPU s of it and its workers, stdout)."""
    cmd = [sys.executable, str(Path(root) / "main.py"), *map(str, args), "--non-interactive"]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    cpu, t = _children_cpu(), time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    dt, cpu = time.perf_counter() - t, _children_cpu() - cpu
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(cmd)}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return dt, cpu, r.stdout


def demo_workspace(ws):
    """workspace/data_dst.mp4 -> data_dst frames + aligned faces, and a Quick96 trained 1 iteration on them."""
    dst = ws / "data_dst"
    if not (ws / "ready").is_file():
        shutil.rmtree(ws, ignore_errors=True)
        ws.mkdir(parents=True)
        print("Making the demo workspace (once)...", flush=True)
        _main_py("videoed", "extract-video", "--input-file", ROOT / "workspace" / "data_dst.mp4", "--output-dir", dst,
                 "--fps", "0", "--output-ext", "png")
        _main_py("extract", "--input-dir", dst, "--output-dir", dst / "aligned", "--max-faces-from-image", "0",
                 "--detector", "centerface", "--face-type", "wf")
        _main_py("train", "--training-data-src-dir", dst / "aligned", "--training-data-dst-dir", dst / "aligned",
                 "--model-dir", ws / "model", "--model", "Quick96", "--force-model-name", "bench", "--cpu-only",
                 "--no-preview", "--target-iter", "1")
        for p in list((ws / "model").glob("*_opt.npy*")) + list((ws / "model").glob("*.bak")):
            p.unlink()  # the merge reads only the weights: 300 MB less on disk
        (ws / "ready").write_text("ok\n")
    return dst, ws / "model", "Quick96", "bench"


def _merge(dst, model_dir, model, name, out, workers, extra, root=ROOT):
    shutil.rmtree(out, ignore_errors=True)
    whole, cpu, stdout = _main_py("merge", "--input-dir", dst, "--output-dir", out / "merged", "--output-mask-dir",
                             out / "merged_mask", "--aligned-dir", dst / "aligned", "--model-dir", model_dir,
                             "--model", model, "--force-model-name", name, "--cpu-only", "--interactive", "n",
                             "--workers", workers, *extra, root=root)
    loop = float(_LOOP.search(stdout).group(1))
    found = _STAGES.search(stdout)  # a baseline checkout may not print stage times
    stages = {k: float(v) for k, v in (p.rsplit(" ", 1) for p in found.group(1).split(", "))} if found else {}
    return whole, cpu, loop, stages


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--model-dir")
    ap.add_argument("--model", default="Quick96")
    ap.add_argument("--model-name")
    ap.add_argument("--baseline-checkout", metavar="DIR",
                    help="another checkout of this program (e.g. `git worktree add DIR <commit>`): its merge runs "
                         "in the same alternation, as the baseline")
    args = ap.parse_args()

    from benchlib import quick, record

    if quick():
        args.repeats = 1

    results = ROOT / "bench" / "results"
    dst, model_dir, model, name = demo_workspace(results / "merge_ws")
    if args.model_dir:
        model_dir, model, name = Path(args.model_dir), args.model, args.model_name
    n = len([p for p in dst.iterdir() if p.suffix == ".png"])
    print(f"{n} frames of workspace/data_dst.mp4, model {model} in {model_dir}, overlay / dst mask / rct, "
          f"{args.workers} workers, {args.repeats} runs each (alternating), median")
    runs_list = [(label, extra, ROOT) for label, extra in RUNS]
    if args.baseline_checkout:
        runs_list.append((f"baseline checkout {Path(args.baseline_checkout).name}", RUNS[0][1],
                          Path(args.baseline_checkout)))
    measured = {label: [] for label, _, _ in runs_list}
    for _ in range(args.repeats):
        for label, extra, root in runs_list:
            measured[label].append(_merge(dst, model_dir, model, name, results / "merge_out", args.workers, extra,
                                          root))
    shutil.rmtree(results / "merge_out", ignore_errors=True)

    print(f"{'run':36s} {'whole s':>8s} {'whole f/s':>9s} {'CPU s':>6s} {'loop s':>7s} {'loop f/s':>8s}   "
          f"stage shares")
    rows = {}
    for label, runs in measured.items():
        whole = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        loop = statistics.median(r[2] for r in runs)
        stages = {k: statistics.median(r[3][k] for r in runs) for k in runs[0][3]}
        total = sum(stages.values()) or 1.0
        shares = f"start-up {(whole - loop) / whole:4.0%} of whole | " + " ".join(
            f"{k} {v / total:3.0%}" for k, v in stages.items())
        rows[label] = (n / whole, n / loop)
        print(f"{label:36s} {whole:8.2f} {n / whole:9.1f} {cpu:6.1f} {loop:7.2f} {n / loop:8.1f}   {shares}")
    print(f"{'original DFL (issue 15, not this run)':36s} {ORIGINAL_WHOLE_S:8.2f} {n / ORIGINAL_WHOLE_S:9.1f} "
          f"{'':6s} {n / ORIGINAL_LOOP_FPS:7.2f} {ORIGINAL_LOOP_FPS:8.1f}")
    if args.baseline_checkout:
        base = [statistics.median(r[k] for r in measured[runs_list[-1][0]]) for k in (0, 2)]
        print(f"Idle-machine estimate (the issue's {PREVIOUS_WHOLE_S} s / {PREVIOUS_LOOP_S} s for the previous "
              f"pipeline x this run's ratios to the baseline checkout, if it is that pipeline):")
        for label, _ in RUNS[:2]:
            whole = PREVIOUS_WHOLE_S * statistics.median(r[0] for r in measured[label]) / base[0]
            loop = PREVIOUS_LOOP_S * statistics.median(r[2] for r in measured[label]) / base[1]
            print(f"  {label}: whole {whole:.1f} s = {ORIGINAL_WHOLE_S / whole:.2f}x the original's, loop "
                  f"{n / loop:.1f} frames/s = {n / loop / ORIGINAL_LOOP_FPS:.2f}x the original's")
    note = f"{n} frames, {args.workers} workers, {model}, overlay/dst mask/rct"
    fp32 = RUNS[1][0]
    for label in (RUNS[0][0], RUNS[1][0]):
        whole_fps, loop_fps = rows[label]
        print(f"{label}: {whole_fps / (n / ORIGINAL_WHOLE_S):.2f}x the original's whole command, "
              f"{loop_fps / ORIGINAL_LOOP_FPS:.2f}x its loop")
    record("merge", f"frames/s whole command, {RUNS[0][0]}", rows[RUNS[0][0]][0], "frames/s", fp32, rows[fp32][0],
           note)
    record("merge", f"frames/s loop, {RUNS[0][0]}", rows[RUNS[0][0]][1], "frames/s", fp32, rows[fp32][1], note)
    record("merge", "frames/s whole command, ours fp32", rows[fp32][0], "frames/s",
           "original DFL (issue 15 anchor)", n / ORIGINAL_WHOLE_S, note)
    record("merge", "frames/s loop, ours fp32", rows[fp32][1], "frames/s", "original DFL (issue 15 anchor)",
           ORIGINAL_LOOP_FPS, note)


if __name__ == "__main__":
    main()
