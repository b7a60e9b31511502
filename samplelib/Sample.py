"""One training sample (an aligned face or a plain image) as the sample loader and faceset.pak hold it.

`get_config()` is the dict stored per sample in faceset.pak, with the original's keys and types (`sample_type` and
`face_type` as IntEnums, so the original's unpickler finds its own classes); `Sample(**config)` rebuilds it. A packed
sample reads its JPG bytes from the .pak by offset.
"""
from enum import IntEnum

import cv2
import numpy as np

from core.cv2ex import imdecode, normalize_channels
from core.dflimg import SegIEPolys, encode_xseg_mask
from core.errors import UserError
from facelib.FaceType import FaceType


class SampleType(IntEnum):
    IMAGE = 0
    FACE = 1
    FACE_PERSON = 2
    FACE_TEMPORAL_SORTED = 3
    QTY = 4
    FACE_BEGIN = 1
    FACE_END = 3


class Sample:
    __slots__ = ("sample_type", "filename", "face_type", "shape", "landmarks", "seg_ie_polys", "xseg_mask",
                 "xseg_mask_compressed", "eyebrows_expand_mod", "source_filename", "person_name", "pitch_yaw_roll",
                 "_filename_offset_size")

    def __init__(self, sample_type=None, filename=None, face_type=None, shape=None, landmarks=None,
                 seg_ie_polys=None, xseg_mask=None, xseg_mask_compressed=None, eyebrows_expand_mod=None,
                 source_filename=None, person_name=None, pitch_yaw_roll=None, **kwargs):
        self.sample_type = SampleType(sample_type) if sample_type is not None else SampleType.IMAGE
        self.filename = filename
        self.face_type = FaceType(face_type) if face_type is not None else None
        self.shape = tuple(int(x) for x in shape) if shape is not None else None
        self.landmarks = np.array(landmarks, np.float64) if landmarks is not None else None
        self.seg_ie_polys = SegIEPolys.load(seg_ie_polys)
        self.xseg_mask = xseg_mask
        self.xseg_mask_compressed = (np.asarray(xseg_mask_compressed, np.uint8).reshape(-1)
                                     if xseg_mask_compressed is not None else None)
        if self.xseg_mask_compressed is None and xseg_mask is not None:
            self.xseg_mask_compressed = encode_xseg_mask(xseg_mask, filename)
            self.xseg_mask = None
        self.eyebrows_expand_mod = float(eyebrows_expand_mod) if eyebrows_expand_mod is not None else 1.0
        self.source_filename = source_filename
        self.person_name = person_name
        self.pitch_yaw_roll = pitch_yaw_roll
        self._filename_offset_size = None

    @staticmethod
    def from_dflimg(path, dflimg, person_name=None):
        """A FACE sample from a loaded aligned face, with the fields the original's sample loader keeps."""
        return Sample(sample_type=SampleType.FACE, filename=str(path),
                      face_type=FaceType.fromString(dflimg.get_face_type()), shape=dflimg.get_shape(),
                      landmarks=dflimg.meta.landmarks, seg_ie_polys=dflimg.get_seg_ie_polys(),
                      xseg_mask_compressed=dflimg.get_xseg_mask_compressed(),
                      eyebrows_expand_mod=dflimg.get_eyebrows_expand_mod(),
                      source_filename=dflimg.get_source_filename(), person_name=person_name)

    def get_pitch_yaw_roll(self):
        if self.pitch_yaw_roll is None:
            from facelib import LandmarksProcessor
            self.pitch_yaw_roll = LandmarksProcessor.estimate_pitch_yaw_roll(self.landmarks, size=self.shape[1])
        return self.pitch_yaw_roll

    def set_filename_offset_size(self, filename, offset, size):
        self._filename_offset_size = (filename, offset, size)

    def read_raw_file(self):
        """The sample's file bytes, from its own file or from the .pak it is packed in."""
        try:
            if self._filename_offset_size is not None:
                filename, offset, size = self._filename_offset_size
                with open(filename, "rb") as f:
                    f.seek(offset)
                    return f.read(size)
            with open(self.filename, "rb") as f:
                return f.read()
        except OSError as e:
            raise UserError(f"{self.filename}: cannot read ({e.strerror or e})")

    def load_bgr(self):
        """The image as float32 BGR in 0..1."""
        img = imdecode(self.read_raw_file(), cv2.IMREAD_UNCHANGED, self.filename)
        return normalize_channels(img, 3).astype(np.float32) / 255.0

    def get_xseg_mask(self):
        """float32 (H, W, 1) in 0..1, or None."""
        if self.xseg_mask_compressed is not None:
            mask = imdecode(self.xseg_mask_compressed, cv2.IMREAD_UNCHANGED, f"{self.filename}: stored XSeg mask")
            if mask.ndim == 2:
                mask = mask[..., None]
            return mask[..., :1].astype(np.float32) / 255.0
        return self.xseg_mask

    def get_config(self):
        return {"sample_type": self.sample_type,
                "filename": self.filename,
                "face_type": self.face_type,
                "shape": self.shape,
                "landmarks": self.landmarks.tolist() if self.landmarks is not None else None,
                "seg_ie_polys": self.seg_ie_polys.dump(),
                "xseg_mask": self.xseg_mask,
                "xseg_mask_compressed": self.xseg_mask_compressed,
                "eyebrows_expand_mod": self.eyebrows_expand_mod,
                "source_filename": self.source_filename,
                "person_name": self.person_name}
