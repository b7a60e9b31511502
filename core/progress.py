"""Progress bars and the closing summary line that every long command prints."""
import sys
import time

from tqdm import tqdm


def progress(iterable=None, desc="", total=None, unit="it", **kw):
    return tqdm(iterable, desc=desc, total=total, unit=unit, ascii=True, file=sys.stdout,
                dynamic_ncols=True, leave=True, **kw)


class Summary:
    """Counts things during a run and prints one line at the end: `Done: 60 frames, 58 faces, ... in 3.2 s`."""

    def __init__(self, title="Done"):
        self.title = title
        self.counts = {}
        self.start = time.perf_counter()

    def add(self, key, n=1):
        self.counts[key] = self.counts.get(key, 0) + n

    def __getitem__(self, key):
        return self.counts.get(key, 0)

    def elapsed(self):
        return time.perf_counter() - self.start

    def line(self):
        parts = ", ".join(f"{v} {k}" for k, v in self.counts.items())
        return f"{self.title}: {parts} in {self.elapsed():.1f} s" if parts else f"{self.title} in {self.elapsed():.1f} s"

    def print(self):
        print(self.line(), flush=True)
