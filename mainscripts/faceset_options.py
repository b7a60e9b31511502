"""Options of the `facesettool` tools, declared once (prompt, default, range) and kept light for main.py's parser."""
from core.options import Option

RESIZE_SIZE = Option("image_size", "New image size", "int", 512, valid_range=(128, 2048),
                     help="Side of the resized faces in pixels.")
RESIZE_FACE_TYPE = Option(
    "face_type", "Change face type", "str", "same", choices=("same", "h", "mf", "f", "wf", "head"),
    help="same keeps the face type; h/mf/f/wf/head re-frame every face to that type (a larger type than the faces "
         "have leaves black borders: the frame outside the old crop is not stored).")
RESIZE_OPTIONS = (RESIZE_SIZE, RESIZE_FACE_TYPE)

ENHANCER = Option(
    "enhancer", "Enhancer", "str", "auto",
    choices=("auto", "FaceEnhancer", "realesrgan-x4plus", "realesr-animevideov3"),
    help="x4 network; every face is enhanced at 4x its size and scaled back. auto = the original's FaceEnhancer when "
         "_internal/FaceEnhancer.npy is there, else realesrgan-x4plus (photos: keeps skin texture; slow on a CPU, "
         "6-17 s per 256 px face on 2 cores). realesr-animevideov3 is ~30x faster but paints faces smooth.")
