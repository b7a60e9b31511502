"""Test data for the merger tests: real dst frames re-extracted from the eriberto clip, the original program's aligned
faces of those frames (or faces aligned here with dlib landmarks), and a deterministic predictor standing in for a
trained model."""
import os
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


def align_faces(images, out_dir, size=128, face_type="whole_face"):
    """Aligned faces of every face dlib finds in `images` [(source file name, BGR uint8)], written as the
    extractor's last stage does (get_transform_mat, bilinear warp, DFLJPG metadata); returns their paths."""
    import dlib
    import face_recognition_models

    from core.dflimg import DFLJPG
    from facelib import LandmarksProcessor
    from facelib.FaceType import FaceType

    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(face_recognition_models.pose_predictor_model_location())
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = []
    for name, img in images:
        rgb = np.ascontiguousarray(img[..., ::-1])
        for i, r in enumerate(sorted(detector(rgb, 1), key=lambda r: -r.area())):
            lm = np.array([[p.x, p.y] for p in predictor(rgb, r).parts()], np.float64)
            mat = LandmarksProcessor.get_transform_mat(lm, size, FaceType.fromString(face_type))
            face = cv2.warpAffine(img, mat, (size, size), flags=cv2.INTER_LINEAR)
            path = out_dir / f"{os.path.splitext(name)[0]}_{i}.jpg"
            DFLJPG.create(path, face, face_type=face_type,
                          landmarks=LandmarksProcessor.transform_points(lm, mat).tolist(), source_filename=name,
                          source_rect=np.array([r.left(), r.top(), r.right(), r.bottom()], np.int64),
                          source_landmarks=lm.tolist(), image_to_face_mat=mat)
            out.append(path)
    return out


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
