"""A tool's input: an uploaded file, pasted text or a built-in example, read into one
:class:`Structure` with the format given or detected, within the tools' limits.

Limits (:data:`MAX_INPUT_BYTES`, :data:`MAX_ATOMS`) and unreadable input answer with a
:class:`ToolError` that says what is wrong: a size in bytes, an atom count, the format tried
and the reader's reason (with the line when the reader knows it).
"""

from __future__ import annotations

import re

from matcloud.structures import Structure, StructureError
from matcloud.structures.from_optimade import read_optimade_json
from matcloud.structures.readers import FORMATS
from matcloud.structures.readers import structure_format as format_of_name
from matcloud.work.tools.base import ToolError, ToolInput, input_text

MAX_INPUT_BYTES = 2 * 1024 * 1024
MAX_ATOMS = 1000
FORMAT_NAMES = {
    "cif": "CIF",
    "poscar": "VASP POSCAR/CONTCAR",
    "xsf": "XCrySDen XSF",
    "extxyz": "extended XYZ",
    "xyz": "XYZ",
    "pwscf": "Quantum ESPRESSO pw.x input",
    "optimade": "OPTIMADE JSON (an entry or its attributes)",
}
_FILE_FOR = {
    "cif": "input.cif",
    "poscar": "POSCAR",
    "xsf": "input.xsf",
    "extxyz": "input.extxyz",
    "xyz": "input.xyz",
    "pwscf": "input.pwi",
    "optimade": "input.json",
}
#: Readers by format: the platform's structure readers, and OPTIMADE JSON.
READERS = {**FORMATS, "optimade": read_optimade_json}


def sniff(text: str) -> str | None:
    """The format of structure text, from its content (for pasted text and odd names)."""
    head = text[:20000]
    if head.lstrip().startswith("{") and "cartesian_site_positions" in text:
        return "optimade"
    if re.search(r"^\s*data_\S*", head, re.M) and "_cell_length_a" in head:
        return "cif"
    if re.search(r"&(control|system)\b", head, re.I) and re.search(r"ATOMIC_POSITIONS", head, re.I):
        return "pwscf"
    if re.search(r"^\s*(CRYSTAL|SLAB|POLYMER|MOLECULE|PRIMVEC|ATOMS)\s*$", head, re.M):
        return "xsf"
    lines = [line.strip() for line in head.splitlines()]
    if lines and re.fullmatch(r"\d+", lines[0] or ""):
        return "extxyz" if len(lines) > 1 and "Lattice=" in lines[1] else "xyz"
    if len(lines) >= 7:
        try:
            float(lines[1].split()[0])
            [float(x) for x in lines[2].split()[:3]]
            return "poscar"
        except (ValueError, IndexError):
            pass
    return None


def read_input(given: ToolInput) -> Structure:
    """The single structure of the input (the first one of a multi-frame file)."""
    if len(given.data) > MAX_INPUT_BYTES:
        raise ToolError(
            f"The input is {len(given.data):,} bytes; the tools accept up to "
            f"{MAX_INPUT_BYTES:,} bytes (a crystal of {MAX_ATOMS:,} atoms fits easily).",
            413,
        )
    text = input_text(given.data, MAX_INPUT_BYTES)
    fmt = given.fmt or (format_of_name(given.filename) if given.filename else None)
    if fmt is None and given.filename.lower().endswith(".json"):
        fmt = "optimade"
    fmt = fmt or sniff(text)
    if fmt is None:
        raise ToolError(
            "Cannot tell the format of this input: choose it in the format menu "
            f"({', '.join(FORMAT_NAMES.values())}).",
            400,
            "format",
        )
    if fmt not in READERS:
        raise ToolError(f"Unknown format {fmt!r}: one of {', '.join(FORMAT_NAMES)}.", 400, "format")
    try:
        structures = READERS[fmt](text)
    except StructureError as exc:
        raise ToolError(f"This is not a readable {FORMAT_NAMES[fmt]}: {exc}", 422) from None
    if not structures:
        raise ToolError(f"The {FORMAT_NAMES[fmt]} holds no structure.", 422)
    structure = structures[0]
    if structure.nsites == 0:
        raise ToolError(f"The {FORMAT_NAMES[fmt]} holds no atoms.", 422)
    if structure.nsites > MAX_ATOMS:
        raise ToolError(
            f"The structure has {structure.nsites:,} atoms; the tools accept up to {MAX_ATOMS:,}.",
            413,
        )
    return structure


def filename_for(fmt: str) -> str:
    return _FILE_FOR.get(fmt, "input.txt")


__all__ = [
    "FORMAT_NAMES",
    "MAX_ATOMS",
    "MAX_INPUT_BYTES",
    "ToolInput",
    "filename_for",
    "input_text",
    "read_input",
    "sniff",
]
