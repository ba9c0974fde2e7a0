"""Take a piece home: the provenance of one node as a new AiiDA archive.

The node set is what ``verdi archive create --nodes <node>`` would export with its default
traversal rules (aiida-core's ``GraphTraversalRules.EXPORT``): from each node, follow
``input_calc``/``input_work`` links back to the inputs of processes, ``create`` links both ways
(a datum's creator, a calculation's outputs), ``return`` links forward, and ``call_calc``/
``call_work`` links both ways, until nothing new turns up. The archive holds those nodes, the
links between them, their users, computers, comments and logs, and every file they reference;
it is written in aiida-core's current format (``main_0001``) from the index database with SQL
alone (``ATTACH`` + ``INSERT ... SELECT``), so a large provenance costs seconds, not a Python
object per node.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from matcloud.core.errors import NotFound, TooLarge
from matcloud.explore.aiida.index import ArchiveSource

#: Link types followed from a node to the nodes it links to (forward) or from (backward).
FORWARD = ("create", "return", "call_calc", "call_work")
BACKWARD = ("input_calc", "create", "input_work", "call_calc", "call_work")
TRAVERSAL_RULES = {
    "input_calc_forward": False,
    "input_calc_backward": True,
    "create_forward": True,
    "create_backward": True,
    "return_forward": True,
    "return_backward": False,
    "input_work_forward": False,
    "input_work_backward": True,
    "call_calc_forward": True,
    "call_calc_backward": True,
    "call_work_forward": True,
    "call_work_backward": True,
}
MAX_NODES = 200_000
BATCH = 500
TABLE_ORDER = (
    "db_dbuser",
    "db_dbcomputer",
    "db_dbnode",
    "db_dblink",
    "db_dbcomment",
    "db_dblog",
)


def closure(connection: sqlite3.Connection, start: int, limit: int = MAX_NODES) -> set[int]:
    """The ids of the nodes the export rules reach from ``start`` (itself included)."""
    seen, frontier = {start}, [start]
    forward = ",".join("?" * len(FORWARD))
    backward = ",".join("?" * len(BACKWARD))
    while frontier:
        found: set[int] = set()
        for offset in range(0, len(frontier), BATCH):
            batch = frontier[offset : offset + BATCH]
            marks = ",".join("?" * len(batch))
            rows = connection.execute(
                f"SELECT output_id FROM db_dblink WHERE input_id IN ({marks}) "
                f"AND type IN ({forward}) "
                f"UNION SELECT input_id FROM db_dblink WHERE output_id IN ({marks}) "
                f"AND type IN ({backward})",
                (*batch, *FORWARD, *batch, *BACKWARD),
            )
            found.update(row[0] for row in rows if row[0] is not None)
        frontier = list(found - seen)
        seen.update(frontier)
        if len(seen) > limit:
            raise TooLarge(
                f"The provenance of this node has over {limit:,} nodes: download the whole "
                "archive instead."
            )
    return seen


def _object_keys(tree: Any) -> Iterator[str]:
    if isinstance(tree, dict):
        if isinstance(tree.get("k"), str):
            yield tree["k"]
        for child in (tree.get("o") or {}).values():
            yield from _object_keys(child)


def write_provenance(source: ArchiveSource, uuid: str, destination: Path) -> dict[str, Any]:
    """Write the provenance archive of node ``uuid`` to ``destination``; return a summary."""
    connection = source.connect()
    row = connection.execute("SELECT id FROM db_dbnode WHERE uuid = ?", (uuid,)).fetchone()
    if row is None:
        raise NotFound(f"There is no node {uuid} in this archive.")
    nodes = closure(connection, int(row[0]))
    with tempfile.TemporaryDirectory(dir=destination.parent) as work:
        db_path = Path(work) / "db.sqlite3"
        keys = _write_database(source, nodes, db_path)
        partial = destination.with_name(destination.name + ".partial")
        metadata = _metadata(source, uuid)
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
            archive.writestr("metadata.json", json.dumps(metadata, indent=1))
            archive.write(db_path, "db.sqlite3")
            for key in sorted(keys):
                with source.open_object(key) as stream, archive.open(f"repo/{key}", "w") as out:
                    while chunk := stream.read(1024 * 1024):
                        out.write(chunk)
        os.replace(partial, destination)
    return {"nodes": len(nodes), "objects": len(keys), "bytes": destination.stat().st_size}


def _write_database(source: ArchiveSource, nodes: set[int], path: Path) -> set[str]:
    target = sqlite3.connect(path)
    try:
        schema = (
            source.connect()
            .execute(
                "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL "
                "AND name NOT LIKE 'mc\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                "ORDER BY type = 'index'"
            )
            .fetchall()
        )
        for _, _, sql in schema:
            target.execute(sql)
        target.execute(f"ATTACH DATABASE 'file:{source.db_path}?mode=ro&immutable=1' AS src")
        target.execute("CREATE TEMP TABLE picked (id INTEGER PRIMARY KEY)")
        target.executemany("INSERT INTO picked VALUES (?)", ((n,) for n in nodes))
        node_ids = "SELECT id FROM temp.picked"
        target.execute(
            f"INSERT INTO main.db_dbnode SELECT * FROM src.db_dbnode WHERE id IN ({node_ids})"
        )
        target.execute(
            f"INSERT INTO main.db_dblink SELECT * FROM src.db_dblink "
            f"WHERE input_id IN ({node_ids}) AND output_id IN ({node_ids})"
        )
        for table in ("db_dbcomment", "db_dblog"):
            target.execute(
                f"INSERT INTO main.{table} SELECT * FROM src.{table} "
                f"WHERE dbnode_id IN ({node_ids})"
            )
        target.execute(
            "INSERT INTO main.db_dbuser SELECT * FROM src.db_dbuser WHERE id IN "
            "(SELECT user_id FROM main.db_dbnode UNION SELECT user_id FROM main.db_dbcomment)"
        )
        target.execute(
            "INSERT INTO main.db_dbcomputer SELECT * FROM src.db_dbcomputer WHERE id IN "
            "(SELECT dbcomputer_id FROM main.db_dbnode)"
        )
        keys: set[str] = set()
        for (tree,) in target.execute(
            "SELECT repository_metadata FROM main.db_dbnode WHERE repository_metadata != '{}'"
        ):
            keys.update(_object_keys(json.loads(tree or "{}")))
        target.commit()
        target.execute("DETACH DATABASE src")
        return keys
    finally:
        target.close()


def _metadata(source: ArchiveSource, uuid: str) -> dict[str, Any]:
    original = source.info.get("metadata") or {}
    return {
        "export_version": "main_0001",
        "aiida_version": original.get("aiida_version", ""),
        "key_format": "sha256",
        "compression": 6,
        "ctime": datetime.now().isoformat(),
        "creation_parameters": {
            "entities_starting_set": {"node": [uuid]},
            "include_authinfos": False,
            "include_comments": True,
            "include_logs": True,
            "graph_traversal_rules": TRAVERSAL_RULES,
        },
        "conversion_info": [
            *original.get("conversion_info", []),
            f"Provenance of node {uuid} cut from an archive by matcloud EXPLORE",
        ],
    }


__all__ = ["TRAVERSAL_RULES", "closure", "write_provenance"]
