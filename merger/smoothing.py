"""Temporal smoothing of face placement: steadier faces than the original when detected landmarks jitter.

Faces are linked into tracks across consecutive frames (nearest centre). For each face, the similarity transform
(centre, scale, rotation) that maps the track's mean shape onto its landmarks is measured; those parameters are
smoothed over neighbouring frames of the track with a zero-phase Gaussian (no lag), and each face's landmarks are
moved by the difference between its smoothed and measured transform. The face's own shape (mouth, eyes) is kept;
only its placement is steadied. Corrections are capped so a fast real motion is followed, not smeared.
"""
import numpy as np

MAX_SIGMA_FRAMES = 3.0
# Caps on the correction (fractions of the landmarks' RMS radius, about a third of the face width / log scale /
# radians): jitter is small, real motion is larger.
MAX_SHIFT = 0.15
MAX_LOG_SCALE = 0.05
MAX_ANGLE = np.deg2rad(3.0)


def _centre(lmrks):
    return lmrks.mean(0)


def build_tracks(landmarks_per_frame):
    """[[lmrks, ...] per frame] -> list of tracks, each a list of (frame index, face index) in frame order.
    A face joins the track whose face in the previous frame has the nearest centre (within one face size)."""
    tracks, open_tracks = [], {}
    for fi, faces in enumerate(landmarks_per_frame):
        new_open = {}
        free = dict(open_tracks)
        for k, lm in enumerate(faces):
            c = _centre(lm)
            size = np.ptp(lm, axis=0).max()
            best, best_d = None, size
            for tid, (pc, _) in free.items():
                d = np.linalg.norm(c - pc)
                if d < best_d:
                    best, best_d = tid, d
            if best is None:
                best = len(tracks)
                tracks.append([])
            else:
                free.pop(best)
            tracks[best].append((fi, k))
            new_open[best] = (c, size)
        open_tracks = new_open
    return tracks


def _similarity_params(lmrks, ref):
    """(cx, cy, log scale, angle) of the similarity mapping the centred reference shape onto lmrks."""
    c = lmrks.mean(0)
    p = lmrks - c
    dot = float((p * ref).sum())
    cross = float((ref[:, 0] * p[:, 1] - ref[:, 1] * p[:, 0]).sum())
    angle = np.arctan2(cross, dot)
    scale = np.hypot(dot, cross) / float((ref * ref).sum())
    return np.array([c[0], c[1], np.log(scale), angle])


def _apply_correction(lmrks, measured, smoothed):
    """Move lmrks from the measured similarity to the smoothed one (about the measured centre)."""
    c = measured[:2]
    size = np.exp(measured[2]) / np.sqrt(len(lmrks))
    shift = np.clip(smoothed[:2] - c, -MAX_SHIFT * size, MAX_SHIFT * size)
    dlog = np.clip(smoothed[2] - measured[2], -MAX_LOG_SCALE, MAX_LOG_SCALE)
    dang = np.clip(smoothed[3] - measured[3], -MAX_ANGLE, MAX_ANGLE)
    s, a = np.exp(dlog), dang
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]) * s
    return ((lmrks - c) @ rot.T + c + shift)


def smooth_landmarks(landmarks_per_frame, strength):
    """Return a copy of `landmarks_per_frame` ([[(68, 2) array, ...] per frame]) with steadied placement.
    strength 0..100: 0 returns the input unchanged; 100 smooths over a Gaussian of sigma 3 frames."""
    out = [[np.asarray(lm, np.float64) for lm in faces] for faces in landmarks_per_frame]
    sigma = MAX_SIGMA_FRAMES * strength / 100.0
    if sigma <= 0:
        return out
    from scipy.ndimage import gaussian_filter1d  # here: the merger's workers never smooth and start faster without
    for track in build_tracks(out):
        if len(track) < 3:
            continue
        shapes = [out[fi][k] for fi, k in track]
        ref = np.mean([s - s.mean(0) for s in shapes], axis=0)
        # The reference's own size is 1 so that the log scale is the face size in pixels.
        ref = ref / np.sqrt((ref * ref).sum())
        params = np.array([_similarity_params(s, ref) for s in shapes])
        params[:, 3] = np.unwrap(params[:, 3])
        smoothed = gaussian_filter1d(params, sigma, axis=0, mode="nearest")
        for (fi, k), m, sm in zip(track, params, smoothed):
            out[fi][k] = _apply_correction(out[fi][k], m, sm)
    return out


def jitter(landmarks_per_frame):
    """Jitter measures of the first face's centre: (mean |frame-to-frame move|, mean |second difference|) in px."""
    centres = np.array([_centre(faces[0]) for faces in landmarks_per_frame if faces])
    if len(centres) < 3:
        return 0.0, 0.0
    d1 = np.linalg.norm(np.diff(centres, axis=0), axis=1).mean()
    d2 = np.linalg.norm(np.diff(centres, n=2, axis=0), axis=1).mean()
    return float(d1), float(d2)
