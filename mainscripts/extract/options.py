"""Options of `extract`, declared once: the original's prompts, defaults and ranges (reference §8.1).

Kept free of heavy imports: main.py builds its parser from this module.
"""
from core.options import Option
from facelib.FaceType import FaceType
from facelib.face_measure import DEFAULT_MIN_FACE_SIZE

# Prompt codes as the original's model options; the CLI also takes the long names (half_face, whole_face, ...).
FACE_TYPE_CODES = ("h", "mf", "f", "wf", "head", "mark_only")
_FACE_TYPE_BY_CODE = {"h": FaceType.HALF, "mf": FaceType.MID_FULL, "f": FaceType.FULL, "wf": FaceType.WHOLE_FACE,
                      "head": FaceType.HEAD, "mark_only": FaceType.MARK_ONLY}
_CODE_BY_NAME = {FaceType.toString(ft): code for code, ft in _FACE_TYPE_BY_CODE.items()}

FACE_TYPE = Option(
    "face_type", "Face type", "str", "wf", choices=FACE_TYPE_CODES,
    help="h half face, mf mid-half face, f full face, wf whole face (also the forehead), head (whole head; needs "
         "XSeg masks later), mark_only (whole frame kept, only landmarks found). Flag: code or long name "
         "(half_face, midfull_face, full_face, whole_face, head, mark_only).")
MAX_FACES = Option(
    "max_faces_from_image", "Max number of faces from image", "int", 0, valid_range=(0, 1000),
    help="If frames show many people, 3 speeds up extraction and keeps the biggest faces. 0 - unlimited.")
IMAGE_SIZE = Option(
    "image_size", "Image size", "int", 512, valid_range=(256, 2048),
    help="Size of the aligned face images. Above 512 only when the frames are sharp enough. Default 768 for head.")
JPEG_QUALITY = Option(
    "jpeg_quality", "Jpeg quality", "int", 90, valid_range=(1, 100),
    help="Higher quality gives bigger files.")
MIN_FACE_SIZE = Option(
    "min_face_size", "Minimum face size", "int", DEFAULT_MIN_FACE_SIZE, valid_range=(0, 2048),
    help="Faces smaller than this (frame pixels, measured on the face's landmarks in units of the original "
         "detector's box side) are not extracted and are counted in the summary; the detector also looks at the "
         "frame at the resolution this size needs. Lower it (e.g. 16) for crowds and wide shots: slower. "
         "0 keeps every face found. Flag only (the original had no such question).")
CONTINUE = Option(
    "continue_extraction", "Continue extraction?", "bool", True,
    help="Continue from where the last run stopped (the last 128 faces' frames are extracted again). "
         "Give the same options as before.")
DELETE_EXISTING = Option(
    "delete_existing", "Delete the files already in the output folder (and its _debug folder)?", "bool", True,
    help="n stops without changing anything.")

OPTIONS = (FACE_TYPE, MAX_FACES, IMAGE_SIZE, JPEG_QUALITY, MIN_FACE_SIZE, CONTINUE, DELETE_EXISTING)
HEAD_IMAGE_SIZE = 768


def face_type_code(value):
    """A flag value (code or long name) as its prompt code; unknown text is returned for the prompt to reject."""
    if value is None:
        return None
    v = str(value).strip().lower()
    return _CODE_BY_NAME.get(v, v)


def face_type_from_code(code):
    return _FACE_TYPE_BY_CODE[code]


def code_of_face_type(face_type):
    return _CODE_BY_NAME.get(FaceType.toString(face_type))
