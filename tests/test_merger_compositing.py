"""Per-face compositing (merger/MergeMasked.py) on real frames of the eriberto clip with the original program's
aligned faces, and a deterministic predictor (tests/merger_data.py) standing in for a trained model."""
import cv2
import numpy as np
import pytest

from core.errors import UserError
from merger import MergeMasked
from merger.FrameInfo import FrameInfo, compute_motion, load_frame_infos
from merger.MergerConfig import COLOR_TRANSFER_MODES, MergerConfigMasked
from merger.Predictor import FacePrediction
from merger_data import INPUT_SIZE, disk_mask, fake_predictor, make_workspace

R = INPUT_SIZE


@pytest.fixture(scope="module")
def scene(tmp_path_factory, compat_dir):
    data_dst = make_workspace(tmp_path_factory.mktemp("ws"), compat_dir)
    frames = load_frame_infos(data_dst, data_dst / "aligned")
    fi = frames[0]
    frame = cv2.imread(str(fi.filepath)).astype(np.float32) / 255
    return {"frames": frames, "frame": frame, "lm": fi.landmarks_list[0], "fi": fi}


def merge(scene, **settings):
    cfg = MergerConfigMasked("whole_face", **settings)
    face = MergeMasked.face_input(scene["frame"], scene["lm"], cfg, R)
    pred = fake_predictor(face)
    enhancer = None
    if cfg.super_resolution_power:
        from merger.enhancers import get_enhancer
        enhancer = get_enhancer(cfg.super_resolution_model)
    return MergeMasked.merge_frame(scene["frame"], [(scene["lm"], pred)], cfg, R, scene["fi"], enhancer)


def square_area(scene, scale=1.0):
    """Area in the frame of the face square (the model's input square, scaled by the output face scale)."""
    from facelib import LandmarksProcessor
    from facelib.FaceType import FaceType
    mat = LandmarksProcessor.get_transform_mat(scene["lm"], R, FaceType.WHOLE_FACE, scale=scale)
    return R * R / abs(np.linalg.det(mat[:, :2]))


def face_region(mask, thr=0.99):
    return mask[..., 0] >= thr


def test_original_returns_frame_unchanged(scene):
    img, mask = merge(scene, mode="original")
    assert np.array_equal(img, scene["frame"])
    assert mask.max() == 0


def test_raw_predict_returns_face_sized_prediction(scene):
    img, mask = merge(scene, mode="raw-predict", mask_mode=0)
    cfg = MergerConfigMasked("whole_face")
    expected = fake_predictor(MergeMasked.face_input(scene["frame"], scene["lm"], cfg, R))[0]
    assert img.shape == (R, R, 3) and mask.shape == (R, R, 1)
    assert np.allclose(img, expected, atol=1e-6)


def test_raw_rgb_pastes_whole_square_without_mask(scene):
    img, mask = merge(scene, mode="raw-rgb", mask_mode=1)
    assert abs(face_region(mask, 0.5).sum() / square_area(scene) - 1) < 0.04
    changed = np.abs(img - scene["frame"]).max(-1) > 0.05
    assert changed[face_region(mask)].mean() > 0.9


def test_full_mask_covers_square(scene):
    _, mask = merge(scene, mode="overlay", mask_mode=0, color_transfer_mode="none")
    assert abs(face_region(mask, 0.5).sum() / square_area(scene) - 1) < 0.04
    # dst (hull) mask is smaller than the full square
    _, hull = merge(scene, mode="overlay", mask_mode=1, color_transfer_mode="none")
    assert face_region(hull, 0.5).sum() < 0.8 * face_region(mask, 0.5).sum()


