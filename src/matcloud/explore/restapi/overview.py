"""Whole-archive answers: ``/nodes/statistics``, ``/nodes/full_types[_count]``,
``/nodes/download_formats`` and ``links/tree``.

Statistics and full types read every node once (grouped in SQL, on the covering indexes where
there is one) and are cached per archive: an index does not change.
"""

from __future__ import annotations

import json
from typing import Any

from matcloud.explore.restapi import derived, exporters, fulltypes
from matcloud.explore.restapi.context import Context
from matcloud.explore.restapi.errors import FeatureNotAvailable, InputValidationError, QueryError
from matcloud.explore.restapi.params import Condition
from matcloud.explore.restapi.querystring import Value
from matcloud.explore.restapi.response import http_date


def user_filter(filters: dict[str, list[Condition]]) -> int | None:
    """aiida's statistics take one filter, ``user=<pk>``."""
    if not filters:
        return None
    conditions = filters.get("user")
    if len(filters) != 1 or not conditions or conditions[0].operator != "==":
        raise QueryError("statistics and full_types_count take one filter only: user=<user id>")
    value = conditions[0].value
    if not isinstance(value, int) or isinstance(value, bool):
        raise QueryError("the user filter takes a user id (an integer)")
    return value


def statistics(ctx: Context, user: int | None) -> dict[str, Any]:
    def compute() -> dict[str, Any]:
        where, params = ("WHERE user_id = ?", (user,)) if user is not None else ("", ())
        run = ctx.connection.execute
        total = run(f"SELECT count(*) FROM db_dbnode {where}", params).fetchone()[0]
        types = run(f"SELECT node_type, count(*) FROM db_dbnode {where} GROUP BY node_type", params)
        days = run(
            f"SELECT substr(ctime, 1, 10) AS day, count(*) FROM db_dbnode {where} "
            "GROUP BY day ORDER BY day",
            params,
        )
        return {
            "total": total,
            "types": {row[0]: row[1] for row in types},
            "ctime_by_day": {row[0]: row[1] for row in days},
        }

    return ctx.remember(("statistics", user), compute)


def full_types(ctx: Context, user: int | None, count: bool) -> dict[str, Any]:
    def pairs() -> dict[tuple[str, str], int]:
        where, params = ("WHERE user_id = ?", (user,)) if user is not None else ("", ())
        rows = ctx.connection.execute(
            "SELECT node_type, coalesce(process_type, '') AS process_type, count(*) "
            f"FROM db_dbnode {where} GROUP BY 1, 2",
            params,
        )
        return {(row[0] or "", row[1]): row[2] for row in rows}

    def compute() -> dict[str, Any]:
        found = pairs()
        if not count:
            return fulltypes.tree(dict.fromkeys(found))
        per_type: dict[str, int] = {}
        for (node_type, _), number in found.items():
            per_type[node_type] = per_type.get(node_type, 0) + number
        counted: dict[tuple[str, str], int | None] = {
            # aiida counts data nodes by node type alone, processes by both halves
            pair: number if pair[0].startswith("process.") else per_type[pair[0]]
            for pair, number in found.items()
        }
        return fulltypes.tree(counted)

    return ctx.remember(("full_types", user, count), compute)


def download_formats(full_type: Value | None) -> dict[str, Any]:
    if not full_type:
        return {
            f"{node_type}|": formats for node_type, formats in sorted(exporters.FORMATS.items())
        }
    if not isinstance(full_type, str) or full_type.count("|") != 1:
        raise InputValidationError(f"The full type {full_type} is invalid.")
    node_type, process_type = full_type.split("|")
    group, colon, name = process_type.partition(":")
    if colon and ":" not in name and group in fulltypes.ENTRY_POINT_GROUPS:
        # a plugin's entry point: aiida loads it; its plugins are not on this server
        node_class = exporters.data_node_type(name) if group == "aiida.data" else None
    elif node_type.startswith("data."):
        name = node_type.removeprefix("data.").rsplit(".", 2)[0]
        node_class = exporters.data_node_type(name)
    else:
        node_class = None
    if node_class is None:
        raise FeatureNotAvailable("The download formats for this node type are not available.")
    return {full_type: exporters.formats_of(node_class)}


