"""The page side of EXPLORE: what the browser pages read from one indexed AiiDA archive.

Every query goes to the archive's own (read-only) AiiDA database through
:class:`~matcloud.explore.aiida.index.ArchiveSource`. Archives hold 100k nodes and more, and a
single node (a code, a popular structure) may have as many links, so every query here is served
by an index of the archive (see ``INDEXES`` in ``aiida/index.py``) and LIMITed; counts that would
scan without bound are capped and reported as "at least". Everything read is untrusted: JSON is
parsed leniently (``NaN`` stays a string, so the page's JSON twin stays valid JSON) and never
turned into markup here.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from matcloud.core.errors import NotFound
from matcloud.explore.aiida.index import ArchiveSource
from matcloud.explore.node_files import NodeFiles
from matcloud.explore.service import ExploreService

#: Neighbours shown on each side of a node (tables and graph); the rest are counted.
NEIGHBOURS = 50
#: A count beyond this is shown as "at least" (a label search over a huge archive scans).
COUNT_CAP = 10_000
CALL_TREE_NODES = 200
CALL_TREE_DEPTH = 8
CALL_LINKS = ("call_calc", "call_work")
NODE_COLUMNS = "n.id, n.uuid, n.node_type, n.process_type, n.label, n.ctime"
#: One attribute of a process node (never parse a data node's attributes: they may be 1 MB;
#: never fail on a damaged one).
_PROCESS_FIELD = (
    "CASE WHEN n.node_type LIKE 'process.%' AND json_valid(n.attributes)"
    " THEN json_extract(n.attributes, '$.{field}') END"
)


def loads(text: str | None) -> Any:
    """Archive JSON: ``NaN``/``Infinity`` stay strings so whatever we serve is strict JSON."""
    if not text:
        return {}
    try:
        return json.loads(text, parse_constant=lambda name: name)
    except (ValueError, RecursionError):  # damaged or absurdly nested: shown as empty
        return {}


def type_name(node_type: str | None) -> str:
    """``data.core.structure.StructureData.`` -> ``StructureData``."""
    parts = [p for p in (node_type or "").split(".") if p]
    return parts[-1] if parts else "Node"


def process_name(process_type: str | None) -> str:
    """``aiida.calculations:quantumespresso.pw`` -> ``quantumespresso.pw``;
    ``__main__.divide`` -> ``divide``."""
    if not process_type:
        return ""
    if ":" in process_type:
        return process_type.split(":", 1)[1]
    return process_type.rsplit(".", 1)[-1]


def kind_of(node_type: str | None) -> str:
    """The colour family of a node in the graph and the tables."""
    node_type = node_type or ""
    if node_type.startswith("process.calculation."):
        return "calculation"
    if node_type.startswith("process.workflow."):
        return "workflow"
    if node_type.startswith("process."):
        return "process"
    if node_type.startswith("data."):
        return "data"
    return "other"


def iso(value: str | None) -> str | None:
    """AiiDA's naive-UTC text as ISO 8601 with its zone (what JSON readers expect)."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC).isoformat()
    except ValueError:
        return value


