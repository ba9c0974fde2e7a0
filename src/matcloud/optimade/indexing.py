"""Filling the OPTIMADE structure index from published records.

A publication enqueues :data:`INDEX_VERSION_JOB` for the version (the ARCHIVE's publishing hook);
the job reads every structure file of the version (CIF, POSCAR, extxyz, XSF, pw.x input) and,
for every AiiDA archive of the version that EXPLORE has indexed, every ``StructureData`` node in
it, and replaces the version's rows in one transaction (so a re-run, or ``matcloud optimade
reindex``, is idempotent). EXPLORE indexes archives in its own job, after which it calls
:meth:`StructureIndexer.on_archive_indexed`, which queues the versions holding that archive
again. A retraction hides the version's rows (they stay in the table, not in results); a new
version moves ``is_latest`` to its own rows.

A file that is not a readable structure is skipped and logged: one bad file never stops the
others, nor the record.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, delete, func, insert, literal, select, update
from sqlalchemy.orm import Session

from matcloud.archive.models import FileStatus, Record, Version, VersionState
from matcloud.core.db import Database, UnitOfWork, utcnow
from matcloud.core.jobs import JobQueue
from matcloud.core.storage import BlobStore
from matcloud.explore.models import ExploreFile
from matcloud.explore.service import STRUCTURE_NODE, ExploreService, is_aiida_file
from matcloud.optimade.masks import element_masks
from matcloud.optimade.models import (
    SET_FIELD,
    VALUE_FIELDS,
    EntrySet,
    StructureEntry,
    StructureValue,
)
from matcloud.structures import (
    Structure,
    StructureError,
    from_aiida_attributes,
    optimade_properties,
    read_structures,
    structure_format,
)

log = logging.getLogger(__name__)

INDEX_VERSION_JOB = "optimade.index_version"
#: Structure files bigger than this are not parsed (a 50 MB CIF is not a crystal structure).
MAX_FILE_BYTES = 50 * 1024 * 1024
NODE_BATCH = 2000
INSERT_BATCH = 2000


@dataclass(frozen=True)
class Found:
    """A structure and where it came from."""

    structure: Structure
    file_key: str
    archive_id: str | None = None
    node_uuid: str | None = None
    frame: int = 0


def entry_id(version_id: str, file_key: str, node_uuid: str | None, frame: int = 0) -> str:
    digest = hashlib.sha256(f"{file_key}\0{node_uuid or ''}\0{frame}".encode()).hexdigest()
    return f"{version_id}-{digest[:10]}"


class StructureIndexer:
    def __init__(
        self, db: Database, blobs: BlobStore, jobs: JobQueue, explore: ExploreService
    ) -> None:
        self.db, self.blobs, self.jobs, self.explore = db, blobs, jobs, explore
        jobs.register(INDEX_VERSION_JOB, self._index_job, retries=2, retry_delay=30)

    # -- hooks -----------------------------------------------------------------------------

    def on_published(self, uow: UnitOfWork, version: Version) -> None:
        """ARCHIVE publishing hook: index the version after the commit."""
        self.jobs.enqueue_after_commit(uow, INDEX_VERSION_JOB, version.id)

    def on_archive_indexed(self, archive_id: str) -> None:
        """EXPLORE hook: an AiiDA archive became browsable; index its versions' structures."""
        with self.db.read() as session:
            versions = session.scalars(
                select(ExploreFile.version_id).where(ExploreFile.archive_id == archive_id)
            ).all()
        for version_id in sorted(set(versions)):
            self.jobs.enqueue(INDEX_VERSION_JOB, version_id)

    def on_retracted(self, uow: UnitOfWork, version: Version) -> None:
        """ARCHIVE retraction hook: the version's structures leave the results at once."""
        uow.session.execute(
            update(StructureEntry)
            .where(StructureEntry.version_id == version.id)
            .values(is_public=False, last_modified=utcnow())
        )
        self._refresh_latest(uow.session, version.record_id)

    # -- the job ---------------------------------------------------------------------------

    def _index_job(self, version_id: str) -> None:
        self.index_version(version_id)

    def index_version(self, version_id: str) -> int:
        """Replace the version's rows; returns how many structures it holds."""
        started = time.perf_counter()
        with self.db.read() as session:
            version = session.get(Version, version_id)
            if version is None or version.state != VersionState.PUBLISHED:
                return 0
            files: list[tuple[str, str | None, int]] = [
                (f.key, f.blob_id, f.size or 0)
                for f in version.files
                if f.status == FileStatus.COMPLETED and f.blob_id
            ]
            record = session.get(Record, version.record_id)
            meta = {
                "record_id": version.record_id,
                "version_index": version.index,
                "title": str(version.metadata_json.get("title") or ""),
                "doi": version.doi,
                "concept_doi": record.concept_doi if record else None,
            }
            archives = dict(
                session.execute(
                    select(ExploreFile.key, ExploreFile.archive_id).where(
                        ExploreFile.version_id == version_id
                    )
                ).all()
            )
        rows: list[dict[str, Any]] = []
        for found in self._structures(files, archives):
            try:
                properties = optimade_properties(found.structure)
            except StructureError as error:
                log.info("%s %s: not indexed: %s", version_id, found.file_key, error)
                continue
            rows.append(self._row(version_id, meta, found, properties))
        values = [value for row in rows for value in row.pop("_values")]
        with self.db.unit_of_work() as uow:
            session = uow.session
            session.execute(delete(StructureEntry).where(StructureEntry.version_id == version_id))
            write_entries(session, rows, values)
            self._refresh_latest(session, str(meta["record_id"]))
        log.info(
            "indexed %d structures of %s in %.2f s",
            len(rows),
            version_id,
            time.perf_counter() - started,
        )
        return len(rows)

    def _structures(
        self, files: list[tuple[str, str | None, int]], archives: dict[str, str]
    ) -> Iterator[Found]:
        for key, blob_id, size in files:
            if is_aiida_file(key):
                archive_id = archives.get(key)
                if archive_id is not None:
                    yield from self._archive_structures(key, archive_id)
                continue
            if structure_format(key) is None or blob_id is None:
                continue
            if size > MAX_FILE_BYTES:
                log.info("%s: %d bytes, too big to read as a structure", key, size)
                continue
            with self.blobs.open(blob_id) as stream:
                data = stream.read(MAX_FILE_BYTES + 1)
            try:
                structures = read_structures(data, key)
            except StructureError as error:
                log.info("%s: not a readable structure: %s", key, error)
                continue
            for frame, structure in enumerate(structures):
                yield Found(structure, key, frame=frame)

    def _archive_structures(self, key: str, archive_id: str) -> Iterator[Found]:
        try:
            source = self.explore.source(archive_id)
        except Exception:  # not browsable (yet): EXPLORE's hook re-runs this when it is
            return
        cursor = source.connect().execute(
            "SELECT uuid, label, attributes FROM db_dbnode WHERE node_type = ? ORDER BY id",
            (STRUCTURE_NODE,),
        )
        while batch := cursor.fetchmany(NODE_BATCH):
            for uuid, label, attributes in batch:
                try:
                    structure = from_aiida_attributes(json.loads(attributes or "{}"))
                except (StructureError, ValueError) as error:
                    log.info("%s node %s: not indexed: %s", key, uuid, error)
                    continue
                if label and not structure.label:
                    structure = _labelled(structure, str(label))
                yield Found(structure, key, archive_id=archive_id, node_uuid=str(uuid))

    def _row(
        self, version_id: str, meta: dict[str, Any], found: Found, properties: dict[str, Any]
    ) -> dict[str, Any]:
        structure_id = entry_id(version_id, found.file_key, found.node_uuid, found.frame)
        values = value_rows(structure_id, properties)
        columns = {c.name for c in StructureEntry.__table__.columns}
        row = {key: value for key, value in properties.items() if key in columns}
        row.update(
            id=structure_id,
            record_id=meta["record_id"],
            version_id=version_id,
            version_index=meta["version_index"],
            file_key=found.file_key,
            archive_id=found.archive_id,
            node_uuid=found.node_uuid,
            is_public=True,
            is_latest=True,
            last_modified=utcnow(),
            title=found.structure.label or meta["title"],
            doi=meta["doi"],
            _values=values,
        )
        return row

    @staticmethod
    def _refresh_latest(session: Session, record_id: str) -> None:
        record = session.get(Record, record_id)
        latest = record.latest_version_id if record is not None else None
        session.execute(
            update(StructureEntry)
            .where(StructureEntry.record_id == record_id)
            .values(is_latest=StructureEntry.version_id == (latest or ""))
        )

    # -- maintenance -----------------------------------------------------------------------

    def reindex(self) -> dict[str, int]:
        """Rebuild the whole index from the published versions (``matcloud optimade reindex``)."""
        with self.db.read() as session:
            versions = session.scalars(
                select(Version.id)
                .where(Version.state == VersionState.PUBLISHED)
                .order_by(Version.id)
            ).all()
        with self.db.unit_of_work() as uow:
            uow.session.execute(
                delete(StructureEntry).where(StructureEntry.version_id.not_in(versions))
            )
        total = sum(self.index_version(version_id) for version_id in versions)
        return {"versions": len(versions), "structures": total}


