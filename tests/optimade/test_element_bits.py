"""Filters on ``elements`` answered from the element bits (``matcloud.optimade.masks``):
random combinations of ``HAS``/``HAS ALL``/``HAS ANY``/``HAS ONLY``, ``AND``/``OR``/``NOT``
over structures with elements from both bit columns, checked against Python's answer (the
count, and the entries the pages return)."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from matcloud.core.db import Database
from matcloud.optimade.driving import driven_count
from matcloud.optimade.filterparse import FilterParser
from matcloud.optimade.masks import element_bit, element_masks, split_bits
from matcloud.optimade.models import StructureEntry, StructureValue
from matcloud.optimade.properties import structures_schema
from matcloud.optimade.transformer import compile_filter
from optimade_data import PUBLIC, ids, insert_structures, publish_records, structure

#: Low and high bits (H ... Og), common and rare; "Xx" has no bit (the values-table path).
POOL = ["H", "O", "Si", "Cu", "Fe", "Cs", "Ba", "Pb", "U", "Og", "Lu", "Hf"]
Entry = dict[str, Any]
Predicate = Callable[[Entry], bool]


def test_masks_of_elements() -> None:
    assert element_bit("H") == 0
    assert element_bit("Og") == 117
    assert element_bit("X") is None and element_bit("vacancy") is None
    assert element_bit("Xx") is None
    lo, hi = element_masks(["H", "O", "Og", "X"])
    assert lo == (1 << 0) | (1 << 7)
    assert hi == 1 << (117 - 62)
    assert split_bits([0, 7, 117]) == [lo, hi]
    assert 0 < max(element_masks(list(POOL))) < 2**62


@pytest.fixture
def randomly(filled: FastAPI) -> list[frozenset[str]]:
    rng = random.Random(5)
    rows = []
    for n in range(90):
        elements = rng.sample(POOL, rng.randint(1, 4))
        symbols = elements + rng.choices(elements, k=rng.randint(0, 3))
        sites = [(symbol, (0.5 * i, 0.0, 0.0)) for i, symbol in enumerate(symbols)]
        rows.append(
            structure(
                f"2025.7v1-bits{n:05d}",
                sites,
                lattice=[[5.0, 0.0, 0.0], [0.0, 5.0, 0.0], [0.0, 0.0, 5.0]],
                record="2025.7",
                version="2025.7v1",
            )
        )
    db = filled.state.instance.db
    insert_structures(db, rows)
    publish_records(db, ["2025.7v1"])
    return [frozenset(row["elements"]) for row in [*PUBLIC, *rows]]


def _atom(rng: random.Random) -> tuple[str, Predicate]:
    kind = rng.choice(["HAS", "ALL", "ANY", "ONLY", "NEL", "NSITES", "ANON", "SPECIES"])
    if kind == "NEL":
        n = rng.randint(1, 4)
        return f"nelements>={n}", lambda e: len(e["elements"]) >= n
    if kind == "NSITES":  # a column the postings carry
        n = rng.randint(1, 4)
        return f"nsites<{n}", lambda e: e["nsites"] < n
    if kind == "ANON":  # one they do not: the count joins the structures
        formula = rng.choice(["A", "AB", "ABC", "ABCD"])
        return (
            f'chemical_formula_anonymous="{formula}"',
            lambda e: e["chemical_formula_anonymous"] == formula,
        )
    values = rng.sample([*POOL, "Xx"] if rng.random() < 0.1 else POOL, rng.randint(1, 3))
    quoted = ",".join(f'"{v}"' for v in values)
    wanted = frozenset(values)
    if kind == "SPECIES":  # another list: a correlated sub-query, moved onto the postings
        value = values[0]
        return f'species_at_sites HAS "{value}"', lambda e: value in e["species_at_sites"]
    if kind == "HAS":
        value = values[0]
        return f'elements HAS "{value}"', lambda e: value in e["elements"]
    if kind == "ALL":
        return f"elements HAS ALL {quoted}", lambda e: wanted <= set(e["elements"])
    if kind == "ANY":
        return f"elements HAS ANY {quoted}", lambda e: bool(wanted & set(e["elements"]))
    return f"elements HAS ONLY {quoted}", lambda e: set(e["elements"]) <= wanted


def _filter(rng: random.Random, depth: int) -> tuple[str, Predicate]:
    if depth == 0 or rng.random() < 0.3:
        return _atom(rng)
    choice = rng.random()
    if choice < 0.2:
        text, test = _filter(rng, depth - 1)
        return f"NOT ({text})", lambda e: not test(e)
    left, right = _filter(rng, depth - 1), _filter(rng, depth - 1)
    if choice < 0.6:
        return f"({left[0]}) AND ({right[0]})", lambda e: left[1](e) and right[1](e)
    return f"({left[0]}) OR ({right[0]})", lambda e: left[1](e) or right[1](e)


@pytest.mark.parametrize("seed", range(4))
def test_random_element_filters_match_python(
    api: TestClient, randomly: list[frozenset[str]], seed: int
) -> None:
    rng = random.Random(seed)
    body = api.get("/optimade/v1/structures", params={"page_limit": 200}).json()
    by_id = {entry["id"]: entry["attributes"] for entry in body["data"]}
    assert len(by_id) == len(randomly)
    for _ in range(50):
        text, test = _filter(rng, 3)
        expected = {i for i, entry in by_id.items() if test(entry)}
        response = api.get(
            "/optimade/v1/structures",
            params={"filter": text, "page_limit": 200, "response_fields": "elements"},
        )
        assert response.status_code == 200, (text, response.text)
        answer = response.json()
        assert set(ids(answer)) == expected, text
        assert answer["meta"]["data_returned"] == len(expected), text


def postings_of(db: Database, structure_id: str) -> set[tuple[Any, ...]]:
    """The element postings of a structure: (element, copies of its columns)."""
    with db.read() as session:
        rows = session.execute(
            select(
                StructureValue.value,
                StructureValue.is_public,
                StructureValue.elements_mask_lo,
                StructureValue.elements_mask_hi,
                StructureValue.nelements,
                StructureValue.nsites,
            ).where(StructureValue.structure_id == structure_id, StructureValue.field == "elements")
        )
        return {tuple(r) for r in rows}


def test_postings_follow_their_structures(api: TestClient, filled: FastAPI) -> None:
    """Whoever writes: values rows inserted without the copies get them (trigger), and a
    change of the structure's columns reaches its postings (trigger), so counts follow."""
    db = filled.state.instance.db
    row = structure(
        "2025.8v1-trig000001",
        [("U", (0.0, 0.0, 0.0)), ("O", (1.0, 1.0, 1.0)), ("O", (2.0, 2.0, 2.0))],
        lattice=[[5.0, 0.0, 0.0], [0.0, 5.0, 0.0], [0.0, 0.0, 5.0]],
        record="2025.8",
        version="2025.8v1",
    )
    insert_structures(db, [row])
    publish_records(db, ["2025.8v1"])
    lo, hi = element_masks(["U", "O"])

    def postings() -> set[tuple[Any, ...]]:
        return postings_of(db, row["id"])

    assert postings() == {("U", True, lo, hi, 2, 3), ("O", True, lo, hi, 2, 3)}
    with db.read() as session:  # only the elements rows carry copies
        others = session.scalars(
            select(StructureValue.is_public).where(
                StructureValue.structure_id == row["id"], StructureValue.field != "elements"
            )
        ).all()
    assert others and set(others) == {None}

    def count(text: str) -> int:
        body = api.get("/optimade/v1/structures", params={"filter": text}).json()
        return int(body["meta"]["data_returned"])

    assert count('elements HAS ALL "U","O" AND nsites=3') == 1
    with db.unit_of_work() as uow:
        uow.session.execute(
            update(StructureEntry).where(StructureEntry.id == row["id"]).values(nsites=7)
        )
    assert postings() == {("U", True, lo, hi, 2, 7), ("O", True, lo, hi, 2, 7)}
    assert count('elements HAS ALL "U","O" AND nsites=3') == 0
    assert count('elements HAS ALL "U","O" AND nsites=7') == 1
    with db.unit_of_work() as uow:
        uow.session.execute(
            update(StructureEntry).where(StructureEntry.id == row["id"]).values(is_public=False)
        )
    assert {p[1] for p in postings()} == {False}
    assert count('elements HAS "U"') == 0


