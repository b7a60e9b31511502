"""What the extractor measures on a face from its 68 landmarks: its size (for the minimum-size rule) and its yaw
(to flag profiles, where dlib's 68-point model is unreliable).

Face size is measured on the face itself, so it means the same for every detector: the side, in frame pixels, of
the region a FULL face crop takes from the frame, divided by `CROP_PER_BOX`, the median ratio of that side to the
short side of the original's S3FD-convention detector box (1.13-1.20 over the tagged test photos, CenterFace and
MTCNN boxes alike). A face of size 40 is therefore what the original's "boxes under 40 px are dropped" rule meant:
a face whose aligned crop comes from a ~46 px patch of the frame, too few pixels to train on.
"""
import math

import numpy as np

from facelib import LandmarksProcessor as LP
from facelib.FaceType import FaceType

CROP_PER_BOX = 1.15
DEFAULT_MIN_FACE_SIZE = 40
PROFILE_YAW = 45.0     # degrees; past this dlib68's landmarks are usually wrong (it was trained on near-frontal faces)
_POSE_SIZE = 256


def face_size(landmarks):
    """The face's size in frame pixels, in units of the original detector's box side (see module docstring)."""
    mat = LP.get_transform_mat(np.asarray(landmarks, np.float32), _POSE_SIZE, FaceType.FULL)
    return _POSE_SIZE / math.sqrt(abs(np.linalg.det(mat[:, :2]))) / CROP_PER_BOX


def yaw_degrees(landmarks):
    """Absolute head yaw in degrees from the landmarks (globally optimal PnP on the aligned points)."""
    lm = np.asarray(landmarks, np.float32)
    mat = LP.get_transform_mat(lm, _POSE_SIZE, FaceType.FULL)
    _, yaw, _ = LP.estimate_head_pose(LP.transform_points(lm, mat), _POSE_SIZE)
    return abs(math.degrees(yaw))
