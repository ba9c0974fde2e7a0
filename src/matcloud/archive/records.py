"""The reading side: records and versions, search, a user's uploads, downloads, DOI lookup."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcloud.archive import search
from matcloud.archive.context import ArchiveContext, is_moderator, readable_version, tombstone_of
from matcloud.archive.downloads import DownloadGrant, DownloadSigner
from matcloud.archive.drafts import open_request
from matcloud.archive.models import FileStatus, Pid, Record, Version, VersionState
from matcloud.archive.serialize import version_json
from matcloud.archive.zipstream import ZipEntry
from matcloud.core.auth import Identity, require_authenticated, require_role
from matcloud.core.errors import FieldError, Gone, NotFound, ValidationFailed
from matcloud.core.models import Role


@dataclass(frozen=True)
class Download:
    """A file a route may serve now (the grant was checked against the current state)."""

    blob_id: str
    size: int
    sha256: str
    filename: str
    mimetype: str
    version_id: str


class RecordService:
    def __init__(self, ctx: ArchiveContext) -> None:
        self.ctx = ctx
        self.signer = DownloadSigner(ctx.settings.load_secret_key())

    # -- records ----------------------------------------------------------------------------

    def resolve_id(self, session: Session, identity: Identity, record_id: str) -> Version:
        """``2026.17`` is the latest published version; ``2026.17v2`` that version."""
        if "v" in record_id:
            return readable_version(session, identity, record_id)
        record = session.get(Record, record_id)
        if record is None:
            raise NotFound(f"There is no record {record_id}.")
        latest = session.get(Version, record.latest_version_id or "")
        if latest is None:
            drafts = [v for v in record.versions if v.state != VersionState.RETRACTED]
            if drafts and (identity.user_id == record.owner_id or is_moderator(identity)):
                return drafts[-1]
            if record.retracted_at is not None and record.versions:
                raise Gone(
                    f"Record {record_id} has been removed.", tombstone_of(record.versions[-1])
                )
            raise NotFound(f"There is no record {record_id}.")
        return readable_version(session, identity, latest.id)

    def get(self, identity: Identity, record_id: str) -> dict[str, Any]:
        with self.ctx.db.read() as session:
            version = self.resolve_id(session, identity, record_id)
            return version_json(self.ctx, version, request=open_request(session, version.id))

    def versions(self, identity: Identity, record_id: str) -> dict[str, Any]:
        with self.ctx.db.read() as session:
            record = session.get(Record, record_id.split("v")[0])
            if record is None:
                raise NotFound(f"There is no record {record_id}.")
            visible = [
                v
                for v in record.versions
                if v.state in (VersionState.PUBLISHED, VersionState.RETRACTED)
                or identity.user_id == record.owner_id
                or is_moderator(identity)
            ]
            if not visible:
                raise NotFound(f"There is no record {record_id}.")
            hits = []
            for v in reversed(visible):
                if v.state == VersionState.RETRACTED:
                    hits.append(
                        {
                            "id": v.id,
                            "status": "retracted",
                            "versions": {"index": v.index},
                            "removal_date": tombstone_of(v)["removal_date"],
                        }
                    )
                else:
                    hits.append(version_json(self.ctx, v))
            return {"hits": {"total": len(hits), "hits": hits}}

    def user_records(self, identity: Identity, *, page: int = 1, size: int = 25) -> dict[str, Any]:
        """The signed-in user's drafts and records, newest change first ("my uploads")."""
        require_authenticated(identity)
        size = max(1, min(size, 100))
        with self.ctx.db.read() as session:
            query = (
                select(Version)
                .join(Record, Record.id == Version.record_id)
                .where(Record.owner_id == identity.user_id)
            )
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.scalars(
                query.order_by(Version.updated_at.desc(), Version.id.desc())
                .offset((max(page, 1) - 1) * size)
                .limit(size)
            ).all()
            return {
                "hits": {
                    "total": total,
                    "hits": [
                        version_json(
                            self.ctx, v, request=open_request(session, v.id), include_errors=True
                        )
                        for v in rows
                    ],
                }
            }

    def search(
        self,
        identity: Identity,
        *,
        q: str = "",
        sort: str | None = None,
        page: int = 1,
        size: int = 10,
        filters: dict[str, list[str]] | None = None,
    ) -> dict[str, Any]:
        query = search.SearchQuery.from_params(q, sort, page, size, filters or {})
        with self.ctx.db.read() as session:
            result = search.search(session, query)
            versions = {
                v.id: v
                for v in session.scalars(
                    select(Version).where(Version.id.in_([h.version_id for h in result.hits]))
                )
            }
            hits = [
                version_json(self.ctx, versions[h.version_id])
                for h in result.hits
                if h.version_id in versions
            ]
        body: dict[str, Any] = {
            "hits": {"total": result.total, "hits": hits},
            "aggregations": {
                facet: {"buckets": [{"key": k, "doc_count": n} for k, n in buckets]}
                for facet, buckets in result.aggregations.items()
            },
            "sortBy": result.sort,
            "page": query.page,
            "size": query.size,
            "q": query.q,
        }
        if result.notice:
            body["notice"] = result.notice
        return body

    def resolve_doi(self, doi: str) -> dict[str, Any]:
        """Where a DOI minted here points (the embedded resolver at ``/doi/<doi>``)."""
        with self.ctx.db.read() as session:
            pid = session.get(Pid, doi)
            if pid is None or pid.status == "reserved":
                raise NotFound(f"The DOI {doi} is not registered here.")
            return {"doi": pid.doi, "status": pid.status, "target": pid.target_id, "url": pid.url}

    # -- moderators -------------------------------------------------------------------------

    def set_quota(
        self, identity: Identity, record_id: str, *, bytes_: int | None, files: int | None
    ) -> dict[str, Any]:
        """A moderator's override of the size and file-count limits for one record."""
        require_role(identity, Role.MODERATOR)
        errors = []
        if bytes_ is not None and bytes_ <= 0:
            errors.append(FieldError("quota_bytes", "must be positive"))
        if files is not None and files <= 0:
            errors.append(FieldError("quota_files", "must be positive"))
        if errors:
            raise ValidationFailed("Bad quota.", errors)
        with self.ctx.db.unit_of_work() as uow:
            record = uow.session.get(Record, record_id.split("v")[0])
            if record is None:
                raise NotFound(f"There is no record {record_id}.")
            record.quota_bytes, record.quota_files = bytes_, files
            return {"id": record.id, "quota_bytes": bytes_, "quota_files": files}

    # -- downloads --------------------------------------------------------------------------

    def download_url(self, identity: Identity, record_id: str, key: str) -> str:
        """A short-lived signed URL (``/dl/<token>``) for one file the identity may read."""
        with self.ctx.db.read() as session:
            version = self.resolve_id(session, identity, record_id)
            file = next((f for f in version.files if f.key == key), None)
            if file is None or file.status != FileStatus.COMPLETED or file.blob_id is None:
                raise NotFound(f"{version.id} has no file {key!r}.")
            token = self.signer.issue(
                version_id=version.id, key=key, blob_id=file.blob_id, size=file.size or 0
            )
        return f"/dl/{token}"

    def redeem(self, token: str) -> Download:
        """What ``/dl/<token>`` serves: the grant must still match a readable file."""
        grant: DownloadGrant = self.signer.verify(token)
        with self.ctx.db.read() as session:
            version = session.get(Version, grant.version_id)
            if version is None:
                raise NotFound("This download link is invalid.")
            if version.state == VersionState.RETRACTED:
                raise Gone(
                    f"Record {version.id} has been removed; its files are unavailable.",
                    tombstone_of(version),
                )
            file = next((f for f in version.files if f.key == grant.key), None)
            if file is None or file.blob_id != grant.blob_id or file.sha256 is None:
                raise NotFound("This download link is invalid.")
            return Download(
                file.blob_id, file.size or 0, file.sha256, file.key, file.mimetype, version.id
            )

    def zip_entries(self, identity: Identity, record_id: str) -> tuple[str, list[ZipEntry]]:
        """The files of a version as zip entries streamed from the blob store."""
        with self.ctx.db.read() as session:
            version = self.resolve_id(session, identity, record_id)
            files = [
                (f.key, f.blob_id, f.size or 0, f.updated_at)
                for f in version.files
                if f.status == FileStatus.COMPLETED and f.blob_id
            ]
            name = version.id
        if not files:
            raise NotFound(f"{name} has no files.")
        blobs = self.ctx.blobs

        def chunks(blob_id: str) -> Iterator[bytes]:
            return blobs.iter_range(blob_id)

        return name, [
            ZipEntry(key, size, (lambda b=blob_id: chunks(b)), modified)  # type: ignore[misc]
            for key, blob_id, size, modified in files
        ]


