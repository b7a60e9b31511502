"""samplelib: loading aligned faces (folder / faceset.pak), index hosts, the sample processor and the generators.

Faces: the original's aligned faces from ../shared/compat when present, else a few aligned faces made here from the
test photos with dlib + LandmarksProcessor + DFLJPG.create.
"""
import importlib.util
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from core.dflimg import DFLJPG, SegIEPolys, SegIEPolyType
from core.errors import UserError
from core.imagelib.warp import gen_warp_params, warp_by_params
from facelib.FaceType import FaceType

# face alignment (hull masks, transform matrices) comes from the extractor's module
LandmarksProcessor = pytest.importorskip("facelib.LandmarksProcessor")

from samplelib import IndexHost, PackedFaceset, SampleLoader, SampleProcessor  # noqa: E402
from samplelib.SampleGeneratorFace import SampleGeneratorFace  # noqa: E402
from samplelib.SampleGeneratorFaceXSeg import SampleGeneratorFaceXSeg  # noqa: E402
from samplelib.SampleProcessor import ChannelType, FaceMaskType, Options, SampleType  # noqa: E402

COMPAT = Path(__file__).resolve().parents[2] / "shared" / "compat"
RES = 64


def _build_faceset(out_dir, photos):
    """Aligned whole faces (256 px) of the photos, as the extractor writes them."""
    import dlib
    models = Path(importlib.util.find_spec("face_recognition_models").origin).parent / "models"
    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(str(models / "shape_predictor_68_face_landmarks.dat"))
    out_dir.mkdir(parents=True, exist_ok=True)
    for photo in photos:
        img = cv2.imread(str(photo))
        rgb = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        for i, r in enumerate(detector(rgb, 1)):
            lm = np.array([[p.x, p.y] for p in predictor(rgb, r).parts()], np.float32)
            mat = LandmarksProcessor.get_transform_mat(lm, 256, FaceType.WHOLE_FACE)
            face = cv2.warpAffine(img, mat, (256, 256), flags=cv2.INTER_LINEAR)
            DFLJPG.create(out_dir / f"{photo.stem}_{i}.jpg", face, face_type=FaceType.WHOLE_FACE,
                          landmarks=LandmarksProcessor.transform_points(lm, mat), source_filename=photo.name,
                          source_rect=np.array([r.left(), r.top(), r.right(), r.bottom()]), source_landmarks=lm,
                          image_to_face_mat=mat)
    return out_dir


@pytest.fixture(scope="module")
def facesets(tmp_path_factory, data_dir):
    """(src aligned folder, dst aligned folder), read-only."""
    if COMPAT.is_dir():
        return COMPAT / "aligned_whole_face", COMPAT / "data_dst" / "aligned"
    root = tmp_path_factory.mktemp("faces")
    photos = sorted((data_dir / "jesper").glob("*.jpg"))
    src = _build_faceset(root / "src", photos[::2])
    dst = _build_faceset(root / "dst", photos[1::2] + [data_dir / "stills" / "grace_hopper.jpg"])
    return src, dst


def _outputs(res=RES, face_type=FaceType.FULL, warp=True, ct_mode=None, hsv=0.0, data_format="NHWC"):
    common = dict(resolution=res, face_type=face_type, data_format=data_format)
    return [
        dict(sample_type=SampleType.FACE_IMAGE, warp=warp, transform=True, channel_type=ChannelType.BGR,
             ct_mode=ct_mode, random_hsv_shift_amount=hsv, **common),
        dict(sample_type=SampleType.FACE_IMAGE, warp=False, transform=True, channel_type=ChannelType.BGR,
             ct_mode=ct_mode, **common),
        dict(sample_type=SampleType.FACE_MASK, warp=False, transform=True, channel_type=ChannelType.G,
             face_mask_type=FaceMaskType.FULL_FACE, **common),
        dict(sample_type=SampleType.FACE_MASK, warp=False, transform=True, channel_type=ChannelType.G,
             face_mask_type=FaceMaskType.EYES_MOUTH, **common),
    ]


