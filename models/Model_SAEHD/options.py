"""SAEHD's options (reference §3.2): declared once; drive the prompts, the `train` flags and the saved options.

`overridable=False` options are asked only when the model is created. Options used only with some answers to
another one (masked training for wf/head, GAN patch size and dims with GAN power, true face for df) say so with
`requires`: they are asked only then, and a flag that conflicts is refused at the question that decides it.
"""
from core.options import Option, Requires
from models import common_options as common
from models.common_options import COMMON_OPTIONS

ARCHI_HELP = ("'df' keeps more identity-preserved face.\n'liae' can fix overly different face shapes.\n"
              "'-u' increased likeness of the face.\n'-d' (experimental) doubling the resolution using the same "
              "computation cost.\n'-t' (experimental) increased similarity to source face.\n'-c' (experimental) "
              "use cos-activation in the network.\nExamples: df, liae, df-d, df-ud, liae-ud, df-udtc, ...")

OPTIONS = COMMON_OPTIONS + [
    Option("resolution", "Resolution", "int", 128, valid_range=(64, 640), overridable=False,
           help="More resolution requires more VRAM and time to train. Value will be adjusted to multiple of 16 "
                "and 32 for -d archi."),
    Option("face_type", "Face type", "str", "f", choices=("h", "mf", "f", "wf", "head"), overridable=False,
           help="Half / mid face / full face / whole face / head. Half face has better resolution, but covers less "
                "area of cheeks. Mid face is 30% wider than half face. 'Whole face' covers full area of face "
                "include forehead. 'head' covers full head, but requires XSeg for src and dst faceset."),
    Option("archi", "AE architecture", "str", "liae-ud", overridable=False, help=ARCHI_HELP),
    common.AE_DIMS,
    common.E_DIMS,
    common.D_DIMS,
    common.D_MASK_DIMS,
    Option("masked_training", "Masked training", "bool", True,
           requires=Requires("face_type", lambda ft: ft in ("wf", "head"), "face type wf or head",
                             "h, mf and f always train masked", otherwise=True),
           help="This option is available only for 'whole_face' or 'head' type. Masked training clips training "
                "area to full_face mask or XSeg mask, thus network will train the faces properly."),
    Option("eyes_mouth_prio", "Eyes and mouth priority", "bool", False,
           help="Helps to fix eye problems during training like \"alien eyes\" and wrong eyes direction. Also makes "
                "the detail of the teeth higher."),
    common.UNIFORM_YAW,
    common.BLUR_OUT_MASK,
    common.MODELS_OPT_ON_GPU,
    Option("adabelief", "Use AdaBelief optimizer?", "bool", True,
           help="Use AdaBelief optimizer. It requires more VRAM, but the accuracy and the generalization of the "
                "model is higher."),
    common.LR_DROPOUT,
    Option("random_warp", "Enable random warp of samples", "bool", True,
           help="Random warp is required to generalize facial expressions of both faces. When the face is trained "
                "enough, you can disable it to get extra sharpness and reduce subpixel shake for less amount of "
                "iterations."),
    Option("random_hsv_power", "Random hue/saturation/light intensity", "float", 0.0, valid_range=(0.0, 0.3),
           help="Random hue/saturation/light intensity applied to the src face set only at the input of the neural "
                "network. Stabilizes color perturbations during face swapping. Reduces the quality of the color "
                "transfer by selecting the closest one in the src faceset. Thus the src faceset must be diverse "
                "enough. Typical fine value is 0.05"),
    Option("gan_power", "GAN power", "float", 0.0, valid_range=(0.0, 5.0),
           help="Forces the neural network to learn small details of the face. Enable it only when the face is "
                "trained enough with lr_dropout(on) and random_warp(off), and don't disable. The higher the value, "
                "the higher the chances of artifacts. Typical fine value is 0.1"),
    Option("gan_patch_size", "GAN patch size", "int", 16, valid_range=(3, 640), requires=common.WITH_GAN,
           help="The higher patch size, the higher the quality, the more VRAM is required. You can get sharper "
                "edges even at the lowest setting. Typical fine value is resolution / 8."),
    common.GAN_DIMS,
    Option("true_face_power", "'True face' power.", "float", 0.0, valid_range=(0.0, 1.0),
           requires=Requires("archi", lambda a: str(a).split("-")[0] == "df", "df architectures",
                             "LIAE has no separate src code for the discriminator", otherwise=0.0),
           help="Experimental option. Discriminates result face to be more like src face. Higher value - stronger "
                "discrimination. Typical value is 0.01 . Only for 'df' architectures."),
    Option("face_style_power", "Face style power", "float", 0.0, valid_range=(0.0, 100.0),
           help="Learn the color of the predicted face to be the same as dst inside mask. If you want to use this "
                "option with 'whole_face' you have to use XSeg trained mask. Warning: Enable it only after 10k "
                "iters, when predicted face is clear enough to start learn style. Start from 0.001 value and check "
                "history changes. Enabling this option increases the chance of model collapse."),
    Option("bg_style_power", "Background style power", "float", 0.0, valid_range=(0.0, 100.0),
           help="Learn the area outside mask of the predicted face to be the same as dst. If you want to use this "
                "option with 'whole_face' you have to use XSeg trained mask. This can make face more like dst. "
                "Enabling this option increases the chance of model collapse. Typical value is 2.0"),
    common.CT_MODE,
    common.CLIPGRAD,
    Option("pretrain", "Enable pretraining mode", "bool", False,
           help="Pretrain the model with large amount of various faces. After that, model can be used to train the "
                "fakes more quickly. Forces random_warp=N, random_flips=Y, gan_power=0.0, lr_dropout=N, "
                "styles=0.0, uniform_yaw=Y"),
]
