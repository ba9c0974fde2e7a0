"""Quantum ESPRESSO pw.x input (``*.in``, ``*.pwi``, ``*.espresso-in``): one structure.

ASE reads the namelists and the CELL_PARAMETERS / ATOMIC_SPECIES / ATOMIC_POSITIONS cards;
an input with ``ibrav != 0`` is first given its cell explicitly (:mod:`.ibrav`, pw.x's own
formulas). Limits (ASE's): species labels such as
``Fe1``/``Fe2`` collapse to their element; masses from ATOMIC_SPECIES are not kept. pw.x
inputs describe periodic cells, so the structure is 3D-periodic (``assume_isolated`` is not
interpreted).
"""

from __future__ import annotations

import re

from matcloud.structures.model import MAX_SITES, Structure, StructureError
from matcloud.structures.readers._ase import atoms_to_structure, read_frames
from matcloud.structures.readers.ibrav import explicit_cell

_NAT = re.compile(r"\bnat\s*=\s*([-+]?\d+)", re.IGNORECASE)


def read_pwscf(text: str) -> list[Structure]:
    match = _NAT.search(text)
    if match is None:
        raise StructureError("this pw.x input has no 'nat' in its &SYSTEM namelist")
    nat = int(match.group(1))
    if not 0 < nat <= MAX_SITES:
        raise StructureError(f"nat = {nat}: a pw.x input needs 1 to {MAX_SITES} atoms")
    frames = read_frames(explicit_cell(text), "espresso-in", "pw.x input")
    return [atoms_to_structure(atoms) for atoms in frames]
