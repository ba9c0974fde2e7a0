"""Paging and sorting: keyset cursors (links), offsets, page numbers, sort orders with unknown
values, and cursors that stay right while entries are inserted between requests."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from optimade_data import PUBLIC, binaries, ids, insert_structures

URL = "/optimade/v1/structures"


@pytest.fixture
def many(filled: FastAPI) -> list[dict[str, Any]]:
    """The fixed structures and 40 generated binaries (all public)."""
    rows = insert_structures(filled.state.instance.db, binaries(40))
    return [*PUBLIC, *rows]


def get(api: TestClient, url: str, **params: Any) -> dict[str, Any]:
    response = api.get(url, params=params or None)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def walk(api: TestClient, **params: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """Every id, following links.next from the first page."""
    pages = [get(api, URL, **params)]
    while pages[-1]["links"].get("next"):
        assert pages[-1]["meta"]["more_data_available"]
        pages.append(get(api, pages[-1]["links"]["next"]))
        assert len(pages) < 200
    assert not pages[-1]["meta"]["more_data_available"]
    return [i for page in pages for i in ids(page)], pages


def test_next_links_walk_every_entry_once_in_id_order(
    api: TestClient, many: list[dict[str, Any]]
) -> None:
    seen, pages = walk(api, page_limit=7, response_fields="nsites")
    assert seen == sorted(row["id"] for row in many)
    assert all(len(ids(page)) <= 7 for page in pages)
    assert {page["meta"]["data_returned"] for page in pages} == {len(many)}
    assert all("nsites" in e["attributes"] for page in pages for e in page["data"])
    assert "response_fields=nsites" in pages[0]["links"]["next"]


def test_prev_links_walk_back_to_the_first_page(api: TestClient, many: list[Any]) -> None:
    _, pages = walk(api, page_limit=6)
    back = [pages[-1]]
    while back[-1]["links"].get("prev"):
        back.append(get(api, back[-1]["links"]["prev"]))
    assert [ids(page) for page in back[1:]] == [ids(page) for page in reversed(pages[:-1])]
    assert pages[0]["links"]["prev"] is None


def test_cursor_pages_stay_right_while_entries_are_inserted(
    api: TestClient, filled: FastAPI, many: list[dict[str, Any]]
) -> None:
    first = get(api, URL, page_limit=10)
    cursor = ids(first)[-1]
    # new entries both before and after the cursor in id order
    earlier = binaries(3, start=500, record="2025.0")
    later = binaries(3, start=600, record="2025.9z")
    insert_structures(filled.state.instance.db, [*earlier, *later])
    assert all(row["id"] < cursor for row in earlier)
    assert all(row["id"] > cursor for row in later)
    rest, _ = walk(api, page_above=cursor, page_limit=10)
    expected = sorted({row["id"] for row in [*many, *later]} - set(ids(first)))
    assert rest == expected  # nothing repeated, nothing skipped, the later ones included
    assert not set(rest) & {row["id"] for row in earlier}


def test_offsets_and_page_numbers(api: TestClient, many: list[dict[str, Any]]) -> None:
    everything = sorted(row["id"] for row in many)
    body = get(api, URL, page_offset=5, page_limit=4)
    assert ids(body) == everything[5:9]
    assert "page_offset=9" in body["links"]["next"]
    assert "page_offset=1" in body["links"]["prev"]
    numbered = get(api, URL, page_number=3, page_limit=4)
    assert ids(numbered) == everything[8:12]
    assert "page_number=4" in numbered["links"]["next"]
    assert "page_number=2" in numbered["links"]["prev"]
    last = get(api, URL, page_offset=len(everything) - 2, page_limit=4)
    assert ids(last) == everything[-2:]
    assert last["links"]["next"] is None and not last["meta"]["more_data_available"]
    beyond = get(api, URL, page_offset=10_000)
    assert beyond["data"] == [] and beyond["meta"]["data_returned"] == len(everything)


def test_page_limit_zero_returns_only_the_count(api: TestClient, many: list[Any]) -> None:
    body = get(api, URL, page_limit=0, filter="nelements=2")
    assert body["data"] == []
    assert body["meta"]["data_returned"] == len([r for r in many if r["nelements"] == 2])


def sort_key(row: dict[str, Any], field: str, descending: bool) -> tuple[Any, ...]:
    """Our order: the key (nulls last either way), then the id."""
    value = row[field]
    if value is None:
        return (1, 0, row["id"])
    return (0, -value if descending else value, row["id"])


@pytest.mark.parametrize(
    ("sort", "field"),
    [
        ("nsites", "nsites"),
        ("-nsites", "nsites"),
        ("space_group_it_number", "space_group_it_number"),
        ("-space_group_it_number", "space_group_it_number"),
        ("_matcloud_volume", "volume"),
        ("-_matcloud_volume", "volume"),
    ],
)
def test_sorted_pages_follow_the_order_across_cursors(
    api: TestClient, many: list[dict[str, Any]], sort: str, field: str
) -> None:
    expected = [
        row["id"] for row in sorted(many, key=lambda r: sort_key(r, field, sort.startswith("-")))
    ]
    seen, pages = walk(api, sort=sort, page_limit=4)
    assert seen == expected
    assert "sort=" in pages[0]["links"]["next"]
    back = [pages[-1]]
    while back[-1]["links"].get("prev"):
        back.append(get(api, back[-1]["links"]["prev"]))
    assert [i for page in reversed(back) for i in ids(page)] == expected


def test_more_sort_orders(api: TestClient, many: list[dict[str, Any]]) -> None:
    everything = sorted(row["id"] for row in many)
    assert ids(get(api, URL, sort="-id", page_limit=100)) == everything[::-1]
    by_two = sorted(many, key=lambda r: (r["nelements"], -r["nsites"], r["id"]))
    body = get(api, URL, sort="nelements,-nsites", page_limit=100)
    assert ids(body) == [row["id"] for row in by_two]
    formula = sorted(many, key=lambda r: (r["chemical_formula_reduced"], r["id"]))
    seen, _ = walk(api, sort="chemical_formula_reduced", page_limit=9)
    assert seen == [row["id"] for row in formula]
    dates = sorted(many, key=lambda r: (r["last_modified"], r["id"]))
    seen, _ = walk(api, sort="last_modified", page_limit=9, filter="nelements=2")
    assert seen == [row["id"] for row in dates if row["nelements"] == 2]


def test_a_bare_value_cursor_pages_above_that_value(
    api: TestClient, many: list[dict[str, Any]]
) -> None:
    body = get(api, URL, sort="nsites", page_above="2", page_limit=100)
    assert ids(body) == [
        row["id"] for row in sorted(many, key=lambda r: (r["nsites"], r["id"])) if row["nsites"] > 2
    ]
    everything = sorted(row["id"] for row in many)
    assert ids(get(api, URL, page_above=everything[3], page_limit=2)) == everything[4:6]
    assert ids(get(api, URL, page_below=everything[3], page_limit=2)) == everything[1:3]


BAD = [
    ({"page_limit": "abc"}, 400, "page_limit"),
    ({"page_limit": "-1"}, 400, "page_limit"),
    ({"page_limit": "2.5"}, 400, "page_limit"),
    ({"page_limit": "1001"}, 403, "page_limit"),
    ({"page_offset": "x"}, 400, "page_offset"),
    ({"page_number": "0"}, 400, "page_number"),
    ({"page_offset": "1", "page_above": "x"}, 400, "page_above"),
    ({"page_cursor": "1"}, 400, "page_cursor"),
    ({"sort": "nope"}, 400, "sort"),
    ({"sort": "elements"}, 400, "sort"),
    ({"sort": "nsites", "page_above": "[1,2,3]"}, 400, "page_above"),
    ({"sort": "nsites", "page_above": '["two","x"]'}, 400, "page_above"),
    ({"sort": "last_modified", "page_above": '["soon","x"]'}, 400, "filter"),
    ({"response_format": "xml"}, 400, "response_format"),
    ({"include": "structures"}, 400, "include"),
    ({"response_fields": "foo"}, 400, "response_fields"),
    ({"response_fields": "_matcloud_nope"}, 400, "response_fields"),
    ({"nonsense": "1"}, 400, "nonsense"),
    ({"filter": "x", "page_offset": "99999999999"}, 400, "page_offset"),
    ({"page_above": "a\x00b"}, 400, "page_above"),
    ({"sort": "nsites", "page_below": '["\x00",1]'}, 400, "page_below"),
]


@pytest.mark.parametrize(("params", "status", "parameter"), BAD)
def test_bad_parameters_are_error_documents(
    api: TestClient, params: dict[str, str], status: int, parameter: str
) -> None:
    params.setdefault("filter", "nelements > 0") if "filter" not in params else None
    response = api.get(URL, params=params)
    assert response.status_code == status, response.text
    error = response.json()["errors"][0]
    assert error["status"] == str(status)
    assert error["detail"]
    if parameter != "filter":
        assert error["source"]["parameter"] == parameter


def test_repeated_parameters_are_refused(api: TestClient) -> None:
    response = api.get(URL + "?page_limit=1&page_limit=2")
    assert response.status_code == 400
