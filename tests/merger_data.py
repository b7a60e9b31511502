"""Test data for the merger tests: real dst frames re-extracted from the eriberto clip, the original program's aligned
faces of those frames, and a deterministic predictor standing in for a trained model."""
import shutil
from pathlib import Path

import cv2
import numpy as np

CLIP = Path(__file__).resolve().parent / "data" / "eriberto" / "excerpt_2s_webcam_crop.mp4"
INPUT_SIZE = 64
N_FRAMES = 10  # frames 00001..00008 have an aligned face in compat data_dst/aligned; 00009, 00010 have none


def extract_frames(dst, n=N_FRAMES):
    """Frames 1..n of the clip as `%05d.png` (as `videoed extract-video` names them)."""
    import imageio_ffmpeg
    dst = Path(dst)
    dst.mkdir(parents=True, exist_ok=True)
    gen = imageio_ffmpeg.read_frames(str(CLIP))
    meta = next(gen)
    w, h = meta["size"]
    for i, raw in enumerate(gen, 1):
        if i > n:
            break
        rgb = np.frombuffer(raw, np.uint8).reshape(h, w, 3)
        cv2.imwrite(str(dst / f"{i:05d}.png"), rgb[..., ::-1])
    gen.close()
    return dst


def make_workspace(tmp_path, compat_dir):
    """data_dst with frames and aligned faces (frames 1..8 have one face each)."""
    data_dst = extract_frames(tmp_path / "data_dst")
    aligned = data_dst / "aligned"
    aligned.mkdir()
    for p in sorted((compat_dir / "data_dst" / "aligned").glob("0000*.jpg")):
        shutil.copy(p, aligned / p.name)
        (aligned / p.name).chmod(0o644)
    return data_dst


def disk_mask(size, radius=0.42):
    yy, xx = np.mgrid[0:size, 0:size]
    c = (size - 1) / 2
    return (((yy - c) ** 2 + (xx - c) ** 2) <= (radius * size) ** 2).astype(np.float32)[..., None]


def fake_predictor(face):
    """A 'model': the face with a strong known colour cast; src mask = a centred disk, dst mask = all ones."""
    shifted = np.clip(face + np.float32([0.35, 0.0, -0.25]), 0, 1)
    return shifted, disk_mask(face.shape[0]), np.ones(face.shape[:2] + (1,), np.float32)


def fake_predictor_batch(faces):
    outs = [fake_predictor(f) for f in faces]
    return tuple(np.stack([o[k] for o in outs]) for k in range(3))
