"""CLI of `videoed` (extract-video, cut-video, denoise-image-sequence, video-from-sequence); work in VideoEd.py.

Every value the tools ask for has a flag; values given as flags are validated like typed answers.
"""
ORDER = 90


def _extract_video(args):
    from mainscripts import VideoEd
    VideoEd.extract_video(args.input_file, args.output_dir, args.output_ext, args.fps, args.delete_existing)


def _cut_video(args):
    from mainscripts import VideoEd
    VideoEd.cut_video(args.input_file, args.from_time, args.to_time, args.audio_track_id, args.bitrate)


def _denoise(args):
    from mainscripts import VideoEd
    VideoEd.denoise_image_sequence(args.input_dir, args.factor)


def _video_from_sequence(args):
    from mainscripts import VideoEd
    VideoEd.video_from_sequence(args.input_dir, args.output_file, args.reference_file, args.ext, args.fps,
                                args.bitrate, args.include_audio, args.lossless, args.metadata, args.alpha,
                                args.mask_dir)


def register(subparsers, common):
    p = subparsers.add_parser("videoed", help="video tools: extract frames, cut, denoise, frames to video")
    sub = p.add_subparsers(dest="videoed_command", metavar="TOOL", required=True)

    s = sub.add_parser("extract-video", parents=[common], help="write a video's frames as images")
    s.add_argument("--input-file", required=True, help="video file; dir/name.* takes the first file with that name")
    s.add_argument("--output-dir", required=True, help="folder for the frames (created if missing)")
    s.add_argument("--output-ext", metavar="{png,jpg}", help="image format (asked: png)")
    s.add_argument("--fps", metavar="INT", help="frames per second to extract, 0 = every frame (asked: 0)")
    s.add_argument("--delete-existing", metavar="{y,n}",
                   help="delete images already in the output folder (asked: n)")
    s.set_defaults(func=_extract_video)

    s = sub.add_parser("cut-video", parents=[common], help="cut a part of a video to <name>_cut<ext>")
    s.add_argument("--input-file", required=True, help="video file; dir/name.* takes the first file with that name")
    s.add_argument("--from-time", metavar="HH:MM:SS.mmm", help="start (asked: 00:00:00.000)")
    s.add_argument("--to-time", metavar="HH:MM:SS.mmm", help="end (asked: the end of the video)")
    s.add_argument("--audio-track-id", metavar="INT", help="audio track to keep (asked: 0)")
    s.add_argument("--bitrate", metavar="MBIT", help="video bitrate in Mbit/s (asked: 25)")
    s.set_defaults(func=_cut_video)

    s = sub.add_parser("denoise-image-sequence", parents=[common], help="temporal denoise of a frame folder")
    s.add_argument("--input-dir", required=True, help="folder of frames (all png or all jpg)")
    s.add_argument("--factor", metavar="1..20", help="denoise strength (asked: 7)")
    s.set_defaults(func=_denoise)

    s = sub.add_parser("video-from-sequence", parents=[common], help="encode a frame folder as a video")
    s.add_argument("--input-dir", required=True, help="folder of frames, encoded in name order")
    s.add_argument("--output-file", required=True, help="video to write: .avi, .mp4 or .mov")
    s.add_argument("--reference-file",
                   help="video whose fps (and audio, with --include-audio) is used; dir/name.* allowed")
    s.add_argument("--ext", metavar="{png,jpg}", help="extension of the frames (asked: png)")
    s.add_argument("--fps", metavar="NUMBER", help="frame rate (taken from the reference, else asked: 25)")
    s.add_argument("--bitrate", metavar="MBIT", help="video bitrate in Mbit/s (asked: 16; not for lossless)")
    s.add_argument("--include-audio", action="store_true", help="copy the reference video's first audio track")
    s.add_argument("--lossless", nargs="?", const="y", metavar="{y,n}",
                   help="lossless RGB H.264 (asked: n; --lossless alone means y)")
    s.add_argument("--metadata", action="append", default=[], metavar="KEY=VALUE",
                   help="metadata tag written into the video (repeatable)")
    s.add_argument("--alpha", action="store_true",
                   help="a .mov with an alpha channel from the frames' masks (the 1.0 manual's mov lossless+alpha): "
                        "PNG in QuickTime with --lossless, else ProRes 4444")
    s.add_argument("--mask-dir", help="masks for --alpha, same names as the frames (default: <input-dir>_mask, "
                                      "i.e. merged_mask beside merged)")
    s.set_defaults(func=_video_from_sequence)
