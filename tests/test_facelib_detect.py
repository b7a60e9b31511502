"""Face detectors and 68-point landmarkers: recall on the tagged test photos, no faces on cat/coffee photos, the
original's box post-processing and decoding, and S3FD / FAN loading and forward passes with synthetic weight files
of the original's keys and shapes (the real files cannot be shipped)."""
import numpy as np
import pytest
from skimage import data as skdata

from core.errors import UserError
from core.leras import config
from core.leras import weights as leras_weights
from face_tags import is_found, recall, rotate_area, tagged_photos
from facelib import internal_weights
from facelib import detectors as D
from facelib import landmarkers as L
from facelib.detectors import boxes, s3fd
from facelib.face_measure import DEFAULT_MIN_FACE_SIZE
from facelib.landmarkers import fan

RECALL_MIN = 0.95


@pytest.fixture(scope="module")
def photos(data_dir):
    found = tagged_photos(data_dir / "jesper")
    assert sum(len(a) for _, _, a in found) >= 5, "index.xml tags fewer faces than the test relies on"
    return found


@pytest.fixture(scope="module")
def centerface():
    return D.create_detector("centerface")


@pytest.fixture(scope="module")
def dlib68():
    return L.create_landmarker("dlib68")


def no_face_images():
    return {"chelsea": skdata.chelsea()[:, :, ::-1].copy(), "coffee": skdata.coffee()[:, :, ::-1].copy()}


# --- registries -----------------------------------------------------------------------------------------------------

def test_registry_names_and_missing_weights(monkeypatch, tmp_path):
    assert D.DETECTOR_NAMES == ["centerface", "mt", "s3fd", "manual"]
    assert D.DEFAULT_DETECTOR == "centerface" and L.LANDMARKER_NAMES == ["dlib68", "fan2d", "fan3d"]
    monkeypatch.setattr(internal_weights, "INTERNAL_DIR", tmp_path)
    assert D.available_detectors() == ["centerface", "mt", "manual"]
    assert L.available_landmarkers() == ["dlib68"]
    with pytest.raises(UserError, match="S3FD.npy"):
        D.create_detector("s3fd")
    with pytest.raises(UserError, match="2DFAN.npy"):
        L.create_landmarker("fan2d")
    with pytest.raises(UserError, match="manual"):
        D.create_detector("manual")
    assert L.preferred_landmarker(4) == "dlib68"
    (tmp_path / "S3FD.npy").write_bytes(b"")
    (tmp_path / "3DFAN.npy").write_bytes(b"")
    assert D.available_detectors() == ["centerface", "mt", "s3fd", "manual"]
    assert L.preferred_landmarker(10) == "fan3d" and L.preferred_landmarker(2) == "dlib68"


# --- CenterFace (default) -------------------------------------------------------------------------------------------

def test_centerface_recall_on_tagged_photos(centerface, photos):
    found, total = recall(centerface.detect, photos)
    assert found / total >= RECALL_MIN, f"CenterFace found {found} of {total} tagged faces"


def test_centerface_finds_nothing_on_cat_and_coffee(centerface):
    for name, img in no_face_images().items():
        assert centerface.detect(img) == [], name


def retry_detect(detect, img):
    """The extractor's rotation retry (the original's order 0, 90, 270, 180 degrees clockwise): boxes at the first
    turn np.rot90(img, k) where a face of about the default minimum size is found, and k."""
    from mainscripts.extract.stages import RETRY_BOX_FRACTION
    for k in (0, -1, 1, 2):
        rects = detect(np.ascontiguousarray(np.rot90(img, k)))
        if any(min(r[2] - r[0], r[3] - r[1]) >= RETRY_BOX_FRACTION * DEFAULT_MIN_FACE_SIZE for r in rects):
            return rects, k
    return [], 0


def test_rotated_photos_are_found_through_the_rotation_retry(centerface, photos):
    """The detector alone need not find sideways faces (bench_detect.py measures how many it does); the retry must."""
    found = total = 0
    for turn in (1, 2, 3):
        for _, img, areas in photos:
            rects, k = retry_detect(centerface.detect, np.rot90(img, turn))
            total += len(areas)
            found += sum(is_found(rotate_area(a, img.shape, turn + k), rects) for a in areas)
    assert found / total >= RECALL_MIN, f"{found} of {total} turned faces found by the rotation retry"