def brief(row: sqlite3.Row | dict[str, Any], archive_id: str) -> dict[str, Any]:
    """A node as a row of a table or a vertex of the graph."""
    process = process_name(row["process_type"])
    return {
        "pk": row["id"],
        "uuid": row["uuid"],
        "node_type": row["node_type"],
        "type": type_name(row["node_type"]),
        "process": process or None,
        "kind": kind_of(row["node_type"]),
        "label": row["label"] or "",
        "ctime": iso(row["ctime"]),
        "url": f"/explore/{archive_id}/nodes/{row['uuid']}",
    }


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class ArchiveNodes:
    """Queries over one archive, for the pages. Cheap to make: one per request."""

    def __init__(self, source: ArchiveSource, archive_id: str) -> None:
        self.source = source
        self.archive_id = archive_id
        self.files = NodeFiles(source)

    @classmethod
    def open(cls, service: ExploreService, archive_id: str) -> ArchiveNodes:
        """The queries of a browsable archive; NotFound for any other id."""
        return cls(service.source(archive_id), archive_id)

    @property
    def db(self) -> sqlite3.Connection:
        return self.source.connect()

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return list(self.db.execute(sql, params).fetchall())

    def _one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(sql, params).fetchone()
        return row

    # -- nodes -----------------------------------------------------------------------------

    def node(self, uuid: str) -> sqlite3.Row:
        row = self._one("SELECT * FROM db_dbnode WHERE uuid = ?", (uuid.strip().lower(),))
        if row is None:
            raise NotFound(f"This archive has no node {uuid!r}.")
        return row

    def search(
        self,
        *,
        uuid_prefix: str = "",
        label: str = "",
        node_type: str = "",
        offset: int = 0,
        limit: int = 25,
    ) -> dict[str, Any]:
        """Nodes by uuid prefix (an index range), label substring, exact type; by pk."""
        where, params = [], []
        prefix = uuid_prefix.strip().lower()
        if prefix:
            where.append("n.uuid >= ? AND n.uuid < ?")
            params += [prefix, prefix + "~"]
        if node_type:
            where.append("n.node_type = ?")
            params.append(node_type)
        if label.strip():
            where.append("n.label LIKE ? ESCAPE '\\'")
            params.append(_like(label.strip()))
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        total = self._one(
            f"SELECT count(*) FROM (SELECT 1 FROM db_dbnode n {clause} LIMIT ?)",
            [*params, COUNT_CAP + 1],
        )
        count = int(total[0]) if total else 0
        rows = self._rows(
            f"SELECT {NODE_COLUMNS} FROM db_dbnode n {clause} ORDER BY n.id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return {
            "total": min(count, COUNT_CAP),
            "capped": count > COUNT_CAP,
            "hits": [brief(r, self.archive_id) for r in rows],
        }

    def user(self, user_id: int | None) -> dict[str, Any] | None:
        if user_id is None:
            return None
        row = self._one("SELECT * FROM db_dbuser WHERE id = ?", (user_id,))
        if row is None:
            return None
        name = " ".join(p for p in (row["first_name"], row["last_name"]) if p)
        return {
            "email": row["email"],
            "name": name or row["email"],
            "institution": row["institution"] or "",
        }

    def computer(self, computer_id: int | None) -> dict[str, Any] | None:
        if computer_id is None:
            return None
        row = self._one("SELECT * FROM db_dbcomputer WHERE id = ?", (computer_id,))
        if row is None:
            return None
        return {
            "uuid": row["uuid"],
            "label": row["label"],
            "hostname": row["hostname"],
            "description": row["description"] or "",
            "scheduler_type": row["scheduler_type"],
            "transport_type": row["transport_type"],
        }

    # -- links -----------------------------------------------------------------------------

    def neighbours(
        self, node_id: int, direction: str, limit: int | None = None
    ) -> tuple[list[dict[str, Any]], int]:
        """Incoming (``in``) or outgoing (``out``) links with the node at the other end, and
        how many there are in all. In index order (link type, then the other node's pk)."""
        limit = NEIGHBOURS if limit is None else limit
        mine, other = ("output_id", "input_id") if direction == "in" else ("input_id", "output_id")
        rows = self._rows(
            f"SELECT l.id AS link_id, l.label AS link_label, l.type AS link_type, {NODE_COLUMNS},"
            f" {_PROCESS_FIELD.format(field='process_state')} AS process_state,"
            f" {_PROCESS_FIELD.format(field='exit_status')} AS exit_status"
            f" FROM db_dblink l JOIN db_dbnode n ON n.id = l.{other}"
            f" WHERE l.{mine} = ? ORDER BY l.type, l.{other}, l.id LIMIT ?",
            (node_id, limit),
        )
        total = self._one(f"SELECT count(*) FROM db_dblink WHERE {mine} = ?", (node_id,))
        links = []
        for row in rows:
            entry = brief(row, self.archive_id)
            entry.update(
                link_id=row["link_id"],
                link_label=row["link_label"],
                link_type=row["link_type"],
                process_state=row["process_state"],
                exit_status=row["exit_status"],
            )
            links.append(entry)
        return links, int(total[0]) if total else 0

    def output(self, node_id: int, label: str) -> sqlite3.Row | None:
        """The node a process created under ``label`` (a CalcJob's ``retrieved`` folder)."""
        return self._one(
            "SELECT n.* FROM db_dblink l JOIN db_dbnode n ON n.id = l.output_id"
            " WHERE l.input_id = ? AND l.type = 'create' AND l.label = ? LIMIT 1",
            (node_id, label),
        )

    def creator(self, node_id: int) -> sqlite3.Row | None:
        return self._one(
            f"SELECT {NODE_COLUMNS} FROM db_dblink l JOIN db_dbnode n ON n.id = l.input_id"
            " WHERE l.output_id = ? AND l.type = 'create' LIMIT 1",
            (node_id,),
        )

    def caller(self, node_id: int) -> sqlite3.Row | None:
        return self._one(
            f"SELECT {NODE_COLUMNS} FROM db_dblink l JOIN db_dbnode n ON n.id = l.input_id"
            " WHERE l.output_id = ? AND l.type IN ('call_calc', 'call_work') LIMIT 1",
            (node_id,),
        )

    def call_tree(self, node_id: int) -> dict[str, Any]:
        """The processes the top caller of ``node_id`` called, recursively, capped in depth and
        size; ``current`` marks ``node_id`` in it."""
        root, seen = node_id, {node_id}
        for _ in range(CALL_TREE_DEPTH):
            up = self.caller(root)
            if up is None or up["id"] in seen:
                break
            root = up["id"]
            seen.add(root)
        top = self._one(
            f"SELECT {NODE_COLUMNS}, n.attributes FROM db_dbnode n WHERE id = ?", (root,)
        )
        assert top is not None
        tree = self._call_entry(top, node_id)
        level, budget, visited = [tree], CALL_TREE_NODES - 1, {root}
        for _ in range(CALL_TREE_DEPTH):
            if not level or budget <= 0:
                break
            by_id = {entry["pk"]: entry for entry in level}
            marks = ",".join("?" * len(by_id))
            rows = self._rows(
                f"SELECT l.input_id AS parent, l.label AS link_label, {NODE_COLUMNS},"
                f" {_PROCESS_FIELD.format(field='process_state')} AS process_state,"
                f" {_PROCESS_FIELD.format(field='exit_status')} AS exit_status"
                " FROM db_dblink l JOIN db_dbnode n ON n.id = l.output_id"
                f" WHERE l.input_id IN ({marks}) AND l.type IN ('call_calc', 'call_work')"
                " ORDER BY l.input_id, n.ctime, n.id LIMIT ?",
                [*by_id, budget + 1],
            )
            level = []
            for row in rows:
                if row["id"] in visited:
                    continue
                if budget <= 0:
                    by_id[row["parent"]]["more"] = True
                    continue
                visited.add(row["id"])
                entry = self._call_entry(row, node_id)
                entry["link_label"] = row["link_label"]
                by_id[row["parent"]]["children"].append(entry)
                level.append(entry)
                budget -= 1
        return tree

    def _call_entry(self, row: sqlite3.Row, current: int) -> dict[str, Any]:
        entry = brief(row, self.archive_id)
        keys = row.keys()
        if "attributes" in keys:
            attributes = loads(row["attributes"]) if row["node_type"].startswith("process") else {}
            entry["process_state"] = attributes.get("process_state")
            entry["exit_status"] = attributes.get("exit_status")
        else:
            entry["process_state"] = row["process_state"]
            entry["exit_status"] = row["exit_status"]
        entry.update(children=[], more=False, current=row["id"] == current)
        return entry

    # -- groups, comments, logs ------------------------------------------------------------

    def groups(self, limit: int = 200) -> list[dict[str, Any]]:
        rows = self._rows(
            "SELECT g.*, (SELECT count(*) FROM db_dbgroup_dbnodes m WHERE m.dbgroup_id = g.id)"
            " AS size FROM db_dbgroup g ORDER BY g.label, g.id LIMIT ?",
            (limit,),
        )
        return [self._group(row) for row in rows]

    def _group(self, row: sqlite3.Row) -> dict[str, Any]:
        return {
            "uuid": row["uuid"],
            "label": row["label"],
            "type_string": row["type_string"],
            "description": row["description"] or "",
            "time": iso(row["time"]),
            "nodes": row["size"] if "size" in row.keys() else None,
            "url": f"/explore/{self.archive_id}/groups/{row['uuid']}",
        }

    def group(self, uuid: str) -> tuple[int, dict[str, Any]]:
        row = self._one(
            "SELECT g.*, (SELECT count(*) FROM db_dbgroup_dbnodes m WHERE m.dbgroup_id = g.id)"
            " AS size FROM db_dbgroup g WHERE g.uuid = ?",
            (uuid.strip().lower(),),
        )
        if row is None:
            raise NotFound(f"This archive has no group {uuid!r}.")
        body = self._group(row)
        body["user"] = self.user(row["user_id"])
        return int(row["id"]), body

    def group_nodes(self, group_id: int, offset: int, limit: int) -> list[dict[str, Any]]:
        rows = self._rows(
            f"SELECT {NODE_COLUMNS} FROM db_dbgroup_dbnodes m JOIN db_dbnode n"
            " ON n.id = m.dbnode_id WHERE m.dbgroup_id = ? ORDER BY m.dbnode_id LIMIT ? OFFSET ?",
            (group_id, limit, offset),
        )
        return [brief(r, self.archive_id) for r in rows]

    def node_groups(self, node_id: int, limit: int = 100) -> list[dict[str, Any]]:
        rows = self._rows(
            "SELECT g.* FROM db_dbgroup_dbnodes m JOIN db_dbgroup g ON g.id = m.dbgroup_id"
            " WHERE m.dbnode_id = ? ORDER BY g.label LIMIT ?",
            (node_id, limit),
        )
        return [self._group(row) for row in rows]

    def comments(self, node_id: int, limit: int = 100) -> list[dict[str, Any]]:
        rows = self._rows(
            "SELECT c.*, u.email, u.first_name, u.last_name FROM db_dbcomment c"
            " LEFT JOIN db_dbuser u ON u.id = c.user_id WHERE c.dbnode_id = ?"
            " ORDER BY c.ctime, c.id LIMIT ?",
            (node_id, limit),
        )
        return [
            {
                "uuid": r["uuid"],
                "ctime": iso(r["ctime"]),
                "mtime": iso(r["mtime"]),
                "user": " ".join(p for p in (r["first_name"], r["last_name"]) if p)
                or (r["email"] or ""),
                "content": r["content"] or "",
            }
            for r in rows
        ]

    def logs(
        self, node_id: int, limit: int = 200, message_chars: int = 20_000
    ) -> list[dict[str, Any]]:
        rows = self._rows(
            "SELECT uuid, time, loggername, levelname, substr(message, 1, ?) AS message,"
            " length(message) AS length FROM db_dblog WHERE dbnode_id = ?"
            " ORDER BY time, id LIMIT ?",
            (message_chars, node_id, limit),
        )
        return [
            {
                "uuid": r["uuid"],
                "time": iso(r["time"]),
                "logger": r["loggername"],
                "level": (r["levelname"] or "").upper(),
                "message": r["message"] or "",
                "cut": (r["length"] or 0) > message_chars,
            }
            for r in rows
        ]

    def count(self, table: str, node_id: int) -> int:
        assert table in ("db_dbcomment", "db_dblog")
        row = self._one(f"SELECT count(*) FROM {table} WHERE dbnode_id = ?", (node_id,))
        return int(row[0]) if row else 0


__all__ = [
    "COUNT_CAP",
    "NEIGHBOURS",
    "ArchiveNodes",
    "brief",
    "iso",
    "kind_of",
    "loads",
    "process_name",
    "type_name",
]
