"""Structure files -> :class:`~matcloud.structures.Structure`, chosen by file name.

:func:`read_structures` is the one entry point: it picks the reader from the name
(:func:`structure_format`), decodes the bytes in memory and returns every structure in the
file. Whatever is wrong with the input (size, encoding, syntax, impossible geometry, too many
atoms) surfaces as a :class:`StructureError` whose message can be shown to the uploader.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from matcloud.structures.model import Structure, StructureError
from matcloud.structures.readers._text import MAX_FILE_BYTES, decode
from matcloud.structures.readers.cif import read_cif
from matcloud.structures.readers.limits import MAX_FRAMES
from matcloud.structures.readers.poscar import read_poscar
from matcloud.structures.readers.pwscf import read_pwscf
from matcloud.structures.readers.xsf import read_xsf
from matcloud.structures.readers.xyz import read_xyz

__all__ = ["MAX_FILE_BYTES", "MAX_FRAMES", "FORMATS", "read_structures", "structure_format"]

_EXTENSIONS = {
    ".cif": "cif",
    ".vasp": "poscar",
    ".poscar": "poscar",
    ".extxyz": "extxyz",
    ".xyz": "xyz",
    ".xsf": "xsf",
    ".axsf": "xsf",
    ".in": "pwscf",
    ".pwi": "pwscf",
    ".espresso-in": "pwscf",
}

FORMATS: dict[str, Callable[[str], list[Structure]]] = {
    "cif": read_cif,
    "poscar": read_poscar,
    "extxyz": lambda text: read_xyz(text, extended=True),
    "xyz": lambda text: read_xyz(text, extended=False),
    "xsf": read_xsf,
    "pwscf": read_pwscf,
}
"""Format name -> reader of decoded text."""


def structure_format(filename: str) -> str | None:
    """The structure format a file name implies, or ``None`` for anything else.

    By extension (case-insensitive); VASP files are often just called ``POSCAR``/``CONTCAR``
    (or ``CONTCAR_relaxed``, ``POSCAR.1``), so a name containing either is a POSCAR when no
    known extension says otherwise.
    """
    name = posixpath.basename(filename.replace("\\", "/"))
    lower = name.lower()
    if lower == "espresso-in":
        return "pwscf"
    extension = posixpath.splitext(lower)[1]
    if extension in _EXTENSIONS:
        return _EXTENSIONS[extension]
    if "POSCAR" in name.upper() or "CONTCAR" in name.upper():
        return "poscar"
    return None


def read_structures(data: bytes, filename: str) -> list[Structure]:
    """Every structure in a file (several for a multi-frame XYZ/XSF or multi-block CIF)."""
    fmt = structure_format(filename)
    if fmt is None:
        raise StructureError(
            f"{filename!r} is not a structure file this platform reads "
            "(CIF, POSCAR/CONTCAR, XYZ/extended XYZ, XSF, pw.x input)"
        )
    structures = FORMATS[fmt](decode(data, posixpath.basename(filename) or "the file"))
    if not structures:
        raise StructureError(f"{filename} contains no structure")
    return structures
