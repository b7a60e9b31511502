""""Choose image for the preview history" (a trainer option of the original): a window showing the history preview
of a batch of training samples; P draws the next batch, Space switches the preview type, Enter keeps the batch
shown. The kept batch becomes the model's `sample_for_preview`, the faces of every `<model>_history` picture.
"""
import sys

import numpy as np

from core import interact
from core.display import require_display

TITLE = "[p] - next. [space] - switch preview type. [enter] - confirm."


def make_window(next_samples, previews_of):
    """The chooser window; `next_samples()` gives a batch, `previews_of(batch)` its [(name, bgr 0..1)] previews.
    After Enter (or closing the window) `window.chosen` is the batch shown."""
    from PyQt5 import QtCore, QtGui, QtWidgets

    class ChooserWindow(QtWidgets.QWidget):
        done = QtCore.pyqtSignal()

        def __init__(self):
            super().__init__()
            self.setWindowTitle(TITLE)
            self.label = QtWidgets.QLabel(self)
            layout = QtWidgets.QVBoxLayout(self)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.addWidget(self.label)
            self.preview_index = 0
            self.batches_seen = 0
            self.chosen = None
            self.next_batch()

        def next_batch(self):
            self.samples = next_samples()
            self.previews = previews_of(self.samples)
            self.batches_seen += 1
            self.show_preview()

        def show_preview(self):
            name, bgr = self.previews[self.preview_index % len(self.previews)]
            rgb = np.ascontiguousarray((np.clip(bgr, 0, 1) * 255).astype(np.uint8)[..., ::-1])
            h, w = rgb.shape[:2]
            self.label.setPixmap(QtGui.QPixmap.fromImage(
                QtGui.QImage(rgb.data, w, h, 3 * w, QtGui.QImage.Format_RGB888).copy()))
            self.label.setToolTip(name)
            self.adjustSize()

        def keyPressEvent(self, event):
            key = event.key()
            if key in (QtCore.Qt.Key_Return, QtCore.Qt.Key_Enter):
                self.close()
            elif key == QtCore.Qt.Key_P:
                self.next_batch()
            elif key == QtCore.Qt.Key_Space:
                self.preview_index += 1
                self.show_preview()
            else:
                super().keyPressEvent(event)

        def closeEvent(self, event):
            self.chosen = self.samples
            event.accept()
            self.done.emit()

    return ChooserWindow()


def choose_preview_sample(next_samples, previews_of):
    """Show the chooser until Enter; returns the batch chosen for the preview history."""
    require_display("Choose image for the preview history")
    from PyQt5 import QtCore, QtWidgets
    interact.log_info(f"Choose image for the preview history. {TITLE}")
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([sys.argv[0]])
    window = make_window(next_samples, previews_of)
    loop = QtCore.QEventLoop()
    window.done.connect(loop.quit)
    window.show()
    loop.exec_()
    chosen = window.chosen
    window.deleteLater()
    app.sendPostedEvents(None, QtCore.QEvent.DeferredDelete)
    return chosen
