"""Interactive merger (PyQt5): preview each frame, tune its settings with the original's keys (reference §7.4),
copy settings between frames, process the remaining frames, and keep the session for the next start.

Keys come from the settings' declarations (merger/MergerConfig.py: `extra["keys"]` = increase/decrease or cycle
key; Shift gives a step of 5). Starts on the help screen; Tab toggles it; Esc saves the session and quits.
"""
import os

import numpy as np

from core import interact
from merger.MergerConfig import MODE_KEYS, OPTIONS
from merger.output import compose_output, to_u8
from merger.session import load_session, save_session

# Shifted characters of the non-letter keys (US layout, as the original's key handling).
SHIFTED = {",": "<", ".": ">", "/": "?", ";": ":", "[": "{", "]": "}", "-": "_", "=": "+", "9": "(", "8": "*"}
BIG_STEP = 5

NAV_HELP = [
    (", / Shift+,", "previous frame / first frame"),
    ("m / Shift+m", "previous frame with the current settings / copy them to all frames back to the first"),
    (". / Shift+.", "next frame / start or stop processing the remaining frames"),
    ("/ / Shift+/", "next frame with the current settings / apply them to all remaining frames"),
    ("- / =", "zoom out / in (the frame is fitted to the window at zoom 1)"),
    ("v", "checkerboard background: shows the mask's transparency"),
    ("Tab", "this help / the frame"),
    ("Esc", "save the session and quit"),
]


def _build_key_actions():
    """{character: (kind, option name, amount)} from the settings' declared keys."""
    actions = {}
    for opt in OPTIONS:
        keys = opt.extra.get("keys")
        if not keys or opt.name == "mode":
            continue
        if opt.kind == "bool":
            actions[keys[0]] = ("toggle", opt.name, 0)
        elif opt.choices is not None:
            actions[keys[0]] = ("cycle", opt.name, 0)
        else:
            inc, dec = keys
            actions[inc] = ("step", opt.name, 1)
            actions[dec] = ("step", opt.name, -1)
            actions[SHIFTED.get(inc, inc.upper())] = ("step", opt.name, BIG_STEP)
            actions[SHIFTED.get(dec, dec.upper())] = ("step", opt.name, -BIG_STEP)
    for key, mode in MODE_KEYS.items():
        actions[key] = ("mode", mode, 0)
    return actions


KEY_ACTIONS = _build_key_actions()


def help_text():
    lines = ["Interactive merger keys", ""]
    lines.append("  " + "  ".join(f"{k} {m}" for k, m in MODE_KEYS.items()))
    for opt in OPTIONS:
        keys = opt.extra.get("keys")
        if not keys or opt.name == "mode":
            continue
        what = opt.prompt.rstrip("?")
        if len(keys) == 2:
            lines.append(f"  {keys[0]} / {keys[1]}: {what} +1 / -1 (Shift: 5)")
        else:
            lines.append(f"  {keys[0]}: {'toggle' if opt.kind == 'bool' else 'cycle'} {what}")
    lines += [f"  {k}: {v}" for k, v in NAV_HELP]
    return "\n".join(lines)


