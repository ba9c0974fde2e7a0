"""Reading rows: CSV and JSON tables typed by the spec's columns, every kind of bad table
refused with the row, column and value named; AiiDA paths into nested attributes."""

from __future__ import annotations

import json

import pytest

from matcloud.core.errors import ValidationFailed
from matcloud.discover.loaders import _dig, convert, table_rows
from matcloud.discover.spec import Column, parse_spec

SPEC = parse_spec(
    """
slug: tt
title: T
authors: [{name: A}]
sources: [{record: "1"}]
rows: {table: t.csv}
columns:
  - {name: name, type: string}
  - {name: x, type: number}
  - {name: n, type: integer}
  - {name: ok, type: boolean}
"""
)


def column(kind: str) -> Column:
    return Column.model_validate({"name": "c", "type": kind})


@pytest.mark.parametrize(
    ("kind", "raw", "value", "wrong"),
    [
        ("number", "1.5e3", 1500.0, None),
        ("number", " 2 ", 2.0, None),
        ("number", "", None, None),
        ("number", "nan", None, None),  # not a plottable value: missing
        ("number", "inf", None, None),
        ("number", "1,5", None, "'1,5' is not a number"),
        ("number", True, None, "True is not a number"),
        ("integer", "7", 7, None),
        ("integer", 7.0, 7, None),
        ("integer", "7.5", None, "'7.5' is not an integer"),
        ("boolean", "Yes", True, None),
        ("boolean", "0", False, None),
        ("boolean", "maybe", None, "'maybe' is not true/false"),
        ("string", 12, "12", None),
        ("string", {"a": 1}, None, "a dict where a string was expected"),
        ("node", " 0f1e ", "0f1e", None),
    ],
)
def test_values_are_typed(kind: str, raw: object, value: object, wrong: str | None) -> None:
    assert convert(column(kind), raw) == (value, wrong)


def test_csv_and_json_give_the_same_rows() -> None:
    csv = b"\xef\xbb\xbfname,x,n,ok,extra\na,1.5,2,true,z\nb,,3,false,z\n"
    rows = table_rows(SPEC, csv, "t.csv")
    assert [(r.key, r.values) for r in rows] == [
        ("1", {"name": "a", "x": 1.5, "n": 2, "ok": True}),
        ("2", {"name": "b", "x": None, "n": 3, "ok": False}),
    ]
    document = [{"name": "a", "x": 1.5, "n": 2, "ok": True}, {"name": "b", "x": None, "n": 3,
                 "ok": False}]  # fmt: skip
    as_json = table_rows(SPEC, json.dumps({"rows": document}).encode(), "t.json")
    assert [r.values for r in as_json] == [r.values for r in rows]


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (b"\xff\xfe\x00bad", "rows.table", "not UTF-8"),
        (b"", "rows.table", "no header"),
        (b"name,x,n\na,1,2\n", "columns[3]", "no column 'ok'"),
        (b'name,x,n,ok\n"a,1,2,true\n', "rows.table", "not a valid CSV"),
        (b'{"rows": 5}', "rows.table", "list of objects"),
        (b"[1, 2]", "rows.table", "list of objects"),
        (b'[{"name": ', "rows.table", "not valid JSON"),
        (b"name,x,n,ok\na,one,2.5,true\n", "row 1 (line 2), column 'x'", "'one' is not a number"),
    ],
)
def test_bad_tables_are_refused(data: bytes, field: str, words: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        table_rows(SPEC, data, "t.json" if data[:1] in (b"{", b"[") else "t.csv")
    found = {e.field: e.message for e in caught.value.errors}
    assert field in found, found
    assert words in found[field] or words in caught.value.detail


def test_problems_are_counted_beyond_those_listed() -> None:
    data = b"name,x,n,ok\n" + b"a,bad,1,true\n" * 50
    with pytest.raises(ValidationFailed) as caught:
        table_rows(SPEC, data, "t.csv")
    assert len(caught.value.errors) == 20 and "(50 in all)" in caught.value.detail


def test_duplicate_ids_are_named() -> None:
    spec = SPEC.model_copy(update={"rows": SPEC.rows.model_copy(update={"id": "name"})})
    with pytest.raises(ValidationFailed) as caught:
        table_rows(spec, b"name,x,n,ok\na,1,1,true\na,2,2,false\n,3,3,true\n", "t.csv")
    messages = [f"{e.field}: {e.message}" for e in caught.value.errors]
    assert "row 2 (line 3): id 'a' is also the id of row 1 (line 2)" in messages
    assert "row 3 (line 4), column 'name': the row's id is missing" in messages


def test_paths_into_nested_attributes() -> None:
    data = {"cell": [[1, 2, 3], [4, 5, 6]], "a.b": 7, "p": {"q": {"r": None}}}
    assert _dig(data, "cell.1.2") == 6 and _dig(data, "cell.-1.0") == 4
    assert _dig(data, "a.b") == 7 and _dig(data, "p.q.r") is None
    assert _dig(data, "cell.9.0") is None and _dig(data, "missing.x") is None