@pytest.mark.parametrize(
    ("text", "joins"),
    [
        ('elements HAS ALL "Cu","O" AND nsites < 5', False),
        ('(elements HAS "Fe" OR elements HAS "U") AND NOT elements HAS "O"', False),
        ('elements HAS "Cu" AND species_at_sites HAS "Cu"', False),
        ('elements HAS "Cu" AND chemical_formula_anonymous = "AB"', True),
    ],
)
def test_driven_counts_read_the_postings_alone_when_they_can(
    api: TestClient, filled: FastAPI, text: str, joins: bool
) -> None:
    api.get("/optimade/v1/structures")  # the service exists once the API has answered
    service = filled.state.optimade
    schema = service.schemas["structures"]
    compiled = service._compile(schema, text, "exists")
    assert compiled.driver is not None
    statement = driven_count(schema, compiled.driver, compiled.expression)
    sql = str(statement.compile(compile_kwargs={"literal_binds": True}))
    outer = sql.split("WHERE", 1)[0]
    assert ("JOIN optimade_structures" in outer) is joins, sql


@pytest.mark.parametrize(
    "text",
    [
        'NOT elements HAS "O"',
        'elements HAS "O" OR nsites < 3',
        'elements HAS "Xx"',
        'elements HAS ONLY "Si","O"',
        'species_at_sites HAS "Si"',
        "nelements = 2",
    ],
)
def test_filters_without_a_driver(text: str) -> None:
    """NOT, an OR with a side that is not about elements, values without bits, and other
    properties imply no driver: such counts keep their own plan."""
    schema = structures_schema("http://testserver", "matcloud", "sqlite")
    compiled = compile_filter(schema, FilterParser().parse(text), text, frozenset())
    assert compiled.driver is None


def test_the_indexing_writer_fills_the_postings_itself(filled: FastAPI) -> None:
    """write_entries (the indexing job's insert) gives the rows what the trigger would."""
    from matcloud.optimade.indexing import value_rows, write_entries

    db = filled.state.instance.db
    row = structure(
        "2025.8v1-writer0001",
        [("Og", (0.0, 0.0, 0.0)), ("H", (1.0, 1.0, 1.0))],
        lattice=[[5.0, 0.0, 0.0], [0.0, 5.0, 0.0], [0.0, 0.0, 5.0]],
        record="2025.8",
        version="2025.8v1",
    )
    with db.unit_of_work() as uow:
        write_entries(uow.session, [row], value_rows(row["id"], row))
    found = postings_of(db, row["id"])
    with db.read() as session:
        masks = session.execute(
            select(StructureEntry.elements_mask_lo, StructureEntry.elements_mask_hi).where(
                StructureEntry.id == row["id"]
            )
        ).one()
    lo, hi = element_masks(["Og", "H"])
    assert tuple(masks) == (lo, hi)
    assert found == {("H", True, lo, hi, 2, 2), ("Og", True, lo, hi, 2, 2)}