def test_learned_masks_follow_the_prediction(scene):
    _, learned = merge(scene, mode="overlay", mask_mode=2, color_transfer_mode="none")  # disk of radius 0.42
    ratio = face_region(learned, 0.5).sum() / square_area(scene)
    assert abs(ratio - np.pi * 0.42 ** 2) < 0.04
    _, both = merge(scene, mode="overlay", mask_mode=4, color_transfer_mode="none")
    assert np.allclose(both, learned, atol=1e-5)  # dst-dst mask is all ones
    _, full = merge(scene, mode="overlay", mask_mode=0, color_transfer_mode="none")
    for mode in (3, 5):  # learned-dst (all ones) and learned-prd+learned-dst (clipped sum): the whole square
        assert np.allclose(merge(scene, mode="overlay", mask_mode=mode, color_transfer_mode="none")[1], full,
                           atol=1e-5), mode


def test_erode_shrinks_and_blur_softens_by_measured_amounts(scene):
    full = face_region(merge(scene, mask_mode=0, color_transfer_mode="none")[1], 0.5).sum()
    k = 32  # in mask sub-resolution space (4 x 64 = 256 px): shrinks each side by 16 of 256 px
    eroded = face_region(merge(scene, mask_mode=0, color_transfer_mode="none", erode_mask_modifier=k)[1], 0.5).sum()
    expected = ((4 * R - k) / (4 * R)) ** 2
    assert abs(eroded / full - expected) < 0.03
    grown = face_region(merge(scene, mask_mode=1, color_transfer_mode="none", erode_mask_modifier=-k)[1], 0.5).sum()
    hull = face_region(merge(scene, mask_mode=1, color_transfer_mode="none")[1], 0.5).sum()
    assert grown > hull * 1.1

    def soft(m):
        return ((m > 0.05) & (m < 0.95)).sum()
    hard_mask = merge(scene, mask_mode=1, color_transfer_mode="none")[1]
    blurred = merge(scene, mask_mode=1, color_transfer_mode="none", blur_mask_modifier=60)[1]
    assert soft(blurred) > 3 * soft(hard_mask)
    # the blur stays inside the face square (zeroed border), so it never spills past the unblurred extent
    assert (blurred[..., 0] > 0).sum() <= (merge(scene, mask_mode=0, color_transfer_mode="none")[1] > 0).sum()


def _mean_in(img, region):
    return img[region].mean(0)


@pytest.mark.parametrize("mode", [m for m in COLOR_TRANSFER_MODES if m != "none"])
def test_color_transfer_moves_face_toward_dst(scene, mode):
    base, mask = merge(scene, mask_mode=1, color_transfer_mode="none")
    region = face_region(mask)
    target = _mean_in(scene["frame"], region)
    moved, _ = merge(scene, mask_mode=1, color_transfer_mode=mode)
    d_none = np.linalg.norm(_mean_in(base, region) - target)
    d_ct = np.linalg.norm(_mean_in(moved, region) - target)
    assert d_ct < 0.5 * d_none, (mode, d_ct, d_none)


@pytest.mark.parametrize("mode", ["hist-match", "seamless", "seamless-hist-match"])
def test_blend_modes_match_dst_better_than_overlay(scene, mode):
    base, mask = merge(scene, mode="overlay", mask_mode=1, color_transfer_mode="none")
    region = face_region(mask)
    target = _mean_in(scene["frame"], region)
    out, _ = merge(scene, mode=mode, mask_mode=1, color_transfer_mode="none")
    assert np.linalg.norm(_mean_in(out, region) - target) < 0.6 * np.linalg.norm(_mean_in(base, region) - target)
    assert np.array_equal(out[mask[..., 0] == 0], scene["frame"][mask[..., 0] == 0])


def test_hist_match_bw_gives_grey_face(scene):
    out, mask = merge(scene, mode="hist-match-bw", mask_mode=1, color_transfer_mode="none")
    face = out[face_region(mask)]
    assert np.abs(face - face.mean(-1, keepdims=True)).max() < 0.02


def test_output_face_scale_changes_pasted_area(scene):
    def area(s):
        return face_region(merge(scene, mask_mode=0, output_face_scale=s, color_transfer_mode="none")[1], 0.5).sum()
    # As the original: the face matrix is built with scale 1 + s/100, so the pasted square covers 1/scale^2 the area
    a0, plus, minus = area(0), area(20), area(-20)
    assert abs(plus / a0 - 1 / 1.2 ** 2) < 0.04
    assert abs(minus / a0 - 1 / 0.8 ** 2) < 0.06


