"""The files a tool's result offers: cells in the usual formats, k-point blocks.

``files(outcome)`` lists them (name -> title) for the page; ``file(outcome, name)`` makes one
(text and media type). Names are fixed per tool, so a download URL is
``/work/<tool>/results/<id>/files/<name>``.
"""

from __future__ import annotations

from collections.abc import Callable

from matcloud.core.errors import NotFound
from matcloud.structures import Structure, StructureError
from matcloud.structures.writers import WRITERS, write_structure
from matcloud.work.service import Outcome
from matcloud.work.tools.base import ToolError
from matcloud.work.tools.seekpath_tool import structure_of

CELL_FORMATS = {"cif": "cif", "xsf": "xsf", "vasp": "poscar"}
KPOINTS = {
    "kpoints-pw.txt": ("pw", "K_POINTS block for pw.x (crystal_b)"),
    "KPOINTS": ("vasp", "VASP KPOINTS (line mode)"),
    "kpoints-cp2k.inp": ("cp2k", "CP2K &KPOINT_SET blocks"),
}


def _structures(outcome: Outcome) -> dict[str, Callable[[], Structure]]:
    if outcome.tool.slug == "seekpath":
        result = outcome.result
        return {
            "primitive": lambda: structure_of(result["primitive"], "standardised primitive"),
            "conventional": lambda: structure_of(
                result["conventional"], "standardised conventional"
            ),
        }
    return {"structure": lambda: outcome.structure}


#: The phonon visualiser's table of the dispersion as it is drawn.
DISPERSION = "dispersion.csv"


def _dispersion(outcome: Outcome) -> str:
    """One row per q-point: path distance (1/Å), q (reduced), then each branch (THz) in the
    result's branch order (connected by eigenvectors unless asked otherwise)."""
    result = outcome.result
    branches = result["branches"]
    header = ["distance_1/A", "q1", "q2", "q3"] + [
        f"branch{b + 1}_THz" for b in range(len(branches))
    ]
    rows = [",".join(header)]
    for iq, (x, q) in enumerate(
        zip(result["path"]["distances"], result["path"]["qpoints"], strict=True)
    ):
        values = [x, *q, *(branch[iq] for branch in branches)]
        rows.append(",".join(f"{v:.8g}" for v in values))
    return "\n".join(rows) + "\n"


def files(outcome: Outcome) -> dict[str, str]:
    """name -> what it is, for every file the result offers."""
    found: dict[str, str] = {}
    if outcome.tool.slug == "phonons":
        found[DISPERSION] = "the dispersion as drawn (CSV: distance, q, one column per branch)"
    if outcome.tool.slug == "seekpath":
        for stem in ("primitive", "conventional"):
            for extension, fmt in CELL_FORMATS.items():
                found[f"{stem}.{extension}"] = f"{stem} cell, {WRITERS[fmt][0]}"
        for name, (_, title) in KPOINTS.items():
            found[name] = title
        return found
    for fmt, (title, extension, _) in WRITERS.items():
        if outcome.structure.is_ordered or fmt == "optimade":
            found[f"structure.{extension}"] = title
    return found


def file(outcome: Outcome, name: str) -> tuple[str, str]:
    """(text, media type) of one offered file."""
    if name not in files(outcome):
        raise NotFound(f"This result has no file {name!r}.")
    if name in KPOINTS:
        return outcome.result["kpoints_blocks"][KPOINTS[name][0]], "text/plain"
    if name == DISPERSION:
        return _dispersion(outcome), "text/csv"
    stem, _, extension = name.partition(".")
    fmt = CELL_FORMATS.get(extension) if outcome.tool.slug == "seekpath" else None
    if fmt is None:
        fmt = next(f for f, (_, ext, _) in WRITERS.items() if ext == extension)
    try:
        text = write_structure(_structures(outcome)[stem](), fmt)
    except StructureError as exc:
        raise ToolError(f"Cannot write {name}: {exc}", 422) from None
    return text, WRITERS[fmt][2]


__all__ = ["file", "files"]
