"""What query planning needs beyond the filter: how common each list value is (to drive
``HAS ALL`` by its rarest value), SQLite's planner statistics for the structure index, and the
guard that turns a statement too big for the database into the client's 400."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from matcloud.core.db import Database
from matcloud.optimade.errors import BadRequest
from matcloud.optimade.models import StructureValue

log = logging.getLogger(__name__)

#: What the databases say when a statement is beyond their limits (nesting, parameters).
TOO_COMPLEX = (
    "expression tree is too large",
    "too many sql variables",
    "parser stack overflow",
    "stack depth limit exceeded",
    "too many terms",
    "at most 64 tables",
)


@contextmanager
def too_complex() -> Iterator[None]:
    """A filter the database refuses as too big is the client's 400, not our 500."""
    try:
        yield
    except DBAPIError as error:
        if any(marker in str(error.orig).lower() for marker in TOO_COMPLEX):
            raise BadRequest(
                "The filter is too complex for this server (too many terms or nesting "
                "levels): split it into simpler queries.",
                "filter",
            ) from None
        raise


class ValueFrequencies(Mapping[str, Mapping[str, int]]):
    """How many structures have each element (and structure feature, dimension type), for
    ordering ``HAS ALL`` rarest first. Computed on first use and again after ``ttl`` seconds:
    slightly stale counts only make a plan a little worse, never a result wrong."""

    FIELDS = ("elements", "structure_features", "dimension_types")

    def __init__(self, db: Database, ttl: float = 600.0) -> None:
        self.db = db
        self.ttl = ttl
        self._lock = threading.Lock()
        self._counts: dict[str, dict[str, int]] = {}
        self._at = -ttl
        #: Bumped at every recount (compiled filters depend on the counts they were ranked by).
        self.generation = 0

    def _current(self) -> dict[str, dict[str, int]]:
        with self._lock:
            if time.monotonic() - self._at >= self.ttl:
                counts: dict[str, dict[str, int]] = {}
                with self.db.read() as session:
                    rows = session.execute(
                        select(StructureValue.field, StructureValue.value, func.count())
                        .where(StructureValue.field.in_(self.FIELDS))
                        .group_by(StructureValue.field, StructureValue.value)
                    )
                    for field, value, count in rows:
                        counts.setdefault(field, {})[value] = count
                self._counts, self._at = counts, time.monotonic()
                self.generation += 1
            return self._counts

    def __getitem__(self, field: str) -> Mapping[str, int]:
        return self._current()[field]

    def __iter__(self) -> Iterator[str]:
        return iter(self._current())

    def __len__(self) -> int:
        return len(self._current())


class PlannerStatistics:
    """Keeps SQLite's planner statistics for the structure index present and loaded.

    SQLite has no statistics until ``ANALYZE`` runs, and without them it misjudges these
    queries badly (it takes any equality on an indexed column for a selective one, and the
    unique primary-key index over the covering probe index): measured at 100,000 structures,
    10-20 times slower. So, on SQLite, at most every ``every`` seconds: if the tables hold at
    least :data:`MIN_ROWS` rows and have no statistics, or have grown or shrunk twofold since,
    a sampled ``ANALYZE`` (``analysis_limit``: ~12 ms at 100,000 structures) refreshes them,
    and each pooled connection reloads them (``ANALYZE sqlite_schema``, 0.4 ms) before its next
    OPTIMADE query. The indexing job may call :meth:`refresh` after writing, too. PostgreSQL
    keeps its own statistics (autovacuum): nothing to do there.
    """

    TABLES = {"optimade_structures": "rowid", "optimade_structure_values": "id"}
    MIN_ROWS = 1000

    def __init__(self, db: Database, every: float = 600.0) -> None:
        self.db = db
        self.every = every
        self.generation = 0
        self._lock = threading.Lock()
        self._checked = -every

    def prepare(self, session: Session) -> None:
        """Before the OPTIMADE queries of ``session``: statistics current and loaded."""
        if not self.db.is_sqlite:
            return
        if time.monotonic() - self._checked >= self.every:
            with self._lock:
                if time.monotonic() - self._checked >= self.every:
                    self._checked = time.monotonic()
                    if self._stale():
                        self.refresh()
        info = session.connection().info
        if info.get("optimade_statistics") != self.generation:
            session.execute(text("ANALYZE sqlite_schema"))
            info["optimade_statistics"] = self.generation

    def _stale(self) -> bool:
        with self.db.read() as session:
            known: dict[str, int] = {}
            has_table = session.scalar(
                text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            )
            if has_table:
                rows = session.execute(
                    text(
                        "SELECT tbl, max(CAST(stat AS INTEGER)) FROM sqlite_stat1 "
                        "WHERE tbl IN ('optimade_structures', 'optimade_structure_values') "
                        "GROUP BY tbl"
                    )
                )
                known = {table: int(count or 0) for table, count in rows}
            sizes = {
                "optimade_structures": session.scalar(
                    text("SELECT max(rowid) FROM optimade_structures")
                ),
                "optimade_structure_values": session.scalar(
                    text("SELECT max(id) FROM optimade_structure_values")
                ),
            }
        for table, size in sizes.items():
            size = int(size or 0)
            if size < self.MIN_ROWS:
                continue
            counted = known.get(table)
            if counted is None or not counted / 2 <= size <= counted * 2:
                return True
        return False

    def refresh(self) -> None:
        """Sampled statistics for both tables; every connection reloads them before its next
        OPTIMADE query."""
        if not self.db.is_sqlite:
            return
        with self.db.unit_of_work() as uow:
            uow.session.execute(text("PRAGMA analysis_limit=10000"))  # sampled: fast
            uow.session.execute(text("ANALYZE optimade_structures"))
            uow.session.execute(text("ANALYZE optimade_structure_values"))
            uow.session.execute(text("PRAGMA analysis_limit=0"))
        self.generation += 1
        log.info("refreshed SQLite statistics of the structure index")


__all__ = ["TOO_COMPLEX", "PlannerStatistics", "ValueFrequencies", "too_complex"]
