"""optimade_properties: exactly the promised keys, plain JSON, valid for optimade's models."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from matcloud.structures import Species, Structure, optimade_properties, read_structures
from matcloud.structures.optimade import PROPERTY_NAMES

Validate = Callable[[dict[str, Any]], object]  # the validate_optimade fixture (conftest.py)

EXPECTED_KEYS = {
    "elements",
    "nelements",
    "elements_ratios",
    "chemical_formula_descriptive",
    "chemical_formula_reduced",
    "chemical_formula_hill",
    "chemical_formula_anonymous",
    "dimension_types",
    "nperiodic_dimensions",
    "lattice_vectors",
    "cartesian_site_positions",
    "nsites",
    "species",
    "species_at_sites",
    "structure_features",
    "space_group_it_number",
    "space_group_symbol_hermann_mauguin",
    "space_group_symbol_hall",
    "volume",
}
CUBE = ((3.0, 0.0, 0.0), (0.0, 3.0, 0.0), (0.0, 0.0, 3.0))


def all_data_structures(data_dir: Path) -> list[Structure]:
    return [
        structure
        for path in sorted(data_dir.iterdir())
        for structure in read_structures(path.read_bytes(), path.name)
    ]


def test_every_data_file_gives_valid_plain_json(
    data_dir: Path, validate_optimade: Validate
) -> None:
    structures = all_data_structures(data_dir)
    assert len(structures) == 9
    for structure in structures:
        props = optimade_properties(structure)
        assert set(props) == EXPECTED_KEYS == set(PROPERTY_NAMES)
        assert json.loads(json.dumps(props, allow_nan=False)) == props
        assert math.isclose(sum(props["elements_ratios"]), 1.0, abs_tol=1e-12)
        assert props["elements"] == sorted(props["elements"])
        assert props["nelements"] == len(props["elements"]) == len(props["elements_ratios"])
        assert props["nsites"] == len(props["cartesian_site_positions"])
        assert props["structure_features"] == sorted(props["structure_features"])
        validate_optimade(props)


def test_unused_species_are_left_out_and_mass_only_when_known(validate_optimade: Validate) -> None:
    structure = Structure(
        lattice=CUBE,
        pbc=(True, True, True),
        species=(
            Species("Fe", ("Fe",), (1.0,), mass=(55.845,)),
            Species("C", ("C",), (1.0,)),
            Species("Ni", ("Ni",), (1.0,)),
        ),
        sites=(("Fe", (0.0, 0.0, 0.0)), ("C", (1.5, 1.5, 1.5))),
    )
    props = optimade_properties(structure)
    assert props["species"] == [
        {"name": "Fe", "chemical_symbols": ["Fe"], "concentration": [1.0], "mass": [55.845]},
        {"name": "C", "chemical_symbols": ["C"], "concentration": [1.0]},
    ]
    assert props["space_group_it_number"] == 221
    assert props["space_group_symbol_hermann_mauguin"] == "P m -3 m"
    validate_optimade(props)


def test_an_implicit_vacancy_is_disorder(validate_optimade: Validate) -> None:
    structure = Structure(
        CUBE, (True, True, True), (Species("Cu", ("Cu",), (0.75,)),), (("Cu", (0, 0, 0)),)
    )
    props = optimade_properties(structure)
    assert props["structure_features"] == ["disorder"]
    assert props["chemical_formula_reduced"] == "Cu"
    assert props["chemical_formula_hill"] is None
    assert props["space_group_it_number"] is None
    validate_optimade(props)


def test_dummy_atoms_are_not_elements(validate_optimade: Validate) -> None:
    species = (Species("X", ("X",), (1.0,)), Species("He", ("He",), (1.0,)))
    sites = (("X", (0.0, 0.0, 0.0)), ("He", (1.5, 1.5, 1.5)))
    props = optimade_properties(Structure(CUBE, (True, True, True), species, sites))
    assert props["elements"] == ["He"]
    assert props["chemical_formula_reduced"] == "He"
    assert props["species_at_sites"] == ["X", "He"]
    validate_optimade(props)
    only_dummy = Structure(None, (False, False, False), species[:1], sites[:1])
    props = optimade_properties(only_dummy)
    assert props["elements"] == [] and props["nelements"] == 0
    assert props["chemical_formula_reduced"] is None
    validate_optimade(props)


@pytest.mark.parametrize(("pbc", "expected"), [((True, False, False), 1), ((False,) * 3, 0)])
def test_lower_dimensional_cells_have_no_space_group(
    pbc: tuple[bool, bool, bool], expected: int, validate_optimade: Validate
) -> None:
    species = (Species("C", ("C",), (1.0,)),)
    props = optimade_properties(Structure(CUBE, pbc, species, (("C", (0.0, 0.0, 0.0)),)))
    assert props["nperiodic_dimensions"] == expected
    assert props["space_group_it_number"] is None
    assert props["space_group_symbol_hall"] is None
    assert props["lattice_vectors"] == [list(row) for row in CUBE]
    validate_optimade(props)
