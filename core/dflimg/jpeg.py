"""JPEG marker segments: split a file into its segments and join them back byte for byte.

DeepFaceLab keeps face metadata in an APP15 segment, so reading and writing aligned faces needs only the segment
list, never a decode. Every length is checked against the end of the data: a corrupt or hostile file raises
`JpegFormatError` instead of reading past the end.
"""
import struct
from dataclasses import dataclass
from typing import Optional

SOI, EOI, SOS, APP0, APP15 = 0xD8, 0xD9, 0xDA, 0xE0, 0xEF
# Markers without a length field: SOI, EOI, RST0..7, TEM.
_STANDALONE = {SOI, EOI, 0x01} | set(range(0xD0, 0xD8))
# Start-of-frame markers (baseline, progressive, lossless, arithmetic); C4/C8/CC are DHT/JPG/DAC.
_SOF = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
MAX_SEGMENT_PAYLOAD = 0xFFFF - 2


class JpegFormatError(ValueError):
    """The bytes are not a well-formed JPEG segment stream."""


@dataclass
class Segment:
    marker: int                      # second marker byte, e.g. 0xEF for APP15
    payload: Optional[bytes] = None  # bytes after the length field (None for standalone markers)
    scan: Optional[bytes] = None     # entropy-coded data after SOS, up to the EOI marker

    @property
    def is_app(self):
        return self.marker & 0xF0 == 0xE0


def parse(data):
    """Split `data` into segments. Returns (segments, trailer) where trailer is any bytes after EOI."""
    if data[:2] != b"\xff\xd8":
        raise JpegFormatError("not a JPEG (no start-of-image marker)")
    n = len(data)
    pos = 0
    segments = []
    while pos < n:
        if pos + 2 > n or data[pos] != 0xFF:
            raise JpegFormatError(f"bad marker at byte {pos}")
        marker = data[pos + 1]
        pos += 2
        seg = Segment(marker)
        if marker not in _STANDALONE:
            if pos + 2 > n:
                raise JpegFormatError(f"segment FF{marker:02X} at byte {pos - 2} is cut off")
            length, = struct.unpack_from(">H", data, pos)
            if length < 2 or pos + length > n:
                raise JpegFormatError(f"segment FF{marker:02X} at byte {pos - 2} claims {length} bytes past the end")
            seg.payload = bytes(data[pos + 2:pos + length])
            pos += length
        if marker == SOS:
            # Entropy-coded data never contains FF D9 (a data FF is always followed by 00 or a restart marker).
            end = data.find(b"\xff\xd9", pos)
            if end < 0:
                raise JpegFormatError("image data is truncated (no end-of-image marker)")
            seg.scan = bytes(data[pos:end])
            pos = end
        segments.append(seg)
        if marker == EOI:
            return segments, bytes(data[pos:])
    raise JpegFormatError("image data is truncated (no end-of-image marker)")


def join(segments, trailer=b""):
    out = bytearray()
    for seg in segments:
        out += bytes((0xFF, seg.marker))
        if seg.payload is not None:
            if len(seg.payload) > MAX_SEGMENT_PAYLOAD:
                raise JpegFormatError(f"segment FF{seg.marker:02X} payload of {len(seg.payload)} bytes exceeds "
                                      f"the {MAX_SEGMENT_PAYLOAD}-byte JPEG limit")
            out += struct.pack(">H", len(seg.payload) + 2)
            out += seg.payload
        if seg.scan is not None:
            out += seg.scan
    out += trailer
    return bytes(out)


def frame_shape(segments):
    """(height, width, components) from the first start-of-frame segment, or None."""
    for seg in segments:
        if seg.marker in _SOF and seg.payload is not None and len(seg.payload) >= 6:
            _, h, w, c = struct.unpack_from(">BHHB", seg.payload, 0)
            return int(h), int(w), int(c)
    return None


def set_app15(segments, payload):
    """Drop every APP15 and insert one holding `payload` right after the last APPn (after SOI if none)."""
    kept = [s for s in segments if s.marker != APP15]
    last_app = 0
    for i, s in enumerate(kept):
        if s.is_app:
            last_app = i
    kept.insert(last_app + 1, Segment(APP15, payload))
    return kept


def get_app15(segments):
    """Payload of the last APP15 segment (the one the original reads), or None."""
    found = None
    for s in segments:
        if s.marker == APP15:
            found = s.payload
    return found
