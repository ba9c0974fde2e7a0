"""The tools of the WORK section, by URL slug."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matcloud.structures import Structure
from matcloud.work.examples import bravais_examples
from matcloud.work.tools.base import Tool
from matcloud.work.tools.inspector import inspect_structure
from matcloud.work.tools.phonons_tool import (
    COMPANION,
    FORMATS,
    MAX_ATOMS,
    MAX_BYTES,
    OPTIONS,
    phonon_examples,
    phonons_result,
    read_phonons,
)
from matcloud.work.tools.seekpath_tool import seekpath_result


def _seekpath(structure: Structure, options: Mapping[str, Any]) -> dict[str, Any]:
    return seekpath_result(structure)


TOOLS: dict[str, Tool] = {
    "seekpath": Tool(
        slug="seekpath",
        title="SeeK-path",
        summary=(
            "The standardised primitive and conventional cells of a crystal, its Brillouin "
            "zone and the suggested band-structure path (HPKOT convention), with k-point "
            "blocks for Quantum ESPRESSO, VASP and CP2K."
        ),
        run=_seekpath,
        template="work/seekpath.html",
        examples=bravais_examples,
    ),
    "inspect": Tool(
        slug="inspect",
        title="Structure inspector",
        summary=(
            "Composition, formulas, density, space group with Wyckoff positions, "
            "nearest-neighbour distances and a 3D view of any structure file, and the "
            "structure converted to CIF, POSCAR, XSF, extended XYZ, pw.x input or OPTIMADE "
            "JSON."
        ),
        run=inspect_structure,
        template="work/inspect.html",
        examples=bravais_examples,
    ),
    "phonons": Tool(
        slug="phonons",
        title="Phonon visualiser",
        summary=(
            "The phonon dispersion of a crystal from phonopy or Quantum ESPRESSO, its branches "
            "followed through crossings by eigenvector overlap: click a branch at any q-point "
            "to watch that mode move the atoms in 3D."
        ),
        run=phonons_result,
        options=OPTIONS,
        template="work/phonons.html",
        examples=phonon_examples,
        read=read_phonons,
        formats=FORMATS,
        companion=COMPANION,
        max_bytes=MAX_BYTES,
        max_atoms=MAX_ATOMS,
        input_title="Your phonon calculation",
    ),
}

__all__ = ["TOOLS", "Tool"]
