"""The training preview window (PyQt5): loss-history graph above the model's preview, the original's keys.

Keys: s save, b backup, Enter save and exit, p refresh preview, space next preview, l loss-history range (all / 5k /
10k / 50k / 100k). Closing the window or Ctrl-C in the console also saves and exits. The window only sends requests
to the training thread (mainscripts.Trainer) and shows what it sends back.
"""
import os
import queue
import signal

import numpy as np

from models import preview_image


def _qt():
    # With TensorFlow loaded, Qt's GL integration loads a second LLVM and the process crashes at exit.
    os.environ.setdefault("QT_XCB_GL_INTEGRATION", "none")
    from PyQt5 import QtCore, QtGui, QtWidgets
    return QtCore, QtGui, QtWidgets


def make_window(title, to_ui, from_ui):
    QtCore, QtGui, QtWidgets = _qt()

    class TrainerWindow(QtWidgets.QWidget):
        def __init__(self):
            super().__init__()
            self.setWindowTitle(f"Training preview - {title}")
            self.to_ui, self.from_ui = to_ui, from_ui
            self.previews, self.iter, self.loss_history = [], 0, []
            self.preview_index = 0
            self.range_index = 0
            self.closing = False
            self.finished = False
            self.label = QtWidgets.QLabel(self)
            self.label.setAlignment(QtCore.Qt.AlignLeft | QtCore.Qt.AlignTop)
            lay = QtWidgets.QVBoxLayout(self)
            lay.setContentsMargins(0, 0, 0, 0)
            lay.addWidget(self.label)
            self.label.setText("Waiting for the first preview...")
            self.timer = QtCore.QTimer(self)
            self.timer.timeout.connect(self.poll)
            self.timer.start(50)

        # -- messages from the training thread
        def poll(self):
            while True:
                try:
                    msg = self.to_ui.get_nowait()
                except queue.Empty:
                    return
                if msg["op"] == "show":
                    self.previews = msg["previews"]
                    self.iter = msg["iter"]
                    self.loss_history = msg["loss_history"]
                    self.update_image()
                elif msg["op"] == "closed":
                    self.finished = True
                    self.close()
                    QtWidgets.QApplication.instance().quit()
                    return

        def picture(self):
            """The current picture as uint8 BGR, or None before the first preview."""
            if not self.previews:
                return None
            self.preview_index %= len(self.previews)
            name, bgr = self.previews[self.preview_index]
            return preview_image.compose(bgr, self.loss_history, self.iter, name,
                                         preview_image.HISTORY_RANGES[self.range_index],
                                         (self.preview_index, len(self.previews)))

        def update_image(self):
            img = self.picture()
            if img is None:
                return
            rgb = np.ascontiguousarray(img[:, :, ::-1])
            h, w = rgb.shape[:2]
            qimg = QtGui.QImage(rgb.data, w, h, 3 * w, QtGui.QImage.Format_RGB888).copy()
            self.label.setPixmap(QtGui.QPixmap.fromImage(qimg))
            self.label.adjustSize()
            self.adjustSize()

        # -- user requests
        def request_close(self):
            if not self.closing:
                self.closing = True
                self.setWindowTitle(f"Saving and exiting - {title}")
                self.from_ui.put({"op": "close"})

        def keyPressEvent(self, e):
            k = e.key()
            if k in (QtCore.Qt.Key_Return, QtCore.Qt.Key_Enter):
                self.request_close()
            elif k == QtCore.Qt.Key_S:
                self.from_ui.put({"op": "save"})
            elif k == QtCore.Qt.Key_B:
                self.from_ui.put({"op": "backup"})
            elif k == QtCore.Qt.Key_P:
                self.from_ui.put({"op": "preview"})
            elif k == QtCore.Qt.Key_Space:
                self.preview_index += 1
                self.update_image()
            elif k == QtCore.Qt.Key_L:
                self.range_index = (self.range_index + 1) % len(preview_image.HISTORY_RANGES)
                self.update_image()
            else:
                super().keyPressEvent(e)

        def closeEvent(self, e):
            if self.finished:
                e.accept()
                return
            self.request_close()
            e.ignore()

    return TrainerWindow()


def run(model, to_ui, from_ui):
    """Show the window until the training thread reports it has saved and ended."""
    _, _, QtWidgets = _qt()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    win = make_window(model.full_name, to_ui, from_ui)
    previous = signal.signal(signal.SIGINT, lambda *_: win.request_close())
    try:
        win.show()
        app.exec_()
    finally:
        signal.signal(signal.SIGINT, previous)
