"""StructureData attributes to geometry and to CIF / XSF / POSCAR, checked by reading the files
back: the cell and every interatomic distance must survive exactly (to the digits written)."""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import pytest

from matcloud.explore.formats import Structure, StructureError, export, to_cif, to_poscar, to_xsf

SI = {
    "cell": [[0.0, 2.7155, 2.7155], [2.7155, 0.0, 2.7155], [2.7155, 2.7155, 0.0]],
    "pbc1": True,
    "pbc2": True,
    "pbc3": True,
    "kinds": [{"symbols": ["Si"], "weights": [1.0], "mass": 28.0855, "name": "Si"}],
    "sites": [
        {"position": [0.0, 0.0, 0.0], "kind_name": "Si"},
        {"position": [1.35775, 1.35775, 1.35775], "kind_name": "Si"},
    ],
}
SLAB = {
    "cell": [[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 20.0]],
    "pbc1": True,
    "pbc2": True,
    "pbc3": False,
    "kinds": [
        {"symbols": ["Si", "Ge"], "weights": [0.5, 0.5], "name": "SiGe"},
        {"symbols": ["H"], "weights": [1.0], "name": "H"},
    ],
    "sites": [
        {"position": [0.0, 0.0, 0.0], "kind_name": "SiGe"},
        {"position": [2.0, 2.0, 1.5], "kind_name": "H"},
    ],
}
#: A skewed triclinic cell with three species in mixed order: the hard case for orientation.
TRICLINIC = {
    "cell": [[5.1, 0.0, 0.0], [1.3, 4.7, 0.0], [0.9, -1.1, 6.2]],
    "kinds": [
        {"symbols": ["O"], "weights": [1.0], "name": "O"},
        {"symbols": ["Ti"], "weights": [1.0], "name": "Ti1"},
        {"symbols": ["Ti"], "weights": [1.0], "name": "Ti2"},
        {"symbols": ["C"], "weights": [1.0], "name": "C"},
        {"symbols": ["H"], "weights": [1.0], "name": "H"},
    ],
    "sites": [
        {"position": [0.3, 0.2, 0.1], "kind_name": "O"},
        {"position": [2.5, 1.1, 3.3], "kind_name": "Ti1"},
        {"position": [4.0, 3.9, 5.2], "kind_name": "O"},
        {"position": [1.7, 2.8, 0.4], "kind_name": "Ti2"},
        {"position": [3.1, 0.6, 2.2], "kind_name": "C"},
        {"position": [0.8, 4.1, 4.4], "kind_name": "H"},
        {"position": [2.2, 2.2, 2.2], "kind_name": "H"},
    ],
}


def distances(cell: np.ndarray[Any, Any], positions: np.ndarray[Any, Any]) -> list[float]:
    """All pair distances including the neighbouring images: invariant under rotation."""
    shifts = [np.array(s) @ cell for s in itertools.product((-1, 0, 1), repeat=3)]
    return sorted(
        float(np.linalg.norm(b + shift - a))
        for a, b in itertools.combinations_with_replacement(positions, 2)
        for shift in shifts
        if np.linalg.norm(b + shift - a) > 1e-9
    )


def cell_from_parameters(a: float, b: float, c: float, al: float, be: float, ga: float) -> Any:
    al, be, ga = (math.radians(x) for x in (al, be, ga))
    cx = c * math.cos(be)
    cy = c * (math.cos(al) - math.cos(be) * math.cos(ga)) / math.sin(ga)
    return np.array(
        [
            [a, 0, 0],
            [b * math.cos(ga), b * math.sin(ga), 0],
            [cx, cy, math.sqrt(c * c - cx**2 - cy**2)],
        ]
    )


def read_cif(text: str) -> tuple[Any, list[tuple[str, list[float], float]]]:
    values: dict[str, float] = {}
    atoms = []
    for line in text.splitlines():
        parts = line.split()
        if parts and parts[0].startswith("_cell_") and parts[0] != "_cell_volume":
            values[parts[0]] = float(parts[1])
        elif len(parts) == 6 and not parts[0].startswith("_"):
            atoms.append((parts[1], [float(x) for x in parts[2:5]], float(parts[5])))
    cell = cell_from_parameters(
        *(values[f"_cell_length_{x}"] for x in "abc"),
        *(values[f"_cell_angle_{x}"] for x in ("alpha", "beta", "gamma")),
    )
    return cell, atoms


def test_geometry() -> None:
    si = Structure.from_attributes(SI)
    assert si.lengths == pytest.approx((3.84030, 3.84030, 3.84030), abs=1e-5)
    assert si.angles == pytest.approx((60.0, 60.0, 60.0))
    assert si.volume == pytest.approx(2 * 2.7155**3)
    assert si.formula == "Si2" and si.pbc == (True, True, True)
    slab = Structure.from_attributes(SLAB)
    assert slab.pbc == (True, True, False) and slab.formula == "H(Si0.5Ge0.5)"
    assert Structure.from_attributes(TRICLINIC).formula == "CH2O2Ti2"
    assert slab.kinds[0].main_symbol == "Si" and slab.kinds[0].display == "Si0.5Ge0.5"