def checkerboard(h, w, cell=16):
    yy, xx = np.mgrid[0:h, 0:w]
    board = (((yy // cell) + (xx // cell)) % 2).astype(np.float32)
    return (0.6 + 0.3 * board)[..., None].repeat(3, -1)


class MergerController:
    """The interactive merger's state and actions, separate from the window so it can be driven by key strings."""

    def __init__(self, ctx, base_cfg, session_path=None):
        self.ctx = ctx
        n = len(ctx.frames)
        self.names = [f.filepath.name for f in ctx.frames]
        self.cfgs = [None] * n
        self.cfgs[0] = base_cfg.copy()
        self.done = [False] * n
        self.current = 0
        self.session_path = session_path
        self.show_help = True
        self.zoom = 1.0
        self.checker = False
        self.auto_process = False
        self.result = None
        self.written = 0

    # ---- session ----------------------------------------------------------------------------------------------
    def offer_session(self):
        """Load a saved session if there is one and the user agrees; otherwise start fresh (outputs wiped)."""
        base = self.cfgs[0]
        loaded = None
        if self.session_path is not None:
            loaded = load_session(self.session_path, self.names, self.ctx.model_iter, base.face_type,
                                  base.default_mode, lambda i: all(p.is_file() for p in self.ctx.out_paths(i)))
        if loaded is not None and interact.input_bool("Use saved session?", True):
            self.cfgs, self.done, self.current, note = loaded
            if self.cfgs[0] is None:
                self.cfgs[0] = base
            if note:
                interact.log_info(note)
            return True
        for folder in (self.ctx.output_dir, self.ctx.output_mask_dir):
            for p in folder.glob("*.png"):
                p.unlink()
        return False

    def save(self):
        if self.session_path is not None:
            save_session(self.session_path, self.names, self.cfgs, self.done, self.current, self.ctx.model_iter)

    # ---- settings ---------------------------------------------------------------------------------------------
    def cfg(self, idx=None):
        """The settings of frame idx; frames without their own inherit the nearest earlier frame's."""
        idx = self.current if idx is None else idx
        for i in range(idx, -1, -1):
            if self.cfgs[i] is not None:
                if i != idx:
                    self.cfgs[idx] = self.cfgs[i].copy()
                return self.cfgs[idx]
        self.cfgs[idx] = self.cfgs[0].copy()
        return self.cfgs[idx]

    def compute(self):
        self.result = self.ctx.merge(self.current, self.cfg())
        return self.result

    def commit(self):
        """Write the current frame's outputs with its settings."""
        if self.result is None:
            self.compute()
        self.ctx.write(self.current, self.result, self.cfg())
        self.done[self.current] = True
        self.written += 1

    def go(self, idx):
        idx = max(0, min(len(self.cfgs) - 1, idx))
        if idx != self.current:
            self.commit()
            self.current = idx
            self.cfg()
            self.result = None

    # ---- keys -------------------------------------------------------------------------------------------------
    def key(self, ch):
        """Apply one key (a character as typed, Shift giving upper case / shifted symbol). Returns False on quit."""
        if ch == "\t":
            self.show_help = not self.show_help
            return True
        if ch == "\x1b":
            self.save()
            return False
        if self.show_help and ch not in KEY_ACTIONS:
            return True
        nav = {",": lambda: self.go(self.current - 1), "<": lambda: self.go(0),
               ".": lambda: self.go(self.current + 1), ">": self.toggle_auto,
               "m": self.copy_back_one, "M": self.copy_back_all,
               "/": self.copy_forward_one, "?": self.copy_forward_all,
               "-": lambda: self._zoom(1 / 1.25), "=": lambda: self._zoom(1.25), "v": self._toggle_checker}
        if ch in nav:
            nav[ch]()
            return True
        action = KEY_ACTIONS.get(ch)
        if action is None:
            return True
        kind, name, amount = action
        cfg = self.cfg()
        if kind == "mode":
            cfg.set("mode", name)
        elif kind == "toggle":
            cfg.toggle(name)
        elif kind == "cycle":
            cfg.cycle(name)
        else:
            cfg.step(name, amount)
        self.result = None
        return True

    def _zoom(self, f):
        self.zoom = float(min(4.0, max(0.25, self.zoom * f)))

    def _toggle_checker(self):
        self.checker = not self.checker

    def copy_back_one(self):
        cfg = self.cfg().copy()
        self.go(self.current - 1)
        self.cfgs[self.current] = cfg
        self.result = None

    def copy_back_all(self):
        cfg = self.cfg()
        for i in range(0, self.current):
            self.cfgs[i] = cfg.copy()
            self.done[i] = False
        interact.log_info(f"Settings copied to frames 1..{self.current}; they will be merged again.")

    def copy_forward_one(self):
        cfg = self.cfg().copy()
        self.go(self.current + 1)
        self.cfgs[self.current] = cfg
        self.result = None

    def copy_forward_all(self):
        cfg = self.cfg()
        for i in range(self.current + 1, len(self.cfgs)):
            self.cfgs[i] = cfg.copy()
            self.done[i] = False

    def toggle_auto(self):
        self.auto_process = not self.auto_process

    def process_step(self):
        """One step of processing the remaining frames: commit the current one and move on. False when finished."""
        if self.current >= len(self.cfgs) - 1:
            self.commit()
            self.auto_process = False
            return False
        self.go(self.current + 1)
        return True

    # ---- picture ----------------------------------------------------------------------------------------------
    def picture(self):
        """uint8 BGR image of the current frame as shown (merged, with checkerboard when on)."""
        if self.result is None:
            self.compute()
        cfg = self.cfg()
        if self.result is None:
            from mainscripts.Merger import read_frame
            return to_u8(read_frame(self.ctx.frames[self.current].filepath))
        img, mask = self.result
        if self.checker:
            img = img * mask + checkerboard(*img.shape[:2]) * (1 - mask)
        return compose_output(img, mask, cfg)[..., :3]

    def status_text(self):
        f = self.ctx.frames[self.current]
        head = f"Frame {self.current + 1}/{len(self.cfgs)}  {f.filepath.name}  faces: {len(f.landmarks_list)}"
        if self.auto_process:
            head += "  [processing remaining frames: Shift+. stops]"
        return head + "\n" + self.cfg().to_text()


def _qt():
    # With TensorFlow loaded, Qt's GL integration crashes the process at exit (platform notes).
    os.environ.setdefault("QT_XCB_GL_INTEGRATION", "none")
    from PyQt5 import QtCore, QtGui, QtWidgets
    return QtCore, QtGui, QtWidgets


def make_window(controller):
    QtCore, QtGui, QtWidgets = _qt()

    class MergerWindow(QtWidgets.QWidget):
        def __init__(self):
            super().__init__()
            self.c = controller
            self.setWindowTitle("Merger")
            self.image = QtWidgets.QLabel()
            self.image.setAlignment(QtCore.Qt.AlignCenter)
            self.scroll = QtWidgets.QScrollArea()
            self.scroll.setWidget(self.image)
            self.scroll.setWidgetResizable(True)
            self.text = QtWidgets.QLabel()
            self.text.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.FixedFont))
            layout = QtWidgets.QHBoxLayout(self)
            layout.addWidget(self.scroll, 1)
            layout.addWidget(self.text)
            self.timer = QtCore.QTimer(self)
            self.timer.setInterval(0)
            self.timer.timeout.connect(self._auto_step)
            self.frame_pixmap = None     # the frame at its own size; shown fitted to the window, times zoom
            self.scroll.viewport().installEventFilter(self)
            self.resize(1280, 760)
            self.refresh()

        def refresh(self):
            if self.c.show_help:
                self.frame_pixmap = None
                self.image.setPixmap(QtGui.QPixmap())
                self.image.setText(help_text())
                self.text.setText("Tab: show the frame")
                return
            bgr = np.ascontiguousarray(self.c.picture()[..., ::-1])
            h, w = bgr.shape[:2]
            qimg = QtGui.QImage(bgr.data, w, h, 3 * w, QtGui.QImage.Format_RGB888).copy()
            self.frame_pixmap = QtGui.QPixmap.fromImage(qimg)
            self.image.setText("")
            self.text.setText(self.c.status_text())
            self.show_scaled()

        def show_scaled(self):
            """The frame scaled to fit the view (small frames scaled up, aspect kept), times the -/= zoom."""
            if self.frame_pixmap is None:
                return
            view = self.scroll.maximumViewportSize()
            w, h = self.frame_pixmap.width(), self.frame_pixmap.height()
            scale = min(view.width() / w, view.height() / h) * self.c.zoom
            size = QtCore.QSize(max(1, int(w * scale)), max(1, int(h * scale)))
            self.image.setPixmap(self.frame_pixmap.scaled(size, QtCore.Qt.KeepAspectRatio,
                                                          QtCore.Qt.SmoothTransformation))

        def eventFilter(self, obj, event):
            # The view changes size with the window and with the settings text beside it.
            if obj is self.scroll.viewport() and event.type() == QtCore.QEvent.Resize:
                self.show_scaled()
            return False

        def keyPressEvent(self, event):
            key = event.key()
            ch = {QtCore.Qt.Key_Tab: "\t", QtCore.Qt.Key_Escape: "\x1b"}.get(key, event.text())
            if not ch:
                return
            if not self.c.key(ch):
                self.close()
                return
            if self.c.auto_process and not self.timer.isActive():
                self.timer.start()
            self.refresh()

        def focusNextPrevChild(self, forward):
            return False  # Tab is the help key, not focus navigation

        def _auto_step(self):
            if not self.c.auto_process or not self.c.process_step():
                self.timer.stop()
            self.refresh()

        def closeEvent(self, event):
            self.c.save()
            event.accept()

    return MergerWindow()


def run_interactive(ctx, cfg, session_path):
    """Run the interactive merger until Esc; returns the settings of the frame shown last."""
    controller = MergerController(ctx, cfg, session_path)
    controller.offer_session()
    QtCore, QtGui, QtWidgets = _qt()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    window = make_window(controller)
    window.show()
    app.exec_()
    # Destroy the window while the application still exists (a QApplication made here is freed on return).
    from PyQt5 import sip
    sip.delete(window)
    done = sum(controller.done)
    interact.log_info(f"Merged {done} of {len(controller.done)} frames; session saved to {session_path}.")
    return controller.cfg()
