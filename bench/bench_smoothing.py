"""Jitter of face placement on the eriberto clip, without and with the merger's temporal smoothing.

Landmarks of all 60 frames come from dlib's 68-point predictor (the default landmarker's weights); jitter is the
face centre's frame-to-frame movement (mean |d1|) and its frame-to-frame change (mean |d2|, the shake the eye sees).
Run: python bench/bench_smoothing.py
"""
import importlib.util
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from merger.smoothing import jitter, smooth_landmarks  # noqa: E402

CLIP = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "eriberto", "excerpt_2s_webcam_crop.mp4")


def clip_landmarks():
    import dlib
    import imageio_ffmpeg
    models = os.path.join(os.path.dirname(importlib.util.find_spec("face_recognition_models").origin), "models")
    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(os.path.join(models, "shape_predictor_68_face_landmarks.dat"))
    gen = imageio_ffmpeg.read_frames(CLIP)
    w, h = next(gen)["size"]
    out = []
    for raw in gen:
        rgb = np.frombuffer(raw, np.uint8).reshape(h, w, 3)
        rects = detector(rgb, 1)
        out.append([np.array([[p.x, p.y] for p in predictor(rgb, r).parts()], np.float32) for r in rects[:1]])
    return out


def main():
    from benchlib import record
    lms = clip_landmarks()
    n = sum(1 for f in lms if f)
    d1, d2 = jitter(lms)
    print(f"eriberto clip: {len(lms)} frames, {n} with a face")
    print(f"baseline (no smoothing, as the original): mean |d1| {d1:.3f} px, mean |d2| {d2:.3f} px")
    for strength in (25, 50, 100):
        s1, s2 = jitter(smooth_landmarks(lms, strength))
        print(f"temporal smoothing {strength:3d}: mean |d1| {s1:.3f} px, mean |d2| {s2:.3f} px "
              f"(d2 -{100 * (1 - s2 / d2):.0f} %)")
        if strength == 50:
            record("smoothing", "face-centre jitter |d2| at the default strength 50", s2, "px",
                   "no smoothing (the original)", d2, f"{len(lms)} frames of the eriberto clip, dlib landmarks")


if __name__ == "__main__":
    main()
