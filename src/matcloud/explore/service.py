"""EXPLORE's service: which AiiDA archives are browsable, indexing them, and opening them.

A published record's ``.aiida`` file is registered in the publishing transaction (the ARCHIVE
calls :meth:`ExploreService.on_published`) and indexed by a job after the commit; a local file
is indexed at once by ``matcloud explore index FILE``. The same bytes are indexed once, however
many records hold them. A file that cannot be indexed is marked ``failed`` with the reason,
which its landing page shows; the record itself is never touched.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from matcloud.archive.models import File, FileStatus, Version, VersionState
from matcloud.core.db import Database, UnitOfWork, utcnow
from matcloud.core.errors import NotFound
from matcloud.core.jobs import JobQueue
from matcloud.core.storage import BlobStore
from matcloud.explore.aiida import legacy
from matcloud.explore.aiida.container import ArchiveError, inspect
from matcloud.explore.aiida.index import ArchiveSource, build_index
from matcloud.explore.models import ExploreArchive, ExploreFile
from matcloud.settings import Settings
from matcloud.structures import Structure, StructureError, from_aiida_attributes

log = logging.getLogger(__name__)

INDEX_JOB = "explore.index_archive"
AIIDA_SUFFIX = ".aiida"
#: Open archives kept at hand (each holds a SQLite connection per thread and a zip handle).
OPEN_SOURCES = 32
#: How long "is this archive still public?" is remembered (a retraction shows within this).
VISIBILITY_SECONDS = 5.0
HASH_CHUNK = 1024 * 1024


#: The node type of AiiDA's StructureData.
STRUCTURE_NODE = "data.core.structure.StructureData."


def is_aiida_file(key: str) -> bool:
    return key.lower().endswith(AIIDA_SUFFIX)


class ExploreService:
    def __init__(self, settings: Settings, db: Database, blobs: BlobStore, jobs: JobQueue) -> None:
        self.settings, self.db, self.blobs, self.jobs = settings, db, blobs, jobs
        self.root = settings.resolved_explore_dir
        self._sources: OrderedDict[str, ArchiveSource] = OrderedDict()
        self._visible: dict[str, tuple[float, bool]] = {}
        self._lock = threading.Lock()
        #: Called with an archive id once it is browsable (OPTIMADE indexes its structures).
        self.indexed_hooks: list[Callable[[str], None]] = []
        jobs.register(INDEX_JOB, self.index, retries=2, retry_delay=60)

    # -- registration ----------------------------------------------------------------------

    def on_published(self, uow: UnitOfWork, version: Version) -> None:
        """Called by the ARCHIVE inside the publishing transaction."""
        for file in version.files:
            if file.status == FileStatus.COMPLETED and is_aiida_file(file.key) and file.sha256:
                self._register_file(uow, file, file.sha256, version.id)

    def _register_file(self, uow: UnitOfWork, file: File, sha256: str, version_id: str) -> None:
        session = uow.session
        row = session.scalar(select(ExploreArchive).where(ExploreArchive.sha256 == sha256))
        if row is None:
            row = ExploreArchive(
                id=sha256[:16],
                sha256=sha256,
                blob_id=file.blob_id,
                filename=file.key,
                size=file.size or 0,
                status="queued",
                stats={},
            )
            session.add(row)
            session.flush()
            self.jobs.enqueue_after_commit(uow, INDEX_JOB, row.id)
        link = session.scalar(
            select(ExploreFile).where(
                ExploreFile.version_id == version_id, ExploreFile.key == file.key
            )
        )
        if link is None:
            session.add(ExploreFile(archive_id=row.id, version_id=version_id, key=file.key))
        self._visible.pop(row.id, None)

    def index_local(self, path: Path) -> dict[str, Any]:
        """Index a file on this machine now (``matcloud explore index FILE``)."""
        path = path.expanduser().resolve()
        if not path.exists():
            raise NotFound(f"{path} does not exist.")
        sha256 = _sha256(path)
        with self.db.unit_of_work() as uow:
            row = uow.session.scalar(select(ExploreArchive).where(ExploreArchive.sha256 == sha256))
            if row is None:
                row = ExploreArchive(
                    id=sha256[:16],
                    sha256=sha256,
                    filename=path.name,
                    size=path.stat().st_size if path.is_file() else 0,
                    stats={},
                )
                uow.session.add(row)
            row.source_path, row.status = str(path), "queued"
            archive_id = row.id
        self.index(archive_id)
        return self.get(archive_id)

    # -- the indexing job ------------------------------------------------------------------

    def index(self, archive_id: str) -> None:
        with self.db.unit_of_work() as uow:
            row = uow.session.get(ExploreArchive, archive_id)
            if row is None:
                return
            row.status, row.error, row.updated_at = "indexing", "", utcnow()
            blob_id, source_path, filename = row.blob_id, row.source_path, row.filename
        final = self.root / archive_id
        work = self.root / f".{archive_id}.{uuid.uuid4().hex[:8]}"
        started = time.perf_counter()
        try:
            work.mkdir(parents=True)
            path = self._local_file(blob_id, source_path, work, filename)
            info = inspect(path)
            if info.is_current:
                body = build_index(path, work, source=path if path.parent != work else None)
            else:
                migrated = legacy.migrate(
                    info, work / "migrated.aiida", self.settings.explore_aiida_python
                )
                body = build_index(migrated, work)
            if path.parent == work or not info.is_current:
                body = self._point_into(work, final, body)
            self._swap(work, final)
            body["seconds"] = round(time.perf_counter() - started, 3)  # migration included
        except ArchiveError as error:
            shutil.rmtree(work, ignore_errors=True)
            self._finish(archive_id, "failed", error=str(error))
            log.info("archive %s is not browsable: %s", archive_id, error)
            return
        except Exception:
            shutil.rmtree(work, ignore_errors=True)
            self._finish(archive_id, "failed", error="It could not be indexed (internal error).")
            raise
        self._finish(archive_id, "ready", body=body)
        for hook in self.indexed_hooks:
            hook(archive_id)

    def _local_file(self, blob_id: str | None, source_path: str, work: Path, filename: str) -> Path:
        if blob_id is None:
            return Path(source_path)
        local_path = getattr(self.blobs, "local_path", None)
        if callable(local_path):
            found: Path = local_path(blob_id)
            return found
        copy = work / "archive.aiida"  # an object store: the index keeps its own copy
        with self.blobs.open(blob_id) as stream, copy.open("wb") as out:
            shutil.copyfileobj(stream, out, HASH_CHUNK)
        return copy

    @staticmethod
    def _point_into(work: Path, final: Path, body: dict[str, Any]) -> dict[str, Any]:
        """An archive copied or migrated into the index folder is read from its final place."""
        source = Path(body["source"])
        body["source"] = str(final / source.name)
        (work / "info.json").write_text(json.dumps(body, indent=1))
        return body

    def _swap(self, work: Path, final: Path) -> None:
        with self._lock:
            old = self._sources.pop(final.name, None)
            if old is not None:
                old.close()
            trash = final.with_name(f".{final.name}.old.{uuid.uuid4().hex[:8]}")
            if final.exists():
                final.rename(trash)
            work.rename(final)
            shutil.rmtree(trash, ignore_errors=True)

    def _finish(
        self,
        archive_id: str,
        status: str,
        *,
        error: str = "",
        body: dict[str, Any] | None = None,
    ) -> None:
        with self.db.unit_of_work() as uow:
            row = uow.session.get(ExploreArchive, archive_id)
            if row is None:
                return
            row.status, row.error, row.updated_at = status, error, utcnow()
            if body is not None:
                row.export_version = body["export_version"]
                row.aiida_version = body["aiida_version"]
                row.stats = body["statistics"]
                row.node_count = int(body["statistics"]["nodes"])
                row.seconds = float(body["seconds"])
                row.indexed_at = utcnow()
        self._visible.pop(archive_id, None)

    # -- reading ---------------------------------------------------------------------------

    def source(self, archive_id: str) -> ArchiveSource:
        """The open index of a browsable archive; :class:`NotFound` for anything else."""
        if not self._is_visible(archive_id):
            raise NotFound(f"There is no browsable AiiDA archive {archive_id!r}.")
        with self._lock:
            found = self._sources.get(archive_id)
            if found is not None:
                self._sources.move_to_end(archive_id)
                return found
            try:
                found = ArchiveSource.open(archive_id, self.root / archive_id)
            except ArchiveError as exc:
                raise NotFound(f"There is no browsable AiiDA archive {archive_id!r}.") from exc
            self._sources[archive_id] = found
            while len(self._sources) > OPEN_SOURCES:
                _, dropped = self._sources.popitem(last=False)
                dropped.close()
            return found

    def structure_node(self, archive_id: str, uuid: str) -> Structure:
        """A StructureData node of a browsable archive as a :class:`Structure`
        (:class:`NotFound` for anything else; :class:`StructureError` if it cannot be read)."""
        found = (
            self.source(archive_id)
            .connect()
            .execute(
                "SELECT label, attributes FROM db_dbnode WHERE uuid = ? AND node_type = ?",
                (uuid, STRUCTURE_NODE),
            )
            .fetchone()
        )
        if found is None:
            raise NotFound(f"Archive {archive_id} has no structure node {uuid!r}.")
        label, attributes = found
        try:
            loaded = json.loads(attributes or "{}")
        except ValueError as exc:
            raise StructureError(f"its attributes are not JSON: {exc}") from None
        return from_aiida_attributes(loaded, str(label or ""))

    def _is_visible(self, archive_id: str) -> bool:
        now = time.monotonic()
        cached = self._visible.get(archive_id)
        if cached is not None and now - cached[0] < VISIBILITY_SECONDS:
            return cached[1]
        with self.db.read() as session:
            row = session.get(ExploreArchive, archive_id)
            visible = row is not None and row.status == "ready" and self._public(session, row)
        self._visible[archive_id] = (now, visible)
        return visible

    @staticmethod
    def _public(session: Any, row: ExploreArchive) -> bool:
        """Published in some record (or indexed from a local file by an operator)."""
        if row.blob_id is None:
            return True
        published = session.scalar(
            select(ExploreFile.id)
            .join(Version, Version.id == ExploreFile.version_id)
            .where(ExploreFile.archive_id == row.id, Version.state == VersionState.PUBLISHED)
            .limit(1)
        )
        return published is not None

    def get(self, archive_id: str) -> dict[str, Any]:
        with self.db.read() as session:
            row = session.get(ExploreArchive, archive_id)
            if row is None or not (row.blob_id is None or self._public(session, row)):
                raise NotFound(f"There is no AiiDA archive {archive_id!r}.")
            return self._json(session, row)

    def list(self) -> dict[str, Any]:
        with self.db.read() as session:
            rows = session.scalars(
                select(ExploreArchive).order_by(ExploreArchive.created_at.desc())
            ).all()
            hits = [
                self._json(session, row)
                for row in rows
                if row.status == "ready" and self._public(session, row)
            ]
            return {"hits": {"total": len(hits), "hits": hits}}

    def for_version(self, version_id: str) -> dict[str, dict[str, Any]]:
        """The EXPLORE state of a version's ``.aiida`` files, by file key (landing pages)."""
        with self.db.read() as session:
            rows = session.execute(
                select(ExploreFile.key, ExploreArchive)
                .join(ExploreArchive, ExploreArchive.id == ExploreFile.archive_id)
                .where(ExploreFile.version_id == version_id)
            ).all()
            return {key: self._json(session, row, records=False) for key, row in rows}

    def _json(self, session: Any, row: ExploreArchive, records: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": row.id,
            "filename": row.filename,
            "size": row.size,
            "sha256": row.sha256,
            "status": row.status,
            "browsable": row.status == "ready",
            "error": row.error or None,
            "export_version": row.export_version or None,
            "aiida_version": row.aiida_version or None,
            "statistics": row.stats or {},
            "nodes": row.node_count,
            "index_seconds": row.seconds,
            "indexed": row.indexed_at.isoformat() if row.indexed_at else None,
            "links": {
                "self_html": f"/explore/{row.id}",
                "api": f"/explore/{row.id}/api/v4/",
            },
        }
        if records:
            body["records"] = [
                {"version": version_id, "key": key, "url": f"/records/{version_id}"}
                for version_id, key in session.execute(
                    select(ExploreFile.version_id, ExploreFile.key)
                    .join(Version, Version.id == ExploreFile.version_id)
                    .where(
                        ExploreFile.archive_id == row.id,
                        Version.state == VersionState.PUBLISHED,
                    )
                    .order_by(ExploreFile.version_id)
                )
            ]
        return body

    def close(self) -> None:
        with self._lock:
            for source in self._sources.values():
                source.close()
            self._sources.clear()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    if path.is_dir():  # an unzipped archive: its metadata and database identify it
        for name in ("metadata.json", "db.sqlite3"):
            member = path / name
            if member.is_file():
                with member.open("rb") as handle:
                    while chunk := handle.read(HASH_CHUNK):
                        digest.update(chunk)
        return digest.hexdigest()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


__all__ = ["INDEX_JOB", "ExploreService", "is_aiida_file"]
