"""The filter parser: our LALR build of the optimade grammar gives exactly the trees of the
package's own (Earley) ``LarkParser``; its limits hold; and no input, however bad, reaches
the database as SQL text or produces a 500."""

from __future__ import annotations

import random

import pytest
from fastapi.testclient import TestClient
from optimade.exceptions import BadRequest as OptimadeBadRequest
from optimade.filterparser import LarkParser

from matcloud.optimade.errors import BadRequest
from matcloud.optimade.filterparse import MAX_FILTER_CHARS, FilterParser
from optimade_data import PUBLIC


@pytest.fixture
def api(shared_api: TestClient) -> TestClient:
    """These tests only read: one app serves the module."""
    return shared_api


CORPUS = [
    "nelements > 3",
    'chemical_formula_hill = "H2O" AND chemical_formula_anonymous != "AB"',
    '_exmpl_aax <= +.1e8 OR nelements >= 10 AND NOT ( _exmpl_x != "Some string" OR NOT '
    "_exmpl_a = 7)",
    '_exmpl_spacegroup="P2"',
    "_exmpl_cell_volume<100.0",
    "_exmpl_band_gap > 5.0 AND _exmpl_molecular_weight < 350",
    '_exmpl_melting_point<300 AND nelements=4 AND chemical_formula_descriptive="SiO2"',
    "_exmpl_some_string_property = 42",
    "5 < _exmpl_a",
    "((NOT (_exmpl_a>_exmpl_b)) AND _exmpl_x>0)",
    "5 < 7",
    'chemical_formula_anonymous CONTAINS "C2" AND chemical_formula_anonymous STARTS WITH "A2"',
    'chemical_formula_anonymous STARTS "A2" AND chemical_formula_anonymous ENDS WITH "D1"',
    "property = TRUE",
    "property != FALSE",
    'elements HAS "H" AND elements HAS ALL "H","He","Ga","Ta" AND elements HAS ONLY '
    '"H","He","Ga","Ta" AND elements HAS ANY "H", "He", "Ga", "Ta"',
    'elements:_exmpl_element_counts HAS "H":6 AND elements:_exmpl_element_counts HAS ALL '
    '"H":6,"He":7 AND elements:_exmpl_element_counts HAS ONLY "H":6',
    "_exmpl_element_counts HAS < 3 AND _exmpl_element_counts HAS ANY > 3, = 6, 4, != 8",
    'elements:_exmpl_element_counts:_exmpl_element_weights HAS ANY > 3:"He":>55.3 , '
    '= 6:>"Ti":<37.6 , 8:<"Ga":0',
    "list:list HAS >=2:<=5",
    "chemical_formula_hill IS KNOWN AND NOT chemical_formula_anonymous IS UNKNOWN",
    'NOT a > b OR c = 100 AND f = "C2 H6"',
    "a >= 0 AND NOT b < c OR c = 0",
    'NOT ( chemical_formula_hill = "Al" AND chemical_formula_anonymous = "A" OR '
    'chemical_formula_anonymous = "H2O" AND NOT chemical_formula_hill = "Ti" )',
    "elements LENGTH 3",
    "elements LENGTH >= 3",
    'calculations.id HAS "calc-id-96"',
    'a.b.c = "x\\"y\\\\"',
    "a = -.2E+7 AND b = 1. AND c = .1 AND d = 6.03e23 AND e = +12",
    '"x" = a',
    "",
]


@pytest.fixture(scope="module")
def parsers() -> tuple[FilterParser, LarkParser]:
    return FilterParser(), LarkParser()


@pytest.mark.parametrize("text", CORPUS)
def test_lalr_trees_are_the_earley_trees(
    parsers: tuple[FilterParser, LarkParser], text: str
) -> None:
    ours, theirs = parsers
    assert ours.parse(text) == theirs.parse(text)


@pytest.mark.parametrize("text", ["(((", "a ==", "NOT NOT a=1", "A = 1", "a = 'x'", "a HAS"])
def test_both_refuse_the_same_syntax_errors(
    parsers: tuple[FilterParser, LarkParser], text: str
) -> None:
    ours, theirs = parsers
    with pytest.raises(BadRequest):
        ours.parse(text)
    with pytest.raises(OptimadeBadRequest):
        theirs.parse(text)


