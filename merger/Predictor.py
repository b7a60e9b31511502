"""The model's merge predictor, evaluated several faces at a time.

A model gives `predictor_func(face (R, R, 3) float32 0..1) -> (prd_bgr, prd_mask_src_dst, prd_mask_dst_dst)`
(`get_MergerConfig()`, as the original) and/or a batch function `(faces (N, R, R, 3)) -> three (N, ...) arrays`;
with the batch function the faces are evaluated several at a time, which is what lets the merger's main process keep
up with its workers.
"""
import numpy as np


class BatchPredictor:
    def __init__(self, predictor_func, input_size, batch_func=None, batch_size=8):
        self.predictor_func = predictor_func
        self.batch_func = batch_func
        self.input_size = int(input_size)
        self.batch_size = max(1, int(batch_size))

    def predict(self, faces):
        """faces: list of (R, R, 3) float32 -> list of (prd_bgr (R,R,3), prd_mask (R,R,1), prd_dst_mask (R,R,1))."""
        out = []
        if self.batch_func is None:
            for face in faces:
                out.append(tuple(np.asarray(a, np.float32) for a in self.predictor_func(face)))
            return out
        for i in range(0, len(faces), self.batch_size):
            part = faces[i:i + self.batch_size]
            batch = np.zeros((self.batch_size,) + part[0].shape, np.float32)
            # Always full batches: a traced model function is then compiled for one batch shape only.
            batch[:len(part)] = part
            bgr, m1, m2 = (np.asarray(a, np.float32) for a in self.batch_func(batch))
            out += [(bgr[k], m1[k], m2[k]) for k in range(len(part))]
        return out
