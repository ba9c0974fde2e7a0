"""Publication (a version frozen, DOIs reserved and registered), corrections, retraction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from matcloud.archive import search
from matcloud.archive.context import ArchiveContext, get_version, publishable_errors
from matcloud.archive.drafts import open_request
from matcloud.archive.metadata import parse_metadata
from matcloud.archive.models import (
    Record,
    RequestEvent,
    RequestStatus,
    Version,
    VersionState,
)
from matcloud.archive.pids import REGISTERED, TOMBSTONE
from matcloud.archive.registration import Registrar
from matcloud.archive.search_docs import search_doc
from matcloud.archive.serialize import version_json
from matcloud.core.auth import Identity, require_role
from matcloud.core.db import UnitOfWork, utcnow
from matcloud.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from matcloud.core.models import Role


class Publisher:
    def __init__(self, ctx: ArchiveContext, registrar: Registrar) -> None:
        self.ctx = ctx
        self.registrar = registrar
        #: Other sections' reactions to a publication, run inside its transaction (EXPLORE
        #: registers the AiiDA archives to index); they enqueue work, they don't do it.
        self.published_hooks: list[Callable[[UnitOfWork, Version], None]] = []
        #: ... and to a retraction, for each version it removes (OPTIMADE hides its structures).
        self.retracted_hooks: list[Callable[[UnitOfWork, Version], None]] = []

    def publish(self, identity: Identity, version_id: str) -> dict[str, Any]:
        """Moderators publish directly (accepting a review request also lands here)."""
        require_role(identity, Role.MODERATOR)
        with self.ctx.db.unit_of_work() as uow:
            version = get_version(uow.session, version_id)
            self.publish_in(uow, identity, version)
            return version_json(self.ctx, version)

    def publish_in(self, uow: UnitOfWork, identity: Identity, version: Version) -> None:
        if version.state not in (VersionState.DRAFT, VersionState.IN_REVIEW):
            raise Conflict(f"{version.id} is {version.state.value}; only drafts are published.")
        errors = publishable_errors(version)
        if errors:
            raise ValidationFailed(f"{version.id} cannot be published yet.", errors)
        session, record, now = uow.session, version.record, utcnow()
        metadata = dict(version.metadata_json)
        metadata.setdefault("publication_date", now.date().isoformat())
        metadata.setdefault("publisher", self.ctx.settings.site_name)
        version.metadata_json = parse_metadata(metadata)
        version.doi = self.ctx.pids.mint(version.id)
        self.registrar.reserve(session, version.doi, "version", version.id)
        if record.concept_doi is None:
            record.concept_doi = self.ctx.pids.mint(record.id)
            self.registrar.reserve(session, record.concept_doi, "concept", record.id)
        version.state = VersionState.PUBLISHED
        version.published_at = version.updated_at = now
        latest = session.get(Version, record.latest_version_id or "")
        if latest is None or latest.index < version.index:
            record.latest_version_id = version.id
        request = open_request(session, version.id)
        if request is not None:
            request.status, request.closed_at, request.updated_at = (
                RequestStatus.ACCEPTED,
                now,
                now,
            )
            session.add(RequestEvent(request=request, type="accepted", actor_id=identity.user_id))
        session.flush()
        self.index(uow, record)
        self.registrar.want(uow, version.doi, REGISTERED, self.ctx.url(f"/records/{version.id}"))
        self._concept_changed(uow, record)
        for hook in self.published_hooks:
            hook(uow, version)

    def apply_correction(self, uow: UnitOfWork, version: Version) -> None:
        if version.pending_metadata is None:
            raise Conflict(f"{version.id} has no pending correction.")
        version.metadata_json = version.pending_metadata
        version.pending_metadata = None
        version.revision += 1
        version.updated_at = utcnow()
        uow.session.flush()
        self.index(uow, version.record)
        if version.doi:
            self.registrar.want(
                uow, version.doi, REGISTERED, self.ctx.url(f"/records/{version.id}")
            )
            if version.record.latest_version_id == version.id:
                self._concept_changed(uow, version.record)

    def _concept_changed(self, uow: UnitOfWork, record: Record) -> None:
        """The concept DOI carries the latest version's metadata and lists every version."""
        if record.concept_doi:
            self.registrar.want(
                uow, record.concept_doi, REGISTERED, self.ctx.url(f"/records/{record.id}")
            )

    def index(self, uow: UnitOfWork, record: Record) -> None:
        """Keep the search index on the record's latest visible version (or drop it)."""
        latest = uow.session.get(Version, record.latest_version_id or "")
        if latest is None or latest.state != VersionState.PUBLISHED:
            search.delete(uow.session, record.id)
        else:
            search.upsert(uow.session, search_doc(latest))

    def retract(self, identity: Identity, target_id: str, reason: str) -> dict[str, Any]:
        """Remove a record (``2026.17``: every version) or one version; DOIs keep resolving to
        the tombstone."""
        require_role(identity, Role.MODERATOR)
        reason = reason.strip()
        if len(reason) < 5:
            raise ValidationFailed(
                "Say why.", [FieldError("reason", "is required (shown on the tombstone)")]
            )
        with self.ctx.db.unit_of_work() as uow:
            session, now = uow.session, utcnow()
            record = session.get(Record, target_id.split("v")[0])
            if record is None:
                raise NotFound(f"There is no record {target_id}.")
            targets = [
                v
                for v in record.versions
                if v.state == VersionState.PUBLISHED
                and (v.id == target_id or record.id == target_id)
            ]
            if not targets:
                raise Conflict(f"{target_id} has no published version to remove.")
            for version in targets:
                version.state, version.retracted_at, version.updated_at = (
                    VersionState.RETRACTED,
                    now,
                    now,
                )
                if version.doi:
                    url = self.ctx.url(f"/records/{version.id}")
                    self.registrar.want(uow, version.doi, TOMBSTONE, url)
            record.retraction_reason = reason
            remaining = [v for v in record.versions if v.state == VersionState.PUBLISHED]
            record.latest_version_id = remaining[-1].id if remaining else record.latest_version_id
            session.flush()
            if not remaining:
                record.retracted_at = now
                if record.concept_doi:
                    url = self.ctx.url(f"/records/{record.id}")
                    self.registrar.want(uow, record.concept_doi, TOMBSTONE, url)
            else:
                self._concept_changed(uow, record)
            self.index(uow, record)
            for version in targets:
                for hook in self.retracted_hooks:
                    hook(uow, version)
            return {"id": target_id, "retracted": [v.id for v in targets], "reason": reason}


__all__ = ["Publisher", "publishable_errors"]