def value_rows(structure_id: str, properties: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``optimade_structure_values`` rows of a structure (its list items, one per row;
    the postings' copies of its columns are filled by the database's trigger)."""
    return [
        {"structure_id": structure_id, "field": field, "position": position, "value": str(value)}
        for field in VALUE_FIELDS
        for position, value in enumerate(properties.get(field) or [])
    ]


def write_entries(
    session: Session | Connection, entries: list[dict[str, Any]], values: list[dict[str, Any]]
) -> None:
    """Insert structure rows, then their values rows: multi-row ``executemany`` batches (the
    ORM's unit of work, one flush per structure, is ~15 times slower), in the caller's
    transaction. The ``elements`` rows get their postings' copies here (the database's
    trigger would fill them one row at a time, several times slower)."""
    payload = {entry["id"]: _posting_copy(entry) for entry in entries}
    values = [
        {**value, **payload[value["structure_id"]]}
        if value["field"] == "elements" and value["structure_id"] in payload
        else value
        for value in values
    ]
    for model, rows in ((StructureEntry, entries), (StructureValue, values)):
        for start in range(0, len(rows), INSERT_BATCH):
            session.execute(insert(model), rows[start : start + INSERT_BATCH])
    ids = [entry["id"] for entry in entries]
    for start in range(0, len(ids), INSERT_BATCH):  # the sets they belong to (kept by id)
        _copy_sets(session, EntrySet.entry_id.in_(ids[start : start + INSERT_BATCH]))


def set_members(session: Session | Connection, name: str, entry_ids: list[str]) -> int:
    """Make ``name`` the set of exactly ``entry_ids`` (in the caller's transaction); entries
    not indexed yet join when they are. Returns how many are indexed now."""
    session.execute(delete(EntrySet).where(EntrySet.name == name))
    session.execute(
        delete(StructureValue).where(
            StructureValue.field == SET_FIELD, StructureValue.value == name
        )
    )
    unique = sorted(set(entry_ids))
    for start in range(0, len(unique), INSERT_BATCH):
        chunk = unique[start : start + INSERT_BATCH]
        session.execute(insert(EntrySet), [{"name": name, "entry_id": i} for i in chunk])
    _copy_sets(session, EntrySet.name == name)
    counted = session.execute(
        select(func.count()).where(StructureValue.field == SET_FIELD, StructureValue.value == name)
    ).scalar_one()
    return int(counted)


def _copy_sets(session: Session | Connection, which: Any) -> None:
    """Values rows for the memberships ``which`` selects, of structures that exist."""
    chosen = (
        select(EntrySet.entry_id, literal(SET_FIELD), literal(0), EntrySet.name)
        .join(StructureEntry, StructureEntry.id == EntrySet.entry_id)
        .where(which)
    )
    session.execute(
        insert(StructureValue).from_select(["structure_id", "field", "position", "value"], chosen)
    )


def _posting_copy(entry: dict[str, Any]) -> dict[str, Any]:
    lo, hi = element_masks(entry.get("elements") or [])
    return {
        "is_public": entry.get("is_public", True),
        "elements_mask_lo": entry.get("elements_mask_lo", lo),
        "elements_mask_hi": entry.get("elements_mask_hi", hi),
        "nelements": entry.get("nelements"),
        "nsites": entry.get("nsites"),
    }


def _labelled(structure: Structure, label: str) -> Structure:
    return replace(structure, label=label)


__all__ = [
    "INDEX_VERSION_JOB",
    "StructureIndexer",
    "entry_id",
    "set_members",
    "value_rows",
    "write_entries",
]
