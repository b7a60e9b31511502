"""Run `main.py` with some arguments in a fresh child process and measure it: exit code, wall time and the child's
own peak resident memory.

The peak is read in the child as `peak_rss_kb()`: Linux's VmHWM of the process's own memory. Its ru_maxrss would
not do: a child forked from a large test process (several GB after the TensorFlow tests) keeps the parent's
high-water mark through exec."""
import json
import resource
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent


def peak_rss_kb():
    """This process's peak resident memory in KiB (VmHWM where /proc has it, else ru_maxrss)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


_CHILD = """
import json, sys, time
sys.path.insert(0, {repo!r})
sys.path.insert(0, {tests!r})
import main
from child_peak import peak_rss_kb
t = time.perf_counter()
rc = main.main({argv!r})
print("CHILD-PEAK " + json.dumps({{"rc": rc, "seconds": time.perf_counter() - t, "peak_gb": peak_rss_kb() / 2 ** 20}}))
"""


def run_main_measured(argv, timeout=3600):
    """{rc, seconds, peak_gb, output} of `main.main(argv)` run in a child process (peak in GiB)."""
    p = subprocess.run([sys.executable, "-c", _CHILD.format(repo=str(REPO), tests=str(TESTS), argv=list(argv))], cwd=REPO,
                       capture_output=True, text=True, timeout=timeout)
    lines = [x for x in p.stdout.splitlines() if x.startswith("CHILD-PEAK ")]
    if not lines:
        raise RuntimeError(f"child failed (exit {p.returncode}):\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    return dict(json.loads(lines[-1][len("CHILD-PEAK "):]), output=p.stdout + p.stderr)
