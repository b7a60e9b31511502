"""Face types of the original, ordered so that each contains the previous (reference §4.1)."""
from enum import IntEnum


class FaceType(IntEnum):
    HALF = 0
    MID_FULL = 1
    FULL = 2
    FULL_NO_ALIGN = 3
    WHOLE_FACE = 4
    HEAD = 10
    HEAD_NO_ALIGN = 20
    MARK_ONLY = 100

    @staticmethod
    def fromString(s):
        try:
            return _FROM_STRING[s]
        except KeyError:
            raise ValueError(f"unknown face type '{s}'")

    @staticmethod
    def toString(face_type):
        return _TO_STRING[FaceType(face_type)]

    @staticmethod
    def from_option(code):
        """Model option codes: h, mf, f, wf, head."""
        return _FROM_OPTION[code]


_TO_STRING = {
    FaceType.HALF: "half_face",
    FaceType.MID_FULL: "midfull_face",
    FaceType.FULL: "full_face",
    FaceType.FULL_NO_ALIGN: "full_face_no_align",
    FaceType.WHOLE_FACE: "whole_face",
    FaceType.HEAD: "head",
    FaceType.HEAD_NO_ALIGN: "head_no_align",
    FaceType.MARK_ONLY: "mark_only",
}
_FROM_STRING = {v: k for k, v in _TO_STRING.items()}
_FROM_OPTION = {"h": FaceType.HALF, "mf": FaceType.MID_FULL, "f": FaceType.FULL, "wf": FaceType.WHOLE_FACE,
                "head": FaceType.HEAD}
