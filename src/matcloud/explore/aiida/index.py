"""Turn a checked AiiDA archive into an EXPLORE index: its own database, read-only, with the
indexes our queries need and the statistics the overview shows.

An index is a folder (``<index dir>/<archive id>/``) holding ``index.sqlite3`` (the archive's
``db.sqlite3``, checked and indexed) and ``info.json`` (what the archive is, where its file is,
its statistics). File contents stay in the archive and are read from it on demand.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from matcloud.explore.aiida.container import (
    ArchiveError,
    ArchiveInfo,
    Limits,
    Repository,
    extract_db,
    inspect,
)

INDEX_DB = "index.sqlite3"
INFO_FILE = "info.json"
INDEX_FORMAT = 1

#: The tables and columns every query relies on (aiida-core 2.x, export main_0000/main_0001).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "db_dbnode": (
        "id", "uuid", "node_type", "process_type", "label", "description", "ctime", "mtime",
        "attributes", "extras", "repository_metadata", "dbcomputer_id", "user_id",
    ),
    "db_dblink": ("id", "input_id", "output_id", "label", "type"),
    "db_dbuser": ("id", "email", "first_name", "last_name", "institution"),
    "db_dbcomputer": (
        "id", "uuid", "label", "hostname", "description", "scheduler_type", "transport_type",
        "metadata",
    ),
    "db_dbgroup": (
        "id", "uuid", "label", "type_string", "time", "description", "extras", "user_id",
    ),
    "db_dbgroup_dbnodes": ("id", "dbnode_id", "dbgroup_id"),
    "db_dbcomment": ("id", "uuid", "dbnode_id", "ctime", "mtime", "user_id", "content"),
    "db_dblog": (
        "id", "uuid", "time", "loggername", "levelname", "dbnode_id", "message", "metadata",
    ),
}  # fmt: skip

INDEXES = (
    "CREATE INDEX IF NOT EXISTS mc_node_uuid ON db_dbnode (uuid)",
    "CREATE INDEX IF NOT EXISTS mc_node_type_id ON db_dbnode (node_type, id)",
    "CREATE INDEX IF NOT EXISTS mc_node_full_type ON db_dbnode (node_type, process_type)",
    "CREATE INDEX IF NOT EXISTS mc_node_ctime ON db_dbnode (ctime)",
    "CREATE INDEX IF NOT EXISTS mc_node_mtime ON db_dbnode (mtime)",
    "CREATE INDEX IF NOT EXISTS mc_link_in ON db_dblink (input_id, type, output_id)",
    "CREATE INDEX IF NOT EXISTS mc_link_out ON db_dblink (output_id, type, input_id)",
    "CREATE INDEX IF NOT EXISTS mc_group_nodes ON db_dbgroup_dbnodes (dbgroup_id, dbnode_id)",
    "CREATE INDEX IF NOT EXISTS mc_node_groups ON db_dbgroup_dbnodes (dbnode_id)",
    "CREATE INDEX IF NOT EXISTS mc_comment_node ON db_dbcomment (dbnode_id)",
    "CREATE INDEX IF NOT EXISTS mc_log_node ON db_dblog (dbnode_id)",
    "CREATE INDEX IF NOT EXISTS mc_group_uuid ON db_dbgroup (uuid)",
    "CREATE INDEX IF NOT EXISTS mc_computer_uuid ON db_dbcomputer (uuid)",
)


def check_database(path: Path, name: str) -> None:
    """SQLite's own check plus the AiiDA tables: a damaged database is refused here."""
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            result = connection.execute("PRAGMA quick_check").fetchone()
            if result is None or result[0] != "ok":
                raise ArchiveError(f"{name}: its database is damaged ({result and result[0]}).")
            for table, columns in REQUIRED_COLUMNS.items():
                found = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
                if not found:
                    raise ArchiveError(f"{name}: its database has no table {table}.")
                missing = [c for c in columns if c not in found]
                if missing:
                    raise ArchiveError(f"{name}: table {table} lacks {', '.join(missing)}.")
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise ArchiveError(
            f"{name}: db.sqlite3 is not a readable SQLite database ({exc})."
        ) from exc


def statistics(connection: sqlite3.Connection) -> dict[str, Any]:
    one = connection.execute
    types = one("SELECT node_type, count(*) FROM db_dbnode GROUP BY node_type ORDER BY 2 DESC")
    span = one("SELECT min(ctime), max(ctime) FROM db_dbnode").fetchone()
    return {
        "nodes": one("SELECT count(*) FROM db_dbnode").fetchone()[0],
        "links": one("SELECT count(*) FROM db_dblink").fetchone()[0],
        "groups": one("SELECT count(*) FROM db_dbgroup").fetchone()[0],
        "users": one("SELECT count(*) FROM db_dbuser").fetchone()[0],
        "computers": one("SELECT count(*) FROM db_dbcomputer").fetchone()[0],
        "comments": one("SELECT count(*) FROM db_dbcomment").fetchone()[0],
        "logs": one("SELECT count(*) FROM db_dblog").fetchone()[0],
        "types": {row[0] or "": row[1] for row in types},
        "first_ctime": span[0],
        "last_ctime": span[1],
    }