def test_limits(parsers: tuple[FilterParser, LarkParser]) -> None:
    ours, _ = parsers
    with pytest.raises(BadRequest, match="characters long"):
        ours.parse("a=1 OR " * (MAX_FILTER_CHARS // 7 + 1) + "a=1")
    with pytest.raises(BadRequest, match="nested too deeply"):
        ours.parse("(" * 70 + "a=1" + ")" * 70)
    assert ours.parse("(" * 30 + "a=1" + ")" * 30)


def test_values_are_bound_parameters_never_sql(api: TestClient) -> None:
    evil = "x'; DROP TABLE optimade_structures; --"
    for filter_ in (
        f'chemical_formula_reduced = "{evil}"',
        f'chemical_formula_reduced CONTAINS "{evil}"',
        f'elements HAS ANY "{evil}", "Si"',
        f'elements HAS ONLY "{evil}"',
    ):
        response = api.get("/optimade/v1/structures", params={"filter": filter_})
        assert response.status_code == 200, response.text
    body = api.get("/optimade/v1/structures").json()
    assert body["meta"]["data_returned"] == len(PUBLIC)


TOKENS = [
    "nelements", "elements", "chemical_formula_reduced", "last_modified", "_matcloud_volume",
    "_x_y", "foo", "id", "species", "lattice_vectors", "=", "!=", "<", ">=", "AND", "OR", "NOT",
    "(", ")", "HAS", "ALL", "ANY", "ONLY", "LENGTH", "IS", "KNOWN", "UNKNOWN", "CONTAINS",
    "STARTS", "WITH", "ENDS", ",", ":", '"Si"', '"2024-01-01T00:00:00Z"', '"%_"', "3", "-1.5e3",
    "1e999", "TRUE", "FALSE", '"', "\\", "''", "\t",
]  # fmt: skip


COMPARISONS = [
    "nelements {op} {n}", "nsites {op} {n}", "_matcloud_volume {op} {x}",
    'chemical_formula_reduced {op} "{el}"', 'elements HAS "{el}"', 'elements HAS ALL "{el}","O"',
    'elements HAS ONLY "{el}","O"', 'elements HAS ANY "{el}","Na"', "elements LENGTH {op} {n}",
    'chemical_formula_anonymous STARTS WITH "A{n}"', 'last_modified {op} "2025-03-0{n}T12:00:00Z"',
    "space_group_it_number {op} {n}", "space_group_it_number IS UNKNOWN", "_foo_bar {op} {n}",
    "dimension_types HAS {op} {n}", 'elements:dimension_types HAS "{el}":{n}',
    "_matcloud_is_latest = TRUE", "nelements {op} nsites", 'species_at_sites HAS "{el}"',
]  # fmt: skip


def random_filter(rng: random.Random, depth: int = 0) -> str:
    """A random well-formed filter (types may still mismatch: that is a 501)."""
    if depth > 2 or rng.random() < 0.4:
        text = rng.choice(COMPARISONS).format(
            op=rng.choice(["=", "!=", "<", "<=", ">", ">="]),
            n=rng.randint(0, 4),
            x=rng.uniform(-10, 300),
            el=rng.choice(["Si", "O", "Na", "Cl", "Mo", "S", "Fe", "H", "X"]),
        )
    else:
        joiner = rng.choice([" AND ", " OR "])
        parts = [random_filter(rng, depth + 1) for _ in range(rng.randint(2, 3))]
        text = "(" + joiner.join(parts) + ")"
    return ("NOT " if rng.random() < 0.3 else "") + text


def test_random_filters_never_fail_on_our_side(api: TestClient) -> None:
    rng = random.Random(20261125)
    statuses: dict[int, int] = {}
    for n in range(400):
        if n % 2:
            text = random_filter(rng)
        else:
            text = " ".join(rng.choice(TOKENS) for _ in range(rng.randint(1, 12)))
        response = api.get("/optimade/v1/structures", params={"filter": text})
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code in (200, 400, 501), (text, response.text)
        body = response.json()
        if response.status_code == 200:
            assert body["meta"]["data_returned"] == len(body["data"])
        else:
            assert body["errors"][0]["detail"]
    assert statuses.get(200, 0) > 50 and statuses.get(400, 0) > 50
