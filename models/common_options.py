"""Options every trainable model may ask (the original's `ask_*` helpers of ModelBase, reference §3.0).

All are overridable on later runs. Models list which ones they ask; Quick96 asks none of them.
"""
from core.options import Option, Requires

AUTOBACKUP_HOUR = Option(
    "autobackup_hour", "Autobackup every N hour", "int", 0, valid_range=(0, 24),
    help="Autobackup model files with preview every N hour. Latest backup located in model/<>_autobackups/01")
WRITE_PREVIEW_HISTORY = Option(
    "write_preview_history", "Write preview history", "bool", False,
    help="Preview history will be writed to <ModelName>_history folder.")
CHOOSE_PREVIEW_HISTORY = Option(
    "choose_preview_history", "Choose image for the preview history", "bool", False,
    requires=Requires("write_preview_history", bool, "Write preview history y", otherwise=False),
    help="Opens a window to pick the training faces the preview history shows: p - next faces, space - switch "
         "preview type, enter - confirm. Asked with the other options; a one-off choice, not saved.")
TARGET_ITER = Option(
    "target_iter", "Target iteration", "int", 0, valid_range=(0, 10 ** 9),
    help="Training stops (after saving) when this iteration is reached. 0 = train until you stop it.")
RANDOM_SRC_FLIP = Option(
    "random_src_flip", "Flip SRC faces randomly", "bool", False,
    help="Random horizontal flip SRC faceset. Covers more angles, but the face may look less naturally.")
RANDOM_DST_FLIP = Option(
    "random_dst_flip", "Flip DST faces randomly", "bool", True,
    help="Random horizontal flip DST faceset. Makes generalization of src->dst better, if src random flip is not "
         "enabled.")
BATCH_SIZE = Option(
    "batch_size", "Batch_size", "int", 8, valid_range=(1, 2048),
    help="Larger batch size is better for NN's generalization, but it can cause Out of Memory error. Tune this value "
         "for your videocard manually.")

COMMON_OPTIONS = [AUTOBACKUP_HOUR, WRITE_PREVIEW_HISTORY, CHOOSE_PREVIEW_HISTORY, TARGET_ITER, RANDOM_SRC_FLIP,
                  RANDOM_DST_FLIP, BATCH_SIZE]

# Face-model options that SAEHD and AMP declare alike (the original asks them with the same text and ranges).
AE_DIMS = Option("ae_dims", "AutoEncoder dimensions", "int", 256, valid_range=(32, 1024), overridable=False,
    help="All face information will packed to AE dims. If amount of AE dims are not enough, then for example "
         "closed eyes will not be recognized. More dims are better, but require more VRAM. You can fine-tune "
         "model size to fit your GPU.")
E_DIMS = Option("e_dims", "Encoder dimensions", "int", 64, valid_range=(16, 256), overridable=False,
    help="More dims help to recognize more facial features and achieve sharper result, but require more "
         "VRAM. You can fine-tune model size to fit your GPU.")
D_DIMS = Option("d_dims", "Decoder dimensions", "int", 64, valid_range=(16, 256), overridable=False,
    help="More dims help to recognize more facial features and achieve sharper result, but require more "
         "VRAM. You can fine-tune model size to fit your GPU.")
D_MASK_DIMS = Option("d_mask_dims", "Decoder mask dimensions", "int", 22, valid_range=(16, 256), overridable=False,
    help="Typical mask dimensions = decoder dimensions / 3. If you manually cut out obstacles from the dst "
         "mask, you can increase this parameter to achieve better quality.")
UNIFORM_YAW = Option("uniform_yaw", "Uniform yaw distribution of samples", "bool", False,
    help="Helps to fix blurry side faces due to small amount of them in the faceset.")
BLUR_OUT_MASK = Option("blur_out_mask", "Blur out mask", "bool", False,
    help="Blurs nearby area outside of applied face mask of training samples. The result is the background "
         "near the face is smoothed and less noticeable on swapped face. The exact xseg mask in src and dst "
         "faceset is required.")
LR_DROPOUT = Option("lr_dropout", "Use learning rate dropout", "str", "n", choices=("n", "y", "cpu"),
    help="When the face is trained enough, you can enable this option to get extra sharpness and reduce "
         "subpixel shake for less amount of iterations. Enabled it before `disable random warp` and before "
         "GAN. \nn - disabled.\ny - enabled\ncpu - enabled on CPU. This allows not to use extra VRAM, "
         "sacrificing 20% time of iteration.")
MODELS_OPT_ON_GPU = Option("models_opt_on_gpu", "Place models and optimizer on GPU", "bool", True,
    help="When you train on one GPU, by default model and optimizer weights are placed on GPU to accelerate "
         "the process. You can place they on CPU to free up extra VRAM, thus set bigger dimensions.")
# GAN patch size and dimensions mean something only with GAN power on (the original asks them only then).
WITH_GAN = Requires("gan_power", lambda p: float(p) != 0, "GAN power above 0")
GAN_DIMS = Option("gan_dims", "GAN dimensions", "int", 16, valid_range=(4, 512), requires=WITH_GAN,
    help="The dimensions of the GAN network. The higher dimensions, the more VRAM is required. You can get "
         "sharper edges even at the lowest setting. Typical fine value is 16.")
CT_MODE = Option("ct_mode", "Color transfer for src faceset", "str", "none",
    choices=("none", "rct", "lct", "mkl", "idt", "sot"),
    help="Change color distribution of src samples close to dst samples. Try all modes to find the best.")
CLIPGRAD = Option("clipgrad", "Enable gradient clipping", "bool", False,
    help="Gradient clipping reduces chance of model collapse, sacrificing speed of training.")
