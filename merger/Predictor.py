"""The model's merge predictor, evaluated several faces at a time.

A model gives `predictor_func(face (R, R, 3) float32 0..1) -> (prd_bgr, prd_mask_src_dst, prd_mask_dst_dst)`
(`get_MergerConfig()`, as the original) and/or a batch function `(faces (N, R, R, 3)) -> three (N, ...) arrays`;
with the batch function the faces are evaluated several at a time, which is what lets the merger's main process keep
up with its workers. `FacePrediction` carries one face's outputs, plus what else the main process computed for it
(super-resolved face, XSeg masks), to the compositing workers.
"""
from dataclasses import dataclass
from typing import Optional

import numpy as np


@dataclass
class FacePrediction:
    bgr: np.ndarray  # (R, R, 3) predicted face
    mask: np.ndarray  # (R, R, 1) learned src-dst mask
    dst_mask: np.ndarray  # (R, R, 1) learned dst-dst mask
    enhanced: Optional[np.ndarray] = None  # (4R, 4R, 3) super-resolved face, when super resolution is on
    xseg_prd: Optional[np.ndarray] = None  # (256, 256, 1) XSeg mask of the predicted face
    xseg_dst: Optional[np.ndarray] = None  # (256, 256, 1) XSeg mask of the dst face

    @classmethod
    def of(cls, p):
        """From a FacePrediction or a (bgr, mask, dst_mask) tuple."""
        return p if isinstance(p, cls) else cls(*(np.asarray(a, np.float32) for a in p))


class BatchPredictor:
    def __init__(self, predictor_func, input_size, batch_func=None, batch_size=8):
        self.predictor_func = predictor_func
        self.batch_func = batch_func
        self.input_size = int(input_size)
        self.batch_size = max(1, int(batch_size))

    def predict(self, faces, two_pass=False):
        """faces: list of (R, R, 3) float32 -> list of FacePrediction (masks (R, R, 1)), raw model outputs.
        `two_pass` (the merger's two pass mode) runs each predicted face through the model again and keeps the
        second face with the first pass's masks."""
        out = self._predict(faces)
        if two_pass and out:
            again = self._predict([np.clip(p.bgr, 0, 1) for p in out])
            for p, q in zip(out, again):
                p.bgr = q.bgr
        return out

    def _predict(self, faces):
        out = []
        if self.batch_func is None:
            for face in faces:
                out.append(_prediction(*self.predictor_func(face)))
            return out
        for i in range(0, len(faces), self.batch_size):
            part = faces[i:i + self.batch_size]
            batch = np.zeros((self.batch_size,) + part[0].shape, np.float32)
            # Always full batches: a traced model function is then compiled for one batch shape only.
            batch[:len(part)] = part
            bgr, m1, m2 = (np.asarray(a, np.float32) for a in self.batch_func(batch))
            out += [_prediction(bgr[k], m1[k], m2[k]) for k in range(len(part))]
        return out


def _prediction(bgr, mask, dst_mask):
    size = np.shape(bgr)[:2]
    return FacePrediction(np.asarray(bgr, np.float32), np.asarray(mask, np.float32).reshape(size + (1,)),
                          np.asarray(dst_mask, np.float32).reshape(size + (1,)))
