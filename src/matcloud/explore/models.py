"""What EXPLORE knows of each AiiDA archive: one row per distinct file content (a file carried
into a new version, or published twice, is indexed once), and which record files it is."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from matcloud.core.db import Base, UTCDateTime, utcnow

#: queued -> indexing -> ready | failed
STATUSES = ("queued", "indexing", "ready", "failed")


class ExploreArchive(Base):
    __tablename__ = "explore_archives"

    #: The first 16 hex digits of the file's sha256: stable, and the same for the same bytes.
    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    #: Where the bytes are: a blob of the ARCHIVE, or a local file (``matcloud explore index``).
    blob_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    source_path: Mapped[str] = mapped_column(String(4000), default="")
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    error: Mapped[str] = mapped_column(Text, default="")
    export_version: Mapped[str] = mapped_column(String(32), default="")
    aiida_version: Mapped[str] = mapped_column(String(64), default="")
    node_count: Mapped[int] = mapped_column(Integer, default=0)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    indexed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ExploreFile(Base):
    """A published record file that is an AiiDA archive."""

    __tablename__ = "explore_files"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    archive_id: Mapped[str] = mapped_column(
        String(16), ForeignKey("explore_archives.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[str] = mapped_column(String(40), index=True)
    key: Mapped[str] = mapped_column(String(255))


__all__ = ["STATUSES", "ExploreArchive", "ExploreFile"]
