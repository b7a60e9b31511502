"""Orchestration of `main.py report`: measure the merged workspace, optionally evaluate the model, write the files."""
import time
from pathlib import Path

from core import interact
from core.errors import UserError
from core.pathex import require_dir
from mainscripts.report import frames, render


def main(args):
    t0 = time.time()
    ws = require_dir(Path(args.workspace_dir), "workspace folder")
    dst_dir = ws / "data_dst"
    aligned_dir = Path(args.aligned_dir) if args.aligned_dir else dst_dir / "aligned"
    merged_dir = Path(args.merged_dir) if args.merged_dir else dst_dir / "merged"
    mask_dir = Path(args.merged_mask_dir) if args.merged_mask_dir else dst_dir / "merged_mask"
    src_aligned = Path(args.src_aligned_dir) if args.src_aligned_dir else ws / "data_src" / "aligned"
    out_dir = Path(args.output_dir) if args.output_dir else ws
    require_dir(aligned_dir, "dst aligned faces folder (extract data_dst faces first)")
    require_dir(merged_dir, "merged frames folder (merge first)")
    out_dir.mkdir(parents=True, exist_ok=True)

    from facelib.FaceEmbedder import FaceEmbedder
    from facelib.landmarkers import create_landmarker
    embedder = FaceEmbedder()
    landmarker = create_landmarker(args.landmarker)
    counts = {}
    src_faces = frames.load_faces(src_aligned, counts.setdefault("skipped_files", []))
    if not src_faces:
        interact.log_err(f"{src_aligned}: no aligned src faces — identity distances to src are left out")
    src_mean, src_used = frames.src_identity(embedder, src_faces, args.max_src_faces)
    records = frames.measure_workspace(dst_dir, aligned_dir, merged_dir, mask_dir, landmarker, embedder, src_mean,
                                       counts)
    if not records:
        raise UserError(f"{merged_dir}: no merged frame matches a face in {aligned_dir} — merge first")

    model = None
    if args.model_dir:
        from mainscripts.report import model_eval
        held_out = bool(args.holdout_dir)
        faces_dir = Path(args.holdout_dir) if held_out else aligned_dir
        faces = frames.load_faces(require_dir(faces_dir, "held-out faces folder"), counts["skipped_files"])
        if not faces:
            raise UserError(f"{faces_dir}: no aligned faces to evaluate the model on")
        stamp = model_eval.merged_by(merged_dir / f"{r['frame']}.png" for r in records)
        model_class, model_name = model_eval.model_to_evaluate(Path(args.model_dir), stamp, args.model,
                                                               args.force_model_name)
        model = model_eval.evaluate(Path(args.model_dir), faces, model_class, model_name)
        model.update(faces_dir=str(faces_dir), held_out=held_out, merged_by=stamp)
        if stamp and model["model"] == f"{stamp['name']}_{stamp['class']}" and model["iter"] != stamp.get("iter"):
            interact.log_info(f"Note: {model['model']} is at iteration {model['iter']}; the frames were merged at "
                              f"iteration {stamp.get('iter')}")

    report = {"workspace": str(ws), "counts": counts, "src_faces_used": src_used,
              "totals": frames.summarise(records), "model": model, "faces": records}
    frame_paths = {r["frame"]: (merged_dir / f"{r['frame']}.png", dst_dir / r["source_filename"]) for r in records}
    json_path, html_path = render.write(out_dir, report, records, frame_paths)
    t = report["totals"]
    idt = t["id_to_src"]["mean"] if t["id_to_src"] else None
    share = t["recognised_as_src_share"]
    interact.log_info(
        f"Report: {counts.get('frames', 0)} frames, {t['faces']} faces, identity to src "
        f"{'–' if idt is None else f'{idt:.3f}'} (recognised as src: {'–' if share is None else f'{share:.0%}'}), "
        f"landmark error {t['landmark_error']['mean']:.3f}, "
        + (f"model SSIM {model['ssim']:.3f} PSNR {model['psnr']:.2f} dB, " if model else "")
        + f"{time.time() - t0:.1f} s -> {html_path}, {json_path.name}")
    return report
