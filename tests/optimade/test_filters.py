"""Filters over the fixed structures: every operator, unknown values, nesting, escaping, types.

Each case names the structures it must return (by short name), so a wrong SQL translation
shows as a wrong set. Run on PostgreSQL too (``--db postgres``): the compiler emits different
SQL for substring matches there.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from matcloud.optimade import pages
from optimade_data import CSPBBR3, FENI, MOS2, NACL, NACL_OLD, PUBLIC, SI, WATER, ids

ALL = {"SI", "MOS2", "WATER", "FENI", "CSPB", "NACL_OLD", "NACL"}
NAMES = {
    SI["id"]: "SI",
    MOS2["id"]: "MOS2",
    WATER["id"]: "WATER",
    FENI["id"]: "FENI",
    CSPBBR3["id"]: "CSPB",
    NACL_OLD["id"]: "NACL_OLD",
    NACL["id"]: "NACL",
}


@pytest.fixture
def api(shared_api: TestClient) -> TestClient:
    """These tests only read: one app serves the module."""
    return shared_api


def search(api: TestClient, filter_: str, **params: Any) -> dict[str, Any]:
    response = api.get("/optimade/v1/structures", params={"filter": filter_, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def found(api: TestClient, filter_: str) -> set[str]:
    body = search(api, filter_, page_limit=100)
    names = {NAMES[i] for i in ids(body)}
    assert body["meta"]["data_returned"] == len(names)
    return names


def error(api: TestClient, filter_: str) -> tuple[int, str]:
    response = api.get("/optimade/v1/structures", params={"filter": filter_})
    body = response.json()
    assert "data" not in body
    return response.status_code, body["errors"][0]["detail"]


CASES: list[tuple[str, set[str]]] = [
    # numbers, both ways round
    ("nelements=2", {"MOS2", "WATER", "FENI", "NACL_OLD", "NACL"}),
    ("nelements>2", {"CSPB"}),
    ("2 < nelements", {"CSPB"}),
    ("nelements >= 3", {"CSPB"}),
    ("3 <= nelements", {"CSPB"}),
    ("nsites<=2", {"SI", "FENI", "NACL_OLD", "NACL"}),
    ("nelements != 2", {"SI", "CSPB"}),
    ("nelements > -1.5e3", ALL),
    ("nelements = 2.0", {"MOS2", "WATER", "FENI", "NACL_OLD", "NACL"}),
    ("_matcloud_volume > 30.5", {"SI", "CSPB", "NACL_OLD", "NACL"}),
    ("5 < 7", ALL),
    ("7 < 5", set()),
    # strings, ids, type
    ('chemical_formula_reduced="H2O"', {"WATER"}),
    ('chemical_formula_anonymous="A2B"', {"MOS2", "WATER"}),
    ('"A2B" = chemical_formula_anonymous', {"MOS2", "WATER"}),
    ('chemical_formula_hill = "Br3CsPb"', {"CSPB"}),
    (f'id="{SI["id"]}"', {"SI"}),
    (f'immutable_id="{NACL["id"]}"', {"NACL"}),
    (f'id < "{MOS2["id"]}"', {"WATER"}),
    ('type="structures"', ALL),
    ('type="references"', set()),
    ('type CONTAINS "struct"', ALL),
    ('_matcloud_record = "2025.3"', {"NACL_OLD", "NACL"}),
    ('_matcloud_space_group = "Fd-3m"', {"SI"}),
    ('_matcloud_landing_page = "http://testserver/records/2025.3v2"', {"NACL"}),
    ('_matcloud_doi = "10.99999/2025.2v1"', {"FENI", "CSPB"}),
    ('space_group_symbol_hermann_mauguin = "P m -3 m"', {"CSPB"}),
    # timestamps: inclusive, time zones, microseconds
    ('last_modified >= "2025-03-01T12:00:00Z"', ALL),
    ('last_modified > "2025-03-01T12:00:00Z"', {"MOS2", "WATER", "CSPB", "NACL"}),
    ('last_modified >= "2025-03-01T14:00:00+02:00"', ALL),
    ('last_modified > "2025-03-01T13:00:00+02:00"', ALL),
    ('last_modified <= "2025-03-01T12:00:00z"', {"SI", "FENI", "NACL_OLD"}),
    ('last_modified = "2025-03-03T12:00:00.000250Z"', {"WATER"}),
    ('last_modified < "2025-03-02T00:00:00Z"', {"SI", "FENI", "NACL_OLD"}),
    ('"2025-03-04T12:00:00Z" <= last_modified', {"CSPB", "NACL"}),
    # unknown values: comparisons never match, neither do their negations
    ("space_group_it_number = 227", {"SI"}),
    ("NOT space_group_it_number = 227", {"MOS2", "CSPB", "NACL"}),
    ("space_group_it_number != 227", {"MOS2", "CSPB", "NACL"}),
    ("space_group_it_number IS UNKNOWN", {"WATER", "FENI", "NACL_OLD"}),
    ("NOT space_group_it_number IS KNOWN", {"WATER", "FENI", "NACL_OLD"}),
    ("space_group_it_number IS KNOWN", {"SI", "MOS2", "CSPB", "NACL"}),
    ("NOT (space_group_it_number = 227 OR nelements = 2)", {"CSPB"}),
    ("NOT (space_group_it_number = 227 AND nelements = 2)", {"SI", "MOS2", "CSPB", "NACL"}),
    ("NOT (NOT space_group_it_number = 227)", {"SI"}),
    ("lattice_vectors IS UNKNOWN", {"WATER"}),
    ("lattice_vectors IS KNOWN", ALL - {"WATER"}),
    ("lattice_vectors LENGTH 3", ALL - {"WATER"}),
    ("NOT lattice_vectors LENGTH 3", set()),
    ("_matcloud_volume IS UNKNOWN", {"MOS2", "WATER"}),
    ("_matcloud_provenance IS KNOWN", {"WATER"}),
    ("assemblies IS UNKNOWN", ALL),
    ("assemblies IS KNOWN", set()),
    ('space_group_symbol_hermann_mauguin_extended = "F d -3 m"', set()),
    # another provider's properties are unknown everywhere
    ("_exmpl_band_gap < 2", set()),
    ("NOT _exmpl_band_gap < 2", set()),
    ("_exmpl_band_gap IS UNKNOWN", ALL),
    ("nelements = 1 OR _exmpl_band_gap = 2", {"SI"}),
    ("nelements = 1 AND NOT _exmpl_x = 2", set()),
    # substrings: literal, case-sensitive
    ('chemical_formula_reduced CONTAINS "Cs"', {"CSPB"}),
    ('chemical_formula_reduced STARTS WITH "Mo"', {"MOS2"}),
    ('chemical_formula_reduced STARTS "Mo"', {"MOS2"}),
    ('chemical_formula_reduced ENDS WITH "O"', {"WATER"}),
    ('chemical_formula_reduced ENDS "2"', {"MOS2"}),
    ('chemical_formula_reduced CONTAINS "O"', {"WATER"}),
    ('chemical_formula_reduced CONTAINS "o"', {"MOS2"}),
    ('chemical_formula_reduced STARTS WITH "h"', set()),
    ('chemical_formula_descriptive CONTAINS "."', {"FENI"}),
    ('_matcloud_title CONTAINS "%"', {"CSPB"}),
    ('_matcloud_title CONTAINS "_"', {"CSPB"}),
    ('_matcloud_title CONTAINS "0% p"', {"CSPB"}),
    ('_matcloud_title CONTAINS "["', {"WATER"}),
    ('_matcloud_title ENDS WITH "phase]"', {"WATER"}),
    ('_matcloud_title CONTAINS "*"', set()),
    ('_matcloud_title CONTAINS "?"', set()),
    ('_matcloud_title CONTAINS "\\"halite\\""', {"NACL"}),
    ('_matcloud_title CONTAINS ""', ALL),
    # lists
    ('elements HAS "Si"', {"SI"}),
    ('elements HAS "S"', {"MOS2"}),
    ('elements HAS "C"', set()),
    ('elements HAS "Au"', set()),
    ('elements HAS ALL "Mo","S"', {"MOS2"}),
    ('elements HAS ALL "Cs", "Pb", "Br"', {"CSPB"}),
    ('elements HAS ALL "Mo","O"', set()),
    ('elements HAS ANY "Mo","Si"', {"SI", "MOS2"}),
    ('elements HAS ONLY "Na","Cl","O","H"', {"WATER", "NACL_OLD", "NACL"}),
    ('elements HAS ONLY "Si"', {"SI"}),
    ('elements HAS ONLY "Si", "Si"', {"SI"}),
    ('elements HAS ONLY "Ni", "Fe", "Cu"', {"FENI"}),
    ('NOT elements HAS "O"', ALL - {"WATER"}),
    ('NOT elements HAS ONLY "Si"', ALL - {"SI"}),
    ('NOT elements HAS ALL "H","O"', ALL - {"WATER"}),
    ('NOT elements HAS ANY "H","Na"', ALL - {"WATER", "NACL", "NACL_OLD"}),
    ('elements HAS "Mo" AND elements HAS "S"', {"MOS2"}),
    ('elements HAS "Mo" OR elements HAS "Si"', {"SI", "MOS2"}),
    ('species_at_sites HAS "FeNi"', {"FENI"}),
    ('species_at_sites HAS ALL "Br","Cs"', {"CSPB"}),
    ('structure_features HAS "disorder"', {"FENI"}),
    ('structure_features HAS ONLY "disorder"', ALL),
    ('NOT structure_features HAS ANY "disorder"', ALL - {"FENI"}),
    ("dimension_types HAS 0", {"MOS2", "WATER"}),
    ("dimension_types HAS ALL 0, 1", {"MOS2"}),
    ("dimension_types HAS ONLY 0", {"WATER"}),
    ("dimension_types HAS < 1", {"MOS2", "WATER"}),
    ("dimension_types HAS ALL < 1, > 0", {"MOS2"}),
    ("dimension_types HAS ANY = 0, != 1", {"MOS2", "WATER"}),
    ('elements HAS > "Pb"', {"SI", "MOS2"}),
    ('elements HAS ONLY < "P"', {"FENI", "WATER", "NACL", "NACL_OLD"}),
    ('elements HAS ONLY < "P", "Si"', {"FENI", "WATER", "NACL", "NACL_OLD", "SI"}),
    # LENGTH
    ("elements LENGTH 3", {"CSPB"}),
    ("elements LENGTH > 1", ALL - {"SI"}),
    ("elements_ratios LENGTH 1", {"SI"}),
    ("species_at_sites LENGTH 3", {"MOS2", "WATER"}),
    ("cartesian_site_positions LENGTH 1", {"FENI"}),
    ("structure_features LENGTH 1", {"FENI"}),
    ("structure_features LENGTH >= 0", ALL),
    ("species LENGTH 1", {"SI", "FENI"}),
    ("dimension_types LENGTH 3", ALL),
    # correlated lists (matched by position)
    ('elements:dimension_types HAS "Mo":1', {"MOS2"}),
    ('elements:dimension_types HAS ALL "Mo":1, "S":1', {"MOS2"}),
    ('elements:dimension_types HAS ANY "Mo":1, "Si":1', {"SI", "MOS2"}),
    ('elements:dimension_types HAS ONLY "H":0, "O":0', {"WATER"}),
    ("dimension_types:dimension_types HAS >=1:<=1", ALL - {"WATER"}),
    ('NOT elements:dimension_types HAS "Mo":1', ALL - {"MOS2"}),
    # logic and precedence
    ('(nelements = 1 OR nelements = 3) AND NOT elements HAS "Cs"', {"SI"}),
    ('NOT (elements HAS "Si" OR elements HAS "Na")', {"MOS2", "WATER", "FENI", "CSPB"}),
    ('NOT elements HAS "Si" AND NOT elements HAS "Na"', {"MOS2", "WATER", "FENI", "CSPB"}),
    ('NOT (NOT elements HAS "Si")', {"SI"}),
    ('NOT (NOT (NOT elements HAS "Si"))', ALL - {"SI"}),
    ("NOT nelements = 1 OR nelements = 3 AND nsites = 5", ALL - {"SI"}),
    ("nelements = 1 OR nelements = 3 AND nsites = 2", {"SI"}),
    ('((elements HAS "H"))', {"WATER"}),
    ("NOT (NOT (nelements = 3) AND NOT (nsites = 1))", {"CSPB", "FENI"}),
    ('elements HAS "Na" AND NOT _matcloud_is_latest = FALSE', {"NACL"}),
    # booleans
    ("_matcloud_is_latest = FALSE", {"NACL_OLD"}),
    ("_matcloud_is_latest = TRUE", ALL - {"NACL_OLD"}),
    ("_matcloud_is_latest != TRUE", {"NACL_OLD"}),
    # property against property (OPTIONAL)
    ("nsites = nelements", {"NACL_OLD", "NACL"}),
    ("nsites < nelements", {"FENI"}),
    ("_matcloud_is_latest = _matcloud_is_latest", ALL),
    ("space_group_it_number = space_group_it_number", {"SI", "MOS2", "CSPB", "NACL"}),
]


@pytest.mark.parametrize(("filter_", "expected"), CASES, ids=[c[0] for c in CASES])
def test_filter(api: TestClient, filter_: str, expected: set[str]) -> None:
    assert found(api, filter_) == expected


@pytest.mark.parametrize(("filter_", "expected"), CASES, ids=[c[0] for c in CASES])
def test_filter_when_the_page_reads_the_lists(
    api: TestClient, monkeypatch: pytest.MonkeyPatch, filter_: str, expected: set[str]
) -> None:
    """The page query has two forms (per-entry EXISTS probes for dense matches, driving IN
    lists for sparse ones); the fixed data is dense, so force the other form too."""
    monkeypatch.setattr(pages, "WALK_LIMIT", -1)
    assert found(api, filter_) == expected


def test_hidden_rows_are_never_served(api: TestClient) -> None:
    assert found(api, 'elements HAS "Au"') == set()
    assert search(api, "nelements > 0")["meta"]["data_available"] == len(PUBLIC)
    response = api.get("/optimade/v1/structures/2025.4v1-hidden00008")
    assert response.status_code == 404


def test_another_providers_property_warns_only_when_unregistered(api: TestClient) -> None:
    assert "warnings" not in search(api, "_exmpl_band_gap < 2")["meta"]
    warnings = search(api, "_crazyprovider_field = 2")["meta"]["warnings"]
    assert [w["title"] for w in warnings] == ["UnknownProviderProperty"]
    assert "_crazyprovider_field" in warnings[0]["detail"]


UNKNOWN = [
    ("crazyfield = 2", "crazyfield"),
    ("_matcloud_nope = 1", "_matcloud_nope"),
    ('NOT foo HAS "x"', "foo"),
    ("nelements = 1 OR bar IS KNOWN", "bar"),
]


@pytest.mark.parametrize(("filter_", "named"), UNKNOWN)
def test_unknown_property_is_a_400_naming_it(api: TestClient, filter_: str, named: str) -> None:
    status, detail = error(api, filter_)
    assert status == 400
    assert named in detail


MISMATCHES = [
    'nelements = "2"',
    "chemical_formula_reduced = 2",
    'elements = "Si"',
    "elements > 1",
    'nelements CONTAINS "2"',
    "chemical_formula_reduced CONTAINS 2",
    "elements HAS 2",
    'dimension_types HAS "1"',
    "nelements HAS 2",
    'chemical_formula_reduced HAS ALL "H"',
    "nsites LENGTH 2",
    "last_modified > 5",
    '_matcloud_is_latest = "yes"',
    "_matcloud_is_latest = 1",
    '"a" = "b"',
    '5 = "b"',
    "nelements = chemical_formula_reduced",
    "elements = nelements",
    'species HAS "Si"',
    "elements_ratios HAS 0.5",
    'elements:elements_ratios HAS "Si":1',
    'species.name HAS "Si"',
    'references.id HAS "x"',
    "elements HAS nelements",
    "chemical_formula_reduced CONTAINS chemical_formula_hill",
    "nelements = 100000000000000000000000",
    "nelements < 1e400",
]


@pytest.mark.parametrize("filter_", MISMATCHES)
def test_type_mismatches_and_unsupported_constructs_are_501(api: TestClient, filter_: str) -> None:
    status, detail = error(api, filter_)
    assert status == 501, detail
    assert detail


BAD = [
    "(((",
    "nelements=",
    "elements HAS",
    "nelements = 2 AND",
    "NELEMENTS = 2",
    'chemical_formula_reduced = "unterminated',
    "nelements == 2",
    'last_modified > "yesterday"',
    'last_modified > "2025-03-01"',
    'last_modified > "2025-02-30T00:00:00Z"',
    "_matcloud_is_latest < TRUE",
    'elements:dimension_types HAS "Mo"',
    "(" * 80 + "nelements = 1" + ")" * 80,
    " OR ".join(f"nelements = {n}" for n in range(2000)),
    "nelements = 1\x00",
    "NOT NOT nelements = 1",
    " OR ".join(f"id={n}" for n in range(1200)),
]


@pytest.mark.parametrize("filter_", BAD, ids=[b[:40] for b in BAD])
def test_bad_filters_are_400(api: TestClient, filter_: str) -> None:
    status, detail = error(api, filter_)
    assert status == 400, detail
    assert detail


def test_empty_filter_is_no_filter(api: TestClient) -> None:
    assert search(api, "")["meta"]["data_returned"] == len(PUBLIC)
    assert search(api, "   ")["meta"]["data_returned"] == len(PUBLIC)


def test_many_values_and_long_filters_within_the_limits_work(api: TestClient) -> None:
    many = ",".join(f'"X{n}"' for n in range(900)) + ',"Si"'
    assert found(api, f"elements HAS ANY {many}") == {"SI"}
    assert found(api, f"elements HAS ONLY {many}") == {"SI"}
    nested = "(" * 40 + 'elements HAS "Si"' + ")" * 40
    assert found(api, nested) == {"SI"}
