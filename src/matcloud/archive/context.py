"""What every ARCHIVE service needs, and the checks they share (who may see or change what)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcloud.archive.metadata import completeness_errors
from matcloud.archive.models import File, FileStatus, Record, Version, VersionState
from matcloud.archive.pids import PidProvider
from matcloud.core.auth import Identity, require_authenticated
from matcloud.core.db import Database
from matcloud.core.errors import Conflict, FieldError, Gone, NotFound
from matcloud.core.jobs import JobQueue
from matcloud.core.mail import Mailer
from matcloud.core.models import Role
from matcloud.core.storage import BlobStore
from matcloud.settings import Settings

COLLECT_BLOB_JOB = "archive.collect_blob"
#: Unreferenced blobs are deleted this long after they were let go (an upload of the same
#: content may be about to reference them again).
COLLECT_DELAY_SECONDS = 3600


@dataclass
class ArchiveContext:
    settings: Settings
    db: Database
    blobs: BlobStore
    jobs: JobQueue
    mail: Mailer
    pids: PidProvider

    def url(self, path: str) -> str:
        return self.settings.base_url.rstrip("/") + path


def is_moderator(identity: Identity) -> bool:
    return identity.has_role(Role.MODERATOR)


def get_version(session: Session, version_id: str) -> Version:
    version = session.get(Version, version_id)
    if version is None:
        raise NotFound(f"There is no record {version_id}.")
    return version


def readable_version(session: Session, identity: Identity, version_id: str) -> Version:
    """A version this identity may read: published ones for all, drafts for owner/moderators.

    Drafts of others are reported as not found, so their existence does not leak."""
    version = get_version(session, version_id)
    if version.state == VersionState.PUBLISHED:
        return version
    if version.state == VersionState.RETRACTED:
        raise Gone(f"Record {version_id} has been removed.", tombstone_of(version))
    if identity.user_id == version.record.owner_id or is_moderator(identity):
        return version
    raise NotFound(f"There is no record {version_id}.")


def owned_draft(session: Session, identity: Identity, version_id: str) -> Version:
    """A draft its owner may change now (not while a moderator reviews it)."""
    require_authenticated(identity)
    version = get_version(session, version_id)
    if version.record.owner_id != identity.user_id:
        raise NotFound(f"There is no draft {version_id}.")
    if version.state == VersionState.IN_REVIEW:
        raise Conflict(f"{version_id} is being reviewed; cancel the review request to change it.")
    if version.state != VersionState.DRAFT:
        raise Conflict(f"{version_id} is published; its files and metadata are frozen.")
    return version


def tombstone_of(version: Version) -> dict[str, object]:
    record = version.record
    meta = version.metadata_json
    return {
        "id": version.id,
        "record": record.id,
        "title": meta.get("title", ""),
        "creators": [c["person_or_org"].get("name", "") for c in meta.get("creators", [])],
        "doi": version.doi,
        "publication_date": meta.get("publication_date"),
        "removal_date": (version.retracted_at or record.retracted_at or version.updated_at)
        .date()
        .isoformat(),
        "reason": record.retraction_reason or "",
    }


def blob_in_use(session: Session, blob_id: str) -> bool:
    files = session.scalar(select(func.count(File.id)).where(File.blob_id == blob_id))
    return bool(files)


def version_bytes(version: Version, *, excluding: File | None = None) -> int:
    """Bytes the version's files take or have announced (what its limit counts)."""
    total = 0
    for file in version.files:
        if excluding is not None and file.id == excluding.id:
            continue
        if file.status == FileStatus.COMPLETED:
            total += file.size or 0
        else:
            total += max(file.declared_size or 0, file.size or 0)
    return total


def limit_bytes(settings: Settings, version: Version, extra_keys: tuple[str, ...] = ()) -> int:
    """The size limit of a version's files: a moderator's override, else 50 GB when it holds
    an AiiDA archive, else 5 GB (from settings)."""
    if version.record.quota_bytes:
        return version.record.quota_bytes
    keys = [f.key for f in version.files] + list(extra_keys)
    if any(k.lower().endswith(".aiida") for k in keys):
        return settings.max_aiida_record_bytes
    return settings.max_record_bytes


def limit_files(settings: Settings, version: Version) -> int:
    return version.record.quota_files or settings.max_files_per_record


def publishable_errors(version: Version) -> list[FieldError]:
    """Everything that stops a draft from being submitted or published."""
    errors = list(completeness_errors(version.metadata_json))
    if not version.files:
        errors.append(FieldError("files", "a record needs at least one file"))
    errors += [
        FieldError(f"files.{f.key}", "is not committed yet (finish or delete the upload)")
        for f in version.files
        if f.status != FileStatus.COMPLETED
    ]
    return errors


def owner_record(session: Session, record_id: str) -> Record:
    record = session.get(Record, record_id)
    if record is None:
        raise NotFound(f"There is no record {record_id}.")
    return record


__all__ = [
    "COLLECT_BLOB_JOB",
    "COLLECT_DELAY_SECONDS",
    "ArchiveContext",
    "blob_in_use",
    "get_version",
    "is_moderator",
    "limit_bytes",
    "limit_files",
    "owned_draft",
    "owner_record",
    "publishable_errors",
    "readable_version",
    "tombstone_of",
    "version_bytes",
]
