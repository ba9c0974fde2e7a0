"""The query parameters of OPTIMADE requests, read strictly from the raw query string.

Parsing here rather than through FastAPI's parameter validation keeps every bad value an
OPTIMADE error document (``page_limit=abc`` is a 400 naming the parameter, never a framework
422), and lets unknown parameters be reported as the specification and JSON:API want: a name
made only of lowercase letters that we do not know is a 400 (JSON:API reserves those), any
other unknown name is ignored with a warning.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from matcloud.optimade.errors import BadRequest, Forbidden, QueryWarning

DEFAULT_PAGE_LIMIT = 20
MAX_PAGE_LIMIT = 1000
MAX_OFFSET = 10_000_000

LISTING_PARAMS = {
    "filter",
    "page_limit",
    "page_offset",
    "page_number",
    "page_above",
    "page_below",
    "page_cursor",
    "sort",
    "include",
    "response_fields",
    "response_format",
    "email_address",
    "api_hint",
}
SINGLE_PARAMS = {"response_fields", "response_format", "email_address", "include", "api_hint"}
API_HINT = re.compile(r"v(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class SortKey:
    name: str
    descending: bool


@dataclass
class EntryQuery:
    """What an entry listing (or single entry) request asks for."""

    filter: str | None = None
    response_fields: list[str] | None = None
    sort: list[SortKey] = field(default_factory=list)
    page_limit: int = DEFAULT_PAGE_LIMIT
    page_offset: int | None = None
    page_number: int | None = None
    page_above: str | None = None
    page_below: str | None = None
    include: list[str] = field(default_factory=lambda: ["references"])
    api_hint: tuple[int, int | None] | None = None
    warnings: list[QueryWarning] = field(default_factory=list)

    @property
    def offset(self) -> int:
        if self.page_number is not None:
            return (self.page_number - 1) * self.page_limit
        return self.page_offset or 0

    @property
    def uses_offset(self) -> bool:
        return self.page_offset is not None or self.page_number is not None


def _integer(name: str, text: str, minimum: int) -> int:
    if not re.fullmatch(r"\s*\+?\d{1,12}\s*", text):
        raise BadRequest(f"{name} must be a whole number, not {text!r}.", name)
    value = int(text)
    if value < minimum:
        raise BadRequest(f"{name} must be at least {minimum}.", name)
    return value


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_query(items: Sequence[tuple[str, str]], *, single: bool = False) -> EntryQuery:
    """Read the parameters of an entry listing (or, with ``single``, a single-entry) request."""
    known = SINGLE_PARAMS if single else LISTING_PARAMS
    seen: dict[str, str] = {}
    query = EntryQuery()
    for name, value in items:
        if "\x00" in value:  # no value holds one, and PostgreSQL refuses it in a parameter
            raise BadRequest(f"The parameter {name} contains a NUL character.", name)
        if name in seen and name in LISTING_PARAMS:
            raise BadRequest(f"The parameter {name} is given more than once.", name)
        seen[name] = value
        if name in LISTING_PARAMS and name not in known:
            query.warnings.append(
                QueryWarning("QueryParamNotUsed", f"{name} does not apply to a single entry.")
            )
        elif name not in known:
            if re.fullmatch(r"[a-z]+", name) and not single:
                raise BadRequest(
                    f"Unknown query parameter {name!r} (OPTIMADE's are "
                    f"{', '.join(sorted(LISTING_PARAMS))}).",
                    name,
                )
            query.warnings.append(
                QueryWarning("QueryParamNotUsed", f"The query parameter {name!r} was ignored.")
            )

    def get(name: str) -> str | None:
        return seen.get(name) if name in known else None

    if (fmt := get("response_format")) not in (None, "", "json"):
        raise BadRequest(f"response_format {fmt!r} is not available; use json.", "response_format")
    if (text := get("filter")) is not None and text.strip():
        query.filter = text
    if (text := get("response_fields")) is not None:
        query.response_fields = _names(text)
    if (text := get("include")) is not None:
        query.include = _names(text)
        unknown = [path for path in query.include if path != "references"]
        if unknown:
            raise BadRequest(
                f"Cannot include {', '.join(unknown)}: the only relationship path is references.",
                "include",
            )
    if (text := get("api_hint")) is not None:
        match = API_HINT.fullmatch(text.strip())
        if match is None:
            query.warnings.append(
                QueryWarning("QueryParamNotUsed", f"api_hint {text!r} is not vMAJOR[.MINOR].")
            )
        else:
            minor = match.group(2)
            query.api_hint = (int(match.group(1)), int(minor) if minor else None)
    if single:
        return query
    _paging(query, get)
    if (text := get("sort")) is not None:
        query.sort = [
            SortKey(name.removeprefix("-"), name.startswith("-")) for name in _names(text)
        ]
    return query


def _paging(query: EntryQuery, get: object) -> None:
    assert callable(get)
    if (text := get("page_limit")) is not None:
        query.page_limit = _integer("page_limit", text, 0)
        if query.page_limit > MAX_PAGE_LIMIT:
            raise Forbidden(
                f"page_limit {query.page_limit} is above this server's maximum of "
                f"{MAX_PAGE_LIMIT}; page through the results instead.",
                "page_limit",
            )
    if (text := get("page_offset")) is not None:
        query.page_offset = _integer("page_offset", text, 0)
    if (text := get("page_number")) is not None:
        query.page_number = _integer("page_number", text, 1)
    if get("page_cursor") is not None:
        raise BadRequest(
            "page_cursor is not supported: use page_above/page_below (from links.next and "
            "links.prev), page_offset or page_number.",
            "page_cursor",
        )
    query.page_above = get("page_above")
    query.page_below = get("page_below")
    chosen = [
        name
        for name, value in (
            ("page_offset", query.page_offset),
            ("page_number", query.page_number),
            ("page_above", query.page_above),
            ("page_below", query.page_below),
        )
        if value is not None
    ]
    if len(chosen) > 1:
        raise BadRequest(f"Use one of {' and '.join(chosen)}, not both.", chosen[1])
    if query.offset > MAX_OFFSET:
        raise BadRequest(
            f"Offsets beyond {MAX_OFFSET} are not served: narrow the filter, or follow "
            "links.next (keyset pages cost the same at any depth).",
            "page_offset",
        )


__all__ = ["DEFAULT_PAGE_LIMIT", "MAX_PAGE_LIMIT", "EntryQuery", "SortKey", "parse_query"]
