"""DISCOVER sections and their rows.

A section is its spec (as written and as parsed), the published versions its rows were read
from, and a build stamp: rebuilding from the same spec and the same versions changes nothing.
Each row keeps its values by column name, and where each value came from (the AiiDA node, for
rows read from an archive) so that every number on the site links to its provenance.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from matcloud.core.db import Base, UTCDateTime, utcnow


class Section(Base):
    __tablename__ = "discover_sections"

    slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The spec as the curator wrote it (YAML), and as checked (JSON).
    spec_text: Mapped[str] = mapped_column(Text)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: The published versions the rows were read from, in the spec's order of sources.
    version_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: sha256 of the spec and the versions: a rebuild with the same stamp changes nothing.
    stamp: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    #: The EXPLORE archive of ``rows.aiida`` (provenance links), when rows come from one.
    archive_id: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    build_seconds: Mapped[float] = mapped_column(default=0.0)


class SectionRow(Base):
    __tablename__ = "discover_rows"
    __table_args__ = (
        UniqueConstraint("section_slug", "key", name="uq_discover_rows_key"),
        Index("ix_discover_rows_position", "section_slug", "position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    section_slug: Mapped[str] = mapped_column(
        String(64), ForeignKey("discover_sections.slug", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer)
    #: The row's name in URLs (``rows.id`` column, the node UUID, or its position).
    key: Mapped[str] = mapped_column(String(255))
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: column -> UUID of the node the value was read from (AiiDA rows only).
    provenance: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


__all__ = ["Section", "SectionRow"]
