"""Blob storage: where file bytes live, behind one small protocol.

Records, lectures and archives only keep a blob id (the sha256 of the content); the bytes sit in a
:class:`BlobStore`. The embedded backend is :class:`~matcloud.core.storage.local.LocalBlobStore`
(a content-addressed directory tree); an S3 backend can be added behind the same protocol without
touching any service. Because ids are content hashes, identical uploads share one copy, and the id
doubles as the fixity checksum that ``matcloud verify`` re-checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Protocol, runtime_checkable

from matcloud.core.errors import FieldError, ValidationFailed

if TYPE_CHECKING:
    from matcloud.settings import Settings

#: Unit of streaming I/O: large enough to amortise syscalls and hashing overhead, small enough
#: that a 50 GB upload never costs more than a few MiB of memory.
CHUNK_SIZE = 1024 * 1024

_BLOB_ID = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class BlobInfo:
    """What a store knows about one blob once it is written.

    ``id`` equals ``sha256``; both are kept so callers read the intent (an address vs a checksum).
    ``md5`` is computed on the way in because DataCite, Zenodo-style clients and S3 ETags speak it.
    """

    id: str
    size: int
    md5: str
    sha256: str


@runtime_checkable
class BlobStore(Protocol):
    """Content-addressed storage of immutable byte strings.

    Implementations stream (never hold a whole blob in memory), write atomically (a reader or a
    crash never sees a partial blob) and raise only domain errors: ``NotFound`` for a missing
    blob, ``ValidationFailed`` for a malformed id (from every method) or range, ``TooLarge``
    over ``max_bytes`` and ``Unavailable`` when the backend cannot be used.
    """

    def put(self, stream: BinaryIO | Iterable[bytes], *, max_bytes: int | None = None) -> BlobInfo:
        """Store the bytes of ``stream`` (a binary file or an iterable of chunks)."""
        ...

    def open(self, blob_id: str, start: int = 0, end: int | None = None) -> BinaryIO:
        """A reader of the byte range ``[start, end)`` of a blob (``end=None``: to the end)."""
        ...

    def iter_range(
        self,
        blob_id: str,
        start: int = 0,
        end: int | None = None,
        chunk_size: int = CHUNK_SIZE,
    ) -> Iterator[bytes]:
        """The byte range ``[start, end)`` in chunks, for streaming responses.

        Errors (missing blob, bad range) are raised by the call itself, not by the first
        ``next()``, so a web handler can still answer 404/416 before it starts a response.
        """
        ...

    def size(self, blob_id: str) -> int:
        """Length of the blob in bytes."""
        ...

    def exists(self, blob_id: str) -> bool:
        """Whether the blob is stored."""
        ...

    def delete(self, blob_id: str) -> bool:
        """Remove the blob; True if it existed.

        Blobs are shared by every file with the same content, so callers must only delete a blob
        that nothing references any more.
        """
        ...

    def stage_write(
        self, stage_id: str, offset: int, stream: BinaryIO | Iterable[bytes], *, length: int
    ) -> int:
        """Write one part of a multipart upload at ``offset`` into the staged blob ``stage_id``
        (parts in any order, in parallel); return the bytes written, refusing over ``length``."""
        ...

    def stage_commit(self, stage_id: str, *, size: int) -> BlobInfo:
        """Turn the staged blob of ``size`` bytes into a stored blob (one hashing pass)."""
        ...

    def stage_delete(self, stage_id: str) -> bool:
        """Drop a staged upload (abandoned, or already committed)."""
        ...

    def check(self) -> None:
        """Health check: raise ``Unavailable`` unless the store can be written now."""
        ...

    def verify(self, blob_id: str) -> bool:
        """Fixity check: re-read the blob and tell whether its content still matches its id."""
        ...


def validate_blob_id(blob_id: str) -> str:
    """Return ``blob_id`` if it is a sha256 hex digest (64 lowercase hex chars), else raise.

    Backends build paths and object keys from ids, so this is also what keeps a hostile id such
    as ``../../etc/passwd`` from addressing anything outside the store.
    """
    if not isinstance(blob_id, str) or _BLOB_ID.fullmatch(blob_id) is None:
        raise ValidationFailed(
            "invalid blob id",
            errors=[FieldError("blob_id", "must be a sha256 digest: 64 lowercase hex characters")],
        )
    return blob_id


def validate_range(start: int, end: int | None, size: int) -> int:
    """Check the byte range ``[start, end)`` against a blob of ``size`` bytes; return its end."""
    stop = size if end is None else end
    if start < 0 or stop < start or stop > size:
        raise ValidationFailed(
            f"byte range [{start}, {end}) is outside the blob of {size} bytes",
            errors=[FieldError("range", f"must satisfy 0 <= start <= end <= {size}")],
        )
    return stop


def format_size(num_bytes: int) -> str:
    """Human units for messages, in the binary multiples settings use (``5 * 1024**3`` -> 5 GiB)."""
    value = float(num_bytes)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            break
        value /= 1024
    text = f"{value:.1f}".rstrip("0").rstrip(".") if unit != "B" else str(num_bytes)
    return f"{text} {unit}"


def open_blob_store(settings: Settings) -> BlobStore:
    """The blob store the settings choose.

    Backends are imported here rather than at module level so an optional backend's client
    library is only needed by instances that use it.
    """
    if settings.blob_store == "local":
        from matcloud.core.storage.local import LocalBlobStore

        return LocalBlobStore(settings.resolved_blob_dir)
    raise ValidationFailed(f"unknown blob store backend {settings.blob_store!r}")


__all__ = [
    "CHUNK_SIZE",
    "BlobInfo",
    "BlobStore",
    "format_size",
    "open_blob_store",
    "validate_blob_id",
    "validate_range",
]
