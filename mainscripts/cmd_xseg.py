"""CLI of `xseg`: one subcommand per tool registered in mainscripts/xseg_commands.py (XSEG_TOOLS)."""
ORDER = 50


def register(subparsers, common):
    from mainscripts.xseg_commands import load_tools

    p = subparsers.add_parser("xseg", help="XSeg masks: polygon editor, apply / remove / fetch")
    sub = p.add_subparsers(dest="xseg_command", metavar="TOOL", required=True)
    for name, (help_text, add_arguments, handler) in load_tools().items():
        s = sub.add_parser(name, parents=[common], help=help_text, description=help_text)
        if add_arguments is not None:
            add_arguments(s)
        s.set_defaults(func=handler)
