"""Run `main.py` with some arguments in a fresh child process and measure it: exit code, wall time and the child's
own peak resident memory (its ru_maxrss, so nothing else in the parent's process tree counts)."""
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

_CHILD = """
import json, resource, sys, time
sys.path.insert(0, {repo!r})
import main
t = time.perf_counter()
rc = main.main({argv!r})
print("CHILD-PEAK " + json.dumps({{"rc": rc, "seconds": time.perf_counter() - t,
                                  "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20}}))
"""


def run_main_measured(argv, timeout=3600):
    """{rc, seconds, peak_gb, output} of `main.main(argv)` run in a child process (peak in GiB)."""
    p = subprocess.run([sys.executable, "-c", _CHILD.format(repo=str(REPO), argv=list(argv))], cwd=REPO,
                       capture_output=True, text=True, timeout=timeout)
    lines = [x for x in p.stdout.splitlines() if x.startswith("CHILD-PEAK ")]
    if not lines:
        raise RuntimeError(f"child failed (exit {p.returncode}):\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    return dict(json.loads(lines[-1][len("CHILD-PEAK "):]), output=p.stdout + p.stderr)
