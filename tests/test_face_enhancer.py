"""The original's FaceEnhancer (facelib/FaceEnhancer.py) on synthetic weight files laid out as the original's
FaceEnhancer.npy (72 keys, float16, biases (1, 1, 1, C)); the real file is not available. Hand-made weights give
outputs known in closed form, which checks the network's wiring, the patch tiling and the merger's use of it
(`_internal/FaceEnhancer.npy` present -> super resolution "auto" uses it)."""
import numpy as np
import pytest

from core.errors import UserError

# The original's layer list: name -> (in, out) of its 3x3 convolutions (reference §4.5).
CONVS = {"conv1": (3, 64), "e0_conv0": (64, 64), "e0_conv1": (64, 64), "e1_conv0": (64, 112),
         "e1_conv1": (112, 112), "e2_conv0": (112, 192), "e2_conv1": (192, 192), "e3_conv0": (192, 336),
         "e3_conv1": (336, 336), "e4_conv0": (336, 512), "e4_conv1": (512, 512), "center_conv0": (512, 512),
         "center_conv1": (512, 512), "center_conv2": (512, 512), "center_conv3": (512, 512),
         "d4_conv0": (1024, 512), "d4_conv1": (512, 512), "d3_conv0": (848, 512), "d3_conv1": (512, 512),
         "d2_conv0": (704, 288), "d2_conv1": (288, 288), "d1_conv0": (400, 160), "d1_conv1": (160, 160),
         "d0_conv0": (224, 96), "d0_conv1": (96, 96), "out1x_conv0": (96, 48), "out1x_conv1": (48, 3),
         "dec2x_conv0": (96, 96), "dec2x_conv1": (96, 96), "out2x_conv0": (96, 48), "out2x_conv1": (48, 3),
         "dec4x_conv0": (96, 72), "dec4x_conv1": (72, 72), "out4x_conv0": (72, 36), "out4x_conv1": (36, 3)}


def weight_file(path, fill=None, seed=0):
    """Write a FaceEnhancer.npy: `fill(name, kind, shape) -> array or None` (None = zeros)."""
    from core.leras import weights
    arrays = {}
    for name, (i, o) in CONVS.items():
        for kind, shape in (("weight", (3, 3, i, o)), ("bias", (1, 1, 1, o))):
            v = fill(name, kind, shape) if fill else None
            arrays[f"{name}/{kind}:0"] = np.zeros(shape, np.float16) if v is None else np.float16(v)
    for name in ("dense1", "dense2"):
        v = fill(name, "weight", (1, 64)) if fill else None
        arrays[f"{name}/weight:0"] = np.zeros((1, 64), np.float16) if v is None else np.float16(v)
    assert len(arrays) == 72
    weights.write_weight_file(path, arrays)
    return path


def up2(x):
    """TF1 bilinear x2 (no half-pixel centres): source coordinate = output index / 2."""
    h, w = x.shape[:2]
    y = np.arange(2 * h) / 2
    x_ = np.arange(2 * w) / 2
    y0, x0 = np.floor(y).astype(int), np.floor(x_).astype(int)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    wy, wx = (y - y0)[:, None, None], (x_ - x0)[None, :, None]
    rows = x[y0] * (1 - wy) + x[y1] * wy
    return rows[:, x0] * (1 - wx) + rows[:, x1] * wx


def test_wiring_and_tiling_in_closed_form(tmp_path):
    """All convolutions zero except the out1x head's bias c: the network returns up2(up2(x + tanh(c)))."""
    from facelib.FaceEnhancer import FaceEnhancer
    c = np.float32([0.5, -0.25, 0.0])
    path = weight_file(tmp_path / "FaceEnhancer.npy",
                       lambda name, kind, shape: c.reshape(shape) if (name, kind) == ("out1x_conv1", "bias") else None)
    fe = FaceEnhancer(path)
    rng = np.random.RandomState(0)
    img = rng.uniform(-1, 1, (64, 48, 3)).astype(np.float32)
    out = fe.enhance(img, is_tanh=True, preserve_size=False)
    assert out.shape == (256, 192, 3)
    padded = np.pad(img, ((64, 64), (72, 72), (0, 0)))  # centred in one 192 px patch
    expected = up2(up2(padded + np.tanh(c)))[256:512, 288:480]
    np.testing.assert_allclose(out, expected, atol=2e-5)
    # 0..1 in / out: mapped to tanh range and back; preserve_size resizes back to the input size
    small = fe.enhance((img + 1) / 2, preserve_size=True)
    assert small.shape == img.shape and 0 <= small.min() and small.max() <= 1


