"""Start the XSeg editor on a folder of aligned faces: read the folder, check for a display, run the Qt window."""
import sys

from core import interact
from core.display import require_display
from core.errors import UserError
from XSegEditor.faces import FaceFolder


def run(input_dir):
    folder = FaceFolder(input_dir, show_progress=True)
    for _, error in folder.skipped[:5]:
        interact.log_err(f"{error} - skipped")
    if len(folder.skipped) > 5:
        interact.log_err(f"... and {len(folder.skipped) - 5} more files that are not aligned faces - skipped")
    if not len(folder):
        raise UserError(f"{folder.dir}: no aligned faces (DeepFaceLab .jpg files) in this folder - extract faces first")
    require_display("the XSeg editor")
    from PyQt5.QtWidgets import QApplication
    from XSegEditor.window import EditorWindow

    app = QApplication.instance() or QApplication([sys.argv[0]])
    window = EditorWindow(folder)
    window.show()
    app.exec_()
    interact.log_info(f"XSeg editor closed: {folder.labelled_count()} of {len(folder)} faces labelled in {folder.dir}")
    return 0
