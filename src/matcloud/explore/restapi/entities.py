"""Users, computers and groups: listings, one by id, filtered and ordered like nodes.

aiida shows users without their e-mail address (``id``, names, institution), computers and
groups with all their columns (JSON ones decoded, times as HTTP dates).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from matcloud.explore.restapi import lookup
from matcloud.explore.restapi.context import Context
from matcloud.explore.restapi.errors import InputValidationError
from matcloud.explore.restapi.paging import window
from matcloud.explore.restapi.params import Condition, Params
from matcloud.explore.restapi.response import http_date
from matcloud.explore.restapi.routes import ParsedPath
from matcloud.explore.restapi.sql import COMPUTERS, GROUPS, USERS, Table, order_by, where


def _json(text: str | None) -> Any:
    return json.loads(text) if text else {}


@dataclass(frozen=True)
class Entity:
    table: Table
    #: aiida's name of the class, in its "not of type aiida.orm.X" message
    type_name: str
    columns: tuple[str, ...]
    convert: dict[str, Callable[[Any], Any]]
    by_uuid: bool = True


ENTITIES = {
    "users": Entity(
        USERS, "User", ("id", "first_name", "last_name", "institution"), {}, by_uuid=False
    ),
    "computers": Entity(
        COMPUTERS,
        "Computer",
        (
            "id",
            "uuid",
            "label",
            "hostname",
            "description",
            "scheduler_type",
            "transport_type",
            "metadata",
        ),
        {"metadata": _json},
    ),  # fmt: skip
    "groups": Entity(
        GROUPS,
        "groups.Group",
        ("id", "uuid", "label", "type_string", "time", "description", "extras", "user_id"),
        {"extras": _json, "time": http_date},
    ),
}


def _resolve(ctx: Context, spec: Entity, node_id: str | int) -> int:
    if spec.by_uuid:
        return lookup.resolve_uuid(ctx.connection, spec.table.name, str(node_id), spec.type_name)
    row = ctx.connection.execute(
        f"SELECT id FROM {spec.table.name} WHERE id = ?", (node_id,)
    ).fetchone()
    if row is None:
        raise InputValidationError(
            f"either no object's id starts with '{node_id}' or the corresponding object is not "
            f"of type aiida.orm.{spec.type_name}"
        )
    return int(row[0])


def entity_results(
    ctx: Context, spec: Entity, parsed: ParsedPath, params: Params
) -> tuple[list[dict[str, Any]], int, dict[str, int | None] | None]:
    filters: dict[str, list[Condition]] = dict(params.filters)
    if parsed.node_id is not None:
        if filters:
            raise InputValidationError("selecting a specific id does not allow to specify filters")
        filters = {"id": [Condition("==", _resolve(ctx, spec, parsed.node_id))]}
    clauses, values = where(spec.table, "e", filters)
    condition = (" WHERE " + " AND ".join(f"({c})" for c in clauses)) if clauses else ""
    ordering = order_by(spec.table, "e", params.orderby)
    source = f"FROM {spec.table.name} AS e{condition}"
    total = int(ctx.connection.execute(f"SELECT count(*) {source}", values).fetchone()[0])
    frame = window(params, parsed.page, total)
    select = ", ".join(f"e.{column}" for column in spec.columns)
    rows = ctx.connection.execute(
        f"SELECT {select} {source} {ordering} LIMIT ? OFFSET ?",
        [*values, frame.limit, frame.offset or 0],
    )
    results = []
    for row in rows:
        item = {column: row[column] for column in spec.columns}
        for column, convert in spec.convert.items():
            item[column] = convert(item[column])
        results.append(item)
    return results, total, frame.pages
