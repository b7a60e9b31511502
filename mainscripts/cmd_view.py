"""CLI of `view`: browse a folder of images or aligned faces in a window (the original's "view aligned result")."""
ORDER = 20


def _view(args):
    from mainscripts import FolderViewer

    return FolderViewer.run(args.input_dir)


def register(subparsers, common):
    p = subparsers.add_parser("view", parents=[common], help="browse a folder of images / aligned faces in a window",
                              description="Thumbnail grid of the folder's images; click or Enter opens one large, "
                                          "Left/Right (A/D) or the mouse wheel step through the folder, Esc goes "
                                          "back to the grid and closes the window from there. The status bar shows "
                                          "an aligned face's type, source frame and XSeg polygons / applied mask.")
    p.add_argument("--input-dir", required=True, help="folder of images, e.g. workspace/data_src/aligned")
    p.set_defaults(func=_view)
