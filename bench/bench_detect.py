"""Face detection and landmark speed and quality: ms/frame per detector on the demo data_dst frames (252x188) and
on 720p frames, landmarks ms/face, recall on the tagged test photos (upright, turned 90 degrees, and turned with the
extractor's rotation retry).

In-run baselines: dlib's own HOG frontal-face detector (upsample 1, as the compatibility files were made) on the
same frames and photos; for landmarks, the original's FAN network run with random weights of its real shapes
(timing only: the real 2DFAN.npy cannot be shipped). The dlib68 box conversion is checked by comparing its points
on our boxes with its points on dlib's own detector boxes (mean point error / inter-ocular distance) over the faces
both detectors find in the test photos, stills and demo frames; --fit-dlib-box prints the conversion constants
fitted on those faces (facelib/landmarkers/dlib68.py).

    python bench/bench_detect.py [--frames 60] [--frames-720p 10] [--fit-dlib-box]
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from skimage import data as skdata  # noqa: E402

from bench.benchlib import quick, record  # noqa: E402
from face_tags import is_found, recall, rotate_area, tagged_photos, upright_photos  # noqa: E402
from facelib import detectors as D  # noqa: E402
from facelib import landmarkers as L  # noqa: E402
from facelib.landmarkers import dlib68  # noqa: E402

STAGE = "detect"


def demo_frames(n):
    cap = cv2.VideoCapture(str(REPO / "workspace" / "data_dst.mp4"))
    frames = []
    while len(frames) < n:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    return frames


def to_720p(frame):
    """The frame upscaled to 720 px high (Lanczos), centred on a black 1280x720 canvas."""
    h, w = frame.shape[:2]
    nw = int(round(w * 720 / h))
    up = cv2.resize(frame, (nw, 720), interpolation=cv2.INTER_LANCZOS4)
    canvas = np.zeros((720, 1280, 3), np.uint8)
    x = (1280 - nw) // 2
    canvas[:, x:x + nw] = up
    return canvas


def ms_per_call(fn, items):
    fn(items[0])    # warm-up (first trace, caches)
    t = time.perf_counter()
    out = [fn(x) for x in items]
    return (time.perf_counter() - t) * 1000 / len(items), out


def hog_detector():
    import dlib
    hog = dlib.get_frontal_face_detector()
    return lambda img: [(r.left(), r.top(), r.right(), r.bottom()) for r in hog(np.ascontiguousarray(img), 1)]


def matched_pairs(detect, hog, images):
    """(our box, dlib detector box) for faces both find (each contains the other's centre)."""
    pairs = []
    for img in images:
        hb = hog(img)
        for b in detect(img):
            for h in hb:
                if is_found((h[0], h[1], h[2] - h[0], h[3] - h[1]), [b]):
                    pairs.append((img, b, h))
    return pairs


def landmark_consistency(pairs, convert=True):
    """Median mean-point error / IOD of dlib68 on our boxes (converted, or as they are) vs dlib68 on dlib's
    detector boxes."""
    import dlib
    lm = L.create_landmarker("dlib68")

    def predict(img, box):
        return np.array([(p.x, p.y) for p in lm.predictor(img, dlib.rectangle(*box)).parts()], np.float64)

    errs = []
    for img, b, h in pairs:
        ref = predict(img, h)
        pts = lm.landmarks(img, [b])[0] if convert else predict(img, b)
        iod = np.linalg.norm(ref[36:42].mean(0) - ref[42:48].mean(0))
        errs.append(np.linalg.norm(pts - ref, axis=1).mean() / iod)
    return float(np.median(errs)) if errs else float("nan")


def fit_dlib_box(pairs):
    rows = []
    for _, (l, t, r, b), h in pairs:
        s = ((r - l) + (b - t)) / 2
        rows.append((((h[0] + h[2]) - (l + r)) / 2 / s, ((h[1] + h[3]) - (t + b)) / 2 / s, (h[2] - h[0]) / s))
    med = np.median(np.array(rows), axis=0)
    print(f"dlib box fit over {len(rows)} faces: shift x {med[0]:+.3f}, shift y {med[1]:+.3f}, side {med[2]:.3f} "
          f"(current: centred, side {dlib68.DLIB_BOX_SIDE})")


def synthetic_fan(tmp):
    from core.leras import weights
    from facelib.landmarkers.fan import FAN2DLandmarker
    from facelib.landmarkers.fan_net import FAN
    rng = np.random.default_rng(0)
    arrays = {k: (rng.standard_normal(tuple(v.shape)) * 0.01).astype(np.float32)
              for k, v in FAN().get_weights_dict().items()}
    for k in arrays:
        if k.endswith("running_var:0"):
            arrays[k] = np.abs(arrays[k]) + 1.0
    path = Path(tmp) / "2DFAN.npy"
    weights.write_weight_file(path, arrays)
    return FAN2DLandmarker(weights_path=path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=20 if quick() else 60)
    ap.add_argument("--frames-720p", type=int, default=4 if quick() else 10)
    ap.add_argument("--fit-dlib-box", action="store_true")
    args = ap.parse_args()

    frames = demo_frames(args.frames)
    frames720 = [to_720p(f) for f in frames[:: max(1, len(frames) // args.frames_720p)][:args.frames_720p]]
    photos = tagged_photos(REPO / "tests" / "data" / "jesper")
    hog = hog_detector()
    hog_ms, hog_out = ms_per_call(hog, frames)
    hog_ms720, _ = ms_per_call(hog, frames720)
    hog_found, total = recall(hog, photos)
    print(f"{len(frames)} demo frames {frames[0].shape[1]}x{frames[0].shape[0]}, {len(frames720)} frames 1280x720, "
          f"{total} tagged faces in {len(photos)} photos")

    detectors = {name: D.create_detector(name) for name in D.available_detectors() if name != D.MANUAL}
    for name, det in detectors.items():
        ms, out = ms_per_call(det.detect, frames)
        with_face = sum(1 for r in out if r)
        record(STAGE, f"{name} ms/frame 252x188", ms, "ms", "dlib HOG", hog_ms,
               f"frames with a face: {with_face}/{len(frames)} (HOG {sum(1 for r in hog_out if r)})")
        ms720, _ = ms_per_call(det.detect, frames720)
        record(STAGE, f"{name} ms/frame 720p", ms720, "ms", "dlib HOG", hog_ms720)
        found, _ = recall(det.detect, photos)
        record(STAGE, f"{name} recall tagged faces", 100.0 * found / total, "%", "dlib HOG",
               100.0 * hog_found / total, f"{found}/{total} (HOG {hog_found}/{total})")
        turned, _ = recall(det.detect, photos, k=1)
        hog_turned, _ = recall(hog, photos, k=1)
        record(STAGE, f"{name} recall on photos turned 90 deg, no retry", 100.0 * turned / total, "%",
               "dlib HOG", 100.0 * hog_turned / total, "sideways faces are left to the extractor's rotation retry")
        retry_found = 0
        for _, img, areas in photos:
            turned_img = np.rot90(img, 1)
            for k in (0, -1, 1, 2):
                rects = det.detect(np.ascontiguousarray(np.rot90(turned_img, k)))
                if rects:
                    retry_found += sum(is_found(rotate_area(a, img.shape, 1 + k), rects) for a in areas)
                    break
        record(STAGE, f"{name} recall on photos turned 90 deg, with rotation retry", 100.0 * retry_found / total,
               "%", "same without retry", 100.0 * turned / total)
        for label in ("chelsea", "coffee"):
            n = len(det.detect(getattr(skdata, label)()[:, :, ::-1].copy()))
            print(f"{name}: faces on skimage {label}(): {n}")

    cf = detectors["centerface"]
    # every test photo upright, the stills and every 10th demo frame
    images = [img for _, img, _ in upright_photos(REPO / "tests" / "data" / "jesper")]
    images += [cv2.imread(str(p)) for p in sorted((REPO / "tests" / "data" / "stills").iterdir())]
    pairs = matched_pairs(cf.detect, hog, images + frames[::10])
    if args.fit_dlib_box:
        fit_dlib_box(pairs)
    lm = L.create_landmarker("dlib68")
    faces = [(f, r[0]) for f, r in zip(frames, (cf.detect(f) for f in frames)) if r]
    dlib_ms, _ = ms_per_call(lambda fr: lm.landmarks(fr[0], [fr[1]]), faces)
    first = {id(fr): lm.landmarks(fr[0], [fr[1]])[0] for fr in faces}
    second_ms, _ = ms_per_call(lambda fr: lm.second_pass(fr[0], first[id(fr)], cf), faces)
    with tempfile.TemporaryDirectory() as tmp:
        fan = synthetic_fan(tmp)
        few = faces[:3 if quick() else 6]
        fan_ms, _ = ms_per_call(lambda fr: fan.landmarks(fr[0], [fr[1]]), few)
        # the second pass's landmark step (5 crops); its re-detection cannot be timed on random landmarks
        fan5_ms, _ = ms_per_call(lambda fr: fan._landmarks_one(fr[0], fr[1], refine=True), few)
    record(STAGE, "dlib68 landmarks ms/face", dlib_ms, "ms", "FAN (random weights, timing only)", fan_ms)
    record(STAGE, "dlib68 second pass ms/face (warp, re-detect, landmarks)", second_ms, "ms",
           "FAN 5-crop landmarks of its second pass (random weights)", fan5_ms)
    record(STAGE, "dlib68 on centerface boxes vs on dlib HOG boxes, median error/IOD",
           landmark_consistency(pairs), "", "same without the box conversion",
           landmark_consistency(pairs, convert=False), f"{len(pairs)} faces")


if __name__ == "__main__":
    main()