def test_loader_reads_folder_and_pak_identically(facesets, tmp_path, capsys, monkeypatch, data_dir):
    src, _ = facesets
    folder = tmp_path / "aligned"
    shutil.copytree(src, folder)
    shutil.copy(data_dir / "jesper" / "pool.jpg", folder / "zz_plain_photo.jpg")
    monkeypatch.setattr(SampleLoader, "PARALLEL_MIN_FILES", 1)  # read the metadata in worker processes
    from_folder = SampleLoader.load_face_samples(folder)
    err = capsys.readouterr().err + capsys.readouterr().out
    assert err.count("zz_plain_photo.jpg") == 1
    assert SampleLoader.load_face_samples(folder) is from_folder            # cached per path
    assert all(Path(s.filename).name != "zz_plain_photo.jpg" for s in from_folder)

    packed_dir = tmp_path / "packed"
    packed_dir.mkdir()
    for s in from_folder:
        shutil.copy(s.filename, packed_dir)
    PackedFaceset.pack(packed_dir, delete_originals=True)
    assert [p.name for p in packed_dir.iterdir()] == ["faceset.pak"]
    from_pak = SampleLoader.load_face_samples(packed_dir)

    assert [Path(s.filename).name for s in from_pak] == [Path(s.filename).name for s in from_folder]
    assert len(from_folder) >= 5
    for a, b in zip(from_folder, from_pak):
        assert a.face_type == b.face_type and tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.landmarks, b.landmarks, atol=1e-4)
        assert a.seg_ie_polys.get_pts_count() == b.seg_ie_polys.get_pts_count()
        assert (a.xseg_mask_compressed is None) == (b.xseg_mask_compressed is None)
    for a, b in list(zip(from_folder, from_pak))[:3]:
        np.testing.assert_array_equal(a.load_bgr(), b.load_bgr())


