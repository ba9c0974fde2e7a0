"""Writing a :class:`Structure` in the formats codes read: CIF, POSCAR, XSF, extended XYZ,
Quantum ESPRESSO pw.x input, and the OPTIMADE JSON of the structure.

The text formats go through ASE's writers (one well-tested implementation of each format's
details), from an ``Atoms`` built from the structure. A structure with partial occupancy or
vacancies has no such ``Atoms``: writing it is refused with a :class:`StructureError` that
says so (the OPTIMADE JSON, which can hold disorder, is always written).
"""

from __future__ import annotations

import io
import json
import re
import warnings
from collections.abc import Callable
from typing import Any

from ase import Atoms
from ase.io import write as ase_write

from matcloud.structures.model import Structure, StructureError
from matcloud.structures.optimade import optimade_properties

#: format -> (what it is called, file extension, media type)
WRITERS: dict[str, tuple[str, str, str]] = {
    "cif": ("CIF", "cif", "chemical/x-cif"),
    "poscar": ("VASP POSCAR", "vasp", "text/plain"),
    "xsf": ("XCrySDen XSF", "xsf", "text/plain"),
    "extxyz": ("extended XYZ", "extxyz", "text/plain"),
    "pwscf": ("Quantum ESPRESSO pw.x input", "pwi", "text/plain"),
    "optimade": ("OPTIMADE JSON", "json", "application/json"),
}


def to_atoms(structure: Structure) -> Atoms:
    """The structure as ASE ``Atoms`` (ordered structures only)."""
    if not structure.is_ordered:
        raise StructureError(
            "this structure has partial occupancy or vacancies, which this format cannot "
            "hold: only the OPTIMADE JSON keeps them"
        )
    by_name = structure.species_by_name
    symbols = [by_name[name].chemical_symbols[0] for name, _ in structure.sites]
    symbols = ["X" if symbol == "X" else symbol for symbol in symbols]
    return Atoms(
        symbols=symbols,
        positions=[position for _, position in structure.sites],
        cell=structure.lattice if structure.lattice is not None else None,
        pbc=structure.pbc,
    )


def _ase(fmt: str, *, binary: bool = False, **options: Any) -> Callable[[Structure], str]:
    def write(structure: Structure) -> str:
        atoms = to_atoms(structure)
        stream: io.BytesIO | io.StringIO = io.BytesIO() if binary else io.StringIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ase_write(stream, atoms, format=fmt, **options)
        value = stream.getvalue()
        return value.decode() if isinstance(value, bytes) else value

    return write


def _poscar(structure: Structure) -> str:
    if structure.lattice is None:
        raise StructureError("a POSCAR needs lattice vectors; this structure has none")
    return _ase("vasp", direct=True, sort=True)(structure)


def _pwscf(structure: Structure) -> str:
    if structure.lattice is None:
        raise StructureError("pw.x needs a cell; this structure has none")
    atoms = to_atoms(structure)
    pseudopotentials = {symbol: f"{symbol}.UPF" for symbol in sorted(set(atoms.symbols))}
    stream = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ase_write(
            stream,
            atoms,
            format="espresso-in",
            pseudopotentials=pseudopotentials,
            input_data={"control": {"calculation": "scf"}, "system": {"ecutwfc": 40}},
            kpts=(4, 4, 4),
        )
    # namelists an scf run does not read (&FCP, &RISM are unknown to pw.x before 7.1)
    return re.sub(r"&(IONS|CELL|FCP|RISM)\n/\n", "", stream.getvalue())


def _optimade(structure: Structure) -> str:
    return json.dumps(optimade_properties(structure), indent=2) + "\n"


_WRITE: dict[str, Callable[[Structure], str]] = {
    "cif": _ase("cif", binary=True),
    "poscar": _poscar,
    "xsf": _ase("xsf"),
    "extxyz": _ase("extxyz"),
    "pwscf": _pwscf,
    "optimade": _optimade,
}


def write_structure(structure: Structure, fmt: str) -> str:
    """The structure as the text of ``fmt`` (a key of :data:`WRITERS`)."""
    writer = _WRITE.get(fmt)
    if writer is None:
        raise StructureError(f"unknown output format {fmt!r}: one of {', '.join(WRITERS)}")
    try:
        return writer(structure)
    except StructureError:
        raise
    except Exception as exc:  # ASE's writers raise whatever they meet
        raise StructureError(f"could not write {WRITERS[fmt][0]}: {exc}") from exc


__all__ = ["WRITERS", "to_atoms", "write_structure"]
