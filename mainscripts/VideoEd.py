"""Video tools behind `videoed`: frames from a video, cut a video, denoise a frame sequence, video from frames.

Everything runs the static ffmpeg shipped in the imageio-ffmpeg wheel, with command lines built by ffmpeg-python.
There is no ffprobe in that wheel, so videos are probed by reading the stream header the same binary prints.
Outputs are written under a temporary name and renamed when complete, so an interrupted run never leaves a
half-written video under its final name, and existing frames are only deleted after the user agreed.
"""
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import cv2
import ffmpeg
import imageio_ffmpeg
import numpy as np

from core import interact
from core.cv2ex import cv2_imread
from core.errors import UserError
from core.pathex import get_image_paths, require_dir, resolve_input_file
from core.progress import Summary, progress

VIDEO_CONTAINERS = (".avi", ".mp4", ".mov")
_PIPE_CODECS = {".png": "png", ".jpg": "mjpeg", ".jpeg": "mjpeg"}


def ffmpeg_exe():
    return imageio_ffmpeg.get_ffmpeg_exe()


# ---------------------------------------------------------------------------------------------------------------- probe

@dataclass
class VideoInfo:
    path: Path
    width: int
    height: int
    fps: Fraction
    duration: float  # seconds; 0 when the container does not say
    audio_tracks: list = field(default_factory=list)  # codec names of the audio streams, in order

    @property
    def frame_estimate(self):
        return max(1, round(self.duration * float(self.fps))) if self.duration else None


_STREAM_RE = re.compile(r"^\s*Stream #\d+:\d+.*?: (Video|Audio): (.*)$")
_SIZE_RE = re.compile(r"\b(\d{2,5})x(\d{2,5})\b")
_FPS_RE = re.compile(r"([\d.]+)(k?) (fps|tbr)\b")
_DURATION_RE = re.compile(r"Duration: (\d+):(\d+):([\d.]+)")


def fps_fraction(text):
    """'29.97' -> 30000/1001 (the NTSC rates are printed rounded), '25' -> 25."""
    value = float(text)
    nominal = round(value * 1.001)
    if abs(value - round(value)) > 0.01 and abs(Fraction(nominal * 1000, 1001) - Fraction(value)) < 0.006:
        return Fraction(nominal * 1000, 1001)
    return Fraction(value).limit_denominator(1000)


def _meaningful(stderr_text):
    """The last distinct lines of an ffmpeg log that say what went wrong, joined into one line."""
    lines = [re.sub(r"^(\[[^\]]*\]\s*)+", "", ln.strip()) for ln in stderr_text.splitlines()]
    skip = ("Error opening input file", "Error opening output file", "Conversion failed", "Exiting normally",
            "Task finished", "Terminating thread", "Error processing packet", "Error while filtering")
    picked = [ln for ln in dict.fromkeys(lines) if ln and not ln.startswith(skip)]
    return "; ".join(picked[-2:]) or "ffmpeg stopped without a message"


def probe(path):
    """Read size, fps, duration and audio tracks of a video. Raises UserError if it has no readable video stream."""
    p = Path(path)
    if not p.is_file():
        raise UserError(f"video {p} does not exist")
    proc = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(p)],
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    text = proc.stderr.decode("utf-8", "replace")
    if "Input #0" not in text:
        raise UserError(f"cannot read video {p}: {_meaningful(text)}")
    video, audio = None, []
    for line in text.splitlines():
        m = _STREAM_RE.match(line)
        if not m:
            continue
        if m.group(1) == "Audio":
            audio.append(m.group(2).split(" ", 1)[0].rstrip(","))
        elif video is None and "attached pic" not in line:
            video = m.group(2)
    if video is None:
        raise UserError(f"{p} has no video stream: choose a video file")
    size = _SIZE_RE.search(video)
    rates = {unit: (float(num) * (1000 if k else 1)) for num, k, unit in _FPS_RE.findall(video)}
    rate = rates.get("fps") or rates.get("tbr")
    if size is None or not rate:
        raise UserError(f"cannot read the frame size or rate of {p}: re-encode it with another tool first")
    dur = _DURATION_RE.search(text)
    duration = int(dur.group(1)) * 3600 + int(dur.group(2)) * 60 + float(dur.group(3)) if dur else 0.0
    return VideoInfo(p, int(size.group(1)), int(size.group(2)), fps_fraction(rate), duration, audio)


