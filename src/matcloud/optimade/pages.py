"""Fetch one page of entries of any entry type: count, rows, and the cursors of its ends.

Works on a SQLAlchemy ``Session`` (structures, in the main database) or a ``Connection``
(references, in their in-memory store) alike. One row more than the page is read to know
whether more follow; ``data_returned`` is an exact ``COUNT(*)`` of the filter, served by the
same indexes as the page; ``data_available`` is the count the database keeps
(:attr:`EntrySchema.total`) where there is one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, RowMapping, select
from sqlalchemy.orm import Session

from matcloud.optimade.driving import driven_count
from matcloud.optimade.lists import Driver
from matcloud.optimade.params import EntryQuery
from matcloud.optimade.query import (
    Key,
    base_select,
    count_select,
    encode_cursor,
    keyset,
    order_by,
    sort_keys,
)
from matcloud.optimade.schema import EntrySchema

Expr = ColumnElement[Any]
#: Entries a page may walk through in id order (probing each) before lists are cheaper.
WALK_LIMIT = 20_000


@dataclass
class Page:
    rows: list[RowMapping]
    data_returned: int
    data_available: int
    more_data_available: bool
    #: Query parameters (besides the request's own) of the next and previous pages.
    next: dict[str, str] | None
    prev: dict[str, str] | None


@dataclass(frozen=True)
class Filter:
    """A compiled filter: ``condition(style)`` (see :func:`fetch_page`) and what it implies
    about the elements (``driver()``: see :mod:`.driving`)."""

    condition: Callable[[str], Expr | None]
    driver: Callable[[], Driver | None] = lambda: None


def fetch_page(
    db: Session | Connection,
    schema: EntrySchema,
    query: EntryQuery,
    filter_: Filter,
    columns: list[str],
) -> Page:
    """Count, then read the page. ``condition(style)`` is the filter with its list memberships
    as driving ``IN`` lists (``"in"``: what a count wants) or as per-entry ``EXISTS`` probes
    (``"exists"``, with the entry table's columns unindexable on SQLite, so that the plan is
    that walk): the page walks the entries in id order when the count shows matches are
    dense enough to fill a page quickly, and reads the lists otherwise."""
    keys = sort_keys(schema, query.sort)
    condition = filter_.condition  # compiled on first use of each style: often one suffices
    probed = condition("exists")
    driver = filter_.driver() if probed is not None and schema.values is not None else None
    total = schema.total if schema.total is not None else count_select(schema, None)
    if driver is not None:
        counting = driven_count(schema, driver, probed)
    else:
        counting = count_select(schema, condition("in")) if probed is not None else total
    returned = int(db.execute(counting).scalar_one())
    available = returned if probed is None else int(db.execute(total).scalar_one())
    limit = query.page_limit
    walked = (query.offset + limit + 1) * available / max(returned, 1)
    dense = len(keys) == 1 and walked <= WALK_LIMIT
    # Which entries, then their rows: the ids of the page are found from indexes alone (the
    # walk reads the narrow probe index, not 20,000 wide rows), then only those rows are read.
    chosen = base_select(schema, probed if dense else condition("in"), [schema.id])
    backwards = query.page_below is not None
    if query.page_above is not None:
        chosen = chosen.where(keyset(keys, query.page_above, "page_above"))
    elif query.page_below is not None:
        chosen = chosen.where(keyset(keys, query.page_below, "page_below"))
    ordered = order_by(keys, reverse=backwards)
    chosen = chosen.order_by(*ordered).limit(limit + 1)
    if query.uses_offset:
        chosen = chosen.offset(query.offset)
    selected = [schema.columns[name] for name in columns]
    selected += [key.column.label(key.label) for key in keys]
    statement = (
        select(*selected)
        .select_from(schema.table)
        .where(schema.id.in_(chosen.correlate(None)))
        .order_by(*ordered)
    )
    rows = list(db.execute(statement).mappings()) if limit or returned else []
    more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    next_page, prev_page = _links(query, keys, rows, more, backwards)
    # walking backwards, the entries the cursor came from still follow this page
    return Page(rows, returned, available, more or backwards, next_page, prev_page)


def _links(
    query: EntryQuery, keys: list[Key], rows: list[RowMapping], more: bool, backwards: bool
) -> tuple[dict[str, str] | None, dict[str, str] | None]:
    """Where the next and previous pages are: offsets for offset paging, else cursors."""
    limit = str(query.page_limit)
    if query.page_number is not None:
        number = query.page_number
        following = {"page_number": str(number + 1), "page_limit": limit} if more else None
        earlier = {"page_number": str(number - 1), "page_limit": limit} if number > 1 else None
        return following, earlier
    if query.page_offset is not None:
        offset = query.page_offset
        following = {"page_offset": str(offset + query.page_limit), "page_limit": limit}
        earlier = {"page_offset": str(max(0, offset - query.page_limit)), "page_limit": limit}
        return (following if more else None), (earlier if offset > 0 else None)
    if not rows:
        return None, None
    first, last = encode_cursor(keys, rows[0]), encode_cursor(keys, rows[-1])
    if backwards:  # came from later pages: those follow; earlier ones if the read overflowed
        return {"page_above": last, "page_limit": limit}, (
            {"page_below": first, "page_limit": limit} if more else None
        )
    started = query.page_above is not None
    return ({"page_above": last, "page_limit": limit} if more else None), (
        {"page_below": first, "page_limit": limit} if started else None
    )


__all__ = ["Filter", "Page", "fetch_page"]
