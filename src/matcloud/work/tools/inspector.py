"""The structure inspector: what a structure is, and the structure in other formats.

Composition and formulas (the OPTIMADE rules), volume and density, the space group with the
Wyckoff position and site symmetry of every atom (spglib), the nearest-neighbour distances
(per site and per pair of elements, periodic images included), and which formats it can be
written in (a structure with partial occupancy only as OPTIMADE JSON).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import spglib
from ase.data import atomic_masses, atomic_numbers
from ase.neighborlist import neighbor_list

from matcloud.structures import Structure, StructureError, optimade_properties
from matcloud.structures.symmetry import SYMMETRY_MAX_SITES, hermann_mauguin
from matcloud.structures.writers import WRITERS, to_atoms
from matcloud.work.tools.base import ToolError

AVOGADRO = 6.02214076e23
#: Neighbours are looked for up to this distance (Å).
NEIGHBOUR_CUTOFF = 6.0
#: Distances closer than this (Å) are reported as a likely error in the file.
TOO_CLOSE = 0.5


def inspect_structure(structure: Structure, options: Mapping[str, Any]) -> dict[str, Any]:
    try:
        properties = optimade_properties(structure)
    except StructureError as exc:
        raise ToolError(f"Cannot describe this structure: {exc}") from None
    mass = sum(
        atomic_masses[atomic_numbers[element]] * amount
        for element, amount in structure.composition().items()
    )
    volume = structure.volume
    result: dict[str, Any] = {
        "formula": {
            "reduced": properties["chemical_formula_reduced"],
            "descriptive": properties["chemical_formula_descriptive"],
            "hill": properties["chemical_formula_hill"],
            "anonymous": properties["chemical_formula_anonymous"],
        },
        "composition": {
            element: round(amount, 6) for element, amount in structure.composition().items()
        },
        "elements": properties["elements"],
        "nsites": structure.nsites,
        "ordered": structure.is_ordered,
        "dimension_types": properties["dimension_types"],
        "lattice": [list(v) for v in structure.lattice] if structure.lattice else None,
        "cell_parameters": _parameters(structure),
        "volume": volume,
        "density": mass / AVOGADRO / (volume * 1e-24) if volume else None,
        "mass": mass,
        "symmetry": _symmetry(structure),
        "neighbours": _neighbours(structure),
        "formats": [
            {"format": fmt, "name": name, "available": structure.is_ordered or fmt == "optimade"}
            for fmt, (name, _, _) in WRITERS.items()
        ],
        "optimade": properties,
    }
    return result


def _parameters(structure: Structure) -> dict[str, float] | None:
    if structure.lattice is None:
        return None
    vectors = np.array(structure.lattice)
    lengths = np.linalg.norm(vectors, axis=1)

    def angle(i: int, j: int) -> float:
        cosine = float(vectors[i] @ vectors[j] / (lengths[i] * lengths[j]))
        return float(np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0))))

    return {
        "a": float(lengths[0]),
        "b": float(lengths[1]),
        "c": float(lengths[2]),
        "alpha": angle(1, 2),
        "beta": angle(0, 2),
        "gamma": angle(0, 1),
    }


def _symmetry(structure: Structure) -> dict[str, Any] | None:
    if (
        structure.lattice is None
        or not all(structure.pbc)
        or not structure.is_ordered
        or structure.nsites > SYMMETRY_MAX_SITES
    ):
        return None
    atoms = to_atoms(structure)
    scaled = atoms.get_scaled_positions()  # type: ignore[no-untyped-call]
    cell = (atoms.cell.array.tolist(), scaled.tolist(), atoms.numbers)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dataset = spglib.get_symmetry_dataset(cell, symprec=1e-3, _throw=True)
    except Exception:
        return None
    if dataset is None:
        return None
    symbols = list(atoms.symbols)
    sites = [
        {
            "index": i,
            "element": symbols[i],
            "wyckoff": dataset.wyckoffs[i],
            "site_symmetry": dataset.site_symmetry_symbols[i],
            "equivalent_to": int(dataset.equivalent_atoms[i]),
            "fractional": [round(float(x), 6) for x in scaled[i]],
        }
        for i in range(len(atoms))
    ]
    # the Wyckoff multiplicity counts atoms in the conventional cell, not in the input
    per_conventional = len(dataset.std_types) / len(atoms)
    orbits: dict[int, dict[str, Any]] = {}
    for site in sites:
        orbit = orbits.setdefault(
            site["equivalent_to"],
            {
                "element": site["element"],
                "wyckoff": site["wyckoff"],
                "site_symmetry": site["site_symmetry"],
                "atoms": 0,
                "multiplicity": 0,
                "representative": site["fractional"],
            },
        )
        orbit["atoms"] += 1
        orbit["multiplicity"] = round(orbit["atoms"] * per_conventional)
    return {
        "number": int(dataset.number),
        "international": dataset.international,
        "hermann_mauguin": hermann_mauguin(dataset.international),
        "hall": dataset.hall,
        "point_group": dataset.pointgroup,
        "crystal_system": _crystal_system(int(dataset.number)),
        "sites": sites,
        "orbits": list(orbits.values()),
    }


def _crystal_system(number: int) -> str:
    for last, name in (
        (2, "triclinic"),
        (15, "monoclinic"),
        (74, "orthorhombic"),
        (142, "tetragonal"),
        (167, "trigonal"),
        (194, "hexagonal"),
    ):
        if number <= last:
            return name
    return "cubic"


def _neighbours(structure: Structure) -> dict[str, Any] | None:
    if not structure.is_ordered or structure.nsites < 1:
        return None
    atoms = to_atoms(structure)
    if structure.lattice is None:
        atoms.center(vacuum=NEIGHBOUR_CUTOFF)  # type: ignore[no-untyped-call]
    first, second, distance = neighbor_list(  # type: ignore[no-untyped-call]
        "ijd", atoms, NEIGHBOUR_CUTOFF
    )
    symbols = list(atoms.symbols)
    kinds = sorted(set(symbols))
    kind = np.array([kinds.index(symbol) for symbol in symbols])
    nearest = np.full(len(atoms), np.inf)
    np.minimum.at(nearest, first, distance)
    low = np.minimum(kind[first], kind[second])
    high = np.maximum(kind[first], kind[second])
    codes = low * len(kinds) + high
    shortest_of = np.full(len(kinds) ** 2, np.inf)
    np.minimum.at(shortest_of, codes, distance)
    pairs = {
        f"{kinds[code // len(kinds)]}–{kinds[code % len(kinds)]}": float(value)
        for code, value in enumerate(shortest_of)
        if np.isfinite(value)
    }
    per_site = [
        {"index": i, "element": symbols[i], "nearest": None if np.isinf(d) else float(d)}
        for i, d in enumerate(nearest)
    ]
    shortest = float(distance.min()) if len(distance) else None
    return {
        "cutoff": NEIGHBOUR_CUTOFF,
        "shortest": shortest,
        "too_close": shortest is not None and shortest < TOO_CLOSE,
        "pairs": dict(sorted(pairs.items(), key=lambda kv: kv[1])),
        "sites": per_site,
    }


__all__ = ["inspect_structure"]
