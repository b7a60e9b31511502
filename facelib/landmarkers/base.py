"""What every 68-point landmarker shares: the original's optional second ("accurate") pass.

Second pass (reference 4.3): warp the frame to a FULL face 256 crop with the first landmarks, run the detector on the
crop; if it finds exactly one face, run the landmarker again there (FAN: 5-crop multi-sample) and map the points
back to the frame; otherwise keep the first landmarks.
"""
import abc

import cv2
import numpy as np

from facelib import LandmarksProcessor
from facelib.FaceType import FaceType

SECOND_PASS_SIZE = 256


class Landmarker(abc.ABC):
    name = None

    @staticmethod
    def available():
        return True

    def landmarks(self, image_bgr, rects):
        """68 (x, y) float32 points in image coordinates for each (l, t, r, b) box."""
        return [self._landmarks_one(image_bgr, rect, refine=False) for rect in rects]

    @abc.abstractmethod
    def _landmarks_one(self, image_bgr, rect, refine):
        """Landmarks for one box; `refine` is set in the second pass (FAN then averages 5 crops)."""

    def second_pass(self, image_bgr, landmarks68, detector):
        mat = LandmarksProcessor.get_transform_mat(landmarks68, SECOND_PASS_SIZE, FaceType.FULL)
        # the original meant cubic here but passed the flag as `dst` (bilinear); use what it meant
        face = cv2.warpAffine(image_bgr, mat, (SECOND_PASS_SIZE, SECOND_PASS_SIZE), flags=cv2.INTER_CUBIC)
        rects = detector.detect(face)
        if len(rects) != 1:
            return landmarks68
        points = self._landmarks_one(face, rects[0], refine=True)
        return LandmarksProcessor.transform_points(points, mat, invert=True).astype(np.float32)
