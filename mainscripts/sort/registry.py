"""The sort methods: menu number, CLI names, menu text and where the code lives.

Numbers 0..14 and the CLI names are the original's; 15 (identity) is new. The functions are imported only when a
method runs, so listing the methods (menu, `--help`) stays cheap.
"""
import importlib
from dataclasses import dataclass

from core.errors import UserError


@dataclass(frozen=True)
class SortMethod:
    number: int
    name: str          # CLI name, as the original's --by choices
    title: str         # menu text, as the original's menu
    target: str        # "module:function" inside mainscripts.sort
    aliases: tuple = ()
    options: tuple = ()  # names of the prompts (core.options.Option) this method asks

    def load(self):
        module, func = self.target.split(":")
        return getattr(importlib.import_module(f"mainscripts.sort.{module}"), func)


METHODS = (
    SortMethod(0, "blur", "blur", "blur:sort_by_blur"),
    SortMethod(1, "motion-blur", "motion blur", "blur:sort_by_motion_blur"),
    SortMethod(2, "face-yaw", "face yaw direction", "pose:sort_by_yaw"),
    SortMethod(3, "face-pitch", "face pitch direction", "pose:sort_by_pitch"),
    SortMethod(4, "face-source-rect-size", "face rect size in source image", "pose:sort_by_source_rect_size"),
    SortMethod(5, "hist", "histogram similarity", "histogram:sort_by_hist"),
    SortMethod(6, "hist-dissim", "histogram dissimilarity", "histogram:sort_by_hist_dissim"),
    SortMethod(7, "brightness", "brightness", "color:sort_by_brightness"),
    SortMethod(8, "hue", "hue", "color:sort_by_hue"),
    SortMethod(9, "black", "amount of black pixels", "color:sort_by_black"),
    SortMethod(10, "origname", "original filename", "names:sort_by_origname"),
    SortMethod(11, "oneface", "one face in image", "names:sort_by_oneface"),
    SortMethod(12, "absdiff", "absolute pixel difference", "absdiff:sort_by_absdiff",
               options=("absdiff_similar",)),
    SortMethod(13, "final-by-blur", "best faces", "best:sort_best", aliases=("final",),
               options=("target_count",)),
    SortMethod(14, "final-by-size", "best faces faster", "best:sort_best_faster", aliases=("final-fast",),
               options=("target_count",)),
    SortMethod(15, "identity", "identity (who the face belongs to)", "identity:sort_by_identity",
               options=("identity_threshold", "identity_trash")),
)

DEFAULT_NUMBER = 5  # the original's menu default: histogram similarity


def names():
    return [m.name for m in METHODS]


def resolve(text):
    """Method from a menu number or a CLI name (case-insensitive); UserError listing the choices otherwise."""
    t = str(text).strip().lower()
    for m in METHODS:
        if t == str(m.number) or t == m.name or t in m.aliases:
            return m
    raise UserError(f"unknown sort method '{text}': use a number 0..{len(METHODS) - 1} or one of "
                    f"{', '.join(names())}")
