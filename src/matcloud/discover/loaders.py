"""The rows of a section, read from a table file (CSV or JSON) or from a group of an AiiDA
archive, typed by the spec's columns.

Nothing here writes: a loader returns every row or raises :class:`ValidationFailed` listing
the first problems (row, column, value, what was expected), so that a bad table or archive
never leaves a half-built section behind.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from matcloud.core.errors import FieldError, ValidationFailed
from matcloud.discover.spec import Column, Spec

#: Rows per section and bytes per table file: far above the 70,000-row reference section.
MAX_ROWS = 500_000
MAX_TABLE_BYTES = 256 * 1024 * 1024
MAX_REPORTED = 20
#: What ``inputs.`` and ``outputs.`` follow: a process's inputs, and what it created or
#: returned (as ``node.inputs``/``node.outputs`` in aiida-core).
LINK_TYPES = {"inputs": ("input_calc", "input_work"), "outputs": ("create", "return")}
TRUE = {"true", "yes", "1", "y", "t"}
FALSE = {"false", "no", "0", "n", "f"}


@dataclass
class LoadedRow:
    key: str
    values: dict[str, Any]
    provenance: dict[str, str] = field(default_factory=dict)


class Problems:
    """Collects problems up to a limit, then stops the load with all of them."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.errors: list[FieldError] = []
        self.count = 0

    def add(self, where: str, message: str) -> None:
        self.count += 1
        if len(self.errors) < MAX_REPORTED:
            self.errors.append(FieldError(where, message))

    def raise_if_any(self) -> None:
        if not self.errors:
            return
        raise ValidationFailed.listing(self.what, self.errors, total=self.count)


