"""Requests and responses of the REST API, framework-free, in aiida-core's wire format.

aiida's responses are Flask's ``jsonify``: keys sorted, compact separators, non-ASCII escaped,
a trailing newline; date-times as HTTP dates (``Wed, 25 Nov 2026 18:56:43 GMT``, seconds
only). Every response carries ``Access-Control-Allow-Origin: *`` (the API is meant to be read
by other sites' JavaScript). The envelope repeats the request: ``method``, ``url``,
``url_root``, ``path``, ``query_string`` (percent-decoded), ``resource_type``, and ``id``.

``url`` and the paging ``Link`` header are built as Werkzeug builds ``request.url`` (an IRI:
percent-escapes decoded except for controls, ``%``, and, in the query, ``&=+#``), so that the
same request gets the same header from both servers; the ``Link`` targets are aiida's, down
to the single slash after ``http:`` (aiida splits the URL on ``/`` and drops empty parts).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote, unquote

from matcloud.explore.restapi.errors import RestError, UrlNotFound

JSON_TYPE = "application/json"
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class RestRequest:
    """What the REST layer needs of an HTTP request.

    ``path`` is the decoded path (``/explore/a1/api/v4/nodes/page/2``), ``prefix`` the part of
    it before the API's own paths (``/explore/a1/api/v4``), ``query_string`` the raw
    (percent-encoded) query string, ``url_root`` the application's root URL with its slash.
    """

    path: str
    prefix: str
    query_string: str = ""
    url_root: str = "http://localhost/"
    method: str = "GET"

    @property
    def url(self) -> str:
        """The request's URL as Werkzeug's ``request.url`` spells it."""
        url = self.url_root.rstrip("/") + "/"
        url += quote(self.path.lstrip("/"), safe="!$&'()*+,/:;=@%")
        if self.query_string:
            url += "?" + _iri(quote(self.query_string, safe="!$&'()*+,/:;=?@%"), "&=+#")
        return _iri_path(url)

    @property
    def decoded_query(self) -> str:
        return unquote(self.query_string)

    def envelope(self, resource_type: str, data: Any, **extra: Any) -> dict[str, Any]:
        body = {
            "method": self.method,
            "url": unquote(self.url),
            "url_root": unquote(self.url_root),
            "path": self.path,
            "query_string": self.decoded_query,
            "resource_type": resource_type,
            "data": data,
        }
        body.update(extra)
        return body


@lru_cache(maxsize=8)
def _kept_escapes(keep: str) -> re.Pattern[str]:
    unsafe = {*(chr(code) for code in range(0x21)), "%", "\x7f", *keep}
    return re.compile("|".join(f"%{ord(char):02X}" for char in sorted(unsafe)), re.IGNORECASE)


def _iri(text: str, keep: str) -> str:
    """Decode percent-escapes, except those of control characters, ``%``, DEL and ``keep``."""
    if "%" not in text:
        return text
    out: list[str] = []
    last = 0
    for match in _kept_escapes(keep).finditer(text):
        out.append(unquote(text[last : match.start()], errors="surrogateescape"))
        out.append(match.group())
        last = match.end()
    out.append(unquote(text[last:], errors="surrogateescape"))
    return "".join(out).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _iri_path(url: str) -> str:
    head, question, query = url.partition("?")
    return _iri(head, "/?#") + question + query


@dataclass
class RestResponse:
    status: int
    body: bytes
    media_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


def http_date(value: str | None) -> str | None:
    """An archive date-time (naive UTC text, or ISO with an offset) as an HTTP date."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return (
        f"{_DAYS[moment.weekday()]}, {moment.day:02d} {_MONTHS[moment.month - 1]} "
        f"{moment.year:04d} {moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} GMT"
    )


def _default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise RestError("binary content cannot be shown in JSON; download it") from None
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dump(data: Any) -> bytes:
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=_default)
    return (text + "\n").encode("ascii")


def json_response(status: int, data: Any, headers: dict[str, str] | None = None) -> RestResponse:
    merged = {"Access-Control-Allow-Origin": "*"}
    merged.update(headers or {})
    return RestResponse(status, dump(data), JSON_TYPE, merged)


def header_safe(value: str) -> str:
    """A header value HTTP can carry: characters outside printable ASCII percent-encoded
    (a Link to a page of ``label="Γ"``; Werkzeug would fail on them)."""
    if value.isascii() and value.isprintable():
        return value
    return "".join(
        char if char.isascii() and char.isprintable() else quote(char, safe="") for char in value
    )


def content_disposition(filename: str) -> str:
    """aiida's ``attachment; filename="..."``; a name that does not fit in quotes (quotes,
    controls, non-ASCII: file names come from the archive or the query) goes, encoded, into
    ``filename*`` (RFC 6266) with an ASCII stand-in."""
    if filename.isascii() and filename.isprintable() and '"' not in filename:
        return f'attachment; filename="{filename}"'
    fallback = "".join(c if c.isascii() and c.isprintable() and c != '"' else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def file_response(content: bytes, filename: str) -> RestResponse:
    return RestResponse(
        200,
        content,
        "application/octet-stream",
        {
            "Content-Disposition": content_disposition(filename),
            "Access-Control-Allow-Origin": "*",
        },
    )


def error_response(error: RestError, endpoints: list[str]) -> RestResponse:
    body: dict[str, Any] = {"message": error.message}
    if isinstance(error, UrlNotFound):
        body["available_endpoints"] = endpoints
    return json_response(error.status, body)


def paging_headers(
    url: str, total: int, pages: dict[str, int | None] | None = None
) -> dict[str, str]:
    """``X-Total-Count`` and, for a page, aiida's ``Link`` header (prev/next/first/last)."""
    headers = {"X-Total-Count": str(total)}
    exposed = ["X-Total-Count"]
    if pages is not None:
        path, question, query = url.partition("?")
        elements = [part for part in path.split("/") if part]
        if elements and elements[-1] != "page":
            elements.pop()
        if elements:
            elements.pop()
        links = [
            f"<{'/'.join([*elements, 'page', str(page)])}{question}{query}>; rel={rel}, "
            for rel, page in pages.items()
            if page is not None
        ]
        # aiida ends the header with ", "; HTTP drops trailing whitespace from a header value
        headers["Link"] = header_safe("".join(links).rstrip())
        exposed.append("Link")
    headers["Access-Control-Expose-Headers"] = ",".join(exposed)
    return headers
