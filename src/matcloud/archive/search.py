"""Full-text search over published records: SQLite FTS5 embedded, PostgreSQL tsvector at scale.

One row per published concept record in ``archive_search_docs`` (the newest version's metadata),
its facet values in ``archive_search_facets`` (portable facet counts with GROUP BY), and its
tokens in ``archive_search_fts``: an FTS5 virtual table on SQLite, a table of tsvectors with a
GIN index on PostgreSQL. ``archive_search_fts`` is backend-specific, so it is made by the
migration and is not part of the ORM metadata (the schema comparison skips
``archive_search_fts*``).

Tokens are made in Python (:mod:`matcloud.archive.search_query`), never by the database, so both
backends give the same answers. Every function takes the caller's session: the caller owns the
transaction, so a record and its search entry change together.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, QueryableAttribute, Session, mapped_column

from matcloud.archive import search_backend as backend
from matcloud.archive.search_query import FACETS, SearchQuery, Sort
from matcloud.core.db import Base, UTCDateTime

TOP_BUCKETS = 20
_Column = sa.ColumnElement[Any] | QueryableAttribute[Any]
_DATE = re.compile(r"^(\d{4})(-\d{2}(-\d{2})?)?$")


class SearchDocRow(Base):
    """The searchable metadata of one published record (its newest version)."""

    __tablename__ = "archive_search_docs"
    __table_args__ = (
        sa.Index("ix_archive_search_docs_fts_rowid", "fts_rowid", "record_id", "published_at"),
    )

    record_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    version_id: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.Text)
    description: Mapped[str] = mapped_column(sa.Text)
    creators: Mapped[str] = mapped_column(sa.Text)
    keywords: Mapped[list[str]] = mapped_column(sa.JSON)
    identifiers: Mapped[str] = mapped_column(sa.Text)
    licences: Mapped[list[str]] = mapped_column(sa.JSON)
    publication_date: Mapped[str] = mapped_column(sa.String(10))
    year: Mapped[int | None] = mapped_column(index=True)
    has_aiida: Mapped[bool]
    file_types: Mapped[list[str]] = mapped_column(sa.JSON)
    is_demo: Mapped[bool]
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: the record's row in the SQLite FTS5 table (``search_backend.fts_rowid``); its index
    #: maps FTS5 results to record ids and dates without reading the wide rows
    fts_rowid: Mapped[int] = mapped_column(sa.BigInteger)


class SearchFacetRow(Base):
    """One facet value of one record. The primary key (record_id first) serves deletes and
    per-record lookups; the (facet, value, record_id) index serves filters and counts."""

    __tablename__ = "archive_search_facets"
    __table_args__ = (
        sa.Index("ix_archive_search_facets_facet_value", "facet", "value", "record_id"),
    )

    record_id: Mapped[str] = mapped_column(
        sa.String(32),
        sa.ForeignKey("archive_search_docs.record_id", ondelete="CASCADE"),
        primary_key=True,
    )
    facet: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(200), primary_key=True)


@dataclass(frozen=True, kw_only=True)
class SearchDoc:
    """What search knows of a published record. ``creators`` and ``identifiers`` are text;
    creators separated by ``;`` or new lines, identifiers (DOIs, URLs) by white space, so that
    a phrase never spans two of them. ``year`` defaults to that of ``publication_date``
    (``YYYY[-MM[-DD]]``, may be empty); a record without one has no year facet."""

    record_id: str
    version_id: str
    title: str
    published_at: datetime
    publication_date: str = ""
    year: int | None = None
    description: str = ""
    creators: str = ""
    keywords: Sequence[str] = ()
    identifiers: str = ""
    licences: Sequence[str] = ()
    has_aiida: bool = False
    file_types: Sequence[str] = ()
    is_demo: bool = False

    def __post_init__(self) -> None:
        if not 0 < len(self.record_id) <= 32 or not 0 < len(self.version_id) <= 40:
            raise ValueError("record_id is 1-32 characters, version_id 1-40")
        if len(self.publication_date) > 10:
            raise ValueError(f"publication_date {self.publication_date!r} is not YYYY[-MM[-DD]]")
        for name in ("keywords", "licences", "file_types"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        date = _DATE.match(self.publication_date)
        if self.year is None and date:
            object.__setattr__(self, "year", int(date.group(1)))


@dataclass(frozen=True)
class SearchHit:
    record_id: str
    version_id: str
    score: float


class Bucket(NamedTuple):
    key: str
    doc_count: int


@dataclass(frozen=True)
class SearchResult:
    """One page of hits, the total, and per-facet buckets (top 20, by count then key).

    ``parse_errors`` lists how the query was reinterpreted (an unclosed quote, a bracket...),
    and ``notice`` says it in one sentence for the page; both empty for a well-formed query."""

    total: int
    hits: list[SearchHit]
    aggregations: dict[str, list[Bucket]]
    page: int
    size: int
    sort: Sort
    parse_errors: list[str] = field(default_factory=list)
    notice: str | None = None


# -- writing ------------------------------------------------------------------------------------


def _facet_values(doc: SearchDoc) -> dict[str, list[str]]:
    def clean(values: Iterable[str]) -> list[str]:
        return list(dict.fromkeys(v.strip()[:200] for v in values if v.strip()))

    return {
        "keywords": clean(doc.keywords),
        "licence": clean(doc.licences),
        "year": [] if doc.year is None else [str(doc.year)],
        "has_aiida": ["true" if doc.has_aiida else "false"],
        "file_type": clean(doc.file_types),
    }


def _nul_free(text: str) -> str:
    return text.replace("\x00", "")  # PostgreSQL text cannot hold NUL


def upsert(session: Session, doc: SearchDoc) -> None:
    """Index ``doc``, replacing whatever was indexed under its record id."""
    delete(session, doc.record_id)
    row: dict[str, Any] = {
        "record_id": doc.record_id,
        "version_id": doc.version_id,
        "title": _nul_free(doc.title),
        "description": _nul_free(doc.description),
        "creators": _nul_free(doc.creators),
        "keywords": [_nul_free(k) for k in doc.keywords],
        "identifiers": _nul_free(doc.identifiers),
        "licences": [_nul_free(k) for k in doc.licences],
        "publication_date": doc.publication_date,
        "year": doc.year,
        "has_aiida": doc.has_aiida,
        "file_types": [_nul_free(k) for k in doc.file_types],
        "is_demo": doc.is_demo,
        "published_at": doc.published_at,
        "fts_rowid": backend.fts_rowid(doc.record_id),
    }
    session.execute(sa.insert(SearchDocRow), [row])
    facets = [
        {"record_id": doc.record_id, "facet": facet, "value": _nul_free(value)}
        for facet, values in _facet_values(doc).items()
        for value in values
    ]
    session.execute(sa.insert(SearchFacetRow), facets)
    backend.index(
        session,
        doc.record_id,
        {
            "title": [doc.title],
            "creators": re.split(r"[\n;]", doc.creators),
            "keywords": doc.keywords,
            "identifiers": doc.identifiers.split(),
            "description": [doc.description],
        },
    )


def delete(session: Session, record_id: str) -> None:
    """Remove a record from search (retracted, or about to be re-indexed); a no-op if absent."""
    backend.unindex(session, record_id)
    session.execute(sa.delete(SearchFacetRow).where(SearchFacetRow.record_id == record_id))
    session.execute(sa.delete(SearchDocRow).where(SearchDocRow.record_id == record_id))


def count(session: Session) -> int:
    """How many records are searchable."""
    return session.scalar(sa.select(sa.func.count()).select_from(SearchDocRow)) or 0


# -- searching ----------------------------------------------------------------------------------


def _in_facet(facet: str, values: Sequence[str]) -> sa.Select[Any]:
    return sa.select(SearchFacetRow.record_id).where(
        SearchFacetRow.facet == facet, SearchFacetRow.value.in_(values)
    )


def _ids(
    matches: sa.CTE | None, filters: dict[str, list[str]]
) -> sa.CompoundSelect[Any] | sa.Select[Any] | None:
    """The record ids matching the text and ``filters``; ``None`` when that is every record."""
    sources: list[sa.Select[Any]] = []
    if matches is not None:
        sources.append(sa.select(matches.c.record_id))
    sources += [_in_facet(facet, values) for facet, values in filters.items()]
    if len(sources) > 1:
        return sa.intersect(*sources)
    return sources[0] if sources else None


def _order(
    sort: Sort,
    score: _Column,
    published_at: _Column,
    record_id: _Column,
    title: _Column | None = None,
) -> list[Any]:
    """The sort order, ties broken by newest then record id, so pages never overlap."""
    tail = [published_at.desc(), record_id]
    if sort == "relevance":
        return [score.desc(), *tail]
    if sort == "oldest":
        return [published_at, record_id]
    if sort == "title" and title is not None:
        return [title, *tail]
    return tail


def _page(
    session: Session, query: SearchQuery, sort: Sort, matches: sa.CTE | None
) -> list[SearchHit]:
    """The hits of the requested page. With a text query (unless sorted by title) the page is
    chosen from the matched set alone, whose dates come from an index, and only its own rows
    are read: joining thousands of matches to the wide docs rows before sorting costs double."""
    doc = SearchDocRow
    offset = (query.page - 1) * query.size
    if matches is None or sort == "title":
        score: sa.ColumnElement[Any] = (
            sa.literal(0.0, sa.Float) if matches is None else matches.c.score
        )
        stmt = sa.select(doc.record_id, doc.version_id, score)
        if matches is not None:
            stmt = stmt.join(matches, matches.c.record_id == doc.record_id)
        for facet, values in query.filters.items():
            stmt = stmt.where(doc.record_id.in_(_in_facet(facet, values)))
        title = backend.code_point_order(sa.func.lower(doc.title), session)
        order = _order(sort, score, doc.published_at, doc.record_id, title)
        stmt = stmt.order_by(*order).limit(query.size).offset(offset)
    else:
        m = matches.c
        chosen = sa.select(m.record_id, m.published_at, m.score)
        for facet, values in query.filters.items():
            chosen = chosen.where(m.record_id.in_(_in_facet(facet, values)))
        order = _order(sort, m.score, m.published_at, m.record_id)
        c = chosen.order_by(*order).limit(query.size).offset(offset).subquery().c
        stmt = (
            sa.select(c.record_id, doc.version_id, c.score)
            .join(doc, doc.record_id == c.record_id)
            .order_by(*_order(sort, c.score, c.published_at, c.record_id))
        )
    return [SearchHit(r, v, float(s or 0.0)) for r, v, s in session.execute(stmt)]


def _aggregate(
    session: Session, facets: Sequence[str], ids: sa.Select[Any] | sa.CompoundSelect[Any] | None
) -> dict[str, list[Bucket]]:
    """Top buckets of ``facets`` over ``ids``, ranked in SQL (a keyword facet has thousands).
    Every facet is counted and the unwanted dropped here: a ``facet IN`` test in SQL leads
    SQLite to scan the whole (facet, value) index instead of looking up the matched records
    (3x slower for a thousand matches)."""
    f = SearchFacetRow
    n = sa.func.count().label("n")
    grouped = sa.select(f.facet, f.value, n)
    if ids is not None:
        grouped = grouped.where(f.record_id.in_(ids))
    counts = grouped.group_by(f.facet, f.value).subquery()
    rank = sa.func.row_number().over(
        partition_by=counts.c.facet,
        order_by=(counts.c.n.desc(), backend.code_point_order(counts.c.value, session)),
    )
    ranked = sa.select(counts, rank.label("rank")).subquery()
    rows = session.execute(
        sa.select(ranked.c.facet, ranked.c.value, ranked.c.n)
        .where(ranked.c.rank <= TOP_BUCKETS)
        .order_by(ranked.c.facet, ranked.c.rank)
    )
    buckets: dict[str, list[Bucket]] = {facet: [] for facet in facets}
    for facet, value, doc_count in rows:
        if facet in buckets:
            buckets[facet].append(Bucket(value, doc_count))
    return buckets


def search(session: Session, query: SearchQuery) -> SearchResult:
    """One page of records matching ``query``, with the total and the facet buckets.

    A facet's buckets count the records matching the text and every *other* facet's filter,
    so a selected facet still shows its alternatives (the usual faceted search)."""
    parsed = query.parsed
    matches = backend.matches(session, parsed)
    found = backend.matches(session, parsed, scored=False)
    sort = query.effective_sort(parsed)
    doc = SearchDocRow

    ids = _ids(found, query.filters)
    counted = sa.select(doc.record_id) if ids is None else ids
    total = session.scalar(sa.select(sa.func.count()).select_from(counted.subquery()))
    page = _page(session, query, sort, matches)

    unfiltered = [f for f in FACETS if f not in query.filters]
    aggregations = _aggregate(session, unfiltered, ids)
    for facet in query.filters:
        others = {k: v for k, v in query.filters.items() if k != facet}
        aggregations.update(_aggregate(session, [facet], _ids(found, others)))

    errors = list(parsed.errors)
    notice = None
    if errors:
        read_as = parsed.display()
        notice = (
            f"Searched for {read_as}."
            if read_as
            else "Nothing in the query can be searched for; showing every record."
        )
        notice += " " + " ".join(errors)
    return SearchResult(
        total=total or 0,
        hits=page,
        aggregations={facet: aggregations[facet] for facet in FACETS},
        page=query.page,
        size=query.size,
        sort=sort,
        parse_errors=errors,
        notice=notice,
    )


__all__ = [
    "Bucket",
    "SearchDoc",
    "SearchDocRow",
    "SearchFacetRow",
    "SearchHit",
    "SearchQuery",
    "SearchResult",
    "count",
    "delete",
    "search",
    "upsert",
]
