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
         "_internal/FaceEnhancer.npy is there, else realesr-animevideov3 (a 512 px face: 20 s on 2 busy cores, "
         "1,000 faces in hours). realesrgan-x4plus adds more texture but takes 35-90x longer (days for 1,000 faces) "
         "and restores faces no better (PSNR/SSIM after a x4 round trip).")
TILE_SIZE = Option(
    "tile_size", "Tile size", "int", 0, valid_range=(0, 2048),
    help="Real-ESRGAN networks run on tiles of this many pixels, so memory depends on the tile, not the face. "
         "0 = the network's own (about 1 GB per run: x4plus 96, animevideov3 384; a whole 512 px face would take "
         "x4plus ~13 GB). Smaller tiles use less memory and more time. The FaceEnhancer always uses the "
         "original's 192 px patches.")