def build_index(
    archive: Path,
    directory: Path,
    *,
    limits: Limits | None = None,
    source: Path | None = None,
) -> dict[str, Any]:
    """Check ``archive``, index it into ``directory`` and return its ``info.json``.

    ``source`` is where the repository objects will be read from later (default: ``archive``
    itself); a legacy archive is migrated first by the caller and passed here migrated.
    """
    started = time.perf_counter()
    info = inspect(archive, limits)
    if not info.is_current:
        raise ArchiveError(
            f"{archive.name} is a legacy AiiDA export (version {info.export_version}); it must "
            "be migrated first."
        )
    directory.mkdir(parents=True, exist_ok=True)
    work = directory / (INDEX_DB + ".work")
    extract_db(info, work)
    try:
        check_database(work, archive.name)
        connection = sqlite3.connect(work)
        try:
            connection.execute("PRAGMA journal_mode=DELETE")
            for statement in INDEXES:
                connection.execute(statement)
            connection.execute("ANALYZE")
            connection.commit()
            stats = statistics(connection)
        finally:
            connection.close()
        os.chmod(work, 0o444)
        os.replace(work, directory / INDEX_DB)
    finally:
        work.unlink(missing_ok=True)
    body = {
        "format": INDEX_FORMAT,
        "source": str((source or archive).resolve()),
        "kind": info.kind,
        "export_version": info.export_version,
        "aiida_version": info.aiida_version,
        "metadata": info.metadata,
        "entries": info.entries,
        "uncompressed_bytes": info.total_bytes,
        "statistics": stats,
        "warnings": info.warnings,
        "seconds": round(time.perf_counter() - started, 3),
    }
    partial = directory / (INFO_FILE + ".partial")
    partial.write_text(json.dumps(body, indent=1))
    os.replace(partial, directory / INFO_FILE)
    return body


@dataclass
class ArchiveSource:
    """An indexed archive: its database (SQLite, read-only) and its repository.

    One connection per thread (SQLite connections are not shared across threads); the file is
    opened ``immutable`` so reads take no locks at all.
    """

    id: str
    directory: Path
    info: dict[str, Any]

    def __post_init__(self) -> None:
        self._local = threading.local()
        self._repository: Repository | None = None
        self._lock = threading.Lock()

    @classmethod
    def open(cls, archive_id: str, directory: Path) -> ArchiveSource:
        info_path = directory / INFO_FILE
        if not info_path.is_file() or not (directory / INDEX_DB).is_file():
            raise ArchiveError(f"archive {archive_id} is not indexed")
        return cls(archive_id, directory, json.loads(info_path.read_text()))

    @property
    def db_path(self) -> Path:
        return self.directory / INDEX_DB

    def connect(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(
                f"file:{self.db_path}?mode=ro&immutable=1", uri=True, check_same_thread=False
            )
            connection.row_factory = sqlite3.Row
            self._local.connection = connection
        return connection

    @contextmanager
    def cursor(self) -> Iterator[sqlite3.Cursor]:
        cursor = self.connect().cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    @property
    def repository(self) -> Repository:
        with self._lock:
            if self._repository is None:
                source = Path(self.info["source"])
                archive = inspect_source(source, self.info)
                self._repository = Repository(archive)
            return self._repository

    def open_object(self, key: str) -> IO[bytes]:
        return self.repository.open(key)

    def read_object(self, key: str, limit: int | None = None) -> bytes:
        return self.repository.read(key, limit)

    def object_size(self, key: str) -> int:
        return self.repository.size(key)

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None
        if self._repository is not None:
            self._repository.close()
            self._repository = None


def inspect_source(path: Path, info: dict[str, Any]) -> ArchiveInfo:
    """The archive behind an index, without re-reading its directory (it was checked)."""
    return ArchiveInfo(
        path=path,
        kind=info["kind"],
        export_version=info["export_version"],
        metadata=info["metadata"],
        entries=info["entries"],
        total_bytes=info["uncompressed_bytes"],
        compressed_bytes=0,
    )


__all__ = [
    "INDEX_DB",
    "INFO_FILE",
    "REQUIRED_COLUMNS",
    "ArchiveSource",
    "build_index",
    "check_database",
    "statistics",
]
