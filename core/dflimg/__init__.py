"""Aligned faces: DeepFaceLab-compatible JPG files with metadata, their polygons, and the "is this a face?" check."""
from core.dflimg.dfljpg import DFLJPG, NotDFLImageError, encode_xseg_mask
from core.dflimg.facemeta import FaceMeta
from core.dflimg.faceset import is_dfl_image, iter_dfl_images
from core.dflimg.segpolys import SegIEPoly, SegIEPolys, SegIEPolyType

__all__ = ["DFLJPG", "NotDFLImageError", "FaceMeta", "SegIEPoly", "SegIEPolys", "SegIEPolyType",
           "iter_dfl_images", "is_dfl_image", "encode_xseg_mask"]