def test_xseg_mask_modes_need_a_trained_model(scene):
    for m in (6, 7, 8, 9):
        with pytest.raises(UserError, match="trained XSeg model"):
            merge(scene, mask_mode=m)


def test_xseg_mask_modes_combine_the_xseg_masks(scene):
    """XSeg-prd = left half, XSeg-dst = centred disk of radius 0.3 (256 px masks from the main process)."""
    cfg = MergerConfigMasked("whole_face")
    pred = FacePrediction.of(fake_predictor(MergeMasked.face_input(scene["frame"], scene["lm"], cfg, R)))
    pred.xseg_prd = np.zeros((256, 256, 1), np.float32)
    pred.xseg_prd[:, :128] = 1
    pred.xseg_dst = disk_mask(256, 0.3)
    disk = np.pi * 0.3 ** 2
    for mode, expected in ((6, 0.5), (7, disk), (8, disk / 2), (9, disk / 2)):  # 9: learned disk 0.42 holds 0.3
        cfg = MergerConfigMasked("whole_face", mask_mode=mode, color_transfer_mode="none")
        _, mask = MergeMasked.merge_frame(scene["frame"], [(scene["lm"], pred)], cfg, R)
        assert abs(face_region(mask, 0.5).sum() / square_area(scene) - expected) < 0.03, mode


def test_post_processing_settings_change_the_output(scene):
    base, mask = merge(scene, mask_mode=1)
    region = face_region(mask)
    outside = mask[..., 0] == 0
    sharp, _ = merge(scene, mask_mode=1, sharpen_mode=2, blursharpen_amount=50)
    lap = lambda im: np.abs(cv2.Laplacian(cv2.cvtColor(im, cv2.COLOR_BGR2GRAY), cv2.CV_32F))[region].mean()
    assert lap(sharp) > 1.3 * lap(base)
    soft, _ = merge(scene, mask_mode=1, blursharpen_amount=-50)
    assert lap(soft) < 0.8 * lap(base)
    for setting in ("image_denoise_power", "bicubic_degrade_power"):
        out, _ = merge(scene, mask_mode=1, **{setting: 100})
        assert np.abs(out - base)[outside].mean() > 0.003, setting  # the background is degraded too
    reduced, _ = merge(scene, mask_mode=1, color_degrade_power=100)
    assert len(np.unique((reduced * 255).round().reshape(-1, 3), axis=0)) <= 256


def test_motion_blur_only_for_single_face_frames(scene):
    frames = [FrameInfo(f.filepath, list(f.landmarks_list)) for f in scene["frames"][:4]]
    shift = np.float32([6, 0])
    lms = [[scene["lm"] + shift * i] for i in range(4)]
    compute_motion(frames, lms)
    assert abs(frames[1].motion_power - 12) < 0.5 and abs(frames[1].motion_deg) < 1
    lms[1] = lms[1] + [scene["lm"] + 80]  # a second face in frame 2
    compute_motion(frames, lms)
    assert frames[1].motion_power == 0
    fi = FrameInfo(scene["fi"].filepath, [scene["lm"]], motion_power=12, motion_deg=0)
    cfg = MergerConfigMasked("whole_face", mask_mode=1, motion_blur_power=100)
    pred = fake_predictor(MergeMasked.face_input(scene["frame"], scene["lm"], cfg, R))
    blurred, mask = MergeMasked.merge_frame(scene["frame"], [(scene["lm"], pred)], cfg, R, fi)
    still, _ = MergeMasked.merge_frame(scene["frame"], [(scene["lm"], pred)], cfg, R,
                                       FrameInfo(fi.filepath, [scene["lm"]]))
    gx = lambda im: np.abs(np.diff(cv2.cvtColor(im, cv2.COLOR_BGR2GRAY), axis=1))[face_region(mask)[:, 1:]].mean()
    assert gx(blurred) < 0.7 * gx(still)  # horizontal motion blurs horizontal detail


