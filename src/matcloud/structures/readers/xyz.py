"""XYZ and extended XYZ (``*.xyz``, ``*.extxyz``): one structure per frame.

ASE's extxyz reader first walks the file frame by frame, skipping as many lines as each
header claims; a header claiming ten billion atoms makes that walk loop ten billion times on a
small file. :func:`_check_frames` does the same walk with the claims checked first.

Plain XYZ comment lines are free text that the extxyz key=value parser may reject; a ``.xyz``
file is therefore retried with the comment ignored before it is refused. Periodicity follows
the file: ``pbc="T T F"`` as written, ``Lattice`` alone means 3D-periodic, neither means a
molecule (no lattice).
"""

from __future__ import annotations

from typing import Any

from matcloud.structures.model import MAX_SITES, Structure, StructureError
from matcloud.structures.readers._ase import atoms_to_structure, read_frames
from matcloud.structures.readers.limits import MAX_FRAMES


def read_xyz(text: str, *, extended: bool) -> list[Structure]:
    """Frames of an XYZ text; ``extended`` when the file is named ``.extxyz``."""
    _check_frames(text)
    what = "extended XYZ" if extended else "XYZ"
    try:
        frames = read_frames(text, "extxyz", what)
    except StructureError:
        if extended:
            raise
        frames = read_frames(text, "extxyz", what, properties_parser=_ignore_comment)
    return [atoms_to_structure(atoms, _label(atoms.info)) for atoms in frames]


def _ignore_comment(line: str) -> dict[str, Any]:
    return {}


def _label(info: dict[str, Any]) -> str:
    for key in ("comment", "name", "label", "title"):
        value = info.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:200]
    return ""


def _check_frames(text: str) -> None:
    lines = text.split("\n")
    index = frames = 0
    while index < len(lines) and lines[index].strip():
        header = lines[index].strip()
        try:
            natoms = int(header)
        except ValueError:
            raise StructureError(
                f"line {index + 1} should give the number of atoms of a frame, not {header[:40]!r}"
            ) from None
        if natoms < 1:
            raise StructureError(f"line {index + 1}: a frame must have at least one atom")
        if natoms > MAX_SITES:
            raise StructureError(
                f"line {index + 1} announces {natoms} atoms; at most {MAX_SITES} are accepted"
            )
        if index + 2 + natoms > len(lines):
            raise StructureError(
                f"frame {frames + 1} announces {natoms} atoms but the file ends first"
            )
        index += 2 + natoms
        while index < len(lines) and lines[index].lstrip().startswith("VEC"):
            index += 1
        frames += 1
        if frames > MAX_FRAMES:
            raise StructureError(f"the file has more than {MAX_FRAMES} frames")
