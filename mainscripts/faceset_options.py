"""Options of the `facesettool` tools, declared once (prompt, default, range) and kept light for main.py's parser."""
from core.options import Option

RESIZE_SIZE = Option("image_size", "New image size", "int", 512, valid_range=(128, 2048),
                     help="Side of the resized faces in pixels.")
RESIZE_FACE_TYPE = Option(
    "face_type", "Change face type", "str", "same", choices=("same", "h", "mf", "f", "wf", "head"),
    help="same keeps the face type; h/mf/f/wf/head re-frame every face to that type (a larger type than the faces "
         "have leaves black borders: the frame outside the old crop is not stored).")
RESIZE_OPTIONS = (RESIZE_SIZE, RESIZE_FACE_TYPE)
