"""Frame extraction speed on the demo videos: `videoed extract-video` (png, full fps) against a plain ffmpeg decode
of the same video to nothing (the in-run baseline: what decoding alone costs on this machine)."""
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.benchlib import record  # noqa: E402
from core import interact  # noqa: E402
from mainscripts import VideoEd  # noqa: E402


def best_of(n, fn):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def main():
    interact.set_non_interactive(True)
    for name in ("data_src.mp4", "data_dst.mp4"):
        video = REPO / "workspace" / name

        def extract(ext):
            with tempfile.TemporaryDirectory() as d:
                return VideoEd.extract_video(video, d, ext, 0)

        def decode():
            subprocess.run([VideoEd.ffmpeg_exe(), "-loglevel", "error", "-i", str(video), "-f", "null", "-"],
                           check=True)
        t_png, frames = best_of(3, lambda: extract("png"))
        t_jpg, _ = best_of(3, lambda: extract("jpg"))
        t_dec, _ = best_of(3, decode)
        print(f"BENCH {name}: {frames} frames; extract png {frames / t_png:.0f} frames/s, "
              f"jpg {frames / t_jpg:.0f} frames/s; baseline ffmpeg decode only {frames / t_dec:.0f} frames/s")
        for ext, t in (("png", t_png), ("jpg", t_jpg)):
            record("videoed", f"extract-video {name} {ext}", frames / t, "frames/s", "ffmpeg decode only",
                   frames / t_dec, f"{frames} frames, best of 3")


if __name__ == "__main__":
    main()
