"""The shared Structure/Species model: normalisation on construction and what it refuses."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from matcloud.structures import MAX_SITES, Species, Structure, StructureError
from matcloud.structures.model import lattice_for

SI = Species("Si", ("Si",), (1.0,))
CUBE = ((5.0, 0.0, 0.0), (0.0, 5.0, 0.0), (0.0, 0.0, 5.0))


def make(**changes: Any) -> Structure:
    fields: dict[str, Any] = {
        "lattice": CUBE,
        "pbc": (True, True, True),
        "species": (SI,),
        "sites": (("Si", (0.0, 0.0, 0.0)),),
    }
    fields.update(changes)
    return Structure(**fields)


def test_lists_and_numpy_are_normalised_to_hashable_tuples() -> None:
    structure = Structure(
        lattice=np.eye(3) * 4.0,  # type: ignore[arg-type]
        pbc=[True, True, False],  # type: ignore[arg-type]
        species=[Species("Si", ["Si"], [np.float64(1.0)])],  # type: ignore[arg-type]
        sites=[["Si", np.array([0.0, 1.0, 2.0])]],  # type: ignore[arg-type]
    )
    assert structure.lattice == ((4.0, 0.0, 0.0), (0.0, 4.0, 0.0), (0.0, 0.0, 4.0))
    assert structure.pbc == (True, True, False)
    assert structure.sites == (("Si", (0.0, 1.0, 2.0)),)
    assert type(structure.sites[0][1][0]) is float
    assert hash(structure) == hash(
        make(lattice=structure.lattice, pbc=(True, True, False), sites=structure.sites)
    )


def test_derived_values() -> None:
    alloy = Species("SiGe", ("Si", "Ge"), (0.5, 0.5))
    unused = Species("C", ("C",), (1.0,))
    structure = make(
        species=(SI, alloy, unused),
        sites=(("Si", (0, 0, 0)), ("SiGe", (1, 1, 1)), ("SiGe", (2, 2, 2))),
    )
    assert structure.nsites == 3
    assert structure.volume == pytest.approx(125.0)
    assert structure.composition() == {"Si": 2.0, "Ge": 1.0}
    assert structure.used_species() == (SI, alloy)
    assert not structure.is_ordered
    assert make().is_ordered
    assert make(lattice=None, pbc=(False, False, False)).volume is None


def test_species_vacancy_and_dummy_are_not_elements() -> None:
    species = Species("Ti", ("Ti", "vacancy"), (0.9, 0.1), mass=(47.867, 0.0))
    assert list(species.element_amounts()) == [("Ti", 0.9)]
    assert not species.is_ordered
    assert list(Species("X", ("X",), (1.0,)).element_amounts()) == []
    assert not Species("Si", ("Si",), (0.9,)).is_ordered  # implicit vacancy


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("", ("Si",), (1.0,)), "non-empty name"),
        (("Q", ("Qq",), (1.0,)), "not a chemical element"),
        (("Si", "Si", (1.0,)), "list of strings"),
        (("Si", (), ()), "no chemical symbols"),
        (("Si", ("Si",), (1.0, 0.0)), "expected 1"),
        (("Si", ("Si", "Si"), (0.5, 0.5)), "repeats"),
        (("Si", ("Si",), (0.0,)), "not in (0, 1]"),
        (("Si", ("Si", "Ge"), (0.7, 0.7)), "sum to 1.4"),
        (("Si", ("Si",), (math.nan,)), "not a finite number"),
        (("Si", ("Si",), ("1",)), "not a number"),
    ],
)
def test_bad_species(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(StructureError, match=message.replace("(", r"\(").replace("]", r"\]")):
        Species(*args)


def test_bad_species_mass() -> None:
    with pytest.raises(StructureError, match="expected 1"):
        Species("Si", ("Si",), (1.0,), mass=(28.0, 1.0))
    with pytest.raises(StructureError, match="negative"):
        Species("Si", ("Si",), (1.0,), mass=(-1.0,))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lattice": None}, "needs lattice vectors"),
        ({"lattice": ((1, 0, 0), (2, 0, 0), (0, 0, 1))}, "degenerate"),
        ({"lattice": ((1, 0, 0), (0, 1, 0))}, "expected 3"),
        ({"lattice": ((1, 0, 0), (0, 1, 0), (0, 0, math.inf))}, "not a finite number"),
        ({"pbc": (True, True)}, "three booleans"),
        ({"pbc": (1, 1, 1)}, "three booleans"),
        ({"sites": ()}, "no atoms"),
        ({"sites": (("Ge", (0, 0, 0)),)}, "unknown species 'Ge'"),
        ({"sites": (("Si", (0, 0)),)}, "expected 3"),
        ({"sites": (("Si", (0, math.nan, 0)),)}, "not a finite number"),
        ({"sites": (("Si",),)}, "not a .species, position. pair"),
        ({"species": (SI, SI)}, "unique"),
        ({"species": ("Si",)}, "Species instances"),
    ],
)
def test_bad_structures(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(StructureError, match=message):
        make(**changes)


def test_max_sites() -> None:
    site = ("Si", (0.0, 0.0, 0.0))
    assert make(sites=(site,) * MAX_SITES).nsites == MAX_SITES
    with pytest.raises(StructureError, match=f"at most {MAX_SITES}"):
        make(sites=(site,) * (MAX_SITES + 1))


def test_structure_error_is_a_value_error() -> None:
    assert issubclass(StructureError, ValueError)


def test_lattice_for_drops_a_meaningless_cell_only_when_nothing_is_periodic() -> None:
    zeros = [[0, 0, 0]] * 3
    assert lattice_for(zeros, (False, False, False)) is None
    assert lattice_for(None, (False, False, False)) is None
    assert lattice_for(CUBE, (False, False, False)) == CUBE
    with pytest.raises(StructureError, match="degenerate"):
        lattice_for(zeros, (True, True, False))
    with pytest.raises(StructureError, match="three numbers"):
        lattice_for(["abc", "def", "ghi"], (False, False, False))
