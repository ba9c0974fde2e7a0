"""DOI registration: an outbox of DOIs, synchronised with the provider by a job.

Publishing, correcting and retracting only write rows here (:meth:`Registrar.reserve`,
:meth:`Registrar.want`) inside their own transaction, so they never wait for, or fail because
of, DataCite. After the commit a job (:data:`SYNC_DOI_JOB`) reads what the DOI should say,
builds the metadata from the record's JSON, calls the provider, and records the outcome:
``registered``, or the error with the number of failed attempts. Transient errors are retried
with exponential backoff; after the last attempt, or at once for errors that retrying cannot fix,
the DOI is ``failed`` and listed for moderators, who can retry it.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcloud.archive.context import ArchiveContext
from matcloud.archive.models import Pid, Record, Version, VersionState
from matcloud.archive.pids import RESERVED, PidError, PidSync
from matcloud.archive.serialize import version_json
from matcloud.archive.serializers import datacite, datacite_json
from matcloud.core.auth import Identity, require_role
from matcloud.core.db import UnitOfWork, utcnow
from matcloud.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from matcloud.core.jobs import PermanentJobError
from matcloud.core.models import Role

log = logging.getLogger(__name__)

SYNC_DOI_JOB = "archive.sync_doi"
#: Attempts wait 30 s, 1 min, 2 min, ... about 4 h in all before a DOI is marked failed.
SYNC_RETRIES = 8
SYNC_RETRY_DELAY = 30.0
SYNC_STATES = ("pending", "registered", "failed")
MAX_ERROR_CHARS = 2000


@dataclass(frozen=True)
class _Snapshot:
    request: PidSync
    revision: int


class Registrar:
    def __init__(self, ctx: ArchiveContext) -> None:
        self.ctx = ctx
        ctx.jobs.register(
            SYNC_DOI_JOB, self.sync, retries=SYNC_RETRIES, retry_delay=SYNC_RETRY_DELAY
        )

    # -- inside the caller's transaction ---------------------------------------------------

    def reserve(self, session: Session, doi: str, kind: str, target_id: str) -> Pid:
        pid = session.get(Pid, doi)
        if pid is not None and pid.target_id != target_id:
            raise Conflict(f"DOI {doi} belongs to {pid.target_id} already.")
        if pid is None:
            pid = Pid(doi=doi, kind=kind, target_id=target_id, status=RESERVED, url="")
            session.add(pid)
            session.flush()
        return pid

    def want(self, uow: UnitOfWork, doi: str, status: str, url: str) -> None:
        """The DOI should now say ``status`` and point at ``url`` (metadata: the record's)."""
        pid = uow.session.get(Pid, doi, with_for_update=True)
        if pid is None:
            raise Conflict(f"DOI {doi} was never reserved.")
        pid.status, pid.url = status, url
        pid.revision = (pid.revision or 0) + 1
        pid.sync_state, pid.sync_attempts, pid.updated_at = "pending", 0, utcnow()
        self.ctx.jobs.enqueue_after_commit(uow, SYNC_DOI_JOB, doi)

    # -- the job ---------------------------------------------------------------------------

    def sync(self, doi: str) -> None:
        """Bring the registry up to the DOI's latest revision (the job)."""
        with self.ctx.db.read() as session:
            snapshot = self._snapshot(session, doi)
        if snapshot is None:
            return
        request = snapshot.request
        try:
            self.ctx.pids.sync(request)
        except PidError as error:
            if self._record_failure(doi, request, str(error), permanent=error.permanent):
                log.warning("DOI %s is not registered: %s", doi, error)
            if error.permanent:
                raise PermanentJobError(str(error)) from error
            raise
        except Exception as error:  # a bug or an unexpected answer: recorded, then retried
            self._record_failure(doi, request, f"{type(error).__name__}: {error}")
            raise
        self._record_success(doi, request, snapshot.revision)

    def _snapshot(self, session: Session, doi: str) -> _Snapshot | None:
        pid = session.get(Pid, doi)
        if pid is None or pid.synced_revision >= pid.revision:
            return None  # gone, or a later job got there first
        record = self._payload(session, pid)
        attributes = datacite_json.attributes(record) if record is not None else {}
        xml = datacite.serialize(record) if record is not None else ""
        request = PidSync(
            doi=pid.doi,
            status=pid.status,
            url=pid.url,
            remote_state=pid.remote_state,
            attributes=attributes,
            xml=xml,
        )
        return _Snapshot(request, pid.revision)

    def _payload(self, session: Session, pid: Pid) -> dict[str, Any] | None:
        """The record JSON whose metadata the DOI carries (a concept DOI: its latest version)."""
        if pid.kind == "version":
            version = session.get(Version, pid.target_id)
            return version_json(self.ctx, version) if version is not None else None
        record = session.get(Record, pid.target_id)
        if record is None:
            return None
        versions = [v for v in record.versions if v.state != VersionState.DRAFT and v.doi]
        published = [v for v in versions if v.state == VersionState.PUBLISHED]
        if not versions:
            return None
        body = version_json(self.ctx, (published or versions)[-1])
        body["pids"] = {"doi": {"identifier": pid.doi, "provider": self.ctx.pids.name}}
        body["links"] = {**body["links"], "self_html": self.ctx.url(f"/records/{record.id}")}
        body["versions"] = {"index": None, "is_latest": True}
        related = list(body["metadata"].get("related_identifiers") or [])
        related += [
            {"identifier": v.doi, "scheme": "doi", "relation_type": {"id": "hasversion"}}
            for v in published
        ]
        body["metadata"] = {**body["metadata"], "related_identifiers": related}
        return body

    def _record_failure(
        self, doi: str, request: PidSync, error: str, *, permanent: bool = False
    ) -> bool:
        """Note the failed attempt; ``True`` if no automatic attempt follows."""
        with self.ctx.db.unit_of_work() as uow:
            pid = uow.session.get(Pid, doi, with_for_update=True)
            if pid is None:
                return True
            pid.remote_state = request.remote_state
            pid.sync_attempts = (pid.sync_attempts or 0) + 1
            pid.sync_error = error[:MAX_ERROR_CHARS]
            final = permanent or pid.sync_attempts > SYNC_RETRIES
            pid.sync_state = "failed" if final else "pending"
            return final

    def _record_success(self, doi: str, request: PidSync, revision: int) -> None:
        with self.ctx.db.unit_of_work() as uow:
            pid = uow.session.get(Pid, doi, with_for_update=True)
            if pid is None:
                return
            pid.remote_state = request.remote_state
            if pid.revision != revision:
                # Changed while we talked to the registry: another job is queued for the newer
                # revision, but this one may have landed after it, so make sure one follows.
                self.ctx.jobs.enqueue_after_commit(uow, SYNC_DOI_JOB, doi)
                return
            pid.synced_revision = revision
            pid.sync_state, pid.sync_error, pid.sync_attempts = "registered", "", 0
            pid.synced_at = utcnow()

    # -- what moderators see and do --------------------------------------------------------

    def list(
        self, identity: Identity, state: str | None = None, page: int = 1, size: int = 25
    ) -> dict[str, Any]:
        require_role(identity, Role.MODERATOR)
        if state is not None and state not in SYNC_STATES:
            raise ValidationFailed(
                f"There is no registration state {state!r}.",
                [FieldError("state", f"one of {', '.join(SYNC_STATES)}")],
            )
        if page < 1 or not 1 <= size <= 100:
            raise ValidationFailed(
                "Bad page.", [FieldError("page", "page >= 1 and 1 <= size <= 100")]
            )
        with self.ctx.db.read() as session:
            query = select(Pid)
            if state is not None:
                query = query.where(Pid.sync_state == state)
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.scalars(
                query.order_by(Pid.updated_at.desc(), Pid.doi).offset((page - 1) * size).limit(size)
            ).all()
            counts: dict[str, int] = {
                state: count
                for state, count in session.execute(
                    select(Pid.sync_state, func.count()).group_by(Pid.sync_state)
                )
            }
            return {
                "hits": {"total": total, "hits": [self._json(pid) for pid in rows]},
                "counts": {name: counts.get(name, 0) for name in SYNC_STATES},
                "page": page,
                "pages": max(1, math.ceil(total / size)),
                "provider": self.ctx.pids.name,
            }

    def get(self, identity: Identity, doi: str) -> dict[str, Any]:
        """One DOI's registration; moderators only (errors may quote the registry)."""
        require_role(identity, Role.MODERATOR)
        with self.ctx.db.read() as session:
            pid = session.get(Pid, doi)
            if pid is None:
                raise NotFound(f"There is no DOI {doi} here.")
            return self._json(pid)

    def retry(self, identity: Identity, doi: str) -> dict[str, Any]:
        require_role(identity, Role.MODERATOR)
        with self.ctx.db.unit_of_work() as uow:
            pid = uow.session.get(Pid, doi, with_for_update=True)
            if pid is None:
                raise NotFound(f"There is no DOI {doi} here.")
            if pid.sync_state == "registered":
                raise Conflict(f"{doi} is registered already; there is nothing to retry.")
            pid.sync_state, pid.sync_attempts = "pending", 0
            self.ctx.jobs.enqueue_after_commit(uow, SYNC_DOI_JOB, doi)
            uow.session.flush()
            return self._json(pid)

    def _json(self, pid: Pid) -> dict[str, Any]:
        target = pid.target_id
        return {
            "doi": pid.doi,
            "kind": pid.kind,
            "target": target,
            "status": pid.status,
            "url": pid.url,
            "state": pid.sync_state,
            "remote_state": pid.remote_state,
            "error": pid.sync_error or None,
            "attempts": pid.sync_attempts,
            "max_attempts": SYNC_RETRIES + 1,
            "updated": pid.updated_at.isoformat(),
            "synced": pid.synced_at.isoformat() if pid.synced_at else None,
            "provider": self.ctx.pids.name,
            "links": {
                "self": self.ctx.url(f"/api/dois/{pid.doi}"),
                "retry": self.ctx.url(f"/api/dois/{pid.doi}/actions/retry"),
                "record_html": self.ctx.url(f"/records/{target}"),
            },
        }


__all__ = ["SYNC_DOI_JOB", "SYNC_RETRIES", "SYNC_STATES", "Registrar"]
