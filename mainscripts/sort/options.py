"""The prompts some sort methods ask, declared once: each is also a `sort` flag (so scripts never block)."""
from core.options import Option

OPTIONS = {
    o.name: o for o in (
        Option("target_count", "Target number of faces?", "int", 2000, valid_range=(1, 10_000_000),
               help="Best faces keeps exactly this many faces, spread over yaw and pitch, sharpest first; "
                    "the rest is moved to <folder>_trash."),
        Option("absdiff_similar", "Sort by similar?", "bool", True,
               help="Otherwise sort by dissimilar."),
        Option("identity_threshold", "Identity distance threshold", "float", 0.6, valid_range=(0.2, 1.2),
               help="Largest distance between 128-D face embeddings of the same person (dlib's usual 0.6). "
                    "Lower splits people into more groups; higher merges look-alikes."),
        Option("identity_trash", "Move faces of other people to trash?", "bool", False,
               help="Keep only the biggest group (the person most faces belong to) and move every other face to "
                    "<folder>_trash."),
    )
}