def convert(column: Column, raw: Any) -> tuple[Any, str | None]:
    """``raw`` as the column's type: (value, None), or (None, what is wrong). Empty cells and
    nulls are missing values (None)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, None
    kind = column.type
    if kind == "number":
        if isinstance(raw, bool):
            return None, f"{raw!r} is not a number"
        try:
            value = float(raw)
        except (TypeError, ValueError):
            return None, f"{_show(raw)} is not a number"
        return (value, None) if math.isfinite(value) else (None, None)
    if kind == "integer":
        if isinstance(raw, bool):
            return None, f"{raw!r} is not an integer"
        try:
            number = float(raw) if not isinstance(raw, int) else raw
        except (TypeError, ValueError):
            return None, f"{_show(raw)} is not an integer"
        if isinstance(number, float) and not number.is_integer():
            return None, f"{_show(raw)} is not an integer"
        return int(number), None
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw, None
        text = str(raw).strip().lower()
        if text in TRUE:
            return True, None
        if text in FALSE:
            return False, None
        return None, f"{_show(raw)} is not true/false"
    if isinstance(raw, dict | list):
        return None, f"a {type(raw).__name__} where a {kind} was expected"
    return str(raw).strip() if kind in ("file", "node") else str(raw), None


def _show(raw: Any) -> str:
    text = repr(raw)
    return text if len(text) <= 40 else text[:37] + "..."


Typed = tuple[str, str, dict[str, Any], dict[str, str]]  # where, default key, values, provenance


def _keyed(spec: Spec, rows: Iterable[Typed]) -> list[LoadedRow]:
    """Rows with their keys (``rows.id``, or the given default), unique."""
    loaded: list[LoadedRow] = []
    seen: dict[str, str] = {}
    problems = Problems("The rows have duplicate ids")
    for where, key, values, provenance in rows:
        if spec.rows.id is not None:
            chosen = values.get(spec.rows.id)
            if chosen is None:
                problems.add(f"{where}, column {spec.rows.id!r}", "the row's id is missing")
                continue
            key = str(chosen)
        if key in seen:
            problems.add(where, f"id {key!r} is also the id of {seen[key]}")
            continue
        seen[key] = where
        loaded.append(LoadedRow(key, values, provenance))
    problems.raise_if_any()
    return loaded


# -- tables --------------------------------------------------------------------------------------


def table_rows(spec: Spec, data: bytes, filename: str) -> list[LoadedRow]:
    """The rows of a CSV or JSON table (a list of objects, or ``{"rows": [...]}``)."""
    if len(data) > MAX_TABLE_BYTES:
        raise ValidationFailed(
            f"{filename} is {len(data):,} bytes; tables are read up to {MAX_TABLE_BYTES:,}.",
            [FieldError("rows.table", "too large")],
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            f"{filename} is not UTF-8 text (byte {exc.start}).",
            [FieldError("rows.table", "not UTF-8 text")],
        ) from None
    if filename.lower().endswith(".json") or text.lstrip()[:1] in ("[", "{"):
        records, header = _json_records(text, filename)
    else:
        records, header = _csv_records(text, filename)
    problems = Problems(f"{filename} does not fit the spec")
    for i, column in enumerate(spec.columns):
        name = column.source or column.name
        if header is not None and name not in header:
            shown = ", ".join(list(header)[:12])
            problems.add(f"columns[{i}]", f"{filename} has no column {name!r} (it has: {shown})")
    problems.raise_if_any()

    def typed() -> Iterator[Typed]:
        for number, (line, record) in enumerate(records, start=1):
            where = f"row {number} ({line})"
            if number > MAX_ROWS:
                problems.add(where, f"more than {MAX_ROWS:,} rows")
                break
            values: dict[str, Any] = {}
            for column in spec.columns:
                value, wrong = convert(column, record.get(column.source or column.name))
                if wrong:
                    problems.add(f"{where}, column {column.name!r}", wrong)
                values[column.name] = value
            yield where, str(number), values, {}

    rows = list(typed())
    problems.raise_if_any()
    return _keyed(spec, rows)


def _csv_records(text: str, filename: str) -> tuple[list[tuple[str, Mapping[str, Any]]], set[str]]:
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        header = set(reader.fieldnames or [])
        records: list[tuple[str, Mapping[str, Any]]] = [
            (f"line {reader.line_num}", row) for row in reader
        ]
    except csv.Error as exc:
        raise ValidationFailed(
            f"{filename} is not a valid CSV file (line {reader.line_num}): {exc}.",
            [FieldError("rows.table", str(exc))],
        ) from None
    if not header:
        raise ValidationFailed(
            f"{filename} has no header line.", [FieldError("rows.table", "no header")]
        )
    return records, header


def _json_records(
    text: str, filename: str
) -> tuple[list[tuple[str, Mapping[str, Any]]], set[str] | None]:
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ValidationFailed(
            f"{filename} is not valid JSON: {exc}.", [FieldError("rows.table", str(exc))]
        ) from None
    items = document.get("rows") if isinstance(document, dict) else document
    if not isinstance(items, list) or not all(isinstance(r, dict) for r in items):
        raise ValidationFailed(
            f'{filename} must hold a list of objects (or {{"rows": [...]}}), one per row.',
            [FieldError("rows.table", "not a list of objects")],
        )
    header: set[str] = set()
    for item in items:
        header.update(item)
    return [(f"item {i}", item) for i, item in enumerate(items)], header if items else None


# -- AiiDA groups --------------------------------------------------------------------------------


def aiida_rows(spec: Spec, connection: sqlite3.Connection, filename: str) -> list[LoadedRow]:
    """One row per node of the spec's group: each column read from the node or a node linked
    to it (the node it was read from is the value's provenance)."""
    assert spec.rows.aiida is not None
    group = spec.rows.aiida.group
    found = connection.execute("SELECT id FROM db_dbgroup WHERE label = ?", (group,)).fetchall()
    if not found:
        labels = [r[0] for r in connection.execute("SELECT label FROM db_dbgroup LIMIT 20")]
        raise ValidationFailed(
            f"{filename} has no group {group!r} (it has: {', '.join(labels) or 'none'}).",
            [FieldError("rows.aiida.group", f"no group {group!r} in {filename}")],
        )
    nodes = connection.execute(
        "SELECT n.id, n.uuid, n.label, n.attributes, n.extras FROM db_dbgroup_dbnodes g "
        "JOIN db_dbnode n ON n.id = g.dbnode_id WHERE g.dbgroup_id = ? ORDER BY n.id",
        (found[0][0],),
    ).fetchall()
    if len(nodes) > MAX_ROWS:
        raise ValidationFailed(
            f"Group {group!r} has {len(nodes):,} nodes; a section holds up to {MAX_ROWS:,}.",
            [FieldError("rows.aiida.group", "too many nodes")],
        )
    linked = _linked_nodes(spec, connection, [n[0] for n in nodes])
    problems = Problems(f"Group {group!r} of {filename} does not fit the spec")

    def typed() -> Iterator[Typed]:
        for node_id, uuid, label, attributes, extras in nodes:
            own = _Node(uuid, label, attributes, extras)
            values: dict[str, Any] = {}
            provenance: dict[str, str] = {}
            for column in spec.columns:
                assert column.source is not None
                node, path = own, column.source
                if path.startswith(("inputs.", "outputs.")):
                    direction, link, *rest = path.split(".", 2)
                    node = linked.get((node_id, direction, link))  # type: ignore[assignment]
                    path = rest[0] if rest else "uuid"
                    if node is None:
                        values[column.name] = None
                        continue
                raw = node.read(path)
                value, wrong = convert(column, raw)
                if wrong:
                    problems.add(f"node {uuid}, column {column.name!r}", wrong)
                values[column.name] = value
                if value is not None:
                    provenance[column.name] = node.uuid
            yield f"node {uuid}", uuid, values, provenance

    rows = list(typed())
    problems.raise_if_any()
    return _keyed(spec, rows)


@dataclass
class _Node:
    uuid: str
    label: str | None
    attributes_json: str | None
    extras_json: str | None
    _attributes: dict[str, Any] | None = None
    _extras: dict[str, Any] | None = None

    def read(self, path: str) -> Any:
        if path == "uuid":
            return self.uuid
        if path == "label":
            return self.label
        where, _, key = path.partition(".")
        if where == "attributes":
            if self._attributes is None:
                self._attributes = _object(self.attributes_json)
            return _dig(self._attributes, key)
        if self._extras is None:
            self._extras = _object(self.extras_json)
        return _dig(self._extras, key)


def _object(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _dig(data: Any, key: str) -> Any:
    """``a.b.0``: nested keys and list positions (a key with dots is tried whole first)."""
    if isinstance(data, dict) and key in data:
        return data[key]
    head, _, rest = key.partition(".")
    if isinstance(data, dict):
        inner = data.get(head)
    elif (
        isinstance(data, list)
        and head.lstrip("-").isdigit()
        and -len(data) <= int(head) < len(data)
    ):
        inner = data[int(head)]
    else:
        return None
    return _dig(inner, rest) if rest else inner


def _linked_nodes(
    spec: Spec, connection: sqlite3.Connection, node_ids: list[int]
) -> dict[tuple[int, str, str], _Node]:
    """(row node id, "inputs"/"outputs", link label) -> the linked node, for the links the
    columns name (read in one query per direction)."""
    wanted: dict[str, set[str]] = {"inputs": set(), "outputs": set()}
    for column in spec.columns:
        if column.source and column.source.startswith(("inputs.", "outputs.")):
            direction, link = column.source.split(".", 2)[:2]
            wanted[direction].add(link)
    found: dict[tuple[int, str, str], _Node] = {}
    members = set(node_ids)
    for direction, labels in wanted.items():
        if not labels:
            continue
        mine, other = (
            ("input_id", "output_id") if direction == "outputs" else ("output_id", "input_id")
        )
        marks = ",".join("?" * len(labels))
        types = LINK_TYPES[direction]
        rows = connection.execute(
            f"SELECT l.{mine}, l.label, n.uuid, n.label, n.attributes, n.extras "  # noqa: S608
            f"FROM db_dblink l JOIN db_dbnode n ON n.id = l.{other} "
            f"WHERE l.label IN ({marks}) AND l.type IN ({','.join('?' * len(types))}) "
            "ORDER BY l.id",
            [*sorted(labels), *types],
        )
        for row_node, label, uuid, node_label, attributes, extras in rows:
            if row_node in members:
                found.setdefault(
                    (row_node, direction, label), _Node(uuid, node_label, attributes, extras)
                )
    return found


__all__ = ["MAX_ROWS", "LoadedRow", "aiida_rows", "convert", "table_rows"]