# ----------------------------------------------------------------------------------------------------------- run ffmpeg

def _command(stream, extra_output_args=()):
    """ffmpeg-python's command line with our global options in front and extra output options before the output."""
    args = ffmpeg.compile(stream, cmd=ffmpeg_exe(), overwrite_output=True)
    # ffmpeg-python puts -y after the output file; output options must precede it.
    out_at = len(args) - 2
    return ([args[0], "-hide_banner", "-loglevel", "error"] + args[1:out_at] + list(extra_output_args)
            + args[out_at:])


def _fail(what, stderr_text):
    raise UserError(f"ffmpeg could not {what}: {_meaningful(stderr_text)}")


def _run_with_progress(args, what, total, desc):
    """Run ffmpeg, driving a progress bar from its `-progress` report (output frames)."""
    args = args[:1] + ["-nostdin", "-nostats", "-progress", "pipe:1"] + args[1:]
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err)
        try:
            with progress(desc=desc, total=total, unit="frame") as bar:
                for raw in proc.stdout:
                    key, _, value = raw.decode("ascii", "replace").strip().partition("=")
                    if key == "frame" and value.isdigit():
                        bar.update(int(value) - bar.n)
            rc = proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        if rc != 0:
            err.seek(0)
            _fail(what, err.read().decode("utf-8", "replace"))


def _read_frame_bytes(p):
    try:
        return p.read_bytes()
    except OSError as e:
        raise UserError(f"cannot read frame {p}: {e.strerror or e}")


def _run_piped(args, what, paths, desc, read=_read_frame_bytes):
    """Run ffmpeg reading each frame's image bytes (`read(path)`, by default the file) from stdin, one progress
    step per frame."""
    args = args[:1] + ["-xerror"] + args[1:]  # a damaged frame stops the run instead of being skipped
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err)
        try:
            for p in progress(paths, desc=desc, unit="frame"):
                data = read(p)
                try:
                    proc.stdin.write(data)
                except (BrokenPipeError, OSError):
                    break  # ffmpeg stopped; its log below says why
            try:
                proc.stdin.close()
            except (BrokenPipeError, OSError):
                pass
            rc = proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        if rc != 0:
            err.seek(0)
            _fail(what, err.read().decode("utf-8", "replace"))


def _partial_path(path):
    return path.with_name(f"{path.stem}.partial{path.suffix}")


def _drop(path):
    try:
        path.unlink()
    except OSError:
        pass


# ------------------------------------------------------------------------------------------------------ extract-video

def extract_video(input_file, output_dir, output_ext=None, fps=None, delete_existing=None):
    """Write every frame (or `fps` frames per second) of a video as 00001.png... into output_dir."""
    video = resolve_input_file(input_file)
    info = probe(video)
    out_dir = Path(output_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"output folder {out_dir} is a file: pass a folder")
    out_dir.mkdir(parents=True, exist_ok=True)

    fps = interact.input_int("Enter FPS", 0, valid_range=(0, 1000), value=fps,
                             help_message="How many frames of every second of the video will be extracted. "
                                          "0 - full fps")
    output_ext = interact.input_str("Output image format", "png", ["png", "jpg"], value=output_ext,
                                    help_message="png is lossless, but extraction is x10 slower for HDD, "
                                                 "requires x10 more disk space than jpg.")
    existing = get_image_paths(out_dir)
    if existing:
        ok = interact.input_bool(f"Delete the {len(existing)} images already in {out_dir}", False,
                                 value=delete_existing,
                                 help_message="The folder must be empty so the new frames are not mixed with old "
                                              "ones. Answer n to keep them and stop.")
        if not ok:
            raise UserError(f"{out_dir} already holds {len(existing)} images: empty it, choose another folder "
                            "or pass --delete-existing y")
        for p in existing:
            p.unlink()

    out_kwargs = {}
    if fps:
        out_kwargs["vf"] = f"fps={fps}"  # the fps filter gives round(duration*fps) frames, unlike -r
    if output_ext == "jpg":
        out_kwargs["q:v"] = "2"
    else:
        out_kwargs["pix_fmt"] = "rgb24"
    pattern = str(out_dir / f"%05d.{output_ext}")
    stream = ffmpeg.input(str(video)).output(pattern, map="0:v:0", **out_kwargs)
    total = round(info.duration * fps) if fps and info.duration else info.frame_estimate
    summary = Summary("Extracted")
    _run_with_progress(_command(stream), f"extract frames from {video}", total, "Extracting")
    n = len([p for p in out_dir.iterdir() if p.suffix == f".{output_ext}"])
    if n == 0:
        raise UserError(f"ffmpeg wrote no frames from {video}: the video may be empty or damaged")
    summary.add("frames", n)
    summary.print()
    interact.log_info(f"{n / max(summary.elapsed(), 1e-6):.1f} frames/s into {out_dir}")
    return n


