"""Section specs: a good one is read whole; each mistake is reported naming its field."""

from __future__ import annotations

import pytest
import yaml

from matcloud.core.errors import ValidationFailed
from matcloud.discover.spec import parse_spec

GOOD = """
slug: two-d
title: 2D materials
description: "Exfoliable **layers**"
authors:
  - {name: Ada Curator, orcid: 0000-0002-1825-0097}
sources: [{record: "2024.1"}]
rows: {table: materials.csv, id: name}
columns:
  - {name: name, type: string}
  - {name: formula, type: string, from: Formula}
  - {name: gap, title: Band gap, type: number, unit: eV}
  - {name: energy, type: number, unit: meV/atom}
  - {name: natoms, type: integer}
  - {name: magnetic, type: boolean}
  - {name: structure, type: file}
structure: {column: structure}
card: {title: formula, properties: [gap, energy]}
plot: {x: gap, y: energy, color: natoms, log_y: true}
presets:
  - {name: Gap vs size, x: natoms, y: gap}
filters: [gap, energy, magnetic]
search: [name, formula]
"""


def problems(text: str) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        parse_spec(text)
    return {e.field: e.message for e in caught.value.errors}


def changed(**edits: object) -> str:
    data = yaml.safe_load(GOOD)
    for path, value in edits.items():
        target = data
        parts = path.split("__")
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        last = parts[-1]
        if value is None:
            del target[int(last) if last.isdigit() else last]
        elif last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value
    return yaml.safe_dump(data)


def test_a_good_spec_is_read_whole() -> None:
    spec = parse_spec(GOOD)
    assert spec.slug == "two-d" and spec.rows.table == "materials.csv"
    assert spec.column("formula").source == "Formula"
    assert spec.column("gap").label == "Band gap" and spec.column("energy").label == "energy"
    assert [c.name for c in spec.card_properties] == ["gap", "energy"]
    assert spec.default_plot is not None and spec.default_plot.log_y
    assert [c.name for c in spec.filter_columns] == ["gap", "energy", "magnetic"]
    assert [c.name for c in spec.search_columns] == ["name", "formula"]


def test_defaults_follow_the_columns() -> None:
    spec = parse_spec(changed(filters=None, search=None, plot=None, card=None))
    plot = spec.default_plot
    assert plot is not None and (plot.x, plot.y) == ("gap", "energy")
    assert [c.name for c in spec.filter_columns] == ["gap", "energy", "natoms", "magnetic"]
    assert [c.name for c in spec.search_columns] == ["name", "formula"]
    assert "structure" not in [c.name for c in spec.card_properties]


@pytest.mark.parametrize(
    ("edits", "field", "words"),
    [
        ({"slug": "Two D"}, "slug", "lower-case"),
        ({"title": ""}, "title", "at least 1"),
        ({"authors": []}, "authors", "at least 1"),
        ({"authors__0__orcid": "1234"}, "authors[0].orcid", "one looks like 0000-"),
        ({"sources__0": {"record": "1", "doi": "10.5555/x"}}, "sources[0]", "exactly one"),
        ({"sources__0": {"doi": "not a doi"}}, "sources[0].doi", "is not a DOI"),
        (
            {"rows": {"table": "a.csv", "aiida": {"file": "x.aiida", "group": "g"}}},
            "rows",
            "exactly one",
        ),
        ({"rows__aiida": {"file": "x.aiida"}}, "rows.aiida.group", "required"),
        ({"columns__2__type": "float"}, "columns[2].type", "'number'"),
        ({"columns__2__colour": "red"}, "columns[2].colour", "unknown field"),
        ({"columns__3__name": "Energy-per-atom"}, "columns[3].name", "lower-case"),
        ({"columns__3__name": "gap"}, "columns[3].name", "already the name of columns[2]"),
        ({"structure__column": "gap"}, "structure.column", "is a number; it must be file"),
        ({"structure__column": "cif"}, "structure.column", "no column 'cif'"),
        ({"structure__zero": "gap"}, "structure.zero", "only bands have an energy zero"),
        ({"bands": {"column": "structure", "zero": "name"}}, "bands.zero", "is a string"),
        ({"bands": {"column": "structure", "zero": "vbm"}}, "bands.zero", "no column 'vbm'"),
        ({"card__title": "gap"}, "card.title", "must be string"),
        ({"card__properties": ["gap", "density"]}, "card.properties[1]", "no column 'density'"),
        ({"plot__x": "name"}, "plot.x", "is a string; it must be number or integer"),
        ({"presets__0__y": "volume"}, "presets[0].y", "no column 'volume'"),
        ({"filters": ["gap", "structure"]}, "filters[1]", "is a file"),
        ({"search": ["gap"]}, "search[0]", "must be string"),
        ({"rows__id": "gap"}, "rows.id", "must be string or integer"),
        ({"plotting": {}}, "plotting", "unknown field"),
    ],
)
def test_each_mistake_names_its_field(edits: dict[str, object], field: str, words: str) -> None:
    found = problems(changed(**edits))
    assert field in found, found
    assert words in found[field], found[field]


def test_every_mistake_at_once() -> None:
    found = problems(changed(columns__2__type="float", columns__3__unit=5 * "x" * 20, slug="A"))
    assert {"columns[2].type", "columns[3].unit", "slug"} <= set(found)


def test_aiida_rows_need_node_paths() -> None:
    text = changed(rows={"aiida": {"file": "db.aiida", "group": "g"}}, structure=None)
    found = problems(text)
    assert "columns[0].from" in found and "where the value is read" in found["columns[0].from"]
    data = yaml.safe_load(text)
    for column in data["columns"]:
        column["from"] = "attributes.x"
    data["columns"][1]["from"] = "outputs..bad"
    data["columns"][6]["type"] = "file"
    found = problems(yaml.safe_dump(data))
    assert "not a node path" in found["columns[1].from"]
    assert "type 'node'" in found["columns[6].type"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("slug: [unclosed", "not valid YAML at line 1"),
        ("- a\n- b\n", "must be a YAML mapping"),
        ("", "must be a YAML mapping"),
        ("title: x\n" + "#" * 300_000, "limit"),
    ],
)
def test_not_a_spec_at_all(text: str, words: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_spec(text)
    assert words in caught.value.detail


def test_yaml_cannot_build_objects() -> None:
    with pytest.raises(ValidationFailed):
        parse_spec("slug: !!python/object/apply:os.system ['true']\n")
