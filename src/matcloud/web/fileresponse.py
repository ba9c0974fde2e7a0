"""Serve one stored blob as an HTTP download: validators, conditional requests and byte ranges.

Archive files reach 50 GB, so a download that breaks must resume where it stopped (``Range`` with
``If-Range``), a client that already holds the bytes must not fetch them again (``ETag`` is the
sha256, which never changes for a given content, so ``If-None-Match`` answers 304 forever), and
no request may read a whole blob into memory: bodies stream chunk by chunk from
:meth:`~matcloud.core.storage.BlobStore.iter_range`, which starlette runs in a worker thread.

Uploaded bytes are untrusted. Every response carries ``X-Content-Type-Options: nosniff`` and a
sandboxing CSP, and only an allowlist of passive types (plain text, raster images, PDF) may be
shown ``inline``; anything else (HTML, SVG, scripts...) is forced to download, whatever the caller
asks, so a deposited file can never run script in the site's origin.
"""

from __future__ import annotations

import mimetypes
import re
import secrets
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from matcloud.core.errors import NotFound
from matcloud.core.storage import BlobStore

#: Types a browser may display in place, with the exact Content-Type they are served as. Text is
#: pinned to UTF-8 so the browser never guesses an encoding (UTF-7 sniffing was once an XSS).
INLINE_TYPES: dict[str, str] = {
    "text/plain": "text/plain; charset=utf-8",
    "image/png": "image/png",
    "image/jpeg": "image/jpeg",
    "image/gif": "image/gif",
    "image/webp": "image/webp",
    "application/pdf": "application/pdf",
    "video/mp4": "video/mp4",
    "video/webm": "video/webm",
    "text/vtt": "text/vtt; charset=utf-8",
}

#: mimetypes reports ``foo.tar.gz`` as a tar with a gzip *encoding*; we never send
#: Content-Encoding (clients would unpack it and the bytes would no longer match the checksum),
#: so such files are labelled by their outer compression format instead.
_COMPRESSED_TYPES = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "compress": "application/x-compress",
    "br": "application/x-brotli",
}

DEFAULT_MEDIA_TYPE = "application/octet-stream"

#: A CSP that disables script, plugins and same-origin access even if a browser does render the
#: body. Inline PDFs are the exception: Chromium refuses to show a PDF in a sandboxed document.
_SANDBOX_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; sandbox"

#: More ranges than this in one request are served as a plain 200: many tiny ranges cost far
#: more than the bytes they ask for (RFC 9110 section 14.2 lets a server ignore Range).
MAX_RANGES = 32

_MEDIA_TYPE = re.compile(r"[\w.+-]+/[\w.+-]+(\s*;\s*[\w.+-]+=(\"[^\"\\\r\n]*\"|[\w.+-]+))*", re.A)
_RANGE_SPEC = re.compile(r"(\d*)-(\d*)", re.A)
_ENTITY_TAG = re.compile(r'(W/)?"([^"]*)"')
_ASCII_SAFE = re.compile(r"[A-Za-z0-9 ._\-()+,=@~\[\]]")
_MAX_NAME = 200

ByteRange = tuple[int, int]