def test_cif_keeps_every_distance() -> None:
    structure = Structure.from_attributes(TRICLINIC)
    text = to_cif(structure, "my structure!")
    assert text.startswith("data_my_structure_\n")
    assert "_symmetry_space_group_name_H-M   'P 1'" in text
    assert "_chemical_formula_sum 'C1 H2 O2 Ti2'" in text
    cell, atoms = read_cif(text)
    assert [a[0] for a in atoms] == ["O", "Ti", "O", "Ti", "C", "H", "H"]
    positions = np.array([a[1] for a in atoms]) @ cell
    original = np.array([s["position"] for s in TRICLINIC["sites"]])  # type: ignore[index]
    assert distances(cell, positions) == pytest.approx(
        distances(np.array(TRICLINIC["cell"]), original), abs=1e-8
    )
    assert "O1 O " in text and "O2 O " in text and "Ti2 Ti " in text


def test_cif_writes_occupancies() -> None:
    _, atoms = read_cif(to_cif(Structure.from_attributes(SLAB)))
    assert [(symbol, occupancy) for symbol, _, occupancy in atoms] == [
        ("Si", 0.5),
        ("Ge", 0.5),
        ("H", 1.0),
    ]
    assert atoms[0][1] == atoms[1][1] == [0.0, 0.0, 0.0]
    assert atoms[2][1] == pytest.approx([0.5, 0.5, 0.075])


def test_xsf() -> None:
    text = to_xsf(Structure.from_attributes(SI)).splitlines()
    assert text[:2] == ["CRYSTAL", "PRIMVEC"]
    assert [float(x) for x in text[2].split()] == SI["cell"][0]  # type: ignore[index]
    assert text[5:7] == ["PRIMCOORD", "2 1"]
    assert text[8].split()[0] == "14" and [float(x) for x in text[8].split()[1:]] == [1.35775] * 3
    assert to_xsf(Structure.from_attributes(SLAB)).startswith("SLAB\n")
    molecule = {**SI, "pbc1": False, "pbc2": False, "pbc3": False}
    assert to_xsf(Structure.from_attributes(molecule)).splitlines()[:3] == [
        "MOLECULE",
        "ATOMS",
        " 14     0.0000000000     0.0000000000     0.0000000000",
    ]


def test_poscar_groups_species() -> None:
    text = to_poscar(Structure.from_attributes(TRICLINIC), "TiO2\nfake line").splitlines()
    assert text[0] == "TiO2 fake line" and text[1] == "1.0"
    assert [[float(x) for x in row.split()] for row in text[2:5]] == TRICLINIC["cell"]
    assert text[5].split() == ["O", "Ti", "C", "H"] and text[6].split() == ["2", "2", "1", "2"]
    assert text[7] == "Cartesian"
    rows = [line.split() for line in text[8:]]
    assert [r[3] for r in rows] == ["O", "O", "Ti", "Ti", "C", "H", "H"]
    assert [float(x) for x in rows[2][:3]] == [2.5, 1.1, 3.3]


def test_export_by_name() -> None:
    si = Structure.from_attributes(SI)
    assert export(si, "cif", "Si").startswith("data_Si\n")
    assert export(si, "xsf") == to_xsf(si)
    assert export(si, "poscar", "Si") == to_poscar(si, "Si")
    with pytest.raises(KeyError):
        export(si, "pdb")


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({}, "the cell is not three vectors"),
        ({**SI, "cell": [[1, 0, 0], [0, 1, 0]]}, "the cell is not three vectors"),
        (
            {**SI, "cell": [[1, 0, 0], [0, 1, 0], [0, 0, float("nan")]]},
            "nan is not a finite number",
        ),
        ({**SI, "cell": [[1, 0, 0], [0, 1, 0], [0, 0, "1"]]}, "'1' is not a finite number"),
        ({**SI, "kinds": None}, "the structure has no list of kinds"),
        ({**SI, "kinds": [{"name": "Si", "symbols": []}]}, "kind 'Si' has no symbols"),
        ({**SI, "sites": [{"kind_name": "Ge", "position": [0, 0, 0]}]}, "names a kind"),
        ({**SI, "sites": [{"kind_name": "Si", "position": [0, 0]}]}, "three numbers"),
    ],
)
def test_malformed_structures(attributes: dict[str, Any], message: str) -> None:
    with pytest.raises(StructureError, match=message):
        Structure.from_attributes(attributes)


def test_odd_but_readable_structures() -> None:
    flat = Structure.from_attributes({**SI, "cell": [[1, 0, 0], [0, 1, 0], [0, 0, 0]]})
    with pytest.raises(StructureError, match="no volume"):
        to_cif(flat)
    assert to_xsf(flat).startswith("CRYSTAL")  # XSF and POSCAR need no fractional coordinates
    unknown = {**SI, "kinds": [{"name": "Si", "symbols": ["Qq"], "weights": [1.0]}]}
    structure = Structure.from_attributes(unknown)
    assert " X " in to_cif(structure) and to_poscar(structure).splitlines()[5] == "  X"
    assert to_xsf(structure).splitlines()[7].split()[0] == "0"
    no_weights = {**SI, "kinds": [{"name": "Si", "symbols": ["Si", "Ge"]}]}
    assert Structure.from_attributes(no_weights).kinds[0].weights == (0.5, 0.5)
