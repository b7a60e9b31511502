"""Registry of the `xseg` subcommands (editor, apply, remove, fetch, ...): `main.py xseg <name>` for each entry.

A tool is declared in a light module `mainscripts/xseg_cmd_<name>.py` (no TensorFlow/Qt/cv2 import at module level,
so `main.py --help` stays fast):

    from mainscripts.xseg_commands import tool

    def _arguments(p):
        p.add_argument("--input-dir", required=True, help="folder of aligned faces")

    @tool("editor", "edit the faces' mask polygons", _arguments)
    def _editor(args):
        from XSegEditor import app
        return app.run(args.input_dir)

`cmd_xseg.py` imports every `xseg_cmd_*` module (in name order) and adds one subparser per entry of XSEG_TOOLS.
"""
import importlib
import pkgutil

XSEG_TOOLS = {}  # name -> (help, add_arguments(parser) or None, handler(args))


def tool(name, help, add_arguments=None):
    """Decorator registering `handler(args)` as `xseg <name>`; `add_arguments(parser)` declares its flags."""
    def decorate(handler):
        if name in XSEG_TOOLS:
            raise ValueError(f"xseg tool {name!r} registered twice")
        XSEG_TOOLS[name] = (help, add_arguments, handler)
        return handler
    return decorate


def load_tools():
    """Import every `mainscripts.xseg_cmd_*` module and return the filled registry."""
    import mainscripts
    for info in sorted(pkgutil.iter_modules(mainscripts.__path__), key=lambda i: i.name):
        if info.name.startswith("xseg_cmd_"):
            importlib.import_module(f"mainscripts.{info.name}")
    return XSEG_TOOLS