def _tree_node(row: Any, computers: dict[int, str]) -> dict[str, Any]:
    node_type = row["node_type"] or ""
    attributes: dict[str, Any] = {}
    if derived.class_name(node_type) in derived.DESCRIBED and row["attributes"]:
        attributes = json.loads(row["attributes"])
    computer = computers.get(row["dbcomputer_id"]) if row["dbcomputer_id"] else None
    return {
        "ctime": http_date(row["ctime"]),
        "mtime": http_date(row["mtime"]),
        "id": row["id"],
        "uuid": row["uuid"],
        "node_type": node_type,
        "node_label": row["label"],
        "description": derived.description(node_type, row["label"], attributes, computer),
    }


def _limit(value: Value | None) -> int:
    if value is None:
        return -1
    if not isinstance(value, int) or isinstance(value, bool):
        raise QueryError("The limit has to be an integer, or None")
    return value


_TREE_COLUMNS = (
    "n.id, n.uuid, n.node_type, n.process_type, n.label, n.ctime, n.mtime, n.dbcomputer_id, "
    "CASE WHEN n.node_type LIKE '%.StructureData.' OR n.node_type LIKE '%.KpointsData.' "
    "OR n.node_type LIKE '%.BandsData.' OR n.node_type LIKE '%.CalcJobNode.' "
    "THEN n.attributes END AS attributes"
)


def io_tree(
    ctx: Context, pk: int, in_limit: Value | None, out_limit: Value | None
) -> dict[str, Any]:
    """The node with its incoming and outgoing neighbours (ordered by id, optionally limited)."""
    limits = {"incoming": _limit(in_limit), "outgoing": _limit(out_limit)}
    run = ctx.connection.execute
    computers = {row[0]: row[1] for row in run("SELECT id, label FROM db_dbcomputer")}
    main = run(f"SELECT {_TREE_COLUMNS} FROM db_dbnode AS n WHERE n.id = ?", (pk,)).fetchone()
    node = _tree_node(main, computers)
    counts: dict[str, int] = {}
    for direction, (near, far) in (("incoming", ("input_id", "output_id")),
                                   ("outgoing", ("output_id", "input_id"))):  # fmt: skip
        rows = run(
            f"SELECT {_TREE_COLUMNS}, l.label AS link_label, l.type AS link_type "
            f"FROM db_dblink AS l JOIN db_dbnode AS n ON n.id = l.{near} "
            f"WHERE l.{far} = ? ORDER BY n.id LIMIT ?",
            (pk, limits[direction]),
        ).fetchall()
        node[direction] = [
            {
                **_tree_node(row, computers),
                "link_label": row["link_label"],
                "link_type": row["link_type"],
            }
            for row in rows
        ]
        counts[f"sent_no_of_{direction}s"] = len(rows)
        counts[f"total_no_of_{direction}s"] = run(
            f"SELECT count(*) FROM db_dblink AS l JOIN db_dbnode AS n ON n.id = l.{near} "
            f"WHERE l.{far} = ?",
            (pk,),
        ).fetchone()[0]
    metadata = {
        "total_no_of_incomings": counts["total_no_of_incomings"],
        "total_no_of_outgoings": counts["total_no_of_outgoings"],
        "sent_no_of_incomings": counts["sent_no_of_incomings"],
        "sent_no_of_outgoings": counts["sent_no_of_outgoings"],
    }
    return {"nodes": [node], "metadata": [metadata]}


def reports(ctx: Context, pk: int) -> dict[str, Any]:
    rows = ctx.connection.execute(
        "SELECT time, loggername, levelname, dbnode_id, message FROM db_dblog "
        "WHERE dbnode_id = ? ORDER BY id",
        (pk,),
    )
    return {
        "logs": [
            {
                "time": http_date(row["time"]),
                "loggername": row["loggername"],
                "levelname": row["levelname"],
                "dbnode_id": row["dbnode_id"],
                "message": row["message"],
            }
            for row in rows
        ]
    }
