"""Blob downloads over HTTP: validators, conditional requests, ranges, names and types."""

from __future__ import annotations

import hashlib
import inspect
import re
from collections.abc import Callable, Generator, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import anyio
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.responses import StreamingResponse
from starlette.testclient import TestClient

from matcloud.core.storage import CHUNK_SIZE, BlobInfo
from matcloud.core.storage.local import LocalBlobStore
from matcloud.web.errors import install_error_handlers
from matcloud.web.fileresponse import (
    MAX_RANGES,
    blob_response,
    content_disposition,
    guess_media_type,
    parse_range,
)

DATA = b"abcdefghijklmnopqrstuvwxyz"  # 26 bytes: offsets are easy to read in the assertions
MODIFIED = datetime(2024, 3, 4, 5, 6, 7, tzinfo=UTC)
HTTP_MODIFIED = "Mon, 04 Mar 2024 05:06:07 GMT"


class RecordingStore(LocalBlobStore):
    """The real local store, noting which reads are started (to prove HEAD reads nothing)."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.reads: list[tuple[int, int | None]] = []

    def iter_range(
        self, blob_id: str, start: int = 0, end: int | None = None, chunk_size: int = CHUNK_SIZE
    ) -> Generator[bytes, None, None]:
        self.reads.append((start, end))
        return super().iter_range(blob_id, start, end, chunk_size)


Serve = Callable[..., str]


@pytest.fixture
def store(tmp_path: Path) -> RecordingStore:
    return RecordingStore(tmp_path / "blobs")


@pytest.fixture
def files() -> dict[str, dict[str, Any]]:
    return {}


@pytest.fixture
def client(store: RecordingStore, files: dict[str, dict[str, Any]]) -> Iterator[TestClient]:
    app = FastAPI()
    install_error_handlers(app)

    @app.api_route("/api/files/{slot}", methods=["GET", "HEAD"])
    def download(request: Request, slot: str) -> Response:
        return blob_response(request, store, **files[slot])

    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def serve(store: RecordingStore, files: dict[str, dict[str, Any]]) -> Serve:
    """Store ``data`` and route a download of it; return its URL."""

    def add(data: bytes = DATA, filename: str = "letters.csv", **options: Any) -> str:
        info: BlobInfo = store.put([data])
        slot = str(len(files))
        files[slot] = {
            "blob_id": info.id,
            "size": info.size,
            "sha256": info.sha256,
            "filename": filename,
            **options,
        }
        return f"/api/files/{slot}"

    return add


def etag_of(data: bytes = DATA) -> str:
    return f'"{hashlib.sha256(data).hexdigest()}"'


# -- whole responses ------------------------------------------------------------------------------


def test_get_sends_the_whole_file_with_validators(client: TestClient, serve: Serve) -> None:
    url = serve(last_modified=MODIFIED)
    response = client.get(url)
    assert response.status_code == 200
    assert response.content == DATA
    headers = response.headers
    assert headers["content-length"] == "26"
    assert headers["accept-ranges"] == "bytes"
    assert headers["etag"] == etag_of()
    assert headers["last-modified"] == HTTP_MODIFIED
    assert headers["cache-control"] == "private, max-age=0"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-type"] == "text/csv"
    assert headers["content-disposition"] == (
        "attachment; filename=\"letters.csv\"; filename*=UTF-8''letters.csv"
    )
    assert "sandbox" in headers["content-security-policy"]
    assert "content-encoding" not in headers


def test_cache_control_is_the_callers_choice(client: TestClient, serve: Serve) -> None:
    url = serve(cache_control="public, max-age=31536000, immutable")
    assert client.get(url).headers["cache-control"] == "public, max-age=31536000, immutable"


def test_head_sends_headers_and_reads_nothing(
    client: TestClient, serve: Serve, store: RecordingStore
) -> None:
    url = serve(last_modified=MODIFIED)
    response = client.head(url)
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-length"] == "26"
    assert response.headers["etag"] == etag_of()
    assert response.headers["content-disposition"].startswith("attachment;")
    assert store.reads == []


def test_head_ignores_range(client: TestClient, serve: Serve, store: RecordingStore) -> None:
    """RFC 9110 defines range handling for GET only."""
    response = client.head(serve(), headers={"Range": "bytes=0-4"})
    assert response.status_code == 200
    assert response.headers["content-length"] == "26"
    assert "content-range" not in response.headers
    assert store.reads == []


def test_a_missing_blob_is_404_for_get_and_head(
    client: TestClient, serve: Serve, store: RecordingStore
) -> None:
    url = serve()
    store.delete(hashlib.sha256(DATA).hexdigest())
    for method in ("GET", "HEAD"):
        response = client.request(method, url)
        assert response.status_code == 404
    assert client.get(url, headers={"Range": "bytes=0-1,5-6"}).status_code == 404
    assert client.get(url).headers["content-type"] == "application/problem+json"


def test_an_empty_file(client: TestClient, serve: Serve) -> None:
    url = serve(b"", filename="empty.txt")
    response = client.get(url)
    assert (response.status_code, response.content) == (200, b"")
    assert response.headers["content-length"] == "0"
    assert response.headers["etag"] == etag_of(b"")
    head = client.head(url)
    assert (head.status_code, head.headers["content-length"]) == (200, "0")
    # A zero-length representation has no byte to range over: the whole (empty) body is sent.
    for spec in ("bytes=0-", "bytes=-5", "bytes=0-0"):
        ranged = client.get(url, headers={"Range": spec})
        assert (ranged.status_code, ranged.content) == (200, b"")


# -- conditional requests ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "{etag}",
        "W/{etag}",
        "*",
        '"other", {etag}',
        '"other",W/{etag}  ,  "third"',
    ],
)
def test_if_none_match_hits_give_304(client: TestClient, serve: Serve, value: str) -> None:
    url = serve(last_modified=MODIFIED)
    for method in ("GET", "HEAD"):
        response = client.request(
            method, url, headers={"If-None-Match": value.format(etag=etag_of())}
        )
        assert response.status_code == 304
        assert response.content == b""
        assert response.headers["etag"] == etag_of()
        assert response.headers["cache-control"] == "private, max-age=0"
        assert response.headers["last-modified"] == HTTP_MODIFIED
        assert "content-length" not in response.headers or response.headers["content-length"] == "0"


@pytest.mark.parametrize("value", ['"other"', 'W/"other"', etag_of(b"other"), "garbage"])
def test_if_none_match_misses_send_the_file(client: TestClient, serve: Serve, value: str) -> None:
    response = client.get(serve(), headers={"If-None-Match": value})
    assert (response.status_code, response.content) == (200, DATA)


def test_if_modified_since(client: TestClient, serve: Serve) -> None:
    url = serve(last_modified=MODIFIED.replace(microsecond=500_000))
    later = format_datetime(MODIFIED + timedelta(days=1), usegmt=True)
    earlier = format_datetime(MODIFIED - timedelta(seconds=1), usegmt=True)
    assert client.get(url, headers={"If-Modified-Since": HTTP_MODIFIED}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": later}).status_code == 304
    assert client.head(url, headers={"If-Modified-Since": later}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": earlier}).status_code == 200
    assert client.get(url, headers={"If-Modified-Since": "yesterday"}).status_code == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 13.1.3).
    both = {"If-None-Match": '"other"', "If-Modified-Since": later}
    assert client.get(url, headers=both).status_code == 200


def test_if_modified_since_without_a_known_date_sends_the_file(
    client: TestClient, serve: Serve
) -> None:
    response = client.get(serve(), headers={"If-Modified-Since": HTTP_MODIFIED})
    assert response.status_code == 200
    assert "last-modified" not in response.headers


def test_naive_last_modified_is_utc(client: TestClient, serve: Serve) -> None:
    url = serve(last_modified=MODIFIED.replace(tzinfo=None))
    assert client.get(url).headers["last-modified"] == HTTP_MODIFIED


def test_if_match_and_if_unmodified_since(client: TestClient, serve: Serve) -> None:
    url = serve(last_modified=MODIFIED)
    assert client.get(url, headers={"If-Match": etag_of()}).status_code == 200
    assert client.get(url, headers={"If-Match": "*"}).status_code == 200
    assert client.get(url, headers={"If-Match": '"other"'}).status_code == 412
    assert client.get(url, headers={"If-Match": f"W/{etag_of()}"}).status_code == 412  # strong
    earlier = format_datetime(MODIFIED - timedelta(hours=1), usegmt=True)
    assert client.get(url, headers={"If-Unmodified-Since": earlier}).status_code == 412
    assert client.get(url, headers={"If-Unmodified-Since": HTTP_MODIFIED}).status_code == 200


# -- ranges --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "start", "end"),
    [
        ("bytes=0-0", 0, 1),  # first byte
        ("bytes=25-25", 25, 26),  # last byte
        ("bytes=-1", 25, 26),  # last byte as a suffix
        ("bytes=0-", 0, 26),  # whole, open-ended
        ("bytes=0-25", 0, 26),  # whole, explicit
        ("bytes=-26", 0, 26),  # whole, as a suffix
        ("bytes=-1000", 0, 26),  # suffix longer than the file
        ("bytes=3-7", 3, 8),
        ("bytes=20-1000", 20, 26),  # last position past the end is clamped
        ("bytes=20-99999999999999999999999999", 20, 26),
        ("BYTES = 3-7", 3, 8),  # unit is case-insensitive, whitespace tolerated
        ("bytes=, 3-7 ,", 3, 8),  # empty list elements are allowed
    ],
)
def test_single_range_is_206(
    client: TestClient, serve: Serve, spec: str, start: int, end: int
) -> None:
    response = client.get(serve(), headers={"Range": spec})
    assert response.status_code == 206
    assert response.content == DATA[start:end]
    assert response.headers["content-range"] == f"bytes {start}-{end - 1}/26"
    assert response.headers["content-length"] == str(end - start)
    assert response.headers["content-type"] == "text/csv"
    assert response.headers["etag"] == etag_of()
    assert response.headers["accept-ranges"] == "bytes"


@pytest.mark.parametrize("spec", ["bytes=26-", "bytes=26-30", "bytes=1000-2000", "bytes=-0"])
def test_unsatisfiable_range_is_416(client: TestClient, serve: Serve, spec: str) -> None:
    response = client.get(serve(), headers={"Range": spec})
    assert response.status_code == 416
    assert response.headers["content-range"] == "bytes */26"
    assert response.content == b""


@pytest.mark.parametrize(
    "spec",
    [
        "bytes=abc",
        "bytes=5-2",  # last before first
        "bytes=-",
        "bytes=",
        "bytes=1-2-3",
        "bytes=0x10-20",
        "bytes=+1-2",
        "bytes=1-2;3-4",
        "items=0-1",
        "0-1",
        "bytes=0-1,oops",
    ],
)
def test_malformed_range_is_ignored(client: TestClient, serve: Serve, spec: str) -> None:
    response = client.get(serve(), headers={"Range": spec})
    assert response.status_code == 200
    assert response.content == DATA
    assert "content-range" not in response.headers


def test_multiple_ranges_are_multipart_byteranges(client: TestClient, serve: Serve) -> None:
    response = client.get(serve(), headers={"Range": "bytes=20-21, 0-1,-2"})
    assert response.status_code == 206
    match = re.fullmatch(
        r"multipart/byteranges; boundary=([0-9a-f]{32})", response.headers["content-type"]
    )
    assert match is not None
    boundary = match.group(1)
    parts = [
        f"--{boundary}\r\nContent-Type: text/csv\r\n".encode()
        + f"Content-Range: bytes {a}-{b}/26\r\n\r\n".encode()
        + DATA[a : b + 1]
        + b"\r\n"
        for a, b in [(0, 1), (20, 21), (24, 25)]  # sorted by position
    ]
    expected = b"".join(parts) + f"--{boundary}--\r\n".encode()
    assert response.content == expected
    assert response.headers["content-length"] == str(len(expected))
    assert "content-range" not in response.headers


@pytest.mark.parametrize(
    ("spec", "start", "end"),
    [
        ("bytes=0-3,2-5", 0, 6),  # overlapping
        ("bytes=0-1,2-3", 0, 4),  # adjacent
        ("bytes=5-9,0-", 0, 26),  # one covers the other
        ("bytes=0-1,100-200", 0, 2),  # the unsatisfiable one is dropped
    ],
)
def test_overlapping_ranges_are_coalesced(
    client: TestClient, serve: Serve, spec: str, start: int, end: int
) -> None:
    response = client.get(serve(), headers={"Range": spec})
    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes {start}-{end - 1}/26"
    assert response.content == DATA[start:end]


def test_too_many_ranges_get_the_whole_file(client: TestClient, serve: Serve) -> None:
    spec = "bytes=" + ",".join(f"{i}-{i}" for i in range(0, 2 * (MAX_RANGES + 1), 2))
    response = client.get(serve(), headers={"Range": spec})
    assert (response.status_code, response.content) == (200, DATA)


def test_if_range(client: TestClient, serve: Serve) -> None:
    url = serve(last_modified=MODIFIED)
    ranged = {"Range": "bytes=2-4"}
    cases = [
        (etag_of(), 206),
        ('"stale"', 200),
        (f"W/{etag_of()}", 200),  # weak tags never match in If-Range
        (HTTP_MODIFIED, 206),
        (format_datetime(MODIFIED - timedelta(seconds=1), usegmt=True), 200),
        (format_datetime(MODIFIED + timedelta(seconds=1), usegmt=True), 200),
        ("not a date", 200),
    ]
    for value, status in cases:
        response = client.get(url, headers={**ranged, "If-Range": value})
        assert response.status_code == status, value
        assert response.content == (DATA[2:5] if status == 206 else DATA)


def test_if_range_date_without_last_modified_sends_everything(
    client: TestClient, serve: Serve
) -> None:
    response = client.get(serve(), headers={"Range": "bytes=2-4", "If-Range": HTTP_MODIFIED})
    assert (response.status_code, response.content) == (200, DATA)


def test_parse_range_directly() -> None:
    assert parse_range("bytes=0-0,-1", 10) == [(0, 1), (9, 10)]
    assert parse_range("bytes=5-", 5) == []
    assert parse_range("bytes=0-4", 0) == []
    assert parse_range("bytes=9-3", 10) is None
    assert parse_range("bytes=" + "9" * 5000 + "-", 10) == []  # no int() digit-limit crash
    assert parse_range("bytes=٣-٧", 10) is None  # only ASCII digits are digits
    assert parse_range("bytes=\xb2-\xb3", 10) is None  # latin-1 superscripts, as headers decode


# -- names and types -----------------------------------------------------------------------------

DISPOSITION = re.compile(r"(attachment|inline); filename=\"([^\"\\]*)\"; filename\*=UTF-8''(\S+)")


@pytest.mark.parametrize(
    ("filename", "ascii_name", "real_name"),
    [
        ("plain.cif", "plain.cif", "plain.cif"),
        ('say "hi".txt', "say _hi_.txt", 'say "hi".txt'),
        ("semi;colon=1.txt", "semi_colon=1.txt", "semi;colon=1.txt"),
        ("new\nline\r\n.txt", "newline.txt", "newline.txt"),
        ("données é.cif", "donnees e.cif", "données é.cif"),
        ("结构.cif", "__.cif", "结构.cif"),
        ("../../etc/passwd", "passwd", "passwd"),
        ("raw/run1/out.cif", "out.cif", "out.cif"),
        ("C:\\Users\\me\\evil.bat", "evil.bat", "evil.bat"),
        ("back\\slash%20.txt", "slash_20.txt", "slash%20.txt"),
        ("evil\u202etxt.exe", "eviltxt.exe", "eviltxt.exe"),
        ("", "download", "download"),
        ("dir/", "download", "download"),
        ("..", "download", "download"),
    ],
)
def test_content_disposition_is_safe(
    client: TestClient, serve: Serve, filename: str, ascii_name: str, real_name: str
) -> None:
    header = client.get(serve(filename=filename)).headers["content-disposition"]
    assert header == content_disposition(filename)
    assert header.isascii() and "\n" not in header and "\r" not in header
    match = DISPOSITION.fullmatch(header)
    assert match is not None, header
    assert match.group(1) == "attachment"
    assert match.group(2) == ascii_name
    assert re.fullmatch(r"[A-Za-z0-9!#$&+\-.^_`|~%]+", match.group(3))  # RFC 5987 value-chars
    assert unquote(match.group(3), encoding="utf-8", errors="strict") == real_name


def test_long_names_are_shortened_keeping_the_extension() -> None:
    header = content_disposition("x" * 1000 + ".cif")
    match = DISPOSITION.fullmatch(header)
    assert match is not None
    assert match.group(2).endswith(".cif") and len(match.group(2)) == 200


@pytest.mark.parametrize(
    ("filename", "media_type"),
    [
        ("a.txt", "text/plain"),
        ("a.json", "application/json"),
        ("a.pdf", "application/pdf"),
        ("a.png", "image/png"),
        ("a.tar.gz", "application/gzip"),
        ("a.cif.bz2", "application/x-bzip2"),
        ("a.xyz-unknown-extension", "application/octet-stream"),
        ("no_extension", "application/octet-stream"),
    ],
)
def test_media_type_is_guessed_from_the_name(filename: str, media_type: str) -> None:
    assert guess_media_type(filename) == media_type


def test_explicit_media_type_wins_unless_malformed(client: TestClient, serve: Serve) -> None:
    url = serve(filename="structure.cif", media_type="chemical/x-cif")
    assert client.get(url).headers["content-type"] == "chemical/x-cif"
    url = serve(filename="a.txt", media_type="text/html\r\nSet-Cookie: x=1")
    response = client.get(url)
    assert response.headers["content-type"] == "text/plain"
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize(
    ("filename", "media_type", "content_type"),
    [
        ("notes.txt", None, "text/plain; charset=utf-8"),
        ("notes.dat", "text/plain", "text/plain; charset=utf-8"),
        ("plot.png", None, "image/png"),
        ("photo.jpg", None, "image/jpeg"),
        ("anim.gif", None, "image/gif"),
        ("pic.webp", "image/webp", "image/webp"),
        ("paper.pdf", None, "application/pdf"),
    ],
)
def test_inline_allowlist(
    client: TestClient, serve: Serve, filename: str, media_type: str | None, content_type: str
) -> None:
    response = client.get(serve(filename=filename, media_type=media_type, inline=True))
    assert response.headers["content-type"] == content_type
    assert response.headers["content-disposition"].startswith("inline; ")
    assert response.headers["x-content-type-options"] == "nosniff"
    if content_type == "application/pdf":
        assert "content-security-policy" not in response.headers  # Chromium's viewer needs it
    else:
        assert "sandbox" in response.headers["content-security-policy"]


@pytest.mark.parametrize(
    ("filename", "media_type"),
    [
        ("page.html", None),
        ("page.htm", None),
        ("drawing.svg", None),
        ("notes.txt", "text/html"),
        ("data.xml", None),
        ("script.js", None),
        ("blob.bin", None),
        ("image.png", "image/svg+xml"),
    ],
)
def test_active_types_are_never_inline(
    client: TestClient, serve: Serve, filename: str, media_type: str | None
) -> None:
    response = client.get(serve(filename=filename, media_type=media_type, inline=True))
    assert response.headers["content-disposition"].startswith("attachment; ")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in response.headers["content-security-policy"]


# -- streaming -----------------------------------------------------------------------------------


def test_a_100_mb_blob_streams_in_chunks(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    pattern = bytes(range(256)) * (CHUNK_SIZE // 256)
    info = store.put(pattern for _ in range(100))
    assert info.size == 100 * CHUNK_SIZE
    request = Request(
        {"type": "http", "method": "GET", "headers": [], "path": "/", "query_string": b""}
    )
    response = blob_response(
        request, store, blob_id=info.id, size=info.size, sha256=info.sha256, filename="big.bin"
    )
    assert isinstance(response, StreamingResponse)
    assert inspect.isasyncgen(response.body_iterator)
    assert response.headers["content-length"] == str(info.size)

    async def consume() -> tuple[int, int, int, str]:
        digest = hashlib.sha256()
        count = total = largest = 0
        async for chunk in response.body_iterator:
            assert isinstance(chunk, bytes)
            digest.update(chunk)
            count += 1
            total += len(chunk)
            largest = max(largest, len(chunk))
        return count, total, largest, digest.hexdigest()

    count, total, largest, digest = anyio.run(consume)
    assert total == info.size
    assert count >= 100
    assert largest <= CHUNK_SIZE
    assert digest == info.sha256


def test_a_range_of_a_large_blob_reads_only_that_range(
    client: TestClient, serve: Serve, store: RecordingStore
) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB
    url = serve(data, filename="big.bin")
    response = client.get(url, headers={"Range": "bytes=500000-500099"})
    assert response.status_code == 206
    assert response.content == data[500000:500100]
    assert store.reads == [(500000, 500100)]
