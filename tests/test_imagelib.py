"""core.imagelib: colour transfers move colour statistics towards the target, warp parameters, augmentation filters."""
import cv2
import numpy as np
import pytest

from core.imagelib import color_transfer as ct
from core.imagelib import filters
from core.imagelib.warp import gen_warp_params, warp_by_params


def _load(data_dir, rel, size=64):
    img = cv2.imread(str(data_dir / rel))
    return cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


@pytest.fixture(scope="module")
def pair(data_dir):
    # a cool-toned photo recoloured towards a warm, darker one
    return _load(data_dir, "stills/astronaut.png"), _load(data_dir, "jesper/grand_canyon_1.jpg")


def _stats(img):
    px = img.reshape(-1, 3).astype(np.float64)
    return px.mean(0), np.cov(px, rowvar=False)


@pytest.mark.parametrize("mode", ct.CT_MODES)
def test_color_transfer_moves_mean_and_covariance_towards_target(mode, pair):
    src, trg = pair
    out = ct.color_transfer(mode, src, trg, rnd_state=np.random.RandomState(0))
    assert out.shape == src.shape and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 1.0
    (ms, cs), (mt, ct_), (mo, co) = _stats(src), _stats(trg), _stats(out)
    mean_before, mean_after = np.linalg.norm(ms - mt), np.linalg.norm(mo - mt)
    cov_before, cov_after = np.linalg.norm(cs - ct_), np.linalg.norm(co - ct_)
    # idt relaxes by 1/20 per rotation and so moves about half-way; the linear maps match covariance closely
    assert mean_after < (0.5 if mode == "idt" else 0.1) * mean_before, (mode, mean_before, mean_after)
    assert cov_after < {"lct": 0.3, "mkl": 0.3}.get(mode, 0.9) * cov_before, (mode, cov_before, cov_after)


@pytest.mark.parametrize("mode", ["idt", "sot", "mix"])
def test_random_color_transfers_repeat_for_a_seed(mode, pair):
    src, trg = pair
    a = ct.color_transfer(mode, src, trg, rnd_state=np.random.RandomState(7))
    b = ct.color_transfer(mode, src, trg, rnd_state=np.random.RandomState(7))
    np.testing.assert_array_equal(a, b)


def test_unknown_color_transfer_mode_is_rejected(pair):
    with pytest.raises(ValueError, match="unknown colour transfer mode 'xyz'"):
        ct.color_transfer("xyz", *pair)


def test_masked_rct_measures_only_mask_pixels():
    rng = np.random.RandomState(0)
    src = np.clip(0.5 + rng.normal(0, 0.05, (64, 64, 3)), 0, 1).astype(np.float32)
    trg = np.zeros((64, 64, 3), np.float32)
    trg[:, :32] = np.clip([0.2, 0.4, 0.8] + rng.normal(0, 0.03, (64, 32, 3)), 0, 1)   # the face: warm
    trg[:, 32:] = [0.9, 0.9, 0.2]                                                     # background: cyan
    mask = np.zeros((64, 64, 1), np.float32)
    mask[:, :32] = 1
    out = ct.reinhard_color_transfer(src, trg, trg_mask=mask)
    lab = lambda x: cv2.cvtColor(x, cv2.COLOR_BGR2LAB).reshape(-1, 3).mean(0)
    # the result takes the face's colour; counting the masked-out pixels as zeros (the original's bug) would
    # halve L and pull a/b towards 0, tens of units away
    np.testing.assert_allclose(lab(out), lab(np.ascontiguousarray(trg[:, :32])), atol=2.0)


def test_color_hist_match_matches_channel_quantiles(pair):
    src, trg = pair
    src8, trg8 = (src * 255).round(), (trg * 255).round()
    out = ct.color_hist_match(src8, trg8)
    for c in range(3):
        q = [10, 50, 90]
        np.testing.assert_allclose(np.percentile(out[..., c], q), np.percentile(trg8[..., c], q), atol=6)
    masked = ct.color_hist_match(src8, trg8, mask=np.zeros((64, 64), np.float32))
    np.testing.assert_array_equal(masked, src8)  # nothing to measure: unchanged


