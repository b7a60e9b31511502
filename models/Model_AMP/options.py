"""AMP's options (reference §3.3): declared once; drive the prompts, the `train` / `merge` flags and saved options.

The architecture options (resolution .. morph factor) are asked only when the model is created; the rest may be
overridden on later runs. `MERGE_OPTIONS` are asked by `merge` (and the preview shows several morph values).
"""
from core.options import Option
from models.common_options import COMMON_OPTIONS

DIMS_HELP = ("More dims help to recognize more facial features and achieve sharper result, but require more VRAM. "
             "You can fine-tune model size to fit your GPU.")

OPTIONS = COMMON_OPTIONS + [
    Option("resolution", "Resolution", "int", 224, valid_range=(64, 640), overridable=False,
           help="More resolution requires more VRAM and time to train. Value will be adjusted to multiple of 32."),
    Option("face_type", "Face type", "str", "wf", choices=("f", "wf", "head"), overridable=False,
           help="Full face / whole face / head. 'Whole face' covers full area of face include forehead. 'head' "
                "covers full head, but requires XSeg for src and dst faceset."),
    Option("ae_dims", "AutoEncoder dimensions", "int", 256, valid_range=(32, 1024), overridable=False,
           help="All face information will packed to AE dims. If amount of AE dims are not enough, then for example "
                "closed eyes will not be recognized. More dims are better, but require more VRAM. You can fine-tune "
                "model size to fit your GPU."),
    Option("inter_dims", "Inter dimensions", "int", 1024, valid_range=(32, 2048), overridable=False,
           help="Should be equal or more than AutoEncoder dimensions. More dims are better, but require more VRAM. "
                "You can fine-tune model size to fit your GPU."),
    Option("e_dims", "Encoder dimensions", "int", 64, valid_range=(16, 256), overridable=False, help=DIMS_HELP),
    Option("d_dims", "Decoder dimensions", "int", 64, valid_range=(16, 256), overridable=False, help=DIMS_HELP),
    Option("d_mask_dims", "Decoder mask dimensions", "int", 22, valid_range=(16, 256), overridable=False,
           help="Typical mask dimensions = decoder dimensions / 3. If you manually cut out obstacles from the dst "
                "mask, you can increase this parameter to achieve better quality."),
    Option("morph_factor", "Morph factor", "float", 0.5, valid_range=(0.1, 0.5), overridable=False,
           help="The smaller the value, the more src-like facial expressions will appear. The larger the value, "
                "the less space there is to train a large dst faceset in the neural network. Typical fine value is "
                "0.33"),
    Option("uniform_yaw", "Uniform yaw distribution of samples", "bool", False,
           help="Helps to fix blurry side faces due to small amount of them in the faceset."),
    Option("blur_out_mask", "Blur out mask", "bool", False,
           help="Blurs nearby area outside of applied face mask of training samples. The result is the background "
                "near the face is smoothed and less noticeable on swapped face. The exact xseg mask in src and dst "
                "faceset is required."),
    Option("lr_dropout", "Use learning rate dropout", "str", "n", choices=("n", "y", "cpu"),
           help="When the face is trained enough, you can enable this option to get extra sharpness and reduce "
                "subpixel shake for less amount of iterations. Enabled it before `disable random warp` and before "
                "GAN. \nn - disabled.\ny - enabled\ncpu - enabled on CPU. This allows not to use extra VRAM, "
                "sacrificing 20% time of iteration."),
    Option("models_opt_on_gpu", "Place models and optimizer on GPU", "bool", True,
           help="When you train on one GPU, by default model and optimizer weights are placed on GPU to accelerate "
                "the process. You can place they on CPU to free up extra VRAM, thus set bigger dimensions."),
    Option("random_warp", "Enable random warp of samples", "bool", True,
           help="Random warp is required to generalize facial expressions of both faces. When the face is trained "
                "enough, you can disable it to get extra sharpness and reduce subpixel shake for less amount of "
                "iterations. Without random warp the inter parts stay fixed (only encoder and decoder train)."),
    Option("gan_power", "GAN power", "float", 0.0, valid_range=(0.0, 5.0),
           help="Forces the neural network to learn small details of the face. Enable it only when the face is "
                "trained enough with random_warp(off), and don't disable. The higher the value, the higher the "
                "chances of artifacts. Typical fine value is 0.1"),
    Option("gan_patch_size", "GAN patch size", "int", 28, valid_range=(3, 640),
           help="The higher patch size, the higher the quality, the more VRAM is required. You can get sharper "
                "edges even at the lowest setting. Typical fine value is resolution / 8."),
    Option("gan_dims", "GAN dimensions", "int", 16, valid_range=(4, 512),
           help="The dimensions of the GAN network. The higher dimensions, the more VRAM is required. You can get "
                "sharper edges even at the lowest setting. Typical fine value is 16."),
    Option("ct_mode", "Color transfer for src faceset", "str", "none",
           choices=("none", "rct", "lct", "mkl", "idt", "sot"),
           help="Change color distribution of src samples close to dst samples. Try all modes to find the best."),
    Option("clipgrad", "Enable gradient clipping", "bool", False,
           help="Gradient clipping reduces chance of model collapse, sacrificing speed of training."),
]

MERGE_OPTIONS = [
    Option("morph_factor", "Morph factor", "float", 1.0, valid_range=(0.0, 1.0),
           help="How much of the src face the swap takes: 1.0 = the full src face, 0.0 = the dst face "
                "reconstructed; values between mix the two."),
]
