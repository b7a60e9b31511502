"""XSeg's options (reference §3.5): face type (asked once), batch size 2..16, pretrain; "Restart training?" is asked
only when overriding the settings of a trained model and is not saved. Target iteration is our addition (the
original trains XSeg until stopped), so unattended runs can end."""
from core.options import Option
from models.common_options import TARGET_ITER

RESTART_TRAINING = Option(
    "restart_training", "Restart training?", "bool", False,
    help="Reset model weights and start training from scratch.")

OPTIONS = [
    RESTART_TRAINING,
    Option("face_type", "Face type", "str", "wf", choices=("h", "mf", "f", "wf", "head"), overridable=False,
           help="Half / mid face / full face / whole face / head. Choose the same as your deepfake model."),
    TARGET_ITER,
    Option("batch_size", "Batch_size", "int", 4, valid_range=(2, 16),
           help="Larger batch size is better for NN's generalization, but it can cause Out of Memory error. Tune this "
                "value for your videocard manually."),
    Option("pretrain", "Enable pretraining mode", "bool", False,
           help="Pretrain the network on the faces of --pretraining-data-dir, each face learning to reproduce "
                "itself in grey, with the skip connections cut. Switching it off resets the iteration count."),
]
