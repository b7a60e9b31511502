"""The editor's folder of aligned faces (no Qt): which files are faces, which are labelled, loading, saving, trashing.

Only flags are kept per face (labelled, has an applied XSeg mask), so a folder of thousands of faces costs little
memory; a face's image and polygons are read when it is shown. Saving re-reads the file first and changes only
`seg_ie_polys`, so metadata written meanwhile by another tool (e.g. `xseg apply`) is kept.
"""
from dataclasses import dataclass
from pathlib import Path

from core.dflimg import DFLJPG, SegIEPolys, iter_dfl_images
from core.pathex import get_image_paths, move_to_trash, require_dir, trash_dir_of
from core.progress import progress


@dataclass
class Face:
    path: Path
    labelled: bool
    has_xseg_mask: bool


@dataclass
class LoadedFace:
    img: object          # uint8 BGR (H, W, 3)
    polys: SegIEPolys
    xseg_mask: object    # float32 (H, W, 1) in 0..1, or None


class FaceFolder:
    def __init__(self, input_dir, show_progress=False):
        self.dir = require_dir(input_dir, "aligned faces folder")
        self.trash_dir = trash_dir_of(self.dir)
        self.skipped = []   # (path, error) of the files that are not aligned faces
        paths = progress(get_image_paths(self.dir), desc="Reading faces", unit="file", disable=not show_progress)
        self.faces = [Face(p, d.has_seg_ie_polys(), d.has_xseg_mask())
                      for p, d in iter_dfl_images(paths, on_skip=lambda p, e: self.skipped.append((p, e)))]

    def __len__(self):
        return len(self.faces)

    def labelled_count(self):
        return sum(f.labelled for f in self.faces)

    def load(self, index):
        face = self.faces[index]
        d = DFLJPG.load(face.path)
        polys = d.get_seg_ie_polys()
        face.labelled, face.has_xseg_mask = polys.has_polys(), d.has_xseg_mask()
        return LoadedFace(d.get_img(), polys, d.get_xseg_mask())

    def save_polys(self, index, polys):
        """Write `polys` into the face's metadata (atomic); raises UserError when the file cannot be written."""
        face = self.faces[index]
        d = DFLJPG.load(face.path)
        d.set_seg_ie_polys(polys)
        d.save()
        face.labelled = polys.has_polys()

    def trash(self, index):
        """Move a face to `<dir>_trash` (a name already there gets a numbered suffix); returns the new path."""
        target = move_to_trash(self.faces[index].path)
        del self.faces[index]
        return target
