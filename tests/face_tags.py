"""Tagged faces of the test photos (KPhotoAlbum `index.xml`) and the criterion for "this tag was detected".

KPhotoAlbum stores some photos sideways with an `angle` attribute (clockwise degrees to display them upright); the
face `area`s ("x y w h") are in the displayed (upright) image. A tag counts as found when a detected box and the
tagged box contain each other's centres: independent of the detector's box convention (forehead, chin extension),
but a box on a neighbouring face or around a whole group does not count.
"""
import xml.etree.ElementTree as ET
from pathlib import Path

import cv2
import numpy as np

# clockwise display angle -> np.rot90 k (counter-clockwise quarter turns)
ANGLE_TO_ROT90 = {0: 0, 90: -1, 180: 2, 270: 1}


def upright_photos(data_dir):
    """[(name, upright BGR image, [(x, y, w, h), ...] tagged faces, maybe none)] for every photo of index.xml."""
    out = []
    for index in sorted(Path(data_dir).rglob("index.xml")):
        for image in ET.parse(index).getroot().iter("image"):
            path = index.parent / image.get("file")
            if path.suffix.lower() != ".jpg" or not path.is_file():
                continue
            areas = [tuple(int(v) for v in value.get("area").split())
                     for option in image.iter("option") if option.get("name") == "People"
                     for value in option.iter("value") if value.get("area")]
            img = cv2.imread(str(path))
            img = np.ascontiguousarray(np.rot90(img, ANGLE_TO_ROT90[int(image.get("angle", 0))]))
            out.append((path.stem, img, areas))
    return out


def tagged_photos(data_dir):
    """The photos of `upright_photos` that have tagged faces."""
    return [p for p in upright_photos(data_dir) if p[2]]


def is_found(area, boxes):
    x, y, w, h = area
    cx, cy = x + w / 2, y + h / 2
    return any(l <= cx <= r and t <= cy <= b and x <= (l + r) / 2 <= x + w and y <= (t + b) / 2 <= y + h
               for l, t, r, b in boxes)


def rotate_area(area, shape, k):
    """A tag area after np.rot90(image, k) of an image of `shape` (k = 1: 90 degrees counter-clockwise)."""
    x, y, w, h = area
    hh, ww = shape[:2]
    for _ in range(k % 4):
        x, y, w, h = y, ww - x - w, h, w
        hh, ww = ww, hh
    return x, y, w, h


def recall(detect, photos, k=0):
    """(found, total) over the tagged faces, detecting on each photo turned by np.rot90(k)."""
    found = total = 0
    for _, img, areas in photos:
        boxes = detect(np.ascontiguousarray(np.rot90(img, k)))
        for area in areas:
            total += 1
            found += is_found(rotate_area(area, img.shape, k), boxes)
    return found, total