# --------------------------------------------------------------------------------------------------------- cut-video

_TIME_RE = re.compile(r"^(?:(?:(\d+):)?(\d+):)?(\d+(?:\.\d*)?)$")


def parse_time(text):
    """'00:01:02.500', '1:02.5', '62.5' -> seconds."""
    m = _TIME_RE.match(str(text).strip())
    if not m:
        raise UserError(f"'{text}' is not a time: write HH:MM:SS.mmm, for example 00:00:05.000")
    h, mnt, s = m.groups()
    return int(h or 0) * 3600 + int(mnt or 0) * 60 + float(s)


def format_time(seconds):
    ms = int(round(seconds * 1000))
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def _ask_time(prompt, default, value):
    text = interact.input_str(prompt, default, value=value, lowercase=False)
    return parse_time(text)


def cut_video(input_file, from_time=None, to_time=None, audio_track_id=None, bitrate=None):
    """Re-encode [from, to] of a video (H.264 + the chosen audio track) as `<name>_cut<ext>` beside it."""
    video = resolve_input_file(input_file)
    info = probe(video)
    start = _ask_time("From time", "00:00:00.000", from_time)
    end = _ask_time("To time", format_time(info.duration), to_time)
    if info.duration and start >= info.duration:
        raise UserError(f"from time {format_time(start)} is past the end of {video.name} "
                        f"({format_time(info.duration)})")
    if end <= start:
        raise UserError(f"to time {format_time(end)} is not after from time {format_time(start)}")
    track = interact.input_int("Specify audio track id.", 0, valid_range=(0, 99), value=audio_track_id)
    if info.audio_tracks and track >= len(info.audio_tracks):
        raise UserError(f"{video.name} has {len(info.audio_tracks)} audio track(s): "
                        f"choose an id from 0 to {len(info.audio_tracks) - 1}")
    if track and not info.audio_tracks:
        raise UserError(f"{video.name} has no audio track: leave the audio track id at 0")
    bitrate = interact.input_int("Bitrate of output file in MB/s", 25, valid_range=(1, 1000), value=bitrate)

    output = video.with_name(f"{video.stem}_cut{video.suffix}")
    partial = _partial_path(output)
    src = ffmpeg.input(str(video), ss=format_time(start), to=format_time(end))
    streams = [src["v:0"]]
    out_kwargs = {"c:v": "libx264", "b:v": f"{bitrate}M", "pix_fmt": "yuv420p",
                  "vf": "pad=ceil(iw/2)*2:ceil(ih/2)*2"}  # yuv420p needs even sizes
    if info.audio_tracks:
        streams.append(src[f"a:{track}"])
        out_kwargs["c:a"] = "aac"
    stream = ffmpeg.output(*streams, str(partial), **out_kwargs)
    total = max(1, round((min(end, info.duration or end) - start) * float(info.fps)))
    summary = Summary("Cut")
    try:
        _run_with_progress(_command(stream), f"cut {video}", total, "Cutting")
        os.replace(partial, output)
    finally:
        _drop(partial)
    summary.add(f"s of video into {output.name}", round(min(end, info.duration or end) - start, 3))
    summary.print()
    return output


# --------------------------------------------------------------------------------------------- denoise-image-sequence

def _single_extension(paths, folder):
    exts = {p.suffix.lower() for p in paths}
    if len(exts) > 1:
        raise UserError(f"{folder} mixes image types ({', '.join(sorted(exts))}): keep one type of frame there")
    ext = exts.pop()
    if ext not in _PIPE_CODECS:
        raise UserError(f"{folder} holds {ext} frames: only png and jpg frames can be processed")
    return ext


