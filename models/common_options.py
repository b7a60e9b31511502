"""Options every trainable model may ask (the original's `ask_*` helpers of ModelBase, reference §3.0).

All are overridable on later runs. Models list which ones they ask; Quick96 asks none of them.
"""
from core.options import Option

AUTOBACKUP_HOUR = Option(
    "autobackup_hour", "Autobackup every N hour", "int", 0, valid_range=(0, 24),
    help="Autobackup model files with preview every N hour. Latest backup located in model/<>_autobackups/01")
WRITE_PREVIEW_HISTORY = Option(
    "write_preview_history", "Write preview history", "bool", False,
    help="Preview history will be writed to <ModelName>_history folder.")
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

COMMON_OPTIONS = [AUTOBACKUP_HOUR, WRITE_PREVIEW_HISTORY, TARGET_ITER, RANDOM_SRC_FLIP, RANDOM_DST_FLIP, BATCH_SIZE]
