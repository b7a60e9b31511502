"""`xseg editor`: the polygon mask editor (PyQt5 window, XSegEditor package) for a folder of aligned faces."""
from mainscripts.xseg_commands import tool


def _arguments(p):
    p.add_argument("--input-dir", required=True, help="folder of aligned faces, e.g. workspace/data_src/aligned")


@tool("editor", "label faces with include/exclude polygons (saved in each face's metadata)", _arguments)
def _editor(args):
    from XSegEditor import app
    return app.run(args.input_dir)