def denoise_image_sequence(input_dir, factor=None):
    """Temporal denoise (ffmpeg hqdn3d) of a frame sequence, replacing each frame only once all are denoised."""
    folder = require_dir(input_dir, "frames folder")
    paths = get_image_paths(folder)
    if not paths:
        raise UserError(f"no images in {folder}: extract frames first")
    ext = _single_extension(paths, folder)
    factor = interact.input_int("Denoise factor?", 7, valid_range=(1, 20), value=factor,
                                help_message="Bigger factor - more denoise.")

    tmp_dir = Path(tempfile.mkdtemp(prefix=".denoise_", dir=folder))
    try:
        out_kwargs = {"vf": f"hqdn3d={factor}:{factor}:5:5"}
        out_kwargs.update({"q:v": "2"} if ext != ".png" else {"pix_fmt": "rgb24"})
        stream = (ffmpeg.input("pipe:", format="image2pipe", vcodec=_PIPE_CODECS[ext])
                  .output(str(tmp_dir / f"%06d{ext}"), **out_kwargs))
        summary = Summary("Denoised")
        _run_piped(_command(stream), f"denoise the frames in {folder}", paths, "Denoising")
        produced = sorted(tmp_dir.iterdir())
        if len(produced) != len(paths):
            raise UserError(f"ffmpeg returned {len(produced)} frames for {len(paths)} in {folder}; "
                            "the originals are unchanged")
        for new, old in zip(produced, paths):
            os.replace(new, old)
    finally:
        shutil.rmtree(tmp_dir, ignore_errors=True)
    summary.add("frames", len(paths))
    summary.print()
    return len(paths)


# ------------------------------------------------------------------------------------------------ video-from-sequence

def _parse_metadata(items):
    pairs = []
    for item in items or ():
        key, sep, value = str(item).partition("=")
        if not sep or not key.strip():
            raise UserError(f"--metadata '{item}' is not KEY=VALUE")
        pairs.append((key.strip(), value))
    return pairs


def _find_reference(reference_file):
    """The reference video, or None when a `name.*` pattern matches nothing (the FPS is then asked)."""
    if not reference_file:
        return None
    if str(reference_file).endswith(".*"):
        try:
            return resolve_input_file(reference_file)
        except UserError as e:
            interact.log_info(f"No reference video ({e}): FPS is asked, no audio is added.")
            return None
    return resolve_input_file(reference_file)


def mask_dir_of(frames_dir):
    """Where the merger writes the masks of a frames folder: `merged` -> `merged_mask`."""
    return frames_dir.parent / f"{frames_dir.name}_mask"


def _with_alpha(mask_dir):
    """read(path) for _run_piped: the frame as a BGRA PNG whose alpha is its own (an RGBA frame, e.g. merged with
    --export-alpha y) or else the mask of the same name in `mask_dir`."""
    masks = {m.stem: m for m in get_image_paths(mask_dir)}

    def read(p):
        img = cv2_imread(p)
        if img.ndim == 3 and img.shape[2] == 4:
            return _read_frame_bytes(p)
        if p.stem not in masks:
            raise UserError(f"no mask for frame {p.name} in {mask_dir}: merge again (it writes merged_mask), or "
                            "give --mask-dir")
        mask = cv2_imread(masks[p.stem], cv2.IMREAD_GRAYSCALE)
        if mask.shape != img.shape[:2]:
            raise UserError(f"mask {masks[p.stem]} is {mask.shape[1]}x{mask.shape[0]}, frame {p.name} is "
                            f"{img.shape[1]}x{img.shape[0]}: they must match")
        bgr = img if img.ndim == 3 else cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
        return cv2.imencode(".png", np.dstack([bgr, mask]), [cv2.IMWRITE_PNG_COMPRESSION, 1])[1].tobytes()
    return read


