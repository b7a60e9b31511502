"""Box handling shared by the detectors: the original's NMS and its final post-processing of detected boxes.

Box convention of every detector's output (the original's S3FD convention, which FAN expects and which the
extractor stores as `source_rect`): a face box from forehead to chin as trained on WIDER FACE, with the bottom
extended by 10% of its height for the chin. Landmarkers that expect other boxes (dlib68) convert from it.

The original also dropped boxes under 40 px here. Box sizes differ between detectors (CenterFace's and MTCNN's are
tighter than S3FD's), so the minimum size is applied by the extractor on the face itself, from its landmarks
(`facelib/face_measure.py`), the same for every detector; detectors only use it to choose their input resolution.
"""
import numpy as np

CHIN_EXTENSION = 0.1    # of the box height, added below (the original: "not enough covering a chin" for 2DFAN)


def network_input_size(h, w):
    """The original's S3FD input rule: the long side d becomes 640 if d >= 1280, else d/2 (at least 64).
    Returns (width, height, input_scale) with input_scale = frame pixels per network pixel."""
    d = max(w, h)
    scale_to = max(64, 640 if d >= 1280 else d / 2)
    input_scale = d / scale_to
    return int(w / input_scale), int(h / input_scale), input_scale


def nms(dets, thresh):
    """Indexes kept by greedy NMS over rows (l, t, r, b, score), best first; areas use the original's +1 pixel."""
    if len(dets) == 0:
        return []
    x1, y1, x2, y2, scores = dets[:, 0], dets[:, 1], dets[:, 2], dets[:, 3], dets[:, 4]
    areas = (x2 - x1 + 1) * (y2 - y1 + 1)
    order = scores.argsort()[::-1]
    keep = []
    while order.size > 0:
        i = order[0]
        keep.append(int(i))
        xx1, yy1 = np.maximum(x1[i], x1[order[1:]]), np.maximum(y1[i], y1[order[1:]])
        xx2, yy2 = np.minimum(x2[i], x2[order[1:]]), np.minimum(y2[i], y2[order[1:]])
        inter = np.maximum(0.0, xx2 - xx1 + 1) * np.maximum(0.0, yy2 - yy1 + 1)
        ovr = inter / (areas[i] + areas[order[1:]] - inter)
        order = order[np.where(ovr <= thresh)[0] + 1]
    return keep


UPRIGHT_WITHIN = 60.0    # degrees


def is_upright(keypoints):
    """Whether a face's 5 keypoints (eye, eye, nose, mouth corner, mouth corner) point within UPRIGHT_WITHIN
    degrees of upright: the eyes-to-mouth vector points down the image. Detectors that see faces at any angle
    (CenterFace, MTCNN) keep only upright ones, so that the extractor's rotation retry (0/90/270/180 degrees) turns
    sideways frames upright for the landmarker, as with the original's S3FD, which rarely finds sideways faces.
    60 rather than 45 degrees: heads tilted 30-45 degrees are common in crowds, and the keypoints of small faces
    are a few degrees off (crowd benchmark: recall of faces turned 30-45 degrees 79 -> 89 %)."""
    kp = np.asarray(keypoints, np.float64).reshape(5, 2)
    down = (kp[3] + kp[4]) / 2 - (kp[0] + kp[1]) / 2
    return bool(down[1] > np.tan(np.radians(90.0 - UPRIGHT_WITHIN)) * abs(down[0]))


def turn_to_upright(keypoints):
    """The clockwise quarter turn (0, 90, 180, 270) of the frame that makes a face with these 5 keypoints nearest
    to upright: its eyes-to-mouth vector then points down the image."""
    kp = np.asarray(keypoints, np.float64).reshape(5, 2)
    dx, dy = (kp[3] + kp[4]) / 2 - (kp[0] + kp[1]) / 2
    if abs(dy) >= abs(dx):
        return 0 if dy > 0 else 180
    return 90 if dx > 0 else 270


def upright_and_turn(dets, keypoints, widen=1.0):
    """For detectors that see faces at any angle: (the upright faces' boxes, post-processed by `finalize`, and the
    clockwise quarter turn that would make the most of all the faces found upright; 0 when none is found)."""
    turns = [turn_to_upright(kp) for kp in keypoints]
    best = max((0, 90, 270, 180), key=turns.count) if turns else 0
    return finalize([d for d, kp in zip(dets, keypoints) if is_upright(kp)], widen=widen), best


def finalize(boxes, scale=1.0, widen=1.0, chin=CHIN_EXTENSION):
    """The original's post-processing: scale to the frame, extend the bottom by `chin` of the height, truncate to
    int, sort by area, largest first. `boxes`: iterable of (l, t, r, b). `widen` scales the width about the centre,
    to calibrate other detectors' boxes. Degenerate boxes (under 2 px) are dropped."""
    out = []
    for box in boxes:
        l, t, r, b = (float(v) * scale for v in box[:4])
        half_w = (r - l) * widen / 2
        l, r = (l + r) / 2 - half_w, (l + r) / 2 + half_w
        bt = b - t
        if min(r - l, bt) < 2:
            continue
        b += bt * chin
        out.append(tuple(int(v) for v in (l, t, r, b)))
    out.sort(key=lambda x: (x[2] - x[0]) * (x[3] - x[1]), reverse=True)
    return out
