"""faceset.pak: a whole aligned folder in one file, in the original's layout (VERSION 1, reference §5.4).

  u64 version | u64 n | n bytes: pickle (protocol 4) of [Sample.get_config(), ...] | u64 offsets[count + 1]
  | the JPG files back to back, exactly as on disk            (u64 = native little-endian 'Q')

offsets[i] is relative to the start of the JPG data, except the last one, which the original writes as an absolute
file position. We write the same (so the original reads our packs) and read tolerantly: the last size is clamped to
the end of the file. The configs are read with the restricted unpickler; the JPG bytes are never unpickled.
"""
import os
import struct
from pathlib import Path

from core import interact
from core.dflimg import iter_dfl_images
from core.errors import UserError
from core.pathex import atomic_write, child_path, get_image_paths, write_bytes_atomic
from core.progress import Summary, progress
from core.safe_pickle import dumps, safe_loads
from samplelib.Sample import Sample

PACKED_FACESET_FILENAME = "faceset.pak"
VERSION = 1
_U64 = struct.Struct("<Q")


def path_contains(samples_path):
    return (Path(samples_path) / PACKED_FACESET_FILENAME).is_file()


def pack(samples_path, as_person_faceset=None, delete_originals=None):
    """Pack every aligned face of `samples_path` (or of its person subfolders) into faceset.pak.

    `as_person_faceset` / `delete_originals` answer the original's two prompts (None = ask, default yes).
    """
    samples_path = Path(samples_path)
    pak_path = samples_path / PACKED_FACESET_FILENAME
    summary = Summary("Packed")
    dir_names = sorted(p.name for p in samples_path.iterdir() if p.is_dir())
    if dir_names:
        as_person_faceset = interact.input_bool(
            f"{len(dir_names)} subdirectories found, process as person faceset?", True,
            help_message="y: pack the faces of each subfolder, remembering the subfolder as the person's name",
            value=as_person_faceset)
    else:
        as_person_faceset = False
    image_paths = ([p for d in dir_names for p in get_image_paths(samples_path / d)] if as_person_faceset
                   else get_image_paths(samples_path))

    samples = []
    for path, dflimg in iter_dfl_images(progress(image_paths, "Reading", unit="face")):
        samples.append(Sample.from_dflimg(path, dflimg, path.parent.name if as_person_faceset else None))
    if not samples:
        raise UserError(f"{samples_path}: no aligned faces to pack")
    if pak_path.exists() and not interact.input_bool(
            f"{pak_path} already exists. Overwrite it?", True,
            help_message="y: replace it with a pack of the faces in this folder (the original asks the same)"):
        raise UserError(f"{pak_path}: exists and was kept; move it away or answer y to pack again")

    configs = []
    for s in samples:
        cfg = s.get_config()
        cfg["filename"] = Path(s.filename).name
        configs.append(cfg)
    header = dumps(configs)

    total = 0
    with atomic_write(pak_path) as f:
        f.write(_U64.pack(VERSION))
        f.write(_U64.pack(len(header)))
        f.write(header)
        table_at = f.tell()
        f.write(bytes(8 * (len(samples) + 1)))
        data_start = f.tell()
        offsets = []
        for s in progress(samples, "Packing", unit="face"):
            offsets.append(f.tell() - data_start)
            data = s.read_raw_file()
            f.write(data)
            total += len(data)
        offsets.append(f.tell())  # the original's quirk: the last entry is an absolute position
        f.seek(table_at)
        f.write(b"".join(_U64.pack(o) for o in offsets))
    summary.add("faces", len(samples))
    summary.add("MB", round(total / 1e6, 1))

    if interact.input_bool("Delete original files?", True, value=delete_originals):
        for s in progress(samples, "Deleting files", unit="file"):
            Path(s.filename).unlink(missing_ok=True)
        if as_person_faceset:
            for d in dir_names:
                _remove_if_empty(samples_path / d)
    summary.print()
    return pak_path


def _remove_if_empty(dir_path):
    try:
        dir_path.rmdir()
    except OSError:
        interact.log_info(f"{dir_path}: not removed (it still holds other files)")


def load(samples_path):
    """The samples packed in `samples_path`/faceset.pak (each reading its bytes from the pak), or None if none."""
    pak_path = Path(samples_path) / PACKED_FACESET_FILENAME
    if not pak_path.is_file():
        return None
    return read_pak(pak_path)