def video_from_sequence(input_dir, output_file, reference_file=None, ext=None, fps=None, bitrate=None,
                        include_audio=False, lossless=None, metadata=(), alpha=False, mask_dir=None):
    """Encode the frames of input_dir into output_file (avi/mp4/mov), with the reference video's fps and audio.

    `alpha` (the 1.0 manual's "mov lossless+alpha"): a .mov with an alpha channel taken from the frames' own alpha
    or from their masks (`mask_dir`, default `<input_dir>_mask`, the merger's merged_mask); PNG in QuickTime when
    lossless (decodes to exactly the frames and masks), else ProRes 4444 (what editors import)."""
    folder = require_dir(input_dir, "frames folder")
    output = Path(output_file)
    if output.suffix.lower() not in VIDEO_CONTAINERS:
        raise UserError(f"output {output.name}: use one of {', '.join(VIDEO_CONTAINERS)}")
    if alpha and output.suffix.lower() != ".mov":
        raise UserError(f"output {output.name}: a video with an alpha channel must be .mov (PNG or ProRes 4444)")
    if alpha:
        mask_dir = require_dir(mask_dir or mask_dir_of(folder), "masks folder (for the alpha channel)")
    tags = _parse_metadata(metadata)
    reference = _find_reference(reference_file)
    ref_info = probe(reference) if reference else None

    ext = interact.input_str("Input image format (extension)", "png", ["png", "jpg", "jpeg"],
                             value=None if ext is None else str(ext).lstrip("."))
    paths = [p for p in get_image_paths(folder) if p.suffix.lower() == f".{ext}"]
    if not paths:
        raise UserError(f"no .{ext} images in {folder}: merge first, or choose the frames' extension")
    from merger import label
    if label.is_labelled_png(paths[0]):
        # Frames made by the merger: the video carries the same synthetic-media label.
        tags += [t for t in label.video_tags() if t[0] not in dict(tags)]

    if fps is not None or ref_info is None:
        rate = interact.input_number("Enter FPS", 25, valid_range=(1, 1000), value=fps)
        rate = fps_fraction(rate)
    else:
        rate = ref_info.fps
        interact.log_info(f"FPS from {reference.name}: {float(rate):g}")
    lossless = interact.input_bool("Use lossless codec", False, value=lossless,
                                   help_message="Lossless (x264 RGB, qp 0) decodes to exactly the input frames; "
                                                "files are large and some players cannot show them.")
    if alpha and bitrate is not None:
        interact.log_info("Video with alpha: the bitrate is not used.")
    if alpha and lossless:
        out_kwargs = {"c:v": "png", "pix_fmt": "rgba"}
    elif alpha:
        out_kwargs = {"c:v": "prores_ks", "profile:v": "4444", "pix_fmt": "yuva444p10le"}
    elif lossless:
        if bitrate is not None:
            interact.log_info("Lossless: the bitrate is not used.")
        # libx264rgb at qp 0 keeps RGB as is: decoding returns the frames bit for bit (yuv420p would not).
        out_kwargs = {"c:v": "libx264rgb", "qp": "0", "pix_fmt": "rgb24"}
    else:
        bitrate = interact.input_int("Bitrate of output file in MB/s", 16, valid_range=(1, 1000), value=bitrate)
        out_kwargs = {"c:v": "libx264", "b:v": f"{bitrate}M", "pix_fmt": "yuv420p",
                      "vf": "pad=ceil(iw/2)*2:ceil(ih/2)*2"}  # yuv420p needs even sizes

    pipe_codec = "png" if alpha else _PIPE_CODECS[f".{ext}"]
    frames = ffmpeg.input("pipe:", format="image2pipe", r=str(rate), vcodec=pipe_codec)
    streams = [frames]
    if include_audio:
        if ref_info is None:
            interact.log_info("No reference video: the result has no audio.")
        elif not ref_info.audio_tracks:
            interact.log_info(f"{reference.name} has no audio track: the result has no audio.")
        else:
            streams.append(ffmpeg.input(str(reference))["a:0"])
            out_kwargs.update({"c:a": "aac", "b:a": "192k", "ar": "48000"})
    extra = []
    for key, value in tags:
        extra += ["-metadata", f"{key}={value}"]
    if tags and output.suffix.lower() in (".mp4", ".mov"):
        out_kwargs["movflags"] = "+use_metadata_tags"  # keeps keys MP4/MOV do not know by name

    output.parent.mkdir(parents=True, exist_ok=True)
    partial = _partial_path(output)
    stream = ffmpeg.output(*streams, str(partial), **out_kwargs)
    summary = Summary("Encoded")
    try:
        _run_piped(_command(stream, extra), f"encode {output}", paths, "Encoding",
                   **({"read": _with_alpha(mask_dir)} if alpha else {}))
        os.replace(partial, output)
    finally:
        _drop(partial)
    summary.add(f"frames into {output}", len(paths))
    summary.print()
    return output
