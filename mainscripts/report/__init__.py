"""Swap quality report (`main.py report`): per-frame identity, pose, landmark, seam and jitter figures, plus the
model's dst->dst reconstruction quality, written as report.json and report.html."""