def test_detect_output_contract(centerface, photos):
    name, img, areas = next(p for p in photos if len(p[2]) >= 3)
    rects = centerface.detect(img)
    assert all(isinstance(v, int) for r in rects for v in r)
    sizes = [(r[2] - r[0]) * (r[3] - r[1]) for r in rects]
    assert sizes == sorted(sizes, reverse=True)
    assert centerface.detect(np.zeros((64, 80, 3), np.uint8)) == []


# --- box post-processing and NMS ------------------------------------------------------------------------------------

def test_finalize_extends_chin_sorts_by_area_and_keeps_small_faces():
    """The minimum face size is the extractor's (on landmarks), not the boxes': small boxes are kept."""
    raw = [(10, 10, 49, 100), (0, 0, 50, 60), (100, 100, 300, 300), (5, 5, 100, 44.9), (0, 0, 1, 30)]
    out = boxes.finalize(raw, scale=1.0)
    assert out == [(100, 100, 300, 320), (5, 5, 100, 48), (10, 10, 49, 109), (0, 0, 50, 66)]
    assert boxes.finalize([(10, 10, 30, 40)], scale=2.0) == [(20, 20, 60, 86)]
    assert boxes.finalize([(100, 0, 136, 100)], widen=1.25) == [(95, 0, 140, 110)]


def test_network_input_size_is_the_originals_rule():
    assert boxes.network_input_size(188, 252) == (126, 94, 2.0)
    assert boxes.network_input_size(720, 1280) == (640, 360, 2.0)
    assert boxes.network_input_size(2160, 3840)[:2] == (640, 360)
    assert boxes.network_input_size(100, 60)[:2] == (38, 64)


def test_is_upright_by_keypoints():
    kp = np.array([[40, 40], [60, 40], [50, 55], [42, 70], [58, 70]], np.float64)   # eyes, nose, mouth corners
    assert boxes.is_upright(kp)
    tilted = (kp - 50) @ np.array([[np.cos(0.6), -np.sin(0.6)], [np.sin(0.6), np.cos(0.6)]]).T + 50   # ~34 deg
    assert boxes.is_upright(tilted)
    assert boxes.is_upright((kp - 50) @ np.array([[np.cos(1.0), -np.sin(1.0)], [np.sin(1.0), np.cos(1.0)]]).T + 50)
    assert not boxes.is_upright((kp - 50) @ np.array([[np.cos(1.1), -np.sin(1.1)], [np.sin(1.1), np.cos(1.1)]]).T + 50)
    assert not boxes.is_upright(kp[:, ::-1])              # lying on its side
    assert not boxes.is_upright(np.c_[kp[:, 0], 100 - kp[:, 1]])   # upside down


def test_nms_keeps_best_of_overlapping():
    dets = np.array([[0, 0, 10, 10, 0.6], [1, 1, 11, 11, 0.9], [50, 50, 60, 60, 0.7]], np.float64)
    assert boxes.nms(dets, 0.3) == [1, 2]


# --- S3FD -----------------------------------------------------------------------------------------------------------

def s3fd_expected_keys():
    """The original's S3FD.npy keys (`S3FDExtractor.py` attribute names): 19 convs, 3 L2Norms, 6 conf+loc heads."""
    convs = [f"conv{s}_{i}" for s, n in ((1, 2), (2, 2), (3, 3), (4, 3), (5, 3)) for i in range(1, n + 1)]
    convs += ["fc6", "fc7", "conv6_1", "conv6_2", "conv7_1", "conv7_2"]
    heads = ["conv3_3_norm", "conv4_3_norm", "conv5_3_norm", "fc7", "conv6_2", "conv7_2"]
    convs += [f"{h}_mbox_{kind}" for h in heads for kind in ("conf", "loc")]
    keys = {f"{c}/{w}:0" for c in convs for w in ("weight", "bias")}
    keys |= {f"{n}/weight:0" for n in heads[:3]}
    return keys