def blob_response(
    request: Request,
    blobs: BlobStore,
    *,
    blob_id: str,
    size: int,
    sha256: str,
    filename: str,
    media_type: str | None = None,
    inline: bool = False,
    last_modified: datetime | None = None,
    cache_control: str = "private, max-age=0",
) -> Response:
    """The response to a GET or HEAD of the blob ``blob_id`` (``size`` bytes) named ``filename``.

    Outcomes, in RFC 9110's order of evaluation: 412 when ``If-Match``/``If-Unmodified-Since``
    fail, 304 when ``If-None-Match``/``If-Modified-Since`` show the client is current, 206 for
    a satisfiable ``Range`` (``multipart/byteranges`` for several), 416 when none of the ranges
    is satisfiable, else 200 with the whole body. A HEAD gets the headers of the 200 and reads
    nothing; a missing blob raises ``NotFound`` before any response starts.
    """
    method = request.method.upper()
    headers = request.headers
    etag = f'"{sha256}"'
    modified = _to_utc_seconds(last_modified)
    base = {
        "accept-ranges": "bytes",
        "etag": etag,
        "cache-control": cache_control,
        "x-content-type-options": "nosniff",
    }
    if modified is not None:
        base["last-modified"] = format_datetime(modified, usegmt=True)

    if not _preconditions_pass(
        headers.get("if-match"), headers.get("if-unmodified-since"), etag, modified
    ):
        return Response(status_code=412, headers=base)
    if _not_modified(
        headers.get("if-none-match"), headers.get("if-modified-since"), etag, modified
    ):
        return Response(status_code=304 if method in ("GET", "HEAD") else 412, headers=base)

    content_type, disposition = _presentation(filename, media_type, inline)
    entity = {**base, "content-type": content_type, "content-disposition": disposition}
    if not (inline and content_type == INLINE_TYPES["application/pdf"]):
        entity["content-security-policy"] = _SANDBOX_CSP

    if method == "HEAD":
        if not blobs.exists(blob_id):
            raise NotFound("The content of this file is missing.")
        return Response(status_code=200, headers={**entity, "content-length": str(size)})

    range_header = headers.get("range")
    ranges: list[ByteRange] | None = None
    if range_header is not None and method == "GET" and size > 0:
        if _if_range_holds(headers.get("if-range"), etag, modified):
            ranges = parse_range(range_header, size)
    if ranges is None:
        return StreamingResponse(
            blobs.iter_range(blob_id, 0, size),
            status_code=200,
            headers={**entity, "content-length": str(size)},
        )
    if not ranges:
        return Response(status_code=416, headers={**base, "content-range": f"bytes */{size}"})
    if len(ranges) == 1:
        start, end = ranges[0]
        return StreamingResponse(
            blobs.iter_range(blob_id, start, end),
            status_code=206,
            headers={
                **entity,
                "content-length": str(end - start),
                "content-range": f"bytes {start}-{end - 1}/{size}",
            },
        )
    return _multipart(blobs, blob_id, size, ranges, content_type, entity)


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """``attachment``/``inline`` with a safe ASCII ``filename`` and the exact ``filename*``.

    Only the last path component is kept (a key such as ``raw/run1/out.cif`` downloads as
    ``out.cif``), control and bidi-override characters are dropped (``\\u202e`` can disguise
    ``evil\\u202etxt.exe``), and the ASCII fallback for old clients replaces every character
    that could end the quoted string or be read as a separator (``" ; \\ %``) with ``_``.
    """
    name = display_name(filename)
    fallback = "".join(_ascii_char(char) for char in unicodedata.normalize("NFKD", name))
    encoded = quote(name, safe="!#$&+^`|", encoding="utf-8")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def display_name(filename: str) -> str:
    """The name a client should save ``filename`` as: last path part, printable, bounded."""
    last = re.split(r"[/\\]", filename)[-1]
    name = "".join(c for c in last if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp"))
    name = name.strip()
    if name in ("", ".", ".."):
        return "download"
    if len(name) > _MAX_NAME:
        stem, dot, suffix = name.rpartition(".")
        if dot and 0 < len(suffix) <= 16:
            name = f"{stem[: _MAX_NAME - len(suffix) - 1]}.{suffix}"
        else:
            name = name[:_MAX_NAME]
    return name


def guess_media_type(filename: str) -> str:
    """The Content-Type for ``filename`` from its extension; unknown is octet-stream."""
    guessed, encoding = mimetypes.guess_type(display_name(filename), strict=False)
    if encoding is not None:
        return _COMPRESSED_TYPES.get(encoding, DEFAULT_MEDIA_TYPE)
    return guessed or DEFAULT_MEDIA_TYPE


def parse_range(header: str, size: int) -> list[ByteRange] | None:
    """The half-open byte ranges a ``Range`` header asks of ``size`` bytes, sorted and merged.

    ``None`` means "ignore the header and send everything": another unit, a syntax error
    (RFC 9110 says a malformed Range is ignored, not refused), or more than ``MAX_RANGES``
    ranges. An empty list means no range is satisfiable (416). Overlapping and adjacent ranges
    are coalesced, which RFC 9110 section 15.3.7.2 allows, so no byte is sent twice.
    """
    unit, eq, spec = header.partition("=")
    if not eq or unit.strip().lower() != "bytes":
        return None
    items = [item.strip() for item in spec.split(",")]
    items = [item for item in items if item]
    if not items or len(items) > MAX_RANGES:
        return None
    wanted: list[ByteRange] = []
    for item in items:
        match = _RANGE_SPEC.fullmatch(item)
        if match is None or match.group(0) == "-":
            return None
        first, last = match.group(1), match.group(2)
        if not first:
            suffix = _to_int(last)
            if suffix > 0:
                wanted.append((max(0, size - suffix), size))
            continue
        start = _to_int(first)
        stop = size if not last else _to_int(last) + 1
        if last and stop <= start:
            return None
        if start < size:
            wanted.append((start, min(stop, size)))
    wanted.sort()
    merged: list[ByteRange] = []
    for start, stop in wanted:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((start, stop))
    return merged


def _multipart(
    blobs: BlobStore,
    blob_id: str,
    size: int,
    ranges: list[ByteRange],
    content_type: str,
    entity: dict[str, str],
) -> Response:
    """A 206 ``multipart/byteranges`` body, with its exact length announced up front."""
    boundary = secrets.token_hex(16)
    heads = [
        (
            f"--{boundary}\r\nContent-Type: {content_type}\r\n"
            f"Content-Range: bytes {start}-{end - 1}/{size}\r\n\r\n"
        ).encode("latin-1")
        for start, end in ranges
    ]
    closing = f"--{boundary}--\r\n".encode("latin-1")
    length = sum(
        len(head) + (end - start) + 2 for head, (start, end) in zip(heads, ranges, strict=True)
    )
    # The first range is opened now so a missing blob is a 404, not a broken 206.
    first = blobs.iter_range(blob_id, *ranges[0])

    def body() -> Iterator[bytes]:
        for index, (head, (start, end)) in enumerate(zip(heads, ranges, strict=True)):
            yield head
            yield from first if index == 0 else blobs.iter_range(blob_id, start, end)
            yield b"\r\n"
        yield closing

    headers = {
        **entity,
        "content-type": f"multipart/byteranges; boundary={boundary}",
        "content-length": str(length + len(closing)),
    }
    return StreamingResponse(body(), status_code=206, headers=headers)


def _presentation(filename: str, media_type: str | None, inline: bool) -> tuple[str, str]:
    """Content-Type and Content-Disposition: inline only for the passive allowlist."""
    chosen = media_type.strip() if media_type else ""
    if not _MEDIA_TYPE.fullmatch(chosen):
        chosen = guess_media_type(filename)
    essence = chosen.split(";", 1)[0].strip().lower()
    if inline and essence in INLINE_TYPES:
        return INLINE_TYPES[essence], content_disposition(filename, inline=True)
    return chosen, content_disposition(filename, inline=False)


def _preconditions_pass(
    if_match: str | None, if_unmodified_since: str | None, etag: str, modified: datetime | None
) -> bool:
    """RFC 9110 13.2.2 steps 1-2: If-Match (strong comparison), else If-Unmodified-Since."""
    if if_match is not None:
        if if_match.strip() == "*":
            return True
        return any(not weak and f'"{tag}"' == etag for weak, tag in _ENTITY_TAG.findall(if_match))
    since = _parse_http_date(if_unmodified_since)
    return since is None or modified is None or modified <= since


def _not_modified(
    if_none_match: str | None, if_modified_since: str | None, etag: str, modified: datetime | None
) -> bool:
    """RFC 9110 13.2.2 steps 3-4: If-None-Match (weak comparison), else If-Modified-Since."""
    if if_none_match is not None:
        if if_none_match.strip() == "*":
            return True
        return any(f'"{tag}"' == etag for _, tag in _ENTITY_TAG.findall(if_none_match))
    since = _parse_http_date(if_modified_since)
    return since is not None and modified is not None and modified <= since


def _if_range_holds(if_range: str | None, etag: str, modified: datetime | None) -> bool:
    """Whether a Range may be honoured: no If-Range, or it names exactly this representation.

    An entity tag must match strongly (a weak tag never does); a date must equal
    Last-Modified. Otherwise the client's partial copy is stale and it gets the whole file.
    """
    if if_range is None:
        return True
    value = if_range.strip()
    if value.startswith(('"', "W/")):
        return value == etag
    since = _parse_http_date(value)
    return since is not None and modified is not None and since == modified


def _parse_http_date(value: str | None) -> datetime | None:
    """An HTTP-date as an aware UTC datetime; None when absent or invalid (then it is ignored)."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return _to_utc_seconds(parsed)


def _to_utc_seconds(moment: datetime | None) -> datetime | None:
    """UTC at one-second precision (HTTP dates have no fraction); naive means UTC."""
    if moment is None:
        return None
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.replace(microsecond=0)


def _to_int(digits: str) -> int:
    """Parse a byte position; absurdly long ones saturate rather than hit int()'s digit cap."""
    return int(digits) if len(digits) <= 18 else 10**18


def _ascii_char(char: str) -> str:
    if _ASCII_SAFE.fullmatch(char):
        return char
    return "" if unicodedata.combining(char) else "_"


__all__ = [
    "DEFAULT_MEDIA_TYPE",
    "INLINE_TYPES",
    "MAX_RANGES",
    "blob_response",
    "content_disposition",
    "display_name",
    "guess_media_type",
    "parse_range",
]
