"""Node rows as the REST API shows them: listings, one node, its incoming and outgoing links.

Queries read only the columns they show (the attributes column holds megabytes for some
nodes), filter and sort on indexed columns where the request allows it, and are paged in SQL.
``attributes_filter=a,b`` is read with SQLite's ``json_extract`` (no JSON parsed in Python),
with the oracle's quirk: a JSON ``true`` comes out as ``1``, as aiida's SQLite storage gives it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from matcloud.explore.restapi.errors import QueryError
from matcloud.explore.restapi.params import Condition
from matcloud.explore.restapi.querystring import Value
from matcloud.explore.restapi.response import http_date
from matcloud.explore.restapi.sql import NODES, SqlParam, order_by, where

NODE_COLUMNS = ("id", "label", "node_type", "process_type", "ctime", "mtime", "uuid", "user_id")
_SELECT = ", ".join(f"n.{column}" for column in NODE_COLUMNS)
# incoming: the linked node is the link's input; outgoing: its output
_JOIN = {"incoming": ("input_id", "output_id"), "outgoing": ("output_id", "input_id")}


def full_type(node_type: str | None, process_type: str | None) -> str | None:
    """aiida's ``full_type``: ``node_type|process_type`` (``None`` for neither)."""
    if not node_type and not process_type:
        return None
    return f"{node_type or ''}|{process_type or ''}"


def node_dict(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "label": row["label"],
        "node_type": row["node_type"],
        "process_type": row["process_type"],
        "ctime": http_date(row["ctime"]),
        "mtime": http_date(row["mtime"]),
        "uuid": row["uuid"],
        "user_id": row["user_id"],
        "full_type": full_type(row["node_type"], row["process_type"]),
    }


def json_path(key: str) -> str:
    """``a.b`` -> ``$."a"."b"``: aiida splits a projected key on dots into a nested path."""
    return "$" + "".join(f'."{part}"' for part in key.split("."))


@dataclass
class Projection:
    """Which JSON columns a node listing adds: all of it, or some keys (``None``: neither)."""

    attributes: bool = False
    attribute_keys: list[str] = field(default_factory=list)
    extras: bool = False
    extra_keys: list[str] = field(default_factory=list)

    def columns(self) -> tuple[list[str], list[SqlParam]]:
        columns: list[str] = []
        params: list[SqlParam] = []
        for name, whole, keys in (
            ("attributes", self.attributes, self.attribute_keys),
            ("extras", self.extras, self.extra_keys),
        ):
            if whole:
                columns.append(f"n.{name} AS {name}")
            for index, key in enumerate(keys):
                columns.append(f"json_quote(json_extract(n.{name}, ?)) AS {name}_{index}")
                params.append(json_path(key))
        return columns, params

    def add(self, row: sqlite3.Row, node: dict[str, Any]) -> None:
        for name, whole, keys in (
            ("attributes", self.attributes, self.attribute_keys),
            ("extras", self.extras, self.extra_keys),
        ):
            if whole:
                node[name] = json.loads(row[name] or "{}")
            if keys:
                node[name] = {key: json.loads(row[f"{name}_{i}"]) for i, key in enumerate(keys)}


def filter_keys(value: Value | None) -> list[str]:
    """``attributes_filter`` as a list of keys (a single value is a one-key list)."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [str(item) for item in items]


@dataclass
class NodeQuery:
    """A node listing: filters on the nodes, optionally relative to one node's links."""

    filters: Mapping[str, Sequence[Condition]]
    orderby: Sequence[Value] = ()
    link: tuple[str, int] | None = None  # ("incoming" | "outgoing", pk)
    projection: Projection = field(default_factory=Projection)

    def _from(self) -> tuple[str, list[SqlParam]]:
        clauses, params = where(NODES, "n", self.filters)
        if self.link is None:
            sql = "FROM db_dbnode AS n"
        else:
            direction, pk = self.link
            near, far = _JOIN[direction]
            sql = f"FROM db_dblink AS l JOIN db_dbnode AS n ON n.id = l.{near}"
            clauses.insert(0, f"l.{far} = ?")
            params.insert(0, pk)
        if clauses:
            sql += " WHERE " + " AND ".join(f"({clause})" for clause in clauses)
        return sql, params

    def count_statement(self) -> tuple[str, tuple[SqlParam, ...]]:
        sql, params = self._from()
        return f"SELECT count(*) {sql}", tuple(params)

    def count(self, connection: sqlite3.Connection) -> int:
        statement, params = self.count_statement()
        return int(_run(connection, statement, params).fetchone()[0])

    def rows(
        self, connection: sqlite3.Connection, limit: int, offset: int | None
    ) -> list[dict[str, Any]]:
        extra, extra_params = self.projection.columns()
        if self.link is not None:
            extra = ["l.label AS link_label", "l.type AS link_type"]
            extra_params = []
        select = ", ".join([_SELECT, *extra])
        sql, params = self._from()
        ordering = order_by(NODES, "n", self.orderby)
        statement = f"SELECT {select} {sql} {ordering} LIMIT ? OFFSET ?"
        rows = _run(connection, statement, [*extra_params, *params, limit, offset or 0])
        out = []
        for row in rows:
            node = node_dict(row)
            if self.link is not None:
                node["link_label"] = row["link_label"]
                node["link_type"] = row["link_type"]
            else:
                self.projection.add(row, node)
            out.append(node)
        return out


def _run(connection: sqlite3.Connection, sql: str, params: Sequence[SqlParam]) -> sqlite3.Cursor:
    try:
        return connection.execute(sql, params)
    except (sqlite3.OperationalError, sqlite3.InterfaceError, OverflowError) as exc:
        # a malformed JSON path (a quote in a key), a value SQLite cannot bind
        raise QueryError(f"the query cannot be run: {exc}") from None