def test_warp_params_ranges_and_flip_rate():
    rnd = np.random.RandomState(3)
    scales, flips = [], 0
    for _ in range(400):
        p = gen_warp_params(128, True, rotation_range=(-10, 10), scale_range=(-0.15, 0.15), rnd_state=rnd,
                            warp_rnd_state=rnd)
        scales.append(np.sqrt(abs(np.linalg.det(p["rmat"][:, :2]))))
        flips += p["flip"]
        assert p["mapx"].shape == (128, 128) and p["mapx"].dtype == np.float32
    assert 1 / 1.15 - 1e-6 <= min(scales) < 0.9 and 1.12 < max(scales) <= 1.15 + 1e-6
    assert 0.32 < flips / 400 < 0.48


def test_warp_grid_keeps_borders_and_moves_inside():
    p = gen_warp_params(128, rnd_state=np.random.RandomState(1), warp_rnd_state=np.random.RandomState(1))
    ys, xs = np.mgrid[0:128, 0:128]
    moved = np.hypot(p["mapx"] - xs, p["mapy"] - ys)
    assert moved[0].max() < 1.0 and moved[:, 0].max() < 1.0      # the border row/column stays in place
    assert moved[32:96, 32:96].mean() > 0.5                       # the inside is displaced


def test_warp_by_params_selects_steps(pair):
    img = cv2.resize(pair[0], (128, 128))
    p = gen_warp_params(128, True, rnd_state=np.random.RandomState(0), warp_rnd_state=np.random.RandomState(0))
    p["flip"] = True
    np.testing.assert_array_equal(warp_by_params(p, img, False, False, True, True), img[:, ::-1])
    np.testing.assert_array_equal(warp_by_params(p, img, False, False, False, True), img)
    warped = warp_by_params(p, img, True, False, False, True)
    assert np.abs(warped - img).mean() > 0.01
    mask = warp_by_params(p, np.ones((128, 128), np.float32), False, True, False, False)
    assert mask.shape == (128, 128, 1)


def test_small_images_are_warped_at_64_and_resized_back(pair):
    small = pair[0][:48, :48].copy()
    p = gen_warp_params(48, rnd_state=np.random.RandomState(0), warp_rnd_state=np.random.RandomState(0))
    assert p["w"] == 64 and p["rw"] == 48
    out = warp_by_params(p, small, True, True, False, True)
    assert out.shape == (48, 48, 3)
    assert np.abs(out - small).mean() > 0.005


def test_filters_change_inside_mask_only(pair):
    img = cv2.resize(pair[0], (64, 64))
    mask = np.zeros((64, 64, 1), np.float32)
    mask[16:48, 16:48] = 1
    calls = [
        lambda m, r: filters.apply_random_hsv_shift(img, m, r),
        lambda m, r: filters.apply_random_rgb_levels(img, m, r),
        lambda m, r: filters.apply_random_sharpen(img, 100, 5, m, r),
        lambda m, r: filters.apply_random_motion_blur(img, 100, 5, m, r),
        lambda m, r: filters.apply_random_gaussian_blur(img, 100, 5, m, r),
        lambda m, r: filters.apply_random_nearest_resize(img, 100, 75, m, r),
        lambda m, r: filters.apply_random_bilinear_resize(img, 100, 75, m, r),
        lambda m, r: filters.apply_random_jpeg_compress(img, 100, m, r),
    ]
    for i, call in enumerate(calls):
        changed = [np.abs(call(mask, np.random.RandomState(s)) - img) for s in range(4)]
        assert max(c[16:48, 16:48].mean() for c in changed) > 1e-3, i
        for c in changed:
            assert c[mask[..., 0] == 0].max() < 1e-6, i
    for f in (filters.apply_random_sharpen, filters.apply_random_motion_blur, filters.apply_random_gaussian_blur):
        assert f(img, 0, 5, None, np.random.RandomState(0)) is img


def test_random_circle_faded_is_a_soft_disc():
    m = filters.random_circle_faded((64, 48), rnd_state=np.random.RandomState(5))
    assert m.shape == (48, 64, 1) and m.dtype == np.float32
    assert m.min() >= 0 and m.max() == 1.0
    c = filters.circle_faded((64, 64), (10, 20), 5, 10)
    assert c[20, 10, 0] == 1.0 and c[20, 40, 0] == 0.0 and 0 < c[20, 22, 0] < 1
