"""Tool inputs kept for shareable result URLs: ``/work/<tool>/results/<id>`` where ``id`` is
the hash of the tool, the format, the options and the input bytes (and the second file's,
for tools that take two). The same input gives the
same URL; an input expires ``work_input_days`` after it was last submitted or viewed (the
result is recomputed from it, never stored)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from matcloud.core.db import Base, UTCDateTime, utcnow


class WorkInput(Base):
    __tablename__ = "work_inputs"

    #: 32 hex digits of sha256(tool, format, options, bytes).
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    tool: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(255), default="")
    fmt: Mapped[str | None] = mapped_column(String(20), nullable=True)
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    size: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    #: The second file of tools that take one (matdyn.modes' pw.x file).
    companion: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    companion_filename: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


__all__ = ["WorkInput"]
