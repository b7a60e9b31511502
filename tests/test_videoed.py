"""videoed on the real demo videos: extract, cut, denoise, rebuild (frame counts, fps, audio, lossless), bad input."""
import shutil
import subprocess

import cv2
import imageio_ffmpeg
import numpy as np
import pytest

from core import interact
from core.errors import UserError
from mainscripts import VideoEd

SRC = "data_src.mp4"  # 68 frames, 15 fps, 4.53 s, with audio
DST = "data_dst.mp4"  # 60 frames, 30 fps, 2.0 s, no audio


@pytest.fixture(autouse=True)
def _no_questions(monkeypatch):
    monkeypatch.setitem(interact._state, "non_interactive", True)


@pytest.fixture(scope="module")
def videos(repo_root):
    return repo_root / "workspace"


@pytest.fixture(scope="module")
def src_frames(videos, tmp_path_factory):
    """All frames of data_src.mp4 as png (extracted once for the rebuild tests)."""
    out = tmp_path_factory.mktemp("src_frames")
    VideoEd.extract_video(videos / SRC, out, "png", 0)
    return out


def frame_count(path):
    return imageio_ffmpeg.count_frames_and_secs(str(path))[0]


def decode_rgb(path):
    gen = imageio_ffmpeg.read_frames(str(path), pix_fmt="rgb24")
    meta = next(gen)
    w, h = meta["size"]
    return meta, [np.frombuffer(b, np.uint8).reshape(h, w, 3) for b in gen]


@pytest.mark.parametrize("name,frames,size", [(SRC, 68, (160, 120)), (DST, 60, (252, 188))])
def test_extract_full_fps_png(videos, tmp_path, name, frames, size):
    assert frame_count(videos / name) == frames
    n = VideoEd.extract_video(videos / name, tmp_path, "png", 0)
    files = sorted(tmp_path.glob("*.png"))
    assert n == len(files) == frames
    assert files[0].name == "00001.png" and files[-1].name == f"{frames:05d}.png"
    img = cv2.imread(str(files[10]))
    assert (img.shape[1], img.shape[0]) == size
    assert img.std() > 10  # a real picture, not a blank frame


@pytest.mark.parametrize("name,fps", [(SRC, 5), (DST, 10)])
def test_extract_reduced_fps_jpg(videos, tmp_path, name, fps):
    info = VideoEd.probe(videos / name)
    n = VideoEd.extract_video(videos / name, tmp_path, "jpg", fps)
    assert n == len(list(tmp_path.glob("*.jpg"))) == round(info.duration * fps)
    assert not list(tmp_path.glob("*.png"))


def test_extract_name_pattern_and_existing_frames(videos, tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    shutil.copy(videos / DST, ws / "data_dst.mp4")
    out = ws / "data_dst"
    assert VideoEd.extract_video(f"{ws}/data_dst.*", out, "jpg", 5) == 10
    # Frames already there are kept unless the user agrees to delete them.
    with pytest.raises(UserError, match="already holds 10 images"):
        VideoEd.extract_video(f"{ws}/data_dst.*", out, "png", 0)
    assert len(list(out.glob("*.jpg"))) == 10
    assert VideoEd.extract_video(f"{ws}/data_dst.*", out, "png", 0, delete_existing="y") == 60
    assert not list(out.glob("*.jpg"))


def test_cut_keeps_duration_and_audio(videos, tmp_path):
    shutil.copy(videos / SRC, tmp_path / SRC)
    out = VideoEd.cut_video(tmp_path / SRC, "00:00:01.000", "00:00:03.000", 0, 2)
    assert out == tmp_path / "data_src_cut.mp4"
    info = VideoEd.probe(out)
    assert info.audio_tracks == ["aac"]
    assert abs(info.duration - 2.0) < 0.15
    assert abs(frame_count(out) - 30) <= 1
    assert not list(tmp_path.glob("*.partial.*"))


def test_cut_defaults_to_whole_video_without_audio(videos, tmp_path):
    shutil.copy(videos / DST, tmp_path / DST)
    out = VideoEd.cut_video(tmp_path / DST)
    info = VideoEd.probe(out)
    assert info.audio_tracks == []
    assert frame_count(out) == 60
    with pytest.raises(UserError, match="no audio track"):
        VideoEd.cut_video(tmp_path / DST, audio_track_id="1")


@pytest.mark.parametrize("kwargs,message", [
    ({"from_time": "00:00:03", "to_time": "00:00:01"}, "not after from time"),
    ({"from_time": "00:00:09"}, "past the end"),
    ({"from_time": "soon"}, "is not a time"),
    ({"bitrate": "0"}, "outside"),
    ({"bitrate": "fast"}, "not a whole number"),
    ({"audio_track_id": "2"}, "1 audio track"),
])
def test_cut_bad_values(videos, tmp_path, kwargs, message):
    shutil.copy(videos / SRC, tmp_path / SRC)
    with pytest.raises(UserError, match=message):
        VideoEd.cut_video(tmp_path / SRC, **kwargs)
    assert sorted(p.name for p in tmp_path.iterdir()) == [SRC]


def test_denoise_changes_frames_keeps_names(videos, tmp_path):
    VideoEd.extract_video(videos / DST, tmp_path, "png", 10)
    before = {p.name: cv2.imread(str(p)) for p in sorted(tmp_path.glob("*.png"))}
    assert VideoEd.denoise_image_sequence(tmp_path, 10) == len(before) == 20
    after = {p.name: cv2.imread(str(p)) for p in sorted(tmp_path.glob("*.png"))}
    assert sorted(after) == sorted(before)
    changed = [n for n in before if not np.array_equal(before[n], after[n])]
    assert len(changed) >= len(before) - 1
    assert all(after[n].shape == before[n].shape for n in before)
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == []


def test_denoise_bad_input(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        VideoEd.denoise_image_sequence(tmp_path / "missing")
    with pytest.raises(UserError, match="no images"):
        VideoEd.denoise_image_sequence(tmp_path)
    with pytest.raises(UserError, match="outside 1..20"):
        (tmp_path / "00001.png").write_bytes(cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))[1].tobytes())
        VideoEd.denoise_image_sequence(tmp_path, "21")


