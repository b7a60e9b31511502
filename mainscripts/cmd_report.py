"""CLI of `report`: swap quality report of a merged workspace (identity, pose, landmarks, seam, jitter, model)."""
ORDER = 90


def _report(args):
    from mainscripts.report.run import main
    main(args)


def register(subparsers, common):
    p = subparsers.add_parser("report", parents=[common], help="swap quality report of a merged workspace",
                              description="Measures every merged dst face against its original frame and the src "
                                          "faceset (dlib 128-D identity, landmarks, pose, seam, jitter) and, with "
                                          "--model-dir, the model's dst->dst reconstruction (SSIM, PSNR). Writes "
                                          "report.html and report.json.")
    p.add_argument("--workspace-dir", required=True, help="workspace folder (data_src, data_dst, merged frames)")
    p.add_argument("--model-dir", help="model folder: also evaluate the model's dst->dst reconstruction")
    p.add_argument("--model", help="model class to evaluate when the folder holds several (e.g. SAEHD)")
    p.add_argument("--force-model-name", help="model name to evaluate when the folder holds several")
    p.add_argument("--holdout-dir", help="aligned faces the model never trained on (default: data_dst/aligned, "
                                         "marked as training faces in the report)")
    p.add_argument("--aligned-dir", help="dst aligned faces (default: <workspace>/data_dst/aligned)")
    p.add_argument("--src-aligned-dir", help="src aligned faces (default: <workspace>/data_src/aligned)")
    p.add_argument("--merged-dir", help="merged frames (default: <workspace>/data_dst/merged)")
    p.add_argument("--merged-mask-dir", help="merged masks (default: <workspace>/data_dst/merged_mask)")
    p.add_argument("--output-dir", help="where report.html and report.json go (default: the workspace)")
    p.add_argument("--max-src-faces", type=int, default=200, help="src faces averaged into the src identity (200)")
    p.add_argument("--landmarker", default="dlib68", help="landmarker that finds the faces again (dlib68)")
    p.set_defaults(func=_report)
