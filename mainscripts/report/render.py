"""report.html (self-contained: plots and thumbnails inlined as base64) and report.json of the quality report."""
import base64
import html
import io
import json

import cv2
import numpy as np

from core.cv2ex import cv2_imread, normalize_channels
from core.pathex import write_bytes_atomic
from mainscripts.report.metrics import SAME_PERSON


def _png_b64(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _series(records, key):
    return [r[key] if r.get(key) is not None else np.nan for r in records]


def plots(records):
    """{plot id: (title, base64 PNG)} of the per-face curves."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = np.arange(len(records))
    out = {}

    def figure(pid, title, curves, ylabel, hline=None):
        fig, ax = plt.subplots(figsize=(8, 2.8))
        for key, label in curves:
            ax.plot(x, _series(records, key), marker=".", linewidth=1, label=label)
        if hline is not None:
            ax.axhline(hline[0], color="grey", linestyle="--", linewidth=1, label=hline[1])
        ax.set_xlabel("face (frame order)")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right", fontsize=8)
        out[pid] = (title, _png_b64(fig))
        plt.close(fig)

    figure("identity", "Identity distance (dlib 128-D; lower = more alike)",
           [("id_to_src", "swap to src faceset"), ("dst_id_to_src", "original dst face to src (baseline)"),
            ("id_to_dst", "swap to original dst face")], "distance", (SAME_PERSON, "same-person threshold"))
    figure("landmarks", "Landmark error (expression kept?)", [("landmark_error", "swap vs original")],
           "fraction of eye distance")
    figure("pose", "Pose error (pose kept?)",
           [("pitch_error", "pitch"), ("yaw_error", "yaw"), ("roll_error", "roll")], "degrees")
    figure("seam", "Seam", [("colour_shift", "colour shift ΔE inside the edge"),
                            ("edge_ratio", "edge gradient ratio (1 = invisible)")], "value")
    first = [r for r in records if r["face"] == 0]
    if first:
        fig, ax = plt.subplots(figsize=(8, 2.8))
        c = np.array([r["centre"] for r in first])
        o = np.array([r["orig_centre"] for r in first])
        for k, axis in enumerate("xy"):
            ax.plot(c[:, k] - c[0, k], label=f"swap {axis}", linewidth=1)
            ax.plot(o[:, k] - o[0, k], label=f"original {axis}", linewidth=1, linestyle="--")
        ax.set_xlabel("frame")
        ax.set_ylabel("px from first frame")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right", fontsize=8)
        out["jitter"] = ("Face centre track (jitter)", _png_b64(fig))
        plt.close(fig)
    return out


def _thumb(path, rect, height=128):
    img = normalize_channels(cv2_imread(path), 3)
    l, t, r, b = rect
    cx, cy, s = (l + r) / 2, (t + b) / 2, max(r - l, b - t) * 0.8
    h, w = img.shape[:2]
    x0, y0, x1, y1 = (int(max(0, cx - s)), int(max(0, cy - s)), int(min(w, cx + s)), int(min(h, cy + s)))
    crop = img[y0:y1, x0:x1]
    crop = cv2.resize(crop, (max(1, int(crop.shape[1] * height / max(crop.shape[0], 1))), height),
                      interpolation=cv2.INTER_AREA)
    return base64.b64encode(cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes()).decode("ascii")


def worst(records, key, n=4):
    have = [r for r in records if r.get(key) is not None]
    return sorted(have, key=lambda r: -r[key])[:n]


def _fmt(v, digits=3):
    return "–" if v is None else (f"{v:.{digits}f}" if isinstance(v, float) else str(v))


def _merged_by_html(model):
    """Which model made the merged frames, when it is not exactly the model evaluated."""
    mb = model.get("merged_by")
    if not mb:
        return "<p>The merged frames do not record which model made them.</p>"
    if (f"{mb['name']}_{mb['class']}", mb.get("iter")) == (model["model"], model["iter"]):
        return ""
    return (f"<p>The merged frames were made by {html.escape(str(mb['name']))} ({html.escape(str(mb['class']))}) at "
            f"iteration {mb.get('iter')}.</p>")

def write(out_dir, report, records, frame_paths):
    """Writes report.json and report.html into out_dir; returns their paths."""
    json_path, html_path = out_dir / "report.json", out_dir / "report.html"
    write_bytes_atomic(json_path, json.dumps(report, indent=1).encode("utf-8"))
    figs = plots(records) if records else {}
    t = report["totals"]
    rows = []
    for key, label in (("id_to_src", "identity distance swap → src"),
                       ("dst_id_to_src", "identity distance original dst → src (baseline)"),
                       ("id_to_dst", "identity distance swap → original dst"),
                       ("id_to_dst_identity", "identity distance swap → dst person (mean of all dst faces)"),
                       ("landmark_error", "landmark error (× eye distance)"),
                       ("pitch_error", "pitch error (°)"), ("yaw_error", "yaw error (°)"), ("roll_error", "roll error (°)"),
                       ("colour_shift", "seam colour shift (ΔE)"), ("edge_ratio", "seam edge ratio")):
        v = t.get(key)
        rows.append(f"<tr><td>{label}</td><td>{_fmt(v and v['mean'])}</td><td>{_fmt(v and v['median'])}</td>"
                    f"<td>{_fmt(v and v['max'])}</td></tr>")
    share = t.get("recognised_as_src_share")
    rows.append(f"<tr><td>faces recognised as the src person (swap → src below {SAME_PERSON} and nearer src than "
                f"the dst person)</td><td colspan=3>{'–' if share is None else f'{share:.0%}'}</td></tr>")
    rows.append(f"<tr><td>jitter of the face centre (% of eye distance per frame²)</td>"
                f"<td colspan=3>swap {_fmt(t.get('jitter_swap'))} — original {_fmt(t.get('jitter_original'))}</td></tr>")
    model = report.get("model")
    model_html = "<p>No model evaluated (pass <code>--model-dir</code>).</p>" if not model else (
        f"<p>{html.escape(model['model'])} at iteration {model['iter']}, dst→dst reconstruction of "
        f"{model['faces']} faces from <code>{html.escape(model['faces_dir'])}</code>"
        f"{'' if model['held_out'] else ' (faces the model trained on: no held-out folder given)'}: "
        f"<b>SSIM {_fmt(model['ssim'])}</b>, <b>PSNR {_fmt(model['psnr'], 2)} dB</b>.</p>" + _merged_by_html(model))
    plots_html = "".join(f'<h3>{html.escape(title)}</h3><img class="plot" id="plot-{pid}" '
                         f'src="data:image/png;base64,{b64}">' for pid, (title, b64) in figs.items())
    galleries = []
    for key, title in (("id_to_src", "Least like the src person"), ("landmark_error", "Expression least kept")):
        cells = []
        for r in worst(records, key):
            merged, original = frame_paths[r["frame"]]
            cells.append(f'<figure><img src="data:image/jpeg;base64,{_thumb(original, r["rect"])}">'
                         f'<img src="data:image/jpeg;base64,{_thumb(merged, r["rect"])}">'
                         f'<figcaption>{html.escape(r["frame"])} face {r["face"]}: {_fmt(r[key])}</figcaption></figure>')
        galleries.append(f"<h3>{title} (original | swap)</h3><div class='gallery'>{''.join(cells)}</div>")
    counts = report["counts"]
    doc = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="synthetic-media" content="true">
<meta name="generator" content="DeepFaceLab-compatible face-swap studio quality report">
<title>Swap quality report</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:60em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #bbb;padding:.2em .6em}}img.plot{{display:block;max-width:100%}}
.gallery{{display:flex;flex-wrap:wrap;gap:1em}}figure{{margin:0}}figcaption{{font-size:.8em}}</style></head>
<body>
<h1>Swap quality report</h1>
<p><b>This report shows synthetic media</b> (face-swapped frames). Workspace <code>{html.escape(report['workspace'])}</code>,
{counts.get('frames', 0)} merged frames, {t['faces']} faces measured, {counts.get('frames_not_merged', 0)} frames not merged,
{len(counts.get('skipped_files', []))} files skipped; src identity from {report['src_faces_used']} faces.</p>
<h2>Totals</h2>
<table><tr><th>figure</th><th>mean</th><th>median</th><th>max</th></tr>{''.join(rows)}</table>
<h2>Model</h2>{model_html}
<h2>Per frame</h2>{plots_html}
<h2>Worst frames</h2>{''.join(galleries)}
<h2>How to read it</h2>
<ul><li>Identity: dlib distances below {SAME_PERSON} usually mean the same person. A good swap is far below the
baseline line (the original dst face's distance to src) and close to or under the threshold.</li>
<li>Landmark and pose errors: near 0 when the swap keeps the dst expression and head pose.</li>
<li>Seam: colour shift is the Lab colour difference along the inside of the mask edge (under ~5 is hard to see); an edge
ratio near 1 means the paste adds no edge.</li>
<li>Jitter: how much the face centre shakes from frame to frame; compare with the original frames.</li></ul>
</body></html>
"""
    write_bytes_atomic(html_path, doc.encode("utf-8"))
    return json_path, html_path
