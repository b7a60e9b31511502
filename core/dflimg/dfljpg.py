"""Aligned-face JPG files (`DFLJPG`): the JPEG bytes plus the `FaceMeta` record kept in its APP15 segment.

`load` never runs code from the file: the APP15 pickle goes through the restricted loader, every segment length is
bounds-checked, and any problem raises `NotDFLImageError` naming the file. `save` re-inserts APP15 right after the
last APPn as the original does, refuses metadata over the 64 KB segment limit, and writes atomically. A file whose
metadata was not changed is written back byte for byte, pickle included.
"""
from pathlib import Path

import cv2
import numpy as np

from core.cv2ex import imdecode, normalize_channels
from core.dflimg import jpeg
from core.dflimg.facemeta import FaceMeta
from core.dflimg.segpolys import SegIEPolys
from core.errors import UserError
from core.pathex import write_bytes_atomic
from core.safe_pickle import UnsafePickleError
from facelib.FaceType import FaceType

XSEG_MASK_MAX_BYTES = 50000


class NotDFLImageError(UserError):
    """The file is not an aligned face we can use (not a JPEG, corrupt, no or refused metadata)."""


class DFLJPG:
    def __init__(self, path, segments, trailer=b"", meta=None, raw_app15=None):
        self.filename = Path(path)
        self.segments = segments
        self.trailer = trailer
        self.meta = meta if meta is not None else FaceMeta()
        self._raw_app15 = raw_app15      # payload as read, re-used when the metadata is unchanged
        self.shape = jpeg.frame_shape(segments)
        self.img = None

    # ---- reading ------------------------------------------------------------------------------------------------
    @staticmethod
    def load(path, require_metadata=True):
        """Read an aligned face. With require_metadata=False a plain JPEG loads with empty metadata."""
        p = Path(path)
        try:
            data = p.read_bytes()
        except OSError as e:
            raise NotDFLImageError(f"{p}: cannot read ({e.strerror or e})")
        return DFLJPG.from_bytes(data, p, require_metadata)

    @staticmethod
    def from_bytes(data, path, require_metadata=True):
        p = Path(path)
        if not data:
            raise NotDFLImageError(f"{p}: empty file (0 bytes)")
        if data[:2] != b"\xff\xd8":
            raise NotDFLImageError(f"{p}: not a JPEG; aligned faces are .jpg files with DeepFaceLab metadata")
        try:
            segments, trailer = jpeg.parse(data)
        except jpeg.JpegFormatError as e:
            raise NotDFLImageError(f"{p}: corrupt JPEG ({e})")
        payload = jpeg.get_app15(segments)
        meta = None
        if payload is not None:
            try:
                meta = FaceMeta.from_app15(payload, str(p))
            except UnsafePickleError as e:
                raise NotDFLImageError(str(e))
            except ValueError as e:
                raise NotDFLImageError(f"{p}: bad DeepFaceLab metadata ({e})")
        if require_metadata:
            if meta is None or meta.is_empty():
                raise NotDFLImageError(f"{p}: no DeepFaceLab metadata (not an aligned face)")
            if meta.landmarks is None:
                raise NotDFLImageError(f"{p}: DeepFaceLab metadata without landmarks")
        if jpeg.frame_shape(segments) is None:
            raise NotDFLImageError(f"{p}: corrupt JPEG (no frame header)")
        return DFLJPG(p, segments, trailer, meta, payload)

    # ---- writing ------------------------------------------------------------------------------------------------
    @staticmethod
    def create(path, img, quality=90, face_type=None, landmarks=None, source_filename=None, source_rect=None,
               source_landmarks=None, image_to_face_mat=None, seg_ie_polys=None, xseg_mask=None,
               eyebrows_expand_mod=None, save=True):
        """Encode `img` (uint8 BGR) as JPEG, attach the metadata and (by default) write it atomically."""
        ok, buf = cv2.imencode(".jpg", img, [int(cv2.IMWRITE_JPEG_QUALITY), int(quality)])
        if not ok:
            raise UserError(f"{path}: OpenCV could not encode the face image")
        segments, trailer = jpeg.parse(buf.tobytes())
        d = DFLJPG(path, segments, trailer)
        d.img = img
        if face_type is not None:
            d.set_face_type(face_type)
        for name, value in (("landmarks", landmarks), ("source_filename", source_filename),
                            ("source_rect", source_rect), ("source_landmarks", source_landmarks),
                            ("image_to_face_mat", image_to_face_mat), ("seg_ie_polys", seg_ie_polys),
                            ("xseg_mask", xseg_mask), ("eyebrows_expand_mod", eyebrows_expand_mod)):
            if value is not None:
                getattr(d, "set_" + name)(value)
        if save:
            d.save()
        return d

    def dump(self):
        """The file's bytes with the current metadata in APP15 (None values left out, old APP15 dropped)."""
        payload = self.meta.to_app15()
        if self._raw_app15 is not None and self._unchanged(payload):
            payload = self._raw_app15
        if len(payload) > jpeg.MAX_SEGMENT_PAYLOAD:
            raise UserError(f"{self.filename}: face metadata is {len(payload)} bytes, more than the "
                            f"{jpeg.MAX_SEGMENT_PAYLOAD} a JPEG segment can hold; remove some XSeg polygons")
        return jpeg.join(jpeg.set_app15(self.segments, payload), self.trailer)

    def _unchanged(self, payload):
        try:
            return FaceMeta.from_app15(self._raw_app15, str(self.filename)).to_app15() == payload
        except (UnsafePickleError, ValueError):
            return False

    def save(self):
        data = self.dump()
        write_bytes_atomic(self.filename, data)
        self.segments, self.trailer = jpeg.parse(data)
        self._raw_app15 = jpeg.get_app15(self.segments)

    # ---- image --------------------------------------------------------------------------------------------------
    def get_img(self):
        """The face image, uint8 BGR."""
        if self.img is None:
            self.img = imdecode(jpeg.join(self.segments, self.trailer), cv2.IMREAD_COLOR, self.filename)
        return self.img

    def get_shape(self):
        return self.shape

    # ---- dict view, as the original's get_dict / set_dict ---------------------------------------------------------
    def has_data(self):
        return not self.meta.is_empty()

    def get_dict(self):
        return self.meta.to_dict()

    def set_dict(self, dict_data):
        try:
            self.meta = FaceMeta.from_dict(dict_data or {})
        except ValueError as e:
            raise UserError(f"{self.filename}: bad face metadata ({e})")

    # ---- fields -------------------------------------------------------------------------------------------------
    def get_face_type(self):
        return self.meta.face_type or FaceType.toString(FaceType.FULL)

    def set_face_type(self, face_type):
        self.meta.face_type = FaceType.toString(face_type) if not isinstance(face_type, str) else face_type

    def get_landmarks(self):
        if self.meta.landmarks is None:
            raise NotDFLImageError(f"{self.filename}: no landmarks in the face metadata")
        # float64 as the original returns them: alignment matrices then match its to float precision.
        return self.meta.landmarks.copy()

    def set_landmarks(self, landmarks):
        self.meta.landmarks = None if landmarks is None else np.array(landmarks, np.float64)

    def get_eyebrows_expand_mod(self):
        return self.meta.eyebrows_expand_mod

    def set_eyebrows_expand_mod(self, value):
        self.meta.eyebrows_expand_mod = None if value is None else float(value)

    def get_source_filename(self):
        return self.meta.source_filename

    def set_source_filename(self, name):
        self.meta.source_filename = None if name is None else str(name)

    def get_source_rect(self):
        return None if self.meta.source_rect is None else self.meta.source_rect.copy()

    def set_source_rect(self, rect):
        if rect is None:
            self.meta.source_rect = None
            return
        a = np.asarray(rect)
        self.meta.source_rect = a.astype(np.int64) if a.dtype.kind in "iub" else a.astype(np.float64)

    def get_source_landmarks(self):
        return None if self.meta.source_landmarks is None else self.meta.source_landmarks.copy()

    def set_source_landmarks(self, landmarks):
        self.meta.source_landmarks = None if landmarks is None else np.array(landmarks, np.float64)

    def get_image_to_face_mat(self):
        return None if self.meta.image_to_face_mat is None else self.meta.image_to_face_mat.copy()

    def set_image_to_face_mat(self, mat):
        self.meta.image_to_face_mat = None if mat is None else np.array(mat, np.float64).reshape(2, 3)

    def has_seg_ie_polys(self):
        return self.meta.seg_ie_polys is not None and self.meta.seg_ie_polys.has_polys()

    def get_seg_ie_polys(self):
        return SegIEPolys.load(self.meta.seg_ie_polys)

    def set_seg_ie_polys(self, polys):
        if polys is not None and not isinstance(polys, SegIEPolys):
            raise TypeError("seg_ie_polys must be a SegIEPolys")
        self.meta.seg_ie_polys = SegIEPolys.load(polys) if polys is not None and polys.has_polys() else None

    def has_xseg_mask(self):
        return self.meta.xseg_mask is not None

    def get_xseg_mask_compressed(self):
        return self.meta.xseg_mask

    def get_xseg_mask(self):
        """The applied XSeg mask as float32 (H, W, 1) in 0..1, or None."""
        buf = self.meta.xseg_mask
        if buf is None:
            return None
        try:
            img = imdecode(buf, cv2.IMREAD_UNCHANGED, f"{self.filename}: XSeg mask")
        except UserError as e:
            raise UserError(f"{e}; remove it with xseg remove")
        if img.ndim == 2:
            img = img[..., None]
        return img[..., :1].astype(np.float32) / 255.0

    def set_xseg_mask(self, mask):
        """Store a 0..1 mask as PNG, or as JPEG at decreasing quality when the PNG is over 50,000 bytes."""
        if mask is None:
            self.meta.xseg_mask = None
            return
        self.meta.xseg_mask = encode_xseg_mask(mask, self.filename)


def encode_xseg_mask(mask, what="mask"):
    img = np.clip(normalize_channels(np.asarray(mask), 1) * 255, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".png", img)
    if not ok or len(buf) > XSEG_MASK_MAX_BYTES:
        for quality in range(100, -1, -1):
            ok, buf = cv2.imencode(".jpg", img, [int(cv2.IMWRITE_JPEG_QUALITY), quality])
            if ok and len(buf) <= XSEG_MASK_MAX_BYTES:
                break
    if not ok:
        raise UserError(f"{what}: cannot encode the XSeg mask")
    return buf.reshape(-1)