def test_video_from_sequence_fps_audio_metadata(videos, src_frames, tmp_path):
    out = tmp_path / "new_dir" / "result.mp4"  # a missing output folder is created, and the video still written
    VideoEd.video_from_sequence(src_frames, out, f"{videos}/data_src.*", "png", None, 2, True, None,
                                ["comment=made by a test", "synthetic_media=yes"])
    info = VideoEd.probe(out)
    assert frame_count(out) == 68
    assert info.fps == 15
    assert info.audio_tracks == ["aac"]
    header = subprocess.run([VideoEd.ffmpeg_exe(), "-hide_banner", "-i", str(out)],
                            capture_output=True, text=True).stderr
    assert "synthetic_media : yes" in header and "comment         : made by a test" in header


def test_video_from_sequence_reference_without_audio(videos, src_frames, tmp_path):
    out = tmp_path / "result.avi"
    VideoEd.video_from_sequence(src_frames, out, videos / DST, "png", None, 2, True, "n")
    info = VideoEd.probe(out)
    assert info.audio_tracks == [] and info.fps == 30
    assert frame_count(out) == 68


@pytest.mark.parametrize("container", ["mov", "mp4"])
def test_video_from_sequence_lossless_is_bit_exact(src_frames, tmp_path, container):
    out = tmp_path / f"result_mask.{container}"
    VideoEd.video_from_sequence(src_frames, out, None, "png", "12.5", None, False, "y")
    meta, decoded = decode_rgb(out)
    frames = [cv2.imread(str(p))[:, :, ::-1] for p in sorted(src_frames.glob("*.png"))]
    assert meta["fps"] == 12.5
    assert len(decoded) == len(frames) == 68
    assert all(np.array_equal(a, b) for a, b in zip(decoded, frames))


def test_video_from_sequence_bad_input(src_frames, tmp_path):
    empty = tmp_path / "merged"
    empty.mkdir()
    with pytest.raises(UserError, match="no .png images"):
        VideoEd.video_from_sequence(empty, tmp_path / "r.mp4")
    with pytest.raises(UserError, match="does not exist"):
        VideoEd.video_from_sequence(tmp_path / "missing", tmp_path / "r.mp4")
    with pytest.raises(UserError, match="use one of .avi, .mp4, .mov"):
        VideoEd.video_from_sequence(src_frames, tmp_path / "r.gif")
    with pytest.raises(UserError, match="not KEY=VALUE"):
        VideoEd.video_from_sequence(src_frames, tmp_path / "r.mp4", metadata=["synthetic"])
    with pytest.raises(UserError, match="does not exist"):
        VideoEd.video_from_sequence(src_frames, tmp_path / "r.mp4", tmp_path / "nope.mp4")
    # A corrupt frame: ffmpeg's reason in one line, no half-written result.
    bad = tmp_path / "bad"
    shutil.copytree(src_frames, bad)
    (bad / "00005.png").write_bytes(b"not a png at all")
    with pytest.raises(UserError, match="ffmpeg could not encode"):
        VideoEd.video_from_sequence(bad, tmp_path / "r.mp4", None, "png", 25, 2)
    assert not list(tmp_path.glob("r*.mp4"))


