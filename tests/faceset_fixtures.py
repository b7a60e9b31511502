"""Aligned faces for the faceset tests: the original's files when ../shared/compat is present, else faces we make
here from the bundled photos (dlib detector + 68-point predictor, a plain square crop written with DFLJPG.create)."""
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from core.dflimg import DFLJPG, SegIEPolys, SegIEPolyType

DATA = Path(__file__).resolve().parent / "data"
COMPAT = Path(__file__).resolve().parent.parent.parent / "shared" / "compat"
PHOTOS = ["jesper/anne_helene.jpg", "jesper/bar55.jpg", "jesper/bar55_2.jpg", "jesper/jesper_2.jpg",
          "stills/grace_hopper.jpg"]
SIZE = 128


def make_aligned_faces(out_dir, size=SIZE):
    import dlib
    import face_recognition_models

    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(face_recognition_models.pose_predictor_model_location())
    out_dir.mkdir(parents=True, exist_ok=True)
    made = []
    for rel in PHOTOS:
        src = DATA / rel
        img = cv2.imread(str(src))
        rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        rects = sorted(detector(rgb, 1), key=lambda r: -r.area())
        for i, r in enumerate(rects):
            shape = predictor(rgb, r)
            lm = np.array([[p.x, p.y] for p in shape.parts()], np.float64)
            cx, cy = lm.mean(axis=0)
            side = 1.6 * max(np.ptp(lm[:, 0]), np.ptp(lm[:, 1]))
            s = size / side
            mat = np.array([[s, 0, size / 2 - s * cx], [0, s, size / 2 - s * cy]], np.float64)
            face = cv2.warpAffine(img, mat, (size, size), flags=cv2.INTER_LINEAR)
            aligned = lm @ mat[:, :2].T + mat[:, 2]
            path = out_dir / f"{src.stem}_{i}.jpg"
            DFLJPG.create(path, face, quality=90, face_type="whole_face", landmarks=aligned.tolist(),
                          source_filename=src.name,
                          source_rect=np.array([r.left(), r.top(), r.right(), r.bottom()], np.int64),
                          source_landmarks=lm.tolist(), image_to_face_mat=mat)
            made.append(path)
    # XSeg data on two faces, as the editor and "XSeg apply" would store it.
    d = DFLJPG.load(made[0])
    polys = SegIEPolys()
    inc = polys.add_poly(SegIEPolyType.INCLUDE)
    for x, y in cv2.convexHull(d.get_landmarks().astype(np.float32))[:, 0]:
        inc.add_pt(x, y)
    exc = polys.add_poly(SegIEPolyType.EXCLUDE)
    for x, y in d.get_landmarks()[60:68]:
        exc.add_pt(x, y)
    d.set_seg_ie_polys(polys)
    d.save()
    d = DFLJPG.load(made[-1])
    mask = np.zeros((size, size, 1), np.float32)
    cv2.fillConvexPoly(mask, cv2.convexHull(d.get_landmarks().astype(np.int32)), 1.0)
    d.set_xseg_mask(mask)
    d.save()
    return made


@pytest.fixture(scope="session")
def made_faces_dir(tmp_path_factory):
    """Faces made from tests/data photos (read-only by convention: copy before writing)."""
    out = tmp_path_factory.mktemp("made") / "aligned"
    made = make_aligned_faces(out)
    assert len(made) >= 6
    return out


@pytest.fixture(params=["compat", "made"])
def faces_dir(request, made_faces_dir, tmp_path):
    """A writable aligned folder: the original's 22 faces (when present) and our own made faces."""
    dst = tmp_path / "aligned"
    if request.param == "compat":
        if not (COMPAT / "aligned_whole_face").is_dir():
            pytest.skip("original program's files (../shared/compat) not present")
        shutil.copytree(COMPAT / "aligned_whole_face", dst)
    else:
        shutil.copytree(made_faces_dir, dst)
    for p in dst.iterdir():
        p.chmod(0o644)
    return dst
