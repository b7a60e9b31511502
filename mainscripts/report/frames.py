"""Per-face measurements of a merged workspace: each dst aligned face is found again in its merged frame and in its
original frame (same landmarker, same detector rect), then compared."""
from pathlib import Path

import numpy as np

from core.cv2ex import cv2_imread, normalize_channels
from core.dflimg.dfljpg import DFLJPG
from core.errors import UserError
from core.pathex import get_image_paths
from core.progress import progress
from mainscripts.report import metrics


def load_faces(aligned_dir, skipped):
    """[(path, DFLJPG)] of the aligned faces in a folder; files that are not aligned faces are appended to
    `skipped` as "name: reason" and left out."""
    faces = []
    for p in get_image_paths(aligned_dir):
        try:
            faces.append((Path(p), DFLJPG.load(p)))
        except UserError as e:
            skipped.append(str(e))
    return faces


def src_identity(embedder, src_faces, max_faces):
    """Mean embedding of up to `max_faces` src faces, evenly spread over the faceset (None without faces)."""
    if not src_faces:
        return None, 0
    idx = np.unique(np.linspace(0, len(src_faces) - 1, min(max_faces, len(src_faces))).astype(int))
    embs = [embedder.embed(src_faces[i][1].get_img(), src_faces[i][1].get_landmarks())
            for i in progress(idx, desc="src identity", unit="face")]
    return np.mean(embs, axis=0), len(embs)


def _rect(face):
    l, t, r, b = (int(v) for v in face.get_source_rect())
    return min(l, r), min(t, b), max(l, r), max(t, b)


def _read(path):
    return normalize_channels(cv2_imread(path), 3)


def measure_face(face, merged, original, mask, landmarker, embedder, src_mean):
    """One face's record (landmark and pose error, identity distances, seam figures, centres for jitter) and the
    embeddings of the swapped and the original face."""
    rect = _rect(face)
    lm_m = landmarker.landmarks(merged, [rect])[0]
    lm_o = landmarker.landmarks(original, [rect])[0]
    pe = metrics.pose_error_deg(lm_m, lm_o)
    emb_m, emb_o = embedder.embed(merged, lm_m), embedder.embed(original, lm_o)
    rec = {
        "landmark_error": metrics.landmark_error(lm_m, lm_o),
        "pitch_error": pe[0], "yaw_error": pe[1], "roll_error": pe[2],
        "id_to_dst": float(np.linalg.norm(emb_m - emb_o)),
        "id_to_src": float(np.linalg.norm(emb_m - src_mean)) if src_mean is not None else None,
        "dst_id_to_src": float(np.linalg.norm(emb_o - src_mean)) if src_mean is not None else None,
        "centre": np.asarray(lm_m, np.float64).mean(axis=0).tolist(),
        "orig_centre": np.asarray(lm_o, np.float64).mean(axis=0).tolist(),
        "size": metrics.eye_distance(lm_o),
        "rect": list(rect),
    }
    seam = metrics.seam_figures(merged, original, mask, rect[2] - rect[0]) if mask is not None else None
    rec["colour_shift"] = seam["colour_shift"] if seam else None
    rec["edge_ratio"] = seam["edge_ratio"] if seam else None
    return rec, emb_m, emb_o


def add_identity_verdicts(records, swap_embs, orig_embs):
    """Per record: `id_to_dst_identity`, the swap's distance to the mean of all original dst faces, and
    `recognised_as_src` (see metrics.recognised_as_src); needs the src identity."""
    if not records or records[0]["id_to_src"] is None:
        return
    dst_mean = np.mean(orig_embs, axis=0)
    for rec, emb in zip(records, swap_embs):
        rec["id_to_dst_identity"] = float(np.linalg.norm(emb - dst_mean))
        rec["recognised_as_src"] = metrics.recognised_as_src(rec["id_to_src"], rec["id_to_dst_identity"])


def measure_workspace(dst_dir, aligned_dir, merged_dir, mask_dir, landmarker, embedder, src_mean, counts):
    """Records of every dst face whose frame was merged, in frame order; counts frames/faces skipped and why."""
    by_frame = {}
    for path, face in load_faces(aligned_dir, counts.setdefault("skipped_files", [])):
        by_frame.setdefault(face.get_source_filename(), []).append((path, face))
    records, swap_embs, orig_embs = [], [], []
    for name in progress(sorted(by_frame), desc="frames", unit="frame"):
        stem = Path(name).stem
        merged_path, mask_path, orig_path = merged_dir / f"{stem}.png", mask_dir / f"{stem}.png", dst_dir / name
        if not merged_path.is_file() or not orig_path.is_file():
            counts["frames_not_merged"] = counts.get("frames_not_merged", 0) + 1
            continue
        merged, original = _read(merged_path), _read(orig_path)
        if merged.shape != original.shape:
            raise UserError(f"{merged_path}: size {merged.shape[1]}x{merged.shape[0]} differs from its frame "
                            f"{orig_path} — merge again with the same frames")
        mask = cv2_imread(mask_path, required=False) if mask_path.is_file() else None
        if mask is not None:
            mask = (mask if mask.ndim == 2 else mask[..., 0]).astype(np.float32) / 255.0
        for i, (path, face) in enumerate(sorted(by_frame[name], key=lambda pf: pf[0].name)):
            rec, emb_m, emb_o = measure_face(face, merged, original, mask, landmarker, embedder, src_mean)
            rec.update(frame=stem, face=i, aligned=path.name, source_filename=name)
            records.append(rec)
            swap_embs.append(emb_m)
            orig_embs.append(emb_o)
        counts["frames"] = counts.get("frames", 0) + 1
    add_identity_verdicts(records, swap_embs, orig_embs)
    return records


def summarise(records):
    """Totals over all faces: means/medians of each figure, and jitter of the first face per frame (swap and
    original frames, so smoothing shows as the difference)."""
    out = {"faces": len(records)}
    verdicts = [r["recognised_as_src"] for r in records if "recognised_as_src" in r]
    out["recognised_as_src_share"] = float(np.mean(verdicts)) if verdicts else None
    for key in ("id_to_src", "dst_id_to_src", "id_to_dst", "id_to_dst_identity", "landmark_error", "pitch_error", "yaw_error",
                "roll_error", "colour_shift", "edge_ratio"):
        vals = np.array([r[key] for r in records if r.get(key) is not None], np.float64)
        out[key] = {"mean": float(vals.mean()), "median": float(np.median(vals)), "max": float(vals.max())} \
            if len(vals) else None
    first = [r for r in records if r["face"] == 0]
    sizes = [r["size"] for r in first]
    out["jitter_swap"] = metrics.jitter([r["centre"] for r in first], sizes)
    out["jitter_original"] = metrics.jitter([r["orig_centre"] for r in first], sizes)
    return out
