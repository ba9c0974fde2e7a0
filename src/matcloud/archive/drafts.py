"""Drafts: create, edit, delete, start a new version, open a correction of published metadata."""

from __future__ import annotations

import copy
import functools
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from matcloud.archive.context import (
    COLLECT_BLOB_JOB,
    COLLECT_DELAY_SECONDS,
    ArchiveContext,
    get_version,
    owned_draft,
    readable_version,
)
from matcloud.archive.metadata import correction_errors, parse_metadata
from matcloud.archive.models import (
    File,
    FileStatus,
    IdCounter,
    Record,
    RequestStatus,
    ReviewRequest,
    Version,
    VersionState,
)
from matcloud.archive.serialize import version_json
from matcloud.core.auth import Identity, require_authenticated
from matcloud.core.db import utcnow
from matcloud.core.errors import Conflict, FieldError, NotFound, ValidationFailed


def open_request(session: Session, version_id: str) -> ReviewRequest | None:
    return session.scalar(
        select(ReviewRequest)
        .where(
            ReviewRequest.version_id == version_id,
            ReviewRequest.status.in_([RequestStatus.SUBMITTED, RequestStatus.CHANGES_REQUESTED]),
        )
        .order_by(ReviewRequest.created_at.desc())
    )


def _metadata_of(data: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValidationFailed("Send a JSON object.", [FieldError("", "must be a JSON object")])
    unknown = set(data) - {"metadata", "files", "access", "pids", "custom_fields"}
    if unknown:
        raise ValidationFailed(
            "The draft is not valid.", [FieldError(k, "is not a known field") for k in unknown]
        )
    return parse_metadata(data.get("metadata", {}))


def next_record_id(session: Session, year: int) -> str:
    """``<year>.<n>``: the counter row is locked (PostgreSQL) or the write lock held (SQLite)."""
    counter = session.scalar(select(IdCounter).where(IdCounter.year == year).with_for_update())
    if counter is None:
        counter = IdCounter(year=year, next_number=1)
        session.add(counter)
    number = counter.next_number
    counter.next_number = number + 1
    session.flush()
    return f"{year}.{number}"


class DraftService:
    def __init__(self, ctx: ArchiveContext) -> None:
        self.ctx = ctx

    def create(
        self, identity: Identity, data: dict[str, Any], *, is_demo: bool = False
    ) -> dict[str, Any]:
        require_authenticated(identity)
        assert identity.user_id is not None
        metadata = _metadata_of(data)
        with self.ctx.db.unit_of_work() as uow:
            record_id = next_record_id(uow.session, utcnow().year)
            record = Record(id=record_id, owner_id=identity.user_id, is_demo=is_demo)
            version = Version(id=f"{record_id}v1", record=record, index=1, metadata_json=metadata)
            uow.session.add_all([record, version])
            uow.session.flush()
            return version_json(self.ctx, version, include_errors=True)

    def get(self, identity: Identity, version_id: str) -> dict[str, Any]:
        with self.ctx.db.read() as session:
            version = readable_version(session, identity, version_id)
            if version.state == VersionState.PUBLISHED and version.pending_metadata is None:
                if version.record.owner_id != identity.user_id:
                    raise NotFound(f"There is no draft {version_id}.")
            return version_json(
                self.ctx,
                version,
                request=open_request(session, version_id),
                include_errors=True,
            )

    def update(self, identity: Identity, version_id: str, data: dict[str, Any]) -> dict[str, Any]:
        metadata = _metadata_of(data)
        with self.ctx.db.unit_of_work() as uow:
            version = get_version(uow.session, version_id)
            if version.state == VersionState.PUBLISHED:
                self._update_correction(identity, version, metadata)
            else:
                version = owned_draft(uow.session, identity, version_id)
                version.metadata_json = metadata
            version.updated_at = utcnow()
            version.revision += 1
            uow.session.flush()
            return version_json(
                self.ctx,
                version,
                request=open_request(uow.session, version_id),
                include_errors=True,
            )

    def _update_correction(
        self, identity: Identity, version: Version, metadata: dict[str, Any]
    ) -> None:
        if version.record.owner_id != identity.user_id or version.pending_metadata is None:
            raise Conflict(
                f"{version.id} is published. To correct its metadata, first open a correction "
                f"(POST /api/records/{version.id}/draft)."
            )
        request = open_request_for(version)
        if request is not None and request.status == RequestStatus.SUBMITTED:
            raise Conflict("The correction is being reviewed; cancel the request to change it.")
        errors = correction_errors(version.metadata_json, metadata)
        if errors:
            raise ValidationFailed("This change needs a new version.", errors)
        version.pending_metadata = metadata

    def edit_published(self, identity: Identity, version_id: str) -> dict[str, Any]:
        """Open a correction of a published version's metadata (InvenioRDM's edit)."""
        require_authenticated(identity)
        with self.ctx.db.unit_of_work() as uow:
            version = get_version(uow.session, version_id)
            if version.state != VersionState.PUBLISHED:
                if version.record.owner_id == identity.user_id:
                    return version_json(self.ctx, version, include_errors=True)
                raise NotFound(f"There is no record {version_id}.")
            if version.record.owner_id != identity.user_id:
                raise NotFound(f"There is no draft {version_id}.")
            if version.pending_metadata is None:
                version.pending_metadata = copy.deepcopy(version.metadata_json)
            return version_json(self.ctx, version, include_errors=True)

    def delete(self, identity: Identity, version_id: str) -> None:
        """Discard a draft (or a pending correction). Published versions are never deleted."""
        require_authenticated(identity)
        with self.ctx.db.unit_of_work() as uow:
            version = get_version(uow.session, version_id)
            if version.record.owner_id != identity.user_id:
                raise NotFound(f"There is no draft {version_id}.")
            if version.state == VersionState.PUBLISHED:
                if version.pending_metadata is None:
                    raise Conflict(f"{version_id} is published and cannot be deleted.")
                request = open_request(uow.session, version_id)
                if request is not None:
                    raise Conflict("Cancel the open correction request first.")
                version.pending_metadata = None
                return
            version = owned_draft(uow.session, identity, version_id)
            blobs = [f.blob_id for f in version.files if f.blob_id]
            stages = [f.stage_id for f in version.files if f.is_multipart]
            for request in uow.session.scalars(
                select(ReviewRequest).where(ReviewRequest.version_id == version_id)
            ):
                for event in request.events:
                    uow.session.delete(event)
                uow.session.delete(request)
            record = version.record
            uow.session.delete(version)
            uow.session.flush()
            if not record.versions or all(v.id == version_id for v in record.versions):
                uow.session.delete(record)
            for blob_id in set(blobs):
                self.ctx.jobs.enqueue_after_commit(
                    uow, COLLECT_BLOB_JOB, blob_id, delay=COLLECT_DELAY_SECONDS
                )
            for stage in stages:
                uow.after_commit(functools.partial(self.ctx.blobs.stage_delete, stage))

    def new_version(self, identity: Identity, record_or_version_id: str) -> dict[str, Any]:
        """A draft copy of the latest version: metadata copied, files carried over by reference.

        If a new-version draft exists already, it is returned (as InvenioRDM does)."""
        require_authenticated(identity)
        with self.ctx.db.unit_of_work() as uow:
            session = uow.session
            record_id = record_or_version_id.split("v")[0]
            record = session.get(Record, record_id)
            if record is None or record.owner_id != identity.user_id:
                raise NotFound(f"There is no record {record_or_version_id} of yours.")
            if record.retracted_at is not None:
                raise Conflict(f"{record_id} has been removed; it gets no new versions.")
            draft = next(
                (
                    v
                    for v in record.versions
                    if v.state != VersionState.PUBLISHED and v.state != VersionState.RETRACTED
                ),
                None,
            )
            if draft is not None:
                return version_json(self.ctx, draft, include_errors=True)
            latest = session.get(Version, record.latest_version_id or "")
            if latest is None:
                raise Conflict(f"{record_id} has no published version to start from.")
            index = max(v.index for v in record.versions) + 1
            metadata = copy.deepcopy(latest.metadata_json)
            metadata.pop("publication_date", None)
            metadata.pop("version", None)
            version = Version(
                id=f"{record_id}v{index}", record=record, index=index, metadata_json=metadata
            )
            session.add(version)
            for file in latest.files:
                version.files.append(
                    File(
                        key=file.key,
                        status=FileStatus.COMPLETED,
                        blob_id=file.blob_id,
                        size=file.size,
                        md5=file.md5,
                        sha256=file.sha256,
                        mimetype=file.mimetype,
                    )
                )
            session.add(version)
            session.flush()
            return version_json(self.ctx, version, include_errors=True)


def open_request_for(version: Version) -> ReviewRequest | None:
    from sqlalchemy.orm import object_session

    session = object_session(version)
    return open_request(session, version.id) if session is not None else None


__all__ = ["DraftService", "next_record_id", "open_request"]
