"""CLI of `extract` (reference §1.1, §8.1): frames -> aligned faces; the work is in Extractor.py.

Unset options are asked (or their defaults taken without a terminal), as in the original.
"""
ORDER = 10


def _extract(args):
    from core import interact
    from mainscripts import Extractor

    workers = None
    if args.workers is not None:
        workers = interact.input_int("Worker processes", 1, valid_range=(1, 256), value=args.workers)
    Extractor.extract(args.input_dir, args.output_dir, face_type=args.face_type,
                      max_faces_from_image=args.max_faces_from_image, image_size=args.image_size,
                      jpeg_quality=args.jpeg_quality, detector=args.detector, landmarker=args.landmarker,
                      output_debug=args.output_debug, manual_fix=args.manual_fix,
                      manual_output_debug_fix=args.manual_output_debug_fix,
                      manual_window_size=args.manual_window_size, cpu_only=args.cpu_only,
                      force_gpu_idxs=args.force_gpu_idxs, workers=workers,
                      continue_extraction=args.continue_extraction, delete_existing=args.delete_existing,
                      min_face_size=args.min_face_size)
    return 0


def register(subparsers, common):
    from core.options import add_options
    from mainscripts.extract.options import OPTIONS

    p = subparsers.add_parser("extract", parents=[common], help="find, align and save the faces of a frame folder",
                              description="Find the faces in every frame, align them and write <frame>_<n>.jpg "
                                          "with their metadata into the output folder.")
    p.add_argument("--input-dir", required=True, help="folder of frames, e.g. workspace/data_src")
    p.add_argument("--output-dir", required=True, help="folder for the aligned faces, e.g. workspace/data_src/aligned")
    p.add_argument("--output-debug", dest="output_debug", action="store_const", const=True, default=None,
                   help="write debug images (frame with landmarks and crop) to <output>_debug")
    p.add_argument("--no-output-debug", dest="output_debug", action="store_const", const=False,
                   help="do not write debug images")
    p.add_argument("--face-type", metavar="{h,mf,f,wf,head,mark_only}",
                   help="Face type (default wf); also the long names half_face, midfull_face, full_face, whole_face")
    add_options(p, [o for o in OPTIONS if o.name != "face_type"])
    p.add_argument("--detector", metavar="NAME",
                   help="centerface (asked: centerface), mt, s3fd (needs _internal/S3FD.npy) or manual")
    p.add_argument("--landmarker", metavar="NAME",
                   help="dlib68 (asked: dlib68), fan2d / fan3d (need _internal/2DFAN.npy / 3DFAN.npy)")
    p.add_argument("--manual-fix", action="store_true",
                   help="after the automatic pass, mark by hand the frames where no face was found")
    p.add_argument("--manual-output-debug-fix", action="store_true",
                   help="re-extract by hand the frames whose debug image you deleted from <output>_debug")
    p.add_argument("--manual-window-size", metavar="PIXELS", default=1368,
                   help="width of the manual window (default 1368)")
    p.add_argument("--cpu-only", action="store_true", help="run TensorFlow models (mt, s3fd, fan) on the CPU")
    p.add_argument("--force-gpu-idxs", metavar="0,1", help="GPUs for TensorFlow models, one worker each")
    p.add_argument("--workers", metavar="N", help="worker processes (default: all CPU cores; one per GPU)")
    p.set_defaults(func=_extract)