def test_loader_rejects_missing_folder(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        SampleLoader.load_face_samples(tmp_path / "nope")


def test_index_host_shuffles_without_replacement():
    host = IndexHost.IndexHost(7, np.random.RandomState(0))
    draws = host.multi_get(21)
    for k in range(3):
        assert sorted(draws[k * 7:(k + 1) * 7]) == list(range(7))
    assert draws[:7] != draws[7:14]


def test_yaw_bins_edges():
    space = np.linspace(-1.2, 1.2, 128)
    yaws = [5.0, -5.0, -space[10], -(space[10] + 1e-6), -space[11]]
    bins = IndexHost.yaw_bins(yaws)
    assert [0] in bins and [1] in bins                       # beyond the range: the end bins
    assert [2, 3] in bins and [4] in bins                    # bin 10: space[10] <= -yaw < space[11]
    assert len(bins) == 4


def test_uniform_yaw_bins_are_balanced_on_a_real_faceset(facesets):
    src, dst = facesets
    samples = SampleLoader.load_face_samples(src) + SampleLoader.load_face_samples(dst)
    yaws = [s.get_pitch_yaw_roll()[1] for s in samples]
    bins = IndexHost.yaw_bins(yaws)
    assert sum(len(b) for b in bins) == len(samples)
    assert 3 <= len(bins) < len(samples)                     # real poses: some bins shared, many empty dropped
    bin_of = {i: g for g, b in enumerate(bins) for i in b}
    n_rounds = 20
    draws = IndexHost.Index2DHost(bins, np.random.RandomState(1)).multi_get(len(bins) * n_rounds)
    per_bin = np.bincount([bin_of[i] for i in draws], minlength=len(bins))
    assert per_bin.min() == per_bin.max() == n_rounds        # every bin equally often
    plain = IndexHost.IndexHost(len(samples), np.random.RandomState(1)).multi_get(len(bins) * n_rounds)
    plain_bins = np.bincount([bin_of[i] for i in plain], minlength=len(bins))
    assert plain_bins.max() > plain_bins.min()               # without it, crowded poses dominate


def _sample(facesets, name_part=None):
    samples = SampleLoader.load_face_samples(facesets[0])
    if name_part is None:
        return samples[0]
    return next(s for s in samples if name_part in Path(s.filename).name)


def test_processor_warps_only_the_warped_output(facesets):
    sample = _sample(facesets)
    opts = Options(random_flip=True, scale_range=(-0.15, 0.15))
    outs = _outputs(face_type=FaceType.WHOLE_FACE)
    seed = 1234
    warped, target, mask, em = SampleProcessor.process(sample, opts, outs, seed)
    face = cv2.resize(sample.load_bgr(), (RES, RES), interpolation=cv2.INTER_CUBIC)
    params = gen_warp_params(RES, True, rotation_range=opts.rotation_range, scale_range=opts.scale_range,
                             tx_range=opts.tx_range, ty_range=opts.ty_range,
                             rnd_state=np.random.RandomState(seed), warp_rnd_state=np.random.RandomState(seed))
    np.testing.assert_allclose(target, np.clip(warp_by_params(params, face, False, True, True, True), 0, 1), atol=1e-6)
    np.testing.assert_allclose(warped, np.clip(warp_by_params(params, face, True, True, True, True), 0, 1), atol=1e-6)
    assert np.abs(warped - target).mean() > 0.01
    assert mask.shape == (RES, RES, 1) and em.shape == (RES, RES, 1)
    assert em.max() == pytest.approx(1.0) and (em[mask < 1e-6] == 0).all()  # eyes+mouth inside the face mask


def test_processor_full_face_mask_prefers_xseg_mask(facesets, tmp_path):
    folder = tmp_path / "xseg"
    folder.mkdir()
    src = SampleLoader.load_face_samples(facesets[0])[0]
    shutil.copy(src.filename, folder / "face.jpg")
    applied = np.zeros((256, 256, 1), np.float32)
    applied[40:200, 60:180] = 1.0
    d = DFLJPG.load(folder / "face.jpg")
    d.set_xseg_mask(applied)
    d.save()
    s, = SampleLoader.load_face_samples(folder)
    out = dict(sample_type=SampleType.FACE_MASK, resolution=256, face_type=s.face_type,
               channel_type=ChannelType.G, face_mask_type=FaceMaskType.FULL_FACE)
    mask, = SampleProcessor.process(s, Options(), [out], 0)
    np.testing.assert_array_equal(mask, applied)
    hull, = SampleProcessor.process(src, Options(), [out], 0)
    assert np.abs(hull - applied).mean() > 0.05     # without it: the landmark hull


def test_processor_channels_formats_and_face_type_rewarp(facesets):
    sample = _sample(facesets)
    base = dict(sample_type=SampleType.FACE_IMAGE, resolution=48, face_type=FaceType.FULL, transform=False)
    bgr, g, ggg, nchw, tanh = SampleProcessor.process(sample, Options(random_flip=False), [
        dict(base, channel_type=ChannelType.BGR), dict(base, channel_type=ChannelType.G),
        dict(base, channel_type=ChannelType.GGG), dict(base, data_format="NCHW"),
        dict(base, normalize_tanh=True)], 0)
    assert bgr.shape == (48, 48, 3) and g.shape == (48, 48, 1) and ggg.shape == (48, 48, 3)
    np.testing.assert_allclose(ggg[..., 0], g[..., 0])
    np.testing.assert_array_equal(nchw, bgr.transpose(2, 0, 1))
    np.testing.assert_allclose(tanh, bgr * 2 - 1, atol=1e-6)
    # FULL from a WHOLE_FACE sample: re-cut from the landmarks, a tighter crop than a plain resize
    resized = cv2.resize(sample.load_bgr(), (48, 48), interpolation=cv2.INTER_CUBIC)
    mat = LandmarksProcessor.get_transform_mat(sample.landmarks, 48, FaceType.FULL)
    recut = cv2.warpAffine(sample.load_bgr(), mat, (48, 48), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    np.testing.assert_allclose(bgr, np.clip(recut, 0, 1), atol=1e-6)
    assert np.abs(bgr - resized).mean() > 0.02


def _batches(gen, n):
    try:
        return [gen.generate_next() for _ in range(n)]
    finally:
        gen.close()


def test_generator_is_deterministic_for_a_seed_in_workers_and_in_thread(facesets):
    src, dst = facesets
    kw = dict(batch_size=4, random_ct_samples_path=dst, output_sample_types=_outputs(ct_mode="rct", hsv=0.1),
              sample_process_options=Options(random_flip=True, scale_range=(-0.15, 0.15)))
    in_thread = _batches(SampleGeneratorFace(src, debug=True, seed=5, **kw), 3)
    workers = _batches(SampleGeneratorFace(src, generators_count=2, seed=5, **kw), 3)
    other = _batches(SampleGeneratorFace(src, debug=True, seed=6, **kw), 1)
    for a, b in zip(in_thread, workers):
        assert len(a) == 4
        assert a[0].shape == (4, RES, RES, 3) and a[2].shape == (4, RES, RES, 1)
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)
    assert np.abs(other[0][1] - in_thread[0][1]).mean() > 0.01


def test_generator_flips_image_and_mask_together(facesets):
    src, _ = facesets
    outs = _outputs(face_type=FaceType.WHOLE_FACE)[1:3]
    runs = {}
    for flip in (True, False):
        gen = SampleGeneratorFace(src, debug=True, batch_size=16, seed=11, output_sample_types=outs,
                                  sample_process_options=Options(random_flip=flip))
        runs[flip] = _batches(gen, 1)[0]
    (img_f, mask_f), (img_n, mask_n) = runs[True], runs[False]
    flipped = 0
    for i in range(16):
        if np.array_equal(img_f[i], img_n[i]):
            np.testing.assert_array_equal(mask_f[i], mask_n[i])
        else:
            np.testing.assert_array_equal(img_f[i], img_n[i][:, ::-1])
            np.testing.assert_array_equal(mask_f[i], mask_n[i][:, ::-1])
            flipped += 1
    assert 0 < flipped < 16


def test_generator_ct_recolours_input_and_target_alike(facesets):
    src, dst = facesets
    outs = _outputs(face_type=FaceType.WHOLE_FACE, warp=False, ct_mode="sot")[:2]
    plain_outs = _outputs(face_type=FaceType.WHOLE_FACE, warp=False)[:2]
    a, b = _batches(SampleGeneratorFace(src, debug=True, batch_size=4, seed=3, random_ct_samples_path=dst,
                                        output_sample_types=outs), 1)[0]
    plain, _ = _batches(SampleGeneratorFace(src, debug=True, batch_size=4, seed=3, output_sample_types=plain_outs), 1)[0]
    np.testing.assert_array_equal(a, b)
    assert np.abs(a - plain).mean() > 0.005


def test_generator_errors_are_one_line(facesets, tmp_path):
    with pytest.raises(UserError, match="No training data"):
        (tmp_path / "empty").mkdir()
        SampleGeneratorFace(tmp_path / "empty", debug=True)
    folder = tmp_path / "gone"
    shutil.copytree(facesets[0], folder)
    gen = SampleGeneratorFace(folder, generators_count=1, batch_size=2, seed=0,
                              output_sample_types=_outputs()[1:2])
    for p in folder.iterdir():
        p.unlink()
    with pytest.raises(UserError, match="cannot read"):
        gen.generate_next()
    assert not any(p.is_alive() for p in gen.procs)


def test_generator_close_stops_workers(facesets):
    gen = SampleGeneratorFace(facesets[0], generators_count=2, batch_size=2, seed=0, output_sample_types=_outputs()[1:2])
    assert gen.generate_next()[0].shape == (2, RES, RES, 3)
    gen.close()
    assert not any(p.is_alive() for p in gen.procs)


def _polygon_faceset(facesets, out_dir, label, n=4):
    """Faces whose image is a white asymmetric polygon on black, labelled with the same polygon as XSeg editor
    polygons (label 'polys') or as an applied xseg mask drawn a little soft (label 'xseg')."""
    out_dir.mkdir()
    for k, s in enumerate(SampleLoader.load_face_samples(facesets[0])[:n]):
        pts = np.array([[40 + 8 * k, 50], [200, 70], [150, 210], [60, 160 - 10 * k]], np.float32)
        img = np.zeros((256, 256, 3), np.uint8)
        cv2.fillPoly(img, [pts.astype(np.int32)], (255, 255, 255))
        polys = SegIEPolys()
        poly = polys.add_poly(SegIEPolyType.INCLUDE)
        for x, y in pts:
            poly.add_pt(x, y)
        soft = cv2.GaussianBlur(img[..., :1].astype(np.float32) / 255, (9, 9), 0)[..., None]
        DFLJPG.create(out_dir / f"poly_{k}.jpg", img, face_type=s.face_type, landmarks=s.landmarks,
                      seg_ie_polys=polys if label == "polys" else None, xseg_mask=soft if label == "xseg" else None)
    return out_dir


@pytest.mark.parametrize("label", ["polys", "xseg"])
def test_xseg_generator_masks_are_binary_and_aligned(facesets, tmp_path, label):
    folder = _polygon_faceset(facesets, tmp_path / "poly", label)
    # one case in a worker process, one in this thread
    gen = SampleGeneratorFaceXSeg([folder], face_type=FaceType.WHOLE_FACE, debug=label == "xseg", generators_count=1,
                                  batch_size=8, resolution=RES, seed=2)
    imgs, masks = _batches(gen, 1)[0]
    assert imgs.shape == (8, RES, RES, 3) and masks.shape == (8, RES, RES, 1)
    assert set(np.unique(masks)) <= {0.0, 1.0}
    for img, m in zip(imgs, masks):
        gray = img.mean(-1)
        inside, outside = gray[m[..., 0] == 1], gray[m[..., 0] == 0]
        assert inside.mean() > outside.mean() + 0.25
        # against the mirrored mask the image agrees much less: the mask follows the image's flip and warp
        mirrored = m[:, ::-1, 0]
        assert np.abs(gray - m[..., 0]).mean() < np.abs(gray - mirrored).mean()


def test_xseg_generator_without_labels_is_a_user_error(facesets):
    with pytest.raises(UserError, match="No segmented faces found"):
        SampleGeneratorFaceXSeg([facesets[1]], debug=True, face_type=FaceType.WHOLE_FACE)