__all__ = ["Download", "RecordService"]


def archive_stats(ctx: ArchiveContext) -> list[tuple[str, int, str | None]]:
    """Live counts for the home page: published records, their files and bytes."""
    from matcloud.archive.models import File

    with ctx.db.read() as session:
        published = (
            select(Version.id)
            .join(Record, Record.id == Version.record_id)
            .where(Record.latest_version_id == Version.id, Version.state == VersionState.PUBLISHED)
        )
        records = session.scalar(select(func.count()).select_from(published.subquery())) or 0
        files, size = session.execute(
            select(func.count(File.id), func.coalesce(func.sum(File.size), 0)).where(
                File.version_id.in_(published)
            )
        ).one()
    return [
        ("records", records, "/records"),
        ("files", int(files or 0), None),
        ("MB of data", int((size or 0) // 1_000_000), None),
    ]


SITEMAP_LIMIT = 50_000  # URLs per sitemap file (the sitemaps.org limit)


def sitemap_page(ctx: ArchiveContext, page: int) -> tuple[int, list[tuple[str, str]]]:
    """Page ``page`` (1-based) of the landing pages of published versions, with their last
    change, and how many pages there are (a sitemap index lists them when there are several)."""
    with ctx.db.read() as session:
        total = (
            session.scalar(
                select(func.count(Version.id)).where(Version.state == VersionState.PUBLISHED)
            )
            or 0
        )
        rows = session.execute(
            select(Version.id, Version.record_id, Version.updated_at, Record.latest_version_id)
            .join(Record, Record.id == Version.record_id)
            .where(Version.state == VersionState.PUBLISHED)
            .order_by(Version.published_at, Version.id)
            .offset((page - 1) * SITEMAP_LIMIT)
            .limit(SITEMAP_LIMIT)
        ).all()
    entries = []
    for version_id, record_id, updated, latest in rows:
        stamp = updated.date().isoformat()
        if version_id == latest:
            entries.append((f"/records/{record_id}", stamp))
        entries.append((f"/records/{version_id}", stamp))
    return max(1, -(-total // SITEMAP_LIMIT)), entries
