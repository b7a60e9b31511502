"""Interactive merger session file: per-frame settings and progress, saved on exit and offered on the next start.

Our own format, never executable: JSON `{"format": "dfl-merger-session", "version": 1, "model_iter", "frames":
[{"name", "cfg" (settings dict or null), "done"}], "current"}`, written atomically. A session only applies to the same
frames (count and names); when the model's iteration changed, every frame is marked to be merged again; frames
marked done whose outputs are missing are merged again too.
"""
import json
from pathlib import Path

from core.errors import UserError
from core.pathex import write_bytes_atomic
from merger.MergerConfig import BY_NAME, MergerConfigMasked

FORMAT = "dfl-merger-session"
VERSION = 1


def save_session(path, frame_names, cfgs, done, current, model_iter):
    doc = {"format": FORMAT, "version": VERSION, "model_iter": int(model_iter), "current": int(current),
           "frames": [{"name": n, "cfg": (c.get_config() if c is not None else None), "done": bool(d)}
                      for n, c, d in zip(frame_names, cfgs, done)]}
    write_bytes_atomic(path, (json.dumps(doc) + "\n").encode("utf-8"))


def load_session(path, frame_names, model_iter, face_type, default_mode, output_exists):
    """Returns (cfgs, done, current, note) or None when there is no usable session (note says why in the log).
    `output_exists(idx)` tells whether frame idx's outputs are on disk."""
    p = Path(path)
    if not p.is_file():
        return None
    try:
        doc = json.loads(p.read_bytes().decode("utf-8"))
    except (OSError, ValueError, RecursionError) as e:   # ValueError: bad UTF-8 or JSON; RecursionError: nesting
        raise UserError(f"merger session {p} is unreadable ({e}); delete it to start a new session") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("version") != VERSION:
        raise UserError(f"merger session {p} is not a version {VERSION} session file; delete it to start anew")
    frames = doc.get("frames")
    if not isinstance(frames, list) or [f.get("name") for f in frames if isinstance(f, dict)] != list(frame_names):
        return None
    cfgs, done = [], []
    for f in frames:
        raw = f.get("cfg")
        if raw is None:
            cfgs.append(None)
        else:
            # Unknown settings (from a newer version) are dropped; missing ones take their defaults.
            try:
                known = {k: v for k, v in raw.items() if k in BY_NAME}
                cfgs.append(MergerConfigMasked(face_type, default_mode, **known))
            except (ValueError, TypeError, AttributeError, OverflowError) as e:
                raise UserError(f"merger session {p}: frame {f.get('name')}: {e}; delete the session") from None
        done.append(bool(f.get("done")))
    note = None
    if doc.get("model_iter") != int(model_iter):
        done = [False] * len(done)
        note = "the model was trained further since this session: every frame will be merged again"
    for i, d in enumerate(done):
        if d and not output_exists(i):
            done[i] = False
    current = int(doc.get("current", 0))
    first_missing = next((i for i, d in enumerate(done) if not d), len(done))
    current = max(0, min(current, first_missing, len(frame_names) - 1))
    return cfgs, done, current, note