def test_bad_videos(videos, tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        VideoEd.extract_video(tmp_path / "missing.mp4", tmp_path / "out")
    with pytest.raises(UserError, match="no file named"):
        VideoEd.extract_video(f"{tmp_path}/data_src.*", tmp_path / "out")
    fake = tmp_path / "fake.mp4"
    fake.write_text("this is not a video\n")
    with pytest.raises(UserError, match="Invalid data"):
        VideoEd.extract_video(fake, tmp_path / "out")
    sound = tmp_path / "sound.m4a"
    subprocess.run([VideoEd.ffmpeg_exe(), "-loglevel", "error", "-i", str(videos / SRC), "-vn", "-c:a", "aac",
                    str(sound)], check=True)
    with pytest.raises(UserError, match="has no video stream"):
        VideoEd.extract_video(sound, tmp_path / "out")
    with pytest.raises(UserError, match="has no video stream"):
        VideoEd.cut_video(sound)


def test_fps_fraction():
    assert VideoEd.fps_fraction("29.97") == VideoEd.Fraction(30000, 1001)
    assert VideoEd.fps_fraction("23.98") == VideoEd.Fraction(24000, 1001)
    assert VideoEd.fps_fraction("25") == 25
    assert VideoEd.fps_fraction("12.5") == VideoEd.Fraction(25, 2)
    assert VideoEd.parse_time("00:01:02.500") == 62.5 and VideoEd.format_time(62.5) == "00:01:02.500"


def decode_rgba(path):
    gen = imageio_ffmpeg.read_frames(str(path), pix_fmt="rgba", bits_per_pixel=32)
    meta = next(gen)
    w, h = meta["size"]
    return [np.frombuffer(b, np.uint8).reshape(h, w, 4) for b in gen]


@pytest.fixture
def merged_with_masks(src_frames, tmp_path):
    """data_dst/merged + merged_mask as the merger writes them: frames and same-named grey masks (a moving disk)."""
    merged = tmp_path / "data_dst" / "merged"
    masks = tmp_path / "data_dst" / "merged_mask"
    shutil.copytree(src_frames, merged)
    masks.mkdir()
    for i, p in enumerate(sorted(merged.glob("*.png"))):
        h, w = cv2.imread(str(p)).shape[:2]
        m = np.zeros((h, w), np.uint8)
        cv2.circle(m, (20 + i, h // 2), 30, 255, -1)
        cv2.imwrite(str(masks / p.name), cv2.GaussianBlur(m, (9, 9), 0))
    return merged, masks


def test_video_with_alpha_from_the_merged_masks(merged_with_masks, tmp_path):
    """The 1.0 manual's "mov lossless+alpha": frames + merged_mask -> a .mov with an alpha channel."""
    merged, masks = merged_with_masks
    frames = [cv2.imread(str(p)) for p in sorted(merged.glob("*.png"))]
    alphas = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in sorted(masks.glob("*.png"))]
    out = tmp_path / "result.mov"
    VideoEd.video_from_sequence(merged, out, None, "png", 15, None, False, "y", alpha=True)   # merged_mask beside
    decoded = decode_rgba(out)
    assert len(decoded) == len(frames) == 68
    assert all(np.array_equal(d[..., :3], f[..., ::-1]) and np.array_equal(d[..., 3], a)
               for d, f, a in zip(decoded, frames, alphas))                                     # bit exact
    prores = tmp_path / "result_prores.mov"
    VideoEd.video_from_sequence(merged, prores, None, "png", 15, 8, False, "n", alpha=True, mask_dir=masks)
    header = subprocess.run([VideoEd.ffmpeg_exe(), "-hide_banner", "-i", str(prores)],
                            capture_output=True, text=True).stderr
    assert "prores" in header and "yuva444p" in header
    decoded = decode_rgba(prores)
    assert np.mean([np.abs(d[..., 3].astype(int) - a).mean() for d, a in zip(decoded, alphas)]) < 1.5
    # Frames that carry their own alpha (merged with --export-alpha y) need no masks.
    own = tmp_path / "own"
    own.mkdir()
    for i, (f, a) in enumerate(zip(frames[:5], alphas[:5])):
        cv2.imwrite(str(own / f"{i:05d}.png"), np.dstack([f, 255 - a]))
    VideoEd.video_from_sequence(own, tmp_path / "own.mov", None, "png", 15, None, False, "y", alpha=True,
                                mask_dir=masks)
    assert np.array_equal(decode_rgba(tmp_path / "own.mov")[2][..., 3], 255 - alphas[2])


def test_video_with_alpha_bad_input(merged_with_masks, tmp_path):
    merged, masks = merged_with_masks
    with pytest.raises(UserError, match="alpha channel must be .mov"):
        VideoEd.video_from_sequence(merged, tmp_path / "r.mp4", None, "png", 15, None, False, "y", alpha=True)
    with pytest.raises(UserError, match="masks folder"):
        VideoEd.video_from_sequence(merged, tmp_path / "r.mov", None, "png", 15, None, False, "y", alpha=True,
                                    mask_dir=tmp_path / "nope")
    sorted(masks.glob("*.png"))[0].unlink()
    with pytest.raises(UserError, match="no mask for frame 00001.png"):
        VideoEd.video_from_sequence(merged, tmp_path / "r.mov", None, "png", 15, None, False, "y", alpha=True)
    assert not list(tmp_path.glob("r*.mov"))
