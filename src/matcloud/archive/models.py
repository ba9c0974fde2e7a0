"""ARCHIVE tables.

A *record* (concept, id ``2026.17``) holds one or more *versions* (``2026.17v1``, ...). A version
starts as a draft, goes through review, and once published its files and metadata are frozen
(metadata corrections go through review as ``pending_metadata`` and change no DOI). Files point
to blobs in the content-addressed store; a new version reuses its predecessor's blobs by
reference, so nothing is uploaded twice.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matcloud.core.db import Base, UTCDateTime, utcnow


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e])


class VersionState(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"
    RETRACTED = "retracted"


class FileStatus(enum.StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"


class RequestType(enum.StrEnum):
    SUBMISSION = "submission"
    CORRECTION = "metadata-correction"


class RequestStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    CHANGES_REQUESTED = "changes_requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        return self in (RequestStatus.SUBMITTED, RequestStatus.CHANGES_REQUESTED)


class Record(Base):
    """The concept record: what ``2026.17`` and the concept DOI name, across versions."""

    __tablename__ = "archive_records"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    concept_doi: Mapped[str | None] = mapped_column(String(255), unique=True)
    latest_version_id: Mapped[str | None] = mapped_column(String(40))
    quota_bytes: Mapped[int | None] = mapped_column(BigInteger)  # a moderator's override
    quota_files: Mapped[int | None] = mapped_column(Integer)
    is_demo: Mapped[bool] = mapped_column(default=False)
    retracted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retraction_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list[Version]] = relationship(
        back_populates="record", order_by="Version.index"
    )


class Version(Base):
    __tablename__ = "archive_versions"
    __table_args__ = (
        UniqueConstraint("record_id", "index"),
        Index("ix_archive_versions_state_published", "state", "published_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("archive_records.id"), index=True)
    index: Mapped[int] = mapped_column(Integer)
    state: Mapped[VersionState] = mapped_column(
        _enum(VersionState, "archive_version_state"), default=VersionState.DRAFT
    )
    metadata_json: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    pending_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    doi: Mapped[str | None] = mapped_column(String(255), unique=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retracted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    record: Mapped[Record] = relationship(back_populates="versions")
    files: Mapped[list[File]] = relationship(
        back_populates="version", order_by="File.key", cascade="all, delete-orphan"
    )


class File(Base):
    __tablename__ = "archive_files"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[str] = mapped_column(
        ForeignKey("archive_versions.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(255))
    status: Mapped[FileStatus] = mapped_column(
        _enum(FileStatus, "archive_file_status"), default=FileStatus.PENDING
    )
    blob_id: Mapped[str | None] = mapped_column(String(64), index=True)
    size: Mapped[int | None] = mapped_column(BigInteger)  # stored bytes (or declared, pending)
    declared_size: Mapped[int | None] = mapped_column(BigInteger)
    declared_checksum: Mapped[str | None] = mapped_column(String(80))  # "md5:..." / "sha256:..."
    md5: Mapped[str | None] = mapped_column(String(32))
    sha256: Mapped[str | None] = mapped_column(String(64))
    mimetype: Mapped[str] = mapped_column(String(127), default="application/octet-stream")
    parts: Mapped[int | None] = mapped_column(Integer)  # multipart transfer: number of parts
    part_size: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    version: Mapped[Version] = relationship(back_populates="files")
    uploaded_parts: Mapped[list[UploadPart]] = relationship(
        back_populates="file", order_by="UploadPart.number", cascade="all, delete-orphan"
    )

    @property
    def is_multipart(self) -> bool:
        return self.parts is not None

    @property
    def stage_id(self) -> str:
        """The name of this upload's staged file in the blob store."""
        return f"archive-file-{self.id}"


class UploadPart(Base):
    """One received part of a multipart upload. The bytes sit in place in the upload's staged
    file in the blob store (``stage_id``), which the commit hashes and links: no second copy."""

    __tablename__ = "archive_upload_parts"
    __table_args__ = (UniqueConstraint("file_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(
        ForeignKey("archive_files.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    file: Mapped[File] = relationship(back_populates="uploaded_parts")


class ReviewRequest(Base):
    __tablename__ = "archive_requests"
    __table_args__ = (Index("ix_archive_requests_status_updated", "status", "updated_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    version_id: Mapped[str] = mapped_column(ForeignKey("archive_versions.id"), index=True)
    type: Mapped[RequestType] = mapped_column(_enum(RequestType, "archive_request_type"))
    status: Mapped[RequestStatus] = mapped_column(_enum(RequestStatus, "archive_request_status"))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    checklist: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    events: Mapped[list[RequestEvent]] = relationship(
        back_populates="request", order_by="RequestEvent.id"
    )


class RequestEvent(Base):
    """One entry of a request's timeline: submitted, comment, changes requested, accepted..."""

    __tablename__ = "archive_request_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("archive_requests.id"), index=True)
    type: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    content: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    request: Mapped[ReviewRequest] = relationship(back_populates="events")


class Pid(Base):
    """A DOI, what it should say (``status``, ``url``) and whether the registry says it yet.

    The row is the outbox of DOI registration: a publication, correction or retraction changes
    ``status``/``url`` and bumps ``revision`` in its own transaction; a job then brings the
    registry (the embedded resolver, or DataCite) up to that revision and records the outcome
    in the ``sync_*`` columns, which moderators see.
    """

    __tablename__ = "archive_pids"

    doi: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "version" or "concept"
    target_id: Mapped[str] = mapped_column(String(40), index=True)
    status: Mapped[str] = mapped_column(String(16))  # reserved / registered / tombstone
    url: Mapped[str] = mapped_column(String(1000), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Bumped by every change the registry must hear of; ``synced_revision`` is the last heard.
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    synced_revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: pending / registered / failed: what moderators see.
    sync_state: Mapped[str] = mapped_column(
        String(16), default="pending", server_default="pending", index=True
    )
    #: The registry's own state of the DOI (DataCite: draft / registered / findable).
    remote_state: Mapped[str] = mapped_column(String(16), default="", server_default="")
    sync_error: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: Failed attempts since the last success (reset by a moderator's retry).
    sync_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class IdCounter(Base):
    """Next record number per year: record ids are ``<year>.<n>``, short and human."""

    __tablename__ = "archive_id_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    next_number: Mapped[int] = mapped_column(Integer, default=1)


__all__ = [
    "File",
    "FileStatus",
    "IdCounter",
    "Pid",
    "Record",
    "RequestEvent",
    "RequestStatus",
    "RequestType",
    "ReviewRequest",
    "UploadPart",
    "Version",
    "VersionState",
]