def random_weight_file(model, path, rng):
    arrays = {}
    for key, var in model.get_weights_dict().items():
        shape = tuple(var.shape)
        if key.endswith("running_var:0"):
            arrays[key] = rng.uniform(0.5, 1.5, shape).astype(np.float32)
        else:
            fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else 1
            arrays[key] = (rng.standard_normal(shape) / np.sqrt(fan_in)).astype(np.float32)
    leras_weights.write_weight_file(path, arrays)
    return arrays


def test_s3fd_synthetic_weights_load_and_forward(tmp_path):
    from facelib.detectors.s3fd_net import S3FD
    model = S3FD()
    assert set(model.get_weights_dict()) == s3fd_expected_keys()
    assert model.get_weights_dict()["conv3_3_norm/weight:0"].shape == (1, 1, 1, 256)
    arrays = random_weight_file(model, tmp_path / "S3FD.npy", np.random.default_rng(0))

    det = s3fd.S3FDDetector(weights_path=tmp_path / "S3FD.npy")
    loaded = det.model.get_weights_dict()
    for key in ("conv1_1/weight:0", "fc6/bias:0", "conv7_2_mbox_loc/weight:0", "conv5_3_norm/weight:0"):
        np.testing.assert_array_equal(loaded[key].numpy(), arrays[key])
    img = np.random.default_rng(1).integers(0, 255, (128, 160, 3)).astype(np.uint8)
    outs = det.forward(img)
    # strides 4..32 on 128x160; fc6 (3x3, padding 3, no dilation) grows 4x5 to 8x9; 3x3/2 convs then halve it
    sizes = [(32, 40), (16, 20), (8, 10), (8, 9), (4, 5), (2, 3)]
    assert [o.shape for o in outs] == [s + (c,) for s in sizes for c in (2, 4)]
    for cls in outs[::2]:
        np.testing.assert_allclose(cls.sum(-1), 1.0, rtol=1e-5)
    rects = det.detect(np.random.default_rng(2).integers(0, 255, (200, 300, 3)).astype(np.uint8))
    assert isinstance(rects, list)
    with config.use_data_format("NCHW"):     # the GPU layout gives the same outputs
        outs_nchw = s3fd.S3FDDetector(weights_path=tmp_path / "S3FD.npy").forward(img)
    for a, b in zip(outs, outs_nchw):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


def test_s3fd_wrong_shapes_are_a_user_error(tmp_path):
    from facelib.detectors.s3fd_net import S3FD
    arrays = {k: np.zeros(tuple(v.shape), np.float32) for k, v in S3FD().get_weights_dict().items()}
    arrays["conv1_1/weight:0"] = np.zeros((3, 3, 3, 32), np.float32)
    leras_weights.write_weight_file(tmp_path / "S3FD.npy", arrays)
    with pytest.raises(UserError, match="conv1_1/weight:0"):
        s3fd.S3FDDetector(weights_path=tmp_path / "S3FD.npy")


def s3fd_maps(size, cells):
    """Hand-made outputs for a size x size input: cells = {(level, y, x): (score, loc4)}."""
    olist = []
    for i in range(6):
        n = size // 2 ** (i + 2)
        cls = np.zeros((n, n, 2), np.float32)
        cls[..., 0] = 1.0
        reg = np.zeros((n, n, 4), np.float32)
        for (lvl, y, x), (score, loc) in cells.items():
            if lvl == i:
                cls[y, x] = (1 - score, score)
                reg[y, x] = loc
        olist += [cls, reg]
    return olist


def test_s3fd_decode_handmade_maps():
    cells = {
        (1, 10, 12): (0.9, (0, 0, 0, 0)),               # stride 8: centre (100, 84), prior 32
        (1, 10, 13): (0.8, (0, 0, 0, 0)),               # overlaps the first (IoU 0.6): suppressed
        (1, 2, 2): (0.3, (0, 0, 0, 0)),                 # above 0.05, below 0.5: decoded, then not kept
        (3, 4, 4): (0.7, (0.5, -0.5, 5 * np.log(2), 0)),  # stride 32: centre (144+6.4, 144-6.4), 256 x 128
    }
    rects = s3fd.decode(s3fd_maps(256, cells))
    assert [tuple(r) for r in rects] == [(84, 68, 116, 100), (22, 73, 278, 201)]
    assert s3fd.decode(s3fd_maps(256, {})) == []
    final = boxes.finalize(rects, scale=2.0)
    assert final == [(44, 146, 556, 427), (168, 136, 232, 206)]


