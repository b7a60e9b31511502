"""Shared output of the benchmarks: every headline figure is printed for people and as one `BENCH-JSON` line that
bench/run_all.py collects into its table. `quick()` tells a benchmark to use its small sizes (set by run_all)."""
import json
import os


def quick():
    return os.environ.get("BENCH_QUICK") == "1"


def record(stage, metric, value, unit, baseline_label, baseline_value, note=""):
    """Print one figure beside its in-run baseline."""
    row = {"stage": stage, "metric": metric, "value": value, "unit": unit, "baseline": baseline_label,
           "baseline_value": baseline_value, "note": note}
    base = f"{baseline_value:.4g}" if isinstance(baseline_value, (int, float)) else str(baseline_value)
    val = f"{value:.4g}" if isinstance(value, (int, float)) else str(value)
    print(f"{stage}: {metric} = {val} {unit}   (baseline {baseline_label}: {base} {unit}){'  ' + note if note else ''}")
    print("BENCH-JSON " + json.dumps(row), flush=True)
    return row
