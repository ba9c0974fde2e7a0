"""AiiDA StructureData attributes -> Structure, on hand-written and real (archived) nodes."""

from __future__ import annotations

import copy
import json
import sqlite3
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from matcloud.structures import StructureError, from_aiida_attributes, optimade_properties

Validate = Callable[[dict[str, Any]], object]  # the validate_optimade fixture (conftest.py)

RICH = Path(__file__).resolve().parents[1] / "fixtures" / "aiida" / "rich.aiida"

SLAB: dict[str, Any] = {
    "cell": [[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 20.0]],
    "pbc1": True,
    "pbc2": True,
    "pbc3": False,
    "kinds": [
        {"symbols": ["Si", "Ge"], "weights": [0.5, 0.5], "mass": 50.36, "name": "SiGe"},
        {"symbols": ["H"], "weights": [1.0], "mass": 1.00794, "name": "H"},
        {"symbols": ["Ti"], "weights": [0.9], "mass": 47.867, "name": "Ti"},
    ],
    "sites": [
        {"position": [0.0, 0.0, 0.0], "kind_name": "SiGe"},
        {"position": [2.0, 2.0, 1.5], "kind_name": "H"},
        {"position": [2.0, 0.0, 0.5], "kind_name": "Ti"},
    ],
}


def test_kinds_become_species(validate_optimade: Validate) -> None:
    structure = from_aiida_attributes(SLAB)
    assert structure.pbc == (True, True, False)
    species = {item.name: item for item in structure.species}
    assert species["SiGe"].chemical_symbols == ("Si", "Ge")
    assert species["SiGe"].mass is None  # one average mass cannot be split per element
    assert species["H"].mass == (1.00794,)
    assert species["Ti"].chemical_symbols == ("Ti", "vacancy")
    assert species["Ti"].concentration == pytest.approx((0.9, 0.1))
    assert species["Ti"].mass == (47.867, 0.0)
    props = optimade_properties(structure)
    assert props["dimension_types"] == [1, 1, 0]
    assert props["nperiodic_dimensions"] == 2
    assert props["structure_features"] == ["disorder"]
    assert props["space_group_it_number"] is None
    assert props["volume"] == pytest.approx(320.0)
    validate_optimade(props)


def test_symbols_as_a_string_and_a_molecule_without_a_real_cell() -> None:
    attributes = {
        "cell": [[0.0] * 3] * 3,
        "pbc1": False,
        "pbc2": False,
        "pbc3": False,
        "kinds": [{"symbols": "O", "weights": 1.0, "mass": 15.999, "name": "O"}],
        "sites": [{"position": [0, 0, 0], "kind_name": "O"}],
    }
    structure = from_aiida_attributes(attributes)
    assert structure.lattice is None
    assert structure.species[0].chemical_symbols == ("O",)


def broken(path: str, value: Any) -> dict[str, Any]:
    attributes = copy.deepcopy(SLAB)
    target: Any = attributes
    *parents, last = path.split(".")
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    if value is KeyError:
        del target[int(last) if last.isdigit() else last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return attributes


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ([], "JSON object"),
        (broken("cell", KeyError), "no 'cell'"),
        (broken("cell", [[1, 0, 0], [0, 1, 0]]), "expected 3"),
        (broken("cell", [[1, 0, 0], [0, 1, 0], [0, 0, 0]]), "degenerate"),
        (broken("cell", "abc"), "three numbers"),
        (broken("pbc1", KeyError), "pbc1"),
        (broken("pbc2", "yes"), "pbc2"),
        (broken("kinds", KeyError), "no 'kinds'"),
        (broken("kinds", []), "no 'kinds'"),
        (broken("sites", None), "no 'sites'"),
        (broken("sites", []), "no atoms"),
        (broken("kinds.0", "SiGe"), "kind 1 is not"),
        (broken("kinds.0.name", KeyError), "no name"),
        (broken("kinds.0.weights", [0.5]), "2 symbols but 1 weights"),
        (broken("kinds.0.weights", [0.7, 0.7]), "sum to 1.4"),
        (broken("kinds.0.weights", ["0.5", 0.5]), "not a number"),
        (broken("kinds.0.symbols", ["Si", "Qq"]), "not a chemical element"),
        (broken("kinds.0.mass", "heavy"), "mass"),
        (broken("kinds.1.name", "SiGe"), "unique"),
        (broken("sites.0", 7), "site 1 is not"),
        (broken("sites.0.kind_name", "Fe"), "unknown species 'Fe'"),
        (broken("sites.1.position", KeyError), "needs 'kind_name' and 'position'"),
        (broken("sites.1.position", [0, 0, None]), "not a number"),
        (broken("sites.1.position", [0, 0, float("nan")]), "finite"),
    ],
)
def test_malformed_attributes(attributes: Any, message: str) -> None:
    with pytest.raises(StructureError, match=message):
        from_aiida_attributes(attributes)


def archived_structures() -> list[tuple[str, dict[str, Any]]]:
    """(label, attributes) of the StructureData nodes in the fixture archive."""
    if not RICH.exists():
        pytest.skip("AiiDA fixtures not built: run `make aiida-fixtures`")
    with zipfile.ZipFile(RICH) as archive:
        database = archive.read("db.sqlite3")
    connection = sqlite3.connect(":memory:")
    try:
        connection.deserialize(database)
        rows = connection.execute(
            "SELECT label, attributes FROM db_dbnode WHERE node_type = ? ORDER BY id",
            ("data.core.structure.StructureData.",),
        ).fetchall()
    finally:
        connection.close()
    return [(label, json.loads(attributes)) for label, attributes in rows]


def test_archived_structure_nodes(validate_optimade: Validate) -> None:
    found = {}
    for label, attributes in archived_structures():
        structure = from_aiida_attributes(attributes, label=label)
        props = optimade_properties(structure)
        validate_optimade(props)
        found[label] = props
    assert found["Si diamond"]["space_group_it_number"] == 227
    assert found["Si diamond"]["chemical_formula_descriptive"] == "Si2"
    assert found["NaCl rocksalt"]["space_group_it_number"] == 225
    ni3al = found["Ni3Al L1_2"]
    assert ni3al["chemical_formula_reduced"] == "AlNi3"
    assert ni3al["chemical_formula_anonymous"] == "A3B"
    assert [s["name"] for s in ni3al["species"]] == ["Al", "Ni1", "Ni2"]
    assert ni3al["space_group_it_number"] == 221  # Ni1/Ni2 are one element to spglib
    slab = found["SiGe alloy slab"]
    assert slab["dimension_types"] == [1, 1, 0]
    assert slab["structure_features"] == ["disorder"]
    assert slab["species"][0]["chemical_symbols"] == ["Si", "Ge"]
    assert slab["elements"] == ["Ge", "H", "Si"]
    assert slab["elements_ratios"] == pytest.approx([0.25, 0.5, 0.25])
    assert slab["chemical_formula_reduced"] == "GeH2Si"
    assert slab["chemical_formula_hill"] is None