def test_several_faces_per_frame(scene):
    cfg = MergerConfigMasked("whole_face", mask_mode=1, color_transfer_mode="none")
    lm2 = scene["lm"] * 0.5 + np.float32([130, 10])  # a smaller second face in the top right
    faces = [(lm, fake_predictor(MergeMasked.face_input(scene["frame"], lm, cfg, R))) for lm in (scene["lm"], lm2)]
    one, m1 = MergeMasked.merge_frame(scene["frame"], faces[:1], cfg, R)
    two, m2 = MergeMasked.merge_frame(scene["frame"], faces, cfg, R)
    assert (m2 > 0.5).sum() > (m1 > 0.5).sum() * 1.15
    only_second = (m2[..., 0] > 0.99) & (m1[..., 0] == 0)
    assert np.abs(two - one)[only_second].mean() > 0.05


def test_super_resolution_upscales_prediction(scene):
    out_sr, mask = merge(scene, mask_mode=1, color_transfer_mode="none", super_resolution_power=100)
    out, _ = merge(scene, mask_mode=1, color_transfer_mode="none")
    assert out_sr.shape == out.shape
    assert np.abs(out_sr - out)[face_region(mask)].mean() > 0.003
    raw, _ = merge(scene, mode="raw-predict", mask_mode=0, super_resolution_power=100)
    assert raw.shape == (4 * R, 4 * R, 3)


def test_box_sharpen_and_hist_match_settings(scene):
    base, mask = merge(scene, mask_mode=1)
    region = face_region(mask)
    lap = lambda im: np.abs(cv2.Laplacian(cv2.cvtColor(im, cv2.COLOR_BGR2GRAY), cv2.CV_32F))[region].mean()
    assert lap(merge(scene, mask_mode=1, sharpen_mode=1, blursharpen_amount=50)[0]) > 1.3 * lap(base)
    # a lower hist-match threshold caps the matched histogram: a darker face
    bright = merge(scene, mode="hist-match", mask_mode=1, color_transfer_mode="none", hist_match_threshold=255)[0]
    dark = merge(scene, mode="hist-match", mask_mode=1, color_transfer_mode="none", hist_match_threshold=128)[0]
    assert dark[region].mean() < bright[region].mean() - 0.05
    # masked: histograms of the face only; unmasked: of the whole square, here with a black border around the face
    cfg = MergerConfigMasked("whole_face")
    bgr, m, dm = fake_predictor(MergeMasked.face_input(scene["frame"], scene["lm"], cfg, R))
    bgr = bgr * disk_mask(R)

    def hist(masked):
        cfg = MergerConfigMasked("whole_face", mode="hist-match", mask_mode=2, color_transfer_mode="none",
                                 masked_hist_match=masked)
        return MergeMasked.merge_frame(scene["frame"], [(scene["lm"], (bgr, m, dm))], cfg, R)
    masked, learned = hist(True)
    inside = face_region(learned)
    assert np.abs(hist(False)[0] - masked)[inside].mean() > 0.01


def test_alpha_export_and_visible_watermark(scene):
    from merger.output import compose_output
    img, mask = merge(scene, mask_mode=1)
    plain = compose_output(img, mask, MergerConfigMasked("whole_face"))
    rgba = compose_output(img, mask, MergerConfigMasked("whole_face", export_alpha=True))
    assert plain.shape[2] == 3 and rgba.shape[2] == 4
    assert np.array_equal(rgba[..., :3], plain)
    assert np.abs(rgba[..., 3].astype(int) - np.round(mask[..., 0] * 255)).max() <= 1
    marked = compose_output(img, mask, MergerConfigMasked("whole_face", watermark=True))
    changed = np.abs(marked.astype(int) - plain).max(-1) > 60
    h, w = changed.shape
    assert changed[h * 3 // 4:, w // 2:].sum() > 50 and not changed[:h // 2].any()  # bottom-right corner only
