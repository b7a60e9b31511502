"""Runs every stage's benchmark (small sizes) and writes one table, bench/results/run_all.{md,json}, with the
machine description; each figure is printed beside the baseline its benchmark measured in the same run.

Usage: .venv/bin/python bench/run_all.py [--full] [--only NAME ...] [--timeout SECONDS]
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Pipeline order; each is bench/bench_<name>.py.
STAGES = ["videoed", "detect", "crowd", "extract", "sort", "faceset", "xseg_editor", "xseg", "samplelib", "leras",
          "train", "roofline", "merge", "smoothing", "export", "enhance", "learning"]


def machine():
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        kb = int(next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")).split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    versions = {}
    for mod in ("tensorflow", "numpy", "cv2", "dlib"):
        try:
            out = subprocess.run([sys.executable, "-c", f"import {mod}; print({mod}.__version__)"],
                                 capture_output=True, text=True, timeout=120)
            versions[mod] = out.stdout.strip() or "?"
        except (subprocess.SubprocessError, OSError):
            versions[mod] = "?"
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem, "os": platform.platform(),
            "python": platform.python_version(), "gpu": "none used (CPU runs)", **versions}


def run_stage(name, full, timeout):
    script = REPO / "bench" / f"bench_{name}.py"
    if not script.is_file():
        return [], f"missing {script.name}"
    env = dict(os.environ, BENCH_QUICK="0" if full else "1", PYTHONPATH=str(REPO))
    t = time.time()
    try:
        p = subprocess.run([sys.executable, str(script)], cwd=REPO, env=env, capture_output=True, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return [], f"timed out after {timeout} s"
    rows = [json.loads(line[len("BENCH-JSON "):]) for line in p.stdout.splitlines() if line.startswith("BENCH-JSON ")]
    status = f"ok ({time.time() - t:.0f} s)" if p.returncode == 0 else \
        f"exit {p.returncode}: {(p.stderr.strip().splitlines() or ['?'])[-1][:200]}"
    return rows, status


def fmt(v):
    return f"{v:.4g}" if isinstance(v, (int, float)) else str(v)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="the benchmarks' full sizes (slow on a CPU)")
    ap.add_argument("--only", nargs="+", choices=STAGES, help="run these stages only")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per stage (1800)")
    args = ap.parse_args()
    info = machine()
    results, statuses = [], {}
    for name in args.only or STAGES:
        print(f"=== {name}", flush=True)
        rows, status = run_stage(name, args.full, args.timeout)
        statuses[name] = status
        results += rows
        print(f"    {status}: {len(rows)} figures", flush=True)
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "run_all.json").write_text(json.dumps({"machine": info, "stages": statuses, "results": results}, indent=1))
    lines = ["# Benchmarks", "", "Machine: " + ", ".join(f"{k} {v}" for k, v in info.items()), "",
             "| stage | figure | value | baseline (same run) | baseline value | unit | note |",
             "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['stage']} | {r['metric']} | {fmt(r['value'])} | {r['baseline']} | {fmt(r['baseline_value'])} | "
              f"{r['unit']} | {r.get('note', '')} |" for r in results]
    lines += ["", "| stage | status |", "|---|---|"] + [f"| {k} | {v} |" for k, v in statuses.items()]
    (out / "run_all.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"wrote {out / 'run_all.md'} and run_all.json")
    return 0 if all(s.startswith("ok") for s in statuses.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