# --- FAN ------------------------------------------------------------------------------------------------------------

def fan_expected_keys():
    """The original's 2DFAN.npy / 3DFAN.npy keys (`FANExtractor.py`: ConvBlock, HourGlass(256, 4), 4 stacks)."""
    bn = ("weight", "bias", "running_mean", "running_var")

    def conv_block(p, in_planes, out_planes):
        keys = {f"{p}/bn{i}/{w}:0" for i in (1, 2, 3) for w in bn} | {f"{p}/conv{i}/weight:0" for i in (1, 2, 3)}
        if in_planes != out_planes:
            keys |= {f"{p}/down_bn1/{w}:0" for w in bn} | {f"{p}/down_conv1/weight:0"}
        return keys

    def hourglass(p, depth):
        keys = conv_block(f"{p}/b1", 256, 256) | conv_block(f"{p}/b2", 256, 256) | conv_block(f"{p}/b3", 256, 256)
        return keys | (hourglass(f"{p}/b2_plus", depth - 1) if depth > 1 else conv_block(f"{p}/b2_plus", 256, 256))

    keys = {"conv1/weight:0", "conv1/bias:0"} | {f"bn1/{w}:0" for w in bn}
    keys |= conv_block("conv2", 64, 128) | conv_block("conv3", 128, 128) | conv_block("conv4", 128, 256)
    for i in range(4):
        keys |= hourglass(f"m_{i}", 4) | conv_block(f"top_m_{i}", 256, 256) | {f"bn_end_{i}/{w}:0" for w in bn}
        keys |= {f"{n}_{i}/{w}:0" for n in ("conv_last", "l") for w in ("weight", "bias")}
        if i < 3:
            keys |= {f"{n}_{i}/{w}:0" for n in ("bl", "al") for w in ("weight", "bias")}
    return keys


def test_fan_synthetic_weights_load_and_forward(tmp_path):
    from facelib.landmarkers.fan_net import FAN
    model = FAN()
    assert set(model.get_weights_dict()) == fan_expected_keys()
    arrays = random_weight_file(model, tmp_path / "2DFAN.npy", np.random.default_rng(0))

    lm = fan.FAN2DLandmarker(weights_path=tmp_path / "2DFAN.npy")
    np.testing.assert_array_equal(lm.model.get_weights_dict()["m_3/b2_plus/b2_plus/b3/bn2/running_var:0"].numpy(),
                                  arrays["m_3/b2_plus/b2_plus/b3/bn2/running_var:0"])
    img = np.random.default_rng(1).integers(0, 255, (240, 320, 3)).astype(np.uint8)
    rect = (100, 60, 200, 170)
    scale, center = fan.crop_scale(rect)
    assert lm.heatmaps(fan.crop(img, center, scale)[None]).shape == (1, 68, 64, 64)
    (points,) = lm.landmarks(img, [rect])
    assert points.shape == (68, 2) and points.dtype == np.float32
    assert np.all(np.abs(points - center) <= 100 * scale + 1)    # inside the 200*scale crop


def test_fan_multi_sample_averages_five_shifted_crops():
    maps = np.zeros((68, 64, 64), np.float32)
    maps[:, 20, 30] = 1.0
    seen = []

    def heatmaps(crops):
        seen.append(len(crops))
        return np.repeat(maps[None], len(crops), axis=0)

    lm = object.__new__(fan.FAN2DLandmarker)     # no weights needed: the network is replaced by fixed heatmaps
    lm.heatmaps = heatmaps
    img = np.zeros((240, 320, 3), np.uint8)
    rect = (100, 60, 200, 170)
    scale, center = fan.crop_scale(rect)
    single = lm._landmarks_one(img, rect, refine=False)
    multi = lm._landmarks_one(img, rect, refine=True)
    assert seen == [1, 5]
    np.testing.assert_allclose(single, fan.decode(maps, center, scale), atol=1e-4)
    # the same heatmap peak in crops shifted by (0,0), (+-1, +-1): the average cancels the shifts
    np.testing.assert_allclose(multi, single, atol=1e-4)