def test_random_weights_several_patches(tmp_path):
    from facelib.FaceEnhancer import FaceEnhancer
    rng = np.random.RandomState(1)
    path = weight_file(tmp_path / "FaceEnhancer.npy", lambda name, kind, shape: rng.normal(0, 0.02, shape))
    fe = FaceEnhancer(path)
    img = rng.uniform(0, 1, (200, 192, 3)).astype(np.float32)  # two patches down, overlapping by 184 rows
    out = fe.enhance(img, preserve_size=False)
    assert out.shape == (800, 768, 3) and np.isfinite(out).all() and 0 <= out.min() and out.max() <= 1
    # the first patch alone, where no other patch overlaps it (its top rows), equals the tiled result
    single = fe.run_patches(img[None, :192] * 2 - 1)[0]
    np.testing.assert_allclose(out[4:24, 4:-4], np.clip(single[4:24, 4:-4] / 2 + 0.5, 0, 1), atol=1e-5)


def test_wrong_files_are_clear_errors(tmp_path):
    from core.leras import weights
    from facelib.FaceEnhancer import FaceEnhancer
    with pytest.raises(UserError, match="FaceEnhancer.npy.*not found"):
        FaceEnhancer(tmp_path / "FaceEnhancer.npy")
    arrays = {f"{n}/weight:0": np.zeros((3, 3, i, o), np.float16) for n, (i, o) in CONVS.items()}
    weights.write_weight_file(tmp_path / "partial.npy", arrays)
    with pytest.raises(UserError, match="not the FaceEnhancer's weights"):
        FaceEnhancer(tmp_path / "partial.npy")
    path = weight_file(tmp_path / "bad.npy", lambda name, kind, shape: np.zeros((3, 3, 3, 32))
                       if (name, kind) == ("conv1", "weight") else None)
    with pytest.raises(UserError, match="conv1/weight:0 has shape"):
        FaceEnhancer(path)


def test_merger_super_resolution_uses_it_when_in_internal(tmp_path, monkeypatch):
    """With _internal/FaceEnhancer.npy, 'auto' super resolution is the FaceEnhancer, fed the 0..1 face unscaled
    (is_tanh, as the original's merger); without it, Real-ESRGAN."""
    import facelib.internal_weights as iw
    from merger import MergeMasked, enhancers
    from merger.MergerConfig import MergerConfigMasked
    monkeypatch.setattr(enhancers, "_loaded", {})
    monkeypatch.setattr(iw, "INTERNAL_DIR", tmp_path)
    assert enhancers.resolve("auto") == "realesr-animevideov3"
    c = np.float16([0.2, 0.1, -0.1]).astype(np.float32)  # as stored in the file
    weight_file(tmp_path / "FaceEnhancer.npy",
                lambda name, kind, shape: c.reshape(shape) if (name, kind) == ("out4x_conv1", "bias") else None)
    assert enhancers.resolve("auto") == "FaceEnhancer"
    rng = np.random.RandomState(2)
    prd = rng.uniform(0.2, 0.8, (32, 32, 3)).astype(np.float32)
    enhanced = enhancers.get_enhancer("auto")(prd)
    padded = np.pad(prd, ((80, 80), (80, 80), (0, 0)))
    np.testing.assert_allclose(enhanced, np.clip(up2(up2(padded))[320:448, 320:448] + np.tanh(c), 0, 1), atol=2e-5)
    cfg = MergerConfigMasked("whole_face", mode="raw-predict", mask_mode=0, super_resolution_power=100)
    from facelib import LandmarksProcessor
    lm = np.zeros((68, 2), np.float32)  # a frontal face: the mean face for points 17..67, a jaw arc for 0..16
    lm[17:] = LandmarksProcessor.landmarks_2D * 80 + 60
    t = np.linspace(np.pi, 0, 17)
    lm[:17] = np.stack([100 + 45 * np.cos(t), 100 + 60 * np.sin(t)], -1)
    masks = np.ones((32, 32, 1), np.float32)
    out, _ = MergeMasked.merge_frame(np.zeros((200, 200, 3), np.float32), [(lm, (prd, masks, masks))], cfg, 32,
                                     enhancer=enhancers.get_enhancer("auto"))
    np.testing.assert_allclose(out, enhanced, atol=1e-6)
