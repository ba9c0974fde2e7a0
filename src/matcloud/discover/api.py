"""The DISCOVER JSON API.

- ``GET /api/discover``: the sections.
- ``POST /api/discover`` (admins; body: the spec's YAML): check, build and publish a section;
  the same spec over the same data again changes nothing (``"changed": false``).
- ``GET /api/discover/{slug}``: a section's description, columns, plots, filters, sources.
- ``GET /api/discover/{slug}/rows``: a page of the table. ``min_<column>=``/``max_<column>=``
  (range filters), ``<column>=`` (string and boolean filters), ``q=`` (text search),
  ``sort=<column>`` or ``sort=-<column>``, ``page=``, ``size=`` (1-500).
- ``GET /api/discover/{slug}/points?axes=x,y,color`` with the same filters: every kept row's
  key and the asked columns (what the scatter plot draws).
- ``GET /api/discover/{slug}/rows/{key}``: one row as an ID card.
- ``GET /api/discover/{slug}/structures/{key}``: its structure (lattice, symbols, positions).
- ``GET /api/discover/{slug}/phonons/{key}``: its phonon file (band.yaml) as a dispersion.
- ``DELETE /api/discover/{slug}`` (admins).

A wrong filter, column or spec is a 400 problem document naming the field.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from matcloud.core.errors import FieldError, ValidationFailed
from matcloud.discover.service import DiscoverService
from matcloud.discover.table import RowQuery
from matcloud.web.fastjson import FastJSONResponse
from matcloud.web.security import current_identity

router = APIRouter(prefix="/api/discover", tags=["discover"])
#: Parameters that are not filters (the page's own plot settings among them).
RESERVED = {"q", "sort", "page", "size", "axes", "plot_x", "plot_y", "plot_color", "log_x", "log_y"}
MAX_SPEC_UPLOAD = 256 * 1024


def service_of(request: Request) -> DiscoverService:
    service: DiscoverService = request.app.state.discover
    return service


def row_query(items: list[tuple[str, str]], *, paged: bool = True) -> RowQuery:
    """The table's query parameters, checked (column names are checked by the table)."""
    query = RowQuery()
    errors: list[FieldError] = []
    for name, value in items:
        if name in RESERVED or not value.strip():
            continue
        if name.startswith(("min_", "max_")):
            column = name[4:]
            try:
                number = float(value)
            except ValueError:
                errors.append(FieldError(name, f"{value!r} is not a number"))
                continue
            low, high = query.ranges.get(column, (None, None))
            query.ranges[column] = (number, high) if name.startswith("min_") else (low, number)
        else:
            query.equals[name] = value
    params = dict(items)
    query.q = params.get("q", "")[:500]
    query.sort = params.get("sort") or None
    for name in ("page", "size") if paged else ():
        if name in params:
            try:
                setattr(query, name, int(params[name]))
            except ValueError:
                errors.append(FieldError(name, f"{params[name]!r} is not a whole number"))
    if errors:
        raise ValidationFailed.listing("The query is wrong", errors)
    return query


@router.get("")
def sections(request: Request) -> Response:
    return FastJSONResponse(service_of(request).sections())


@router.post("", status_code=201)
async def add(request: Request) -> Response:
    body = await request.body()
    if len(body) > MAX_SPEC_UPLOAD:
        raise ValidationFailed(
            f"The spec is {len(body):,} bytes; the limit is {MAX_SPEC_UPLOAD:,}.",
            [FieldError("spec", "too large")],
        )
    identity = current_identity(request)
    result: dict[str, Any] = await run_in_threadpool(service_of(request).add, identity, body)
    return FastJSONResponse(result, status_code=201 if result["changed"] else 200)


@router.get("/{slug}")
def section(request: Request, slug: str) -> Response:
    return FastJSONResponse(service_of(request).section(slug))


@router.delete("/{slug}", status_code=204)
def remove(request: Request, slug: str) -> Response:
    service_of(request).remove(current_identity(request), slug)
    return Response(status_code=204)


@router.get("/{slug}/rows")
def rows(request: Request, slug: str) -> Response:
    query = row_query(request.query_params.multi_items())
    return FastJSONResponse(service_of(request).rows(slug, query))


@router.get("/{slug}/points")
def points(request: Request, slug: str, axes: str = "") -> Response:
    query = row_query(request.query_params.multi_items(), paged=False)
    names = [a for a in axes.split(",") if a][:4]
    return FastJSONResponse(service_of(request).points(slug, query, names))


@router.get("/{slug}/structures/{key:path}")
def structure(request: Request, slug: str, key: str) -> Response:
    return FastJSONResponse(service_of(request).structure(slug, key))


@router.get("/{slug}/phonons/{key:path}")
def phonons(request: Request, slug: str, key: str) -> Response:
    return FastJSONResponse(service_of(request).phonons(slug, key))


@router.get("/{slug}/rows/{key:path}")
def card(request: Request, slug: str, key: str) -> Response:
    return FastJSONResponse(service_of(request).card(slug, key))


__all__ = ["router", "row_query"]
