"""AMP's options (reference §3.3): declared once; drive the prompts, the `train` / `merge` flags and saved options.

The architecture options (resolution .. morph factor) are asked only when the model is created; the rest may be
overridden on later runs. `MERGE_OPTIONS` are asked by `merge` (and the preview shows several morph values).
"""
from core.options import Option
from models import common_options as common
from models.common_options import COMMON_OPTIONS

OPTIONS = COMMON_OPTIONS + [
    Option("resolution", "Resolution", "int", 224, valid_range=(64, 640), overridable=False,
           help="More resolution requires more VRAM and time to train. Value will be adjusted to multiple of 32."),
    Option("face_type", "Face type", "str", "wf", choices=("f", "wf", "head"), overridable=False,
           help="Full face / whole face / head. 'Whole face' covers full area of face include forehead. 'head' "
                "covers full head, but requires XSeg for src and dst faceset."),
    common.AE_DIMS,
    Option("inter_dims", "Inter dimensions", "int", 1024, valid_range=(32, 2048), overridable=False,
           help="Should be equal or more than AutoEncoder dimensions. More dims are better, but require more VRAM. "
                "You can fine-tune model size to fit your GPU."),
    common.E_DIMS,
    common.D_DIMS,
    common.D_MASK_DIMS,
    Option("morph_factor", "Morph factor", "float", 0.5, valid_range=(0.1, 0.5), overridable=False,
           help="The smaller the value, the more src-like facial expressions will appear. The larger the value, "
                "the less space there is to train a large dst faceset in the neural network. Typical fine value is "
                "0.33"),
    common.UNIFORM_YAW,
    common.BLUR_OUT_MASK,
    common.LR_DROPOUT,
    common.MODELS_OPT_ON_GPU,
    Option("random_warp", "Enable random warp of samples", "bool", True,
           help="Random warp is required to generalize facial expressions of both faces. When the face is trained "
                "enough, you can disable it to get extra sharpness and reduce subpixel shake for less amount of "
                "iterations. Without random warp the inter parts stay fixed (only encoder and decoder train)."),
    Option("gan_power", "GAN power", "float", 0.0, valid_range=(0.0, 5.0),
           help="Forces the neural network to learn small details of the face. Enable it only when the face is "
                "trained enough with random_warp(off), and don't disable. The higher the value, the higher the "
                "chances of artifacts. Typical fine value is 0.1"),
    Option("gan_patch_size", "GAN patch size", "int", 28, valid_range=(3, 640), requires=common.WITH_GAN,
           help="The higher patch size, the higher the quality, the more VRAM is required. You can get sharper "
                "edges even at the lowest setting. Typical fine value is resolution / 8."),
    common.GAN_DIMS,
    common.CT_MODE,
    common.CLIPGRAD,
]

MERGE_OPTIONS = [
    Option("morph_factor", "Morph factor", "float", 1.0, valid_range=(0.0, 1.0),
           help="How much of the src face the swap takes: 1.0 = the full src face, 0.0 = the dst face "
                "reconstructed; values between mix the two."),
]