def test_fan_blocks_same_in_both_layouts():
    import tensorflow as tf

    from facelib.landmarkers.fan_net import ConvBlock, HourGlass
    x = np.random.default_rng(0).standard_normal((1, 16, 16, 128)).astype(np.float32)
    block, hourglass = ConvBlock(128, 256), HourGlass(256, 2)
    a = hourglass(block(tf.constant(x))).numpy()
    with config.use_data_format("NCHW"):
        b = hourglass(block(tf.constant(x.transpose(0, 3, 1, 2)))).numpy().transpose(0, 2, 3, 1)
    assert a.shape == (1, 16, 16, 256)
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


def test_fan_decode_synthetic_heatmap():
    maps = np.zeros((68, 64, 64), np.float32)
    rng = np.random.default_rng(0)
    peaks = rng.integers(1, 63, (68, 2))
    for i, (x, y) in enumerate(peaks):
        maps[i, y, x] = 1.0
        maps[i, y, x + 1] = 0.5      # right neighbour larger: +0.25 in x
        maps[i, y - 1, x] = 0.3      # upper neighbour larger: -0.25 in y
    maps[0] = 0
    maps[0, 0, 5] = 1.0              # on the border: no sub-pixel shift
    center, scale = np.array([300.0, 200.0]), 1.5
    pts = fan.decode(maps, center, scale)
    h = 200 * scale
    expected = peaks + np.array([0.25, -0.25]) + 0.5
    expected[0] = (5.5, 0.5)
    np.testing.assert_allclose(pts, expected * h / 64 + center - h / 2, atol=1e-9)


def test_fan_crop_centres_the_box():
    img = np.zeros((300, 400, 3), np.uint8)
    img[148:153, 198:203] = 255
    rect = (150, 100, 250, 200)
    scale, center = fan.crop_scale(rect)
    out = fan.crop(img, center, scale)
    ys, xs = np.nonzero(out[..., 0] > 128)
    assert out.shape == (256, 256, 3)
    assert abs(xs.mean() - 128) < 2 and abs(ys.mean() - 128) < 2
    edge = fan.crop(img, np.array([5.0, 5.0]), scale)      # crop square mostly outside the image: zero-filled
    assert edge.shape == (256, 256, 3) and edge[:100, :100].max() == 0


# --- dlib68 ---------------------------------------------------------------------------------------------------------

def eye_centres(points):
    return points[36:42].mean(0), points[42:48].mean(0)


def inside(pt, area):
    x, y, w, h = area
    return x <= pt[0] <= x + w and y <= pt[1] <= y + h


def test_dlib68_eyes_inside_tagged_boxes(centerface, dlib68, photos):
    checked = 0
    for _, img, areas in photos:
        rects = centerface.detect(img)
        for area in areas:
            rect = next(r for r in rects if is_found(area, [r]))
            (points,) = dlib68.landmarks(img, [rect])
            assert points.shape == (68, 2) and points.dtype == np.float32
            assert all(inside(e, area) for e in eye_centres(points)), (area, eye_centres(points))
            checked += 1
    assert checked >= 5


def test_dlib68_second_pass_refines_in_place(centerface, dlib68, photos):
    _, img, areas = next(p for p in photos if len(p[2]) >= 3)
    rect = centerface.detect(img)[0]
    (first,) = dlib68.landmarks(img, [rect])
    second = dlib68.second_pass(img, first, centerface)
    iod = np.linalg.norm(np.subtract(*eye_centres(first)))
    assert second.shape == (68, 2) and second.dtype == np.float32
    assert np.linalg.norm(second - first, axis=1).mean() < 0.15 * iod
    blank = np.zeros_like(img)       # nothing to re-detect: the first landmarks come back unchanged
    assert dlib68.second_pass(blank, first, centerface) is first


# --- MT -------------------------------------------------------------------------------------------------------------

def test_mt_smoke_on_one_photo(photos):
    """One downscaled photo keeps this under ~30 s on 2 cores (TF + Keras import and the first trace dominate)."""
    import cv2
    _, img, areas = next(p for p in photos if len(p[2]) >= 3)
    small = cv2.resize(img, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    rects = D.create_detector("mt").detect(small)
    assert all(is_found((x // 2, y // 2, w // 2, h // 2), rects) for x, y, w, h in areas)
