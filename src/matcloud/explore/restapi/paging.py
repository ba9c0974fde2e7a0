"""Paging: ``/page/N`` with ``perpage`` (default 20), or ``limit``/``offset``; at most 400 rows
per response either way (aiida's defaults), checked in aiida's order with its messages."""

from __future__ import annotations

import math
from dataclasses import dataclass

from matcloud.explore.restapi.errors import InputValidationError, QueryError, ValidationError
from matcloud.explore.restapi.params import Params
from matcloud.explore.restapi.querystring import Value

LIMIT_DEFAULT = 400
PERPAGE_DEFAULT = 20


def validate(params: Params, page: int | None, query_type: str, has_query: bool) -> None:
    """aiida's ``validate_request``: the combinations it refuses."""
    paging = params.limit is not None or params.offset is not None
    if params.perpage is not None and paging:
        raise ValidationError("perpage key is incompatible with limit and offset")
    if page is not None and paging:
        raise ValidationError("requesting a specific page is incompatible with limit and offset")
    if params.perpage is not None and page is None:
        raise ValidationError(
            "perpage key requires that a page is requested (i.e. the path must contain /page/)"
        )
    if query_type == "projectable_properties" and has_query:
        raise InputValidationError(
            "projectable_properties requests do not allow specifying a query string"
        )


def _integer(value: Value, message: str) -> int:
    try:
        return int(value)  # type: ignore[arg-type]  # aiida int()s whatever it was given
    except (TypeError, ValueError):
        raise QueryError(message) from None


@dataclass(frozen=True)
class Window:
    limit: int
    offset: int | None
    #: prev/next/first/last page numbers, for the ``Link`` header of a page
    pages: dict[str, int | None] | None


def window(params: Params, page: int | None, total: int) -> Window:
    pages: dict[str, int | None] | None = None
    limit: Value | None = params.limit
    offset: Value | None = params.offset
    if page is not None:
        perpage = (
            PERPAGE_DEFAULT
            if params.perpage is None
            else _integer(params.perpage, "perpage must be an integer")
        )
        if perpage == 0:
            raise QueryError("perpage must not be 0")
        last = 1 if total == 0 else math.ceil(total / perpage)
        if page > last or page < 1:
            raise InputValidationError(
                f"Non existent page requested. The page range is [1 : {last}]"
            )
        limit, offset = perpage, (page - 1) * perpage
        pages = {
            "prev": page - 1 if page > 1 else None,
            "next": page + 1 if page < last else None,
            "first": 1,
            "last": last,
        }
    size = LIMIT_DEFAULT if limit is None else _integer(limit, "Limit value must be an integer")
    if size > LIMIT_DEFAULT:
        raise ValidationError(f"Limit and perpage cannot be bigger than {LIMIT_DEFAULT}")
    if size < 0:
        # aiida passes it to SQL, where a negative LIMIT means "no limit": not here
        raise ValidationError("Limit and perpage cannot be negative")
    start = None if offset is None else _integer(offset, "Offset value must be an integer")
    return Window(size, start, pages)