def read_pak(pak_path):
    pak_path = Path(pak_path)
    try:
        file_size = pak_path.stat().st_size
        with open(pak_path, "rb") as f:
            head = f.read(16)
            if len(head) < 16:
                raise UserError(f"{pak_path}: truncated faceset.pak ({file_size} bytes); pack the faceset again")
            version, n = struct.unpack("<QQ", head)
            if version != VERSION:
                raise UserError(f"{pak_path}: faceset.pak version {version} is not supported (expected {VERSION})")
            if n > file_size - 16:
                raise UserError(f"{pak_path}: corrupt faceset.pak (header of {n} bytes past the end of the file)")
            configs = safe_loads(f.read(n), str(pak_path), max_bytes=file_size)
            if not isinstance(configs, list):
                raise UserError(f"{pak_path}: corrupt faceset.pak (sample list is a {type(configs).__name__})")
            table = f.read(8 * (len(configs) + 1))
            if len(table) != 8 * (len(configs) + 1):
                raise UserError(f"{pak_path}: truncated faceset.pak (offset table cut off)")
            data_start = f.tell()
    except OSError as e:
        raise UserError(f"{pak_path}: cannot read ({e.strerror or e})")
    except ValueError as e:
        raise UserError(f"{pak_path}: corrupt faceset.pak ({e})")
    offsets = [o for (o,) in _U64.iter_unpack(table)]
    data_len = file_size - data_start
    samples = []
    for i, cfg in enumerate(configs):
        start, end = offsets[i], offsets[i + 1]
        if i == len(configs) - 1:
            end = min(end, data_len)  # the original's absolute last entry
        if not (0 <= start <= end <= data_len):
            raise UserError(f"{pak_path}: corrupt faceset.pak (sample {i} lies outside the file)")
        sample = _sample_from_config(cfg, pak_path, i)
        sample.set_filename_offset_size(str(pak_path), data_start + start, end - start)
        samples.append(sample)
    return samples


def _sample_from_config(cfg, pak_path, i):
    if not isinstance(cfg, dict):
        raise UserError(f"{pak_path}: corrupt faceset.pak (sample {i} is a {type(cfg).__name__})")
    try:
        s = Sample(**{k: v for k, v in cfg.items() if isinstance(k, str) and k in Sample.__slots__})
        if not isinstance(s.filename, str) or Path(s.filename).name != s.filename or s.filename in ("", ".", ".."):
            raise ValueError(f"bad file name {s.filename!r}")
        if s.person_name is not None and (not isinstance(s.person_name, str)
                                          or Path(s.person_name).name != s.person_name
                                          or s.person_name in ("", ".", "..")):
            raise ValueError(f"bad person name {s.person_name!r}")
        if s.landmarks is not None and (s.landmarks.ndim != 2 or s.landmarks.shape[1] != 2):
            raise ValueError(f"landmarks of shape {s.landmarks.shape}")
    except Exception as e:  # whatever malformed values raise (OverflowError, AttributeError, ...)
        raise UserError(f"{pak_path}: corrupt faceset.pak (sample {i}: {type(e).__name__}: {e})")
    return s


def unpack(samples_path):
    """Write every packed file back (into person subfolders when packed so) byte-identical, then delete the pak.

    Nothing is overwritten: names that already exist (or repeat inside the pak) stop the unpack before any file is
    written. The pak is deleted only after every face is written and synced.
    """
    samples_path = Path(samples_path)
    pak_path = samples_path / PACKED_FACESET_FILENAME
    if not pak_path.is_file():
        raise UserError(f"{pak_path}: file not found; nothing to unpack")
    samples = read_pak(pak_path)
    targets = [_target_path(samples_path, s) for s in samples]
    _refuse_collisions(pak_path, targets)
    summary = Summary("Unpacked")
    with open(pak_path, "rb") as pak:
        for s, target in zip(progress(samples, "Unpacking", unit="face"), targets):
            target.parent.mkdir(exist_ok=True)
            _, offset, size = s._filename_offset_size
            pak.seek(offset)
            data = pak.read(size)
            try:
                # One sync at the end instead of one per file, where the OS offers it.
                write_bytes_atomic(target, data, sync=not hasattr(os, "sync"))
            except UserError as e:
                raise UserError(f"{e}. {pak_path.name} is kept")
            summary.add("faces")
    if hasattr(os, "sync"):
        os.sync()
    pak_path.unlink()
    summary.print()
    return samples


def _target_path(samples_path, sample):
    folder = samples_path
    if sample.person_name is not None:
        folder = child_path(samples_path, sample.person_name, "person name")
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            raise UserError(f"{folder}: exists and is not a plain folder; refusing to unpack into it")
    return child_path(folder, sample.filename)


def _refuse_collisions(pak_path, targets):
    seen, clashes = set(), []
    for t in targets:
        if t in seen or t.exists() or t.is_symlink():
            clashes.append(t)
        seen.add(t)
    if clashes:
        names = ", ".join(str(t.relative_to(pak_path.parent)) for t in clashes[:5])
        more = f" and {len(clashes) - 5} more" if len(clashes) > 5 else ""
        raise UserError(f"{pak_path}: unpacking would overwrite {len(clashes)} file(s) ({names}{more}): existing "
                        f"files or names repeated in the pak; move them away first. Nothing was written")
