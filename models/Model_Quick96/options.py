"""Quick96 asks nothing but the model and the device (reference §3.4). Its one option, the target iteration, is
never prompted on a new model: it comes from `--target-iter` (an unattended run that stops), and a model saved with
one keeps it unless the flag or "override model settings" changes it. The original's ModelBase honours a saved
`target_iter` for every model, so such a model folder behaves the same there."""
from models.common_options import TARGET_ITER

OPTIONS = [TARGET_ITER]
