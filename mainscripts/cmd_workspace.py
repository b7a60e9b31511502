"""CLI of `workspace clear` (the "1) clear workspace" launcher); work in Workspace.py."""
ORDER = 5


def _clear(args):
    from mainscripts import Workspace
    Workspace.clear_workspace(args.workspace_dir, "y" if args.yes else None)


def register(subparsers, common):
    p = subparsers.add_parser("workspace", help="workspace folder tools")
    sub = p.add_subparsers(dest="workspace_command", metavar="TOOL", required=True)
    s = sub.add_parser("clear", parents=[common],
                       help="delete frames, faces, model and results; keep data_src.* and data_dst.*")
    s.add_argument("--workspace-dir", required=True, help="the workspace folder")
    s.add_argument("--yes", action="store_true", help="delete without asking")
    s.set_defaults(func=_clear)
