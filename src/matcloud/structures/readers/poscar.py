"""VASP POSCAR/CONTCAR (``POSCAR*``, ``CONTCAR*``, ``*.vasp``, ``*.poscar``): one structure.

ASE reads the file; the header is checked first because ASE builds the symbol list from the
counts line before reading any position (``10000000000`` atoms would exhaust memory), and a
count/element mismatch would otherwise be read silently with elements dropped.

Element names must be in the file: on line 6 (VASP 5) or, VASP 4 style, in the first line.
ASE would otherwise look for a POTCAR next to the file, which an upload does not have (and the
readers never touch the filesystem). A POSCAR is always 3D-periodic, even a slab with vacuum:
the file cannot say otherwise, and the structure keeps what the file says.
"""

from __future__ import annotations

from matcloud.structures.model import MAX_SITES, Structure, StructureError
from matcloud.structures.readers._ase import atoms_to_structure, read_frames


def read_poscar(text: str) -> list[Structure]:
    lines = text.split("\n")
    _check_header(lines)
    try:
        frames = read_frames(text, "vasp", "POSCAR")
    except StructureError as exc:
        if isinstance(exc.__cause__, AttributeError):  # ASE reached for a POTCAR file
            raise StructureError(
                "the POSCAR does not name its elements: put them on line 6 (VASP 5 format)"
            ) from None
        raise
    return [atoms_to_structure(atoms, lines[0].strip()[:200]) for atoms in frames]


def _check_header(lines: list[str]) -> None:
    if len(lines) < 8:
        raise StructureError("a POSCAR needs at least 8 lines (comment, scale, cell, counts, …)")
    words = _words(lines[5])
    if not words:
        raise StructureError("line 6 of the POSCAR is empty; it should hold elements or counts")
    names: list[str] | None = None
    count_line = 6
    if not _is_int(words[0]):
        names, words, count_line = words, _words(lines[6]), 7
    if not words or not all(_is_int(word) for word in words):
        raise StructureError(f"line {count_line} of the POSCAR should hold the atom counts")
    counts = [int(word) for word in words]
    if any(count < 0 for count in counts):
        raise StructureError(f"line {count_line} of the POSCAR has a negative atom count")
    if names is not None and len(names) != len(counts):
        raise StructureError(
            f"the POSCAR names {len(names)} elements but gives {len(counts)} atom counts"
        )
    total = sum(counts)
    if total == 0:
        raise StructureError("the POSCAR has no atoms")
    if total > MAX_SITES:
        raise StructureError(
            f"the POSCAR announces {total} atoms; at most {MAX_SITES} are accepted"
        )
    first = count_line  # 0-based index of the line after the counts: the coordinate type
    if first < len(lines) and lines[first].strip()[:1] in ("S", "s"):
        first += 1  # "Selective dynamics"
    coordinates = [line for line in lines[first + 1 : first + 1 + total] if line.split()]
    if len(coordinates) < total:
        raise StructureError(
            f"the POSCAR announces {total} atoms but has {len(coordinates)} coordinate lines"
        )


def _words(line: str) -> list[str]:
    """Tokens of a line up to a ``!`` or ``#`` comment."""
    for marker in ("!", "#"):
        line = line.split(marker, 1)[0]
    return line.split()


def _is_int(word: str) -> bool:
    try:
        int(word)
    except ValueError:
        return False
    return True
