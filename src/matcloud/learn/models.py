"""LEARN lectures: their metadata, their files in the blob store, their slides and timings.

A lecture's files (the video in MP4 and/or WebM, the slides as PDF, optional WebVTT captions)
are blobs; each PDF page is rendered once, at upload, to an image and a thumbnail (blobs too)
with its text, which titles the page's chapter and makes it searchable. The timings say when
each slide appears in the video: a list of ``[start seconds, page index]`` segments, ordered by
start, where a page may appear again (going back) and may never appear (skipped).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from matcloud.core.db import Base, UTCDateTime, utcnow


class Lecture(Base):
    __tablename__ = "learn_lectures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The lecture's name in URLs (``/learn/lectures/<slug>``), made from its date and title.
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    #: ``[{"name": ..., "affiliation": ...}]``
    speakers: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    held_on: Mapped[date] = mapped_column(Date)
    series: Mapped[str] = mapped_column(String(200), default="", index=True)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown, sanitised when shown
    licence: Mapped[str] = mapped_column(String(64))
    duration: Mapped[float] = mapped_column(Float)
    slide_count: Mapped[int] = mapped_column(Integer)
    #: ``[[start seconds, page index], ...]`` ordered by start; the first start is 0.
    timings: Mapped[list[list[float]]] = mapped_column(JSON, default=list)
    #: Where the timings came from: "auto" (found in the video), "file" (a CSV), "edited".
    timings_source: Mapped[str] = mapped_column(String(16))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LectureFile(Base):
    """One of a lecture's files: ``mp4``, ``webm`` (the video), ``pdf`` (the slides), ``vtt``
    (captions)."""

    __tablename__ = "learn_files"
    __table_args__ = (UniqueConstraint("lecture_id", "kind", name="uq_learn_files_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lecture_id: Mapped[int] = mapped_column(ForeignKey("learn_lectures.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    blob_id: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    #: What was learnt of it: the video's codec, size and duration; the PDF's page count.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Slide(Base):
    """A page of the slides: its text (searchable; the first line is its title), its image and
    thumbnail (PNG blobs)."""

    __tablename__ = "learn_slides"
    __table_args__ = (
        UniqueConstraint("lecture_id", "page", name="uq_learn_slides_page"),
        Index("ix_learn_slides_lecture", "lecture_id", "page"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lecture_id: Mapped[int] = mapped_column(ForeignKey("learn_lectures.id", ondelete="CASCADE"))
    page: Mapped[int] = mapped_column(Integer)  # 0-based
    title: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    image_blob: Mapped[str] = mapped_column(String(64))
    image_sha256: Mapped[str] = mapped_column(String(64))
    image_size: Mapped[int] = mapped_column(Integer)
    thumb_blob: Mapped[str] = mapped_column(String(64))
    thumb_sha256: Mapped[str] = mapped_column(String(64))
    thumb_size: Mapped[int] = mapped_column(Integer)


__all__ = ["Lecture", "LectureFile", "Slide"]
