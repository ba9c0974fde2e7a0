"""Stream a ZIP archive of stored files, without temp files and with its length known up front.

"Download all files of this record" must work for records of hundreds of gigabytes, so the ZIP
is produced on the fly: each entry is STORED (research data is mostly compressed already, and
deflating tens of GB would cost minutes of CPU per download), its CRC-32 is computed while its
bytes pass through, and CRC and sizes follow the data in a data descriptor (general-purpose flag
bit 3). Memory stays flat: one chunk in flight plus one small record per entry for the central
directory.

Because every entry's size is declared before streaming and nothing is compressed, the whole
layout, and so the archive's exact length, is known before the first byte: :func:`zip_size`
lets the HTTP response carry ``Content-Length`` (browsers show progress and the download can be
resumed). Both functions derive the bytes from one layout, so they cannot disagree.

Zip64 structures are written only when needed (an entry of 4 GiB or more, an offset past 4 GiB,
65,535 entries or more), or always with ``force_zip64`` so tests exercise them on small data.
Names are UTF-8 (flag bit 11) and must be relative paths without ``..``: a hostile or careless
key must not let an unzip write outside its target directory.
"""

from __future__ import annotations

import re
import struct
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

_MAX16 = 0xFFFF
_MAX32 = 0xFFFFFFFF
_FLAGS = 0x0008 | 0x0800  # sizes and CRC in a data descriptor; names are UTF-8
_STORED = 0
_VERSION = 20  # 2.0: what a plain STORED entry with a data descriptor needs
_VERSION_ZIP64 = 45  # 4.5: Zip64 extensions
_MADE_BY = (3 << 8) | _VERSION_ZIP64  # Unix, so the external attributes are a file mode
_FILE_MODE = 0o100644 << 16  # regular file, rw-r--r-- when unzipped on Unix

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_DESCRIPTOR = struct.Struct("<IIII")
_DESCRIPTOR64 = struct.Struct("<IIQQ")
_END64 = struct.Struct("<IQHHIIQQQQ")
_LOCATOR64 = struct.Struct("<IIQI")
_END = struct.Struct("<IHHHHIIH")

#: The central directory is yielded in pieces of about this size rather than one join of it all
#: (70,000 entries make a ~6 MB directory) or 70,000 tiny writes.
_DIRECTORY_PIECE = 256 * 1024

_DRIVE = re.compile(r"[A-Za-z]:")


class ZipContentError(ValueError):
    """An entry's chunks did not add up to its declared size.

    The archive is then corrupt (its layout was announced up front), so streaming stops with this
    error instead of silently producing a ZIP whose central directory lies.
    """


@dataclass(frozen=True)
class ZipEntry:
    """One file of an archive: where it goes, how big it is and how to read it.

    ``chunks`` is called only when the entry's turn comes, so a thousand entries do not hold a
    thousand open files. ``modified`` is stored as a DOS time (UTC; naive means UTC) and, for
    1970-2038, exactly as a Unix time in an extended-timestamp field.
    """

    name: str
    size: int
    chunks: Callable[[], Iterator[bytes]]
    modified: datetime


@dataclass(frozen=True)
class _Placed:
    """An entry with everything about its bytes that does not depend on its content."""

    entry: ZipEntry
    name: bytes
    offset: int
    zip64: bool  # sizes as Zip64 (local extra, 8-byte descriptor sizes, central extra)
    offset64: bool  # local header offset in the central Zip64 extra
    dos_time: int
    dos_date: int
    unix_time: int | None

    @property
    def version(self) -> int:
        return _VERSION_ZIP64 if self.zip64 or self.offset64 else _VERSION

    def local_header(self) -> bytes:
        extra = self._timestamp_extra()
        size32 = 0
        if self.zip64:
            extra += struct.pack("<HHQQ", 0x0001, 16, 0, 0)
            size32 = _MAX32
        header = _LOCAL.pack(
            0x04034B50, self.version, _FLAGS, _STORED, self.dos_time, self.dos_date,
            0, size32, size32, len(self.name), len(extra),
        )  # fmt: skip
        return header + self.name + extra

    def descriptor(self, crc: int) -> bytes:
        size = self.entry.size
        if self.zip64:
            return _DESCRIPTOR64.pack(0x08074B50, crc, size, size)
        return _DESCRIPTOR.pack(0x08074B50, crc, size, size)

    def descriptor_length(self) -> int:
        return _DESCRIPTOR64.size if self.zip64 else _DESCRIPTOR.size

    def central_header(self, crc: int) -> bytes:
        size = self.entry.size
        fields: list[int] = []
        size32, offset32 = size, self.offset
        if self.zip64:
            fields += [size, size]
            size32 = _MAX32
        if self.offset64:
            fields.append(self.offset)
            offset32 = _MAX32
        extra = self._timestamp_extra()
        if fields:
            extra += struct.pack(f"<HH{len(fields)}Q", 0x0001, 8 * len(fields), *fields)
        header = _CENTRAL.pack(
            0x02014B50, _MADE_BY, self.version, _FLAGS, _STORED, self.dos_time, self.dos_date,
            crc, size32, size32, len(self.name), len(extra), 0, 0, 0, _FILE_MODE, offset32,
        )  # fmt: skip
        return header + self.name + extra

    def _timestamp_extra(self) -> bytes:
        """Info-ZIP's extended timestamp (0x5455): the exact mtime, in UTC, for unzip."""
        if self.unix_time is None:
            return b""
        return struct.pack("<HHBI", 0x5455, 5, 1, self.unix_time)


@dataclass(frozen=True)
class _Layout:
    entries: list[_Placed]
    directory_offset: int
    directory_size: int
    zip64_end: bool
    force_zip64: bool

    @property
    def total(self) -> int:
        end = _END.size + (_END64.size + _LOCATOR64.size if self.zip64_end else 0)
        return self.directory_offset + self.directory_size + end

    def end_records(self) -> bytes:
        count, start, length = len(self.entries), self.directory_offset, self.directory_size
        records = b""
        if self.zip64_end:
            end64_offset = start + length
            records += _END64.pack(
                0x06064B50, _END64.size - 12, _MADE_BY, _VERSION_ZIP64, 0, 0,
                count, count, length, start,
            )  # fmt: skip
            records += _LOCATOR64.pack(0x07064B50, 0, end64_offset, 1)
        force = self.force_zip64
        count16 = _MAX16 if force or count >= _MAX16 else count
        length32 = _MAX32 if force or length >= _MAX32 else length
        start32 = _MAX32 if force or start >= _MAX32 else start
        return records + _END.pack(0x06054B50, 0, 0, count16, count16, length32, start32, 0)


def stream_zip(entries: Iterable[ZipEntry], *, force_zip64: bool = False) -> Iterator[bytes]:
    """The bytes of a ZIP of ``entries``, in order, as an iterator of chunks.

    Names are checked (and ``ValueError`` raised) by this call, before any byte is produced, so
    a web handler can still answer with an error. Reading an entry that yields more or fewer
    bytes than its ``size`` raises :class:`ZipContentError` mid-stream.
    """
    return _stream(_layout(entries, force_zip64))


def zip_size(entries: Iterable[ZipEntry], *, force_zip64: bool = False) -> int:
    """The exact length of ``stream_zip(entries, force_zip64=...)``, without reading any entry.

    Pass a list (not a one-shot iterator) when calling both functions on the same entries.
    """
    return _layout(entries, force_zip64).total


def _stream(layout: _Layout) -> Iterator[bytes]:
    crcs: list[int] = []
    for placed in layout.entries:
        yield placed.local_header()
        crc = 0
        for chunk in _checked_chunks(placed.entry):
            crc = zlib.crc32(chunk, crc)
            yield chunk
        crcs.append(crc)
        yield placed.descriptor(crc)
    piece = bytearray()
    for placed, crc in zip(layout.entries, crcs, strict=True):
        piece += placed.central_header(crc)
        if len(piece) >= _DIRECTORY_PIECE:
            yield bytes(piece)
            piece.clear()
    yield bytes(piece) + layout.end_records()


def _checked_chunks(entry: ZipEntry) -> Iterator[bytes]:
    """The entry's chunks, refusing any byte beyond ``size`` and a short read at the end."""
    chunks = entry.chunks()
    seen = 0
    try:
        for chunk in chunks:
            if not chunk:
                continue
            seen += len(chunk)
            if seen > entry.size:
                raise ZipContentError(
                    f"{entry.name!r} yielded more than its declared {entry.size} bytes"
                )
            yield chunk
    finally:
        close = getattr(chunks, "close", None)
        if callable(close):
            close()  # release the source (an open blob) even when the download is abandoned
    if seen != entry.size:
        raise ZipContentError(f"{entry.name!r} yielded {seen} bytes, not its declared {entry.size}")


def _layout(entries: Iterable[ZipEntry], force_zip64: bool) -> _Layout:
    """Place every entry: offsets, Zip64 decisions and times; validate names on the way."""
    placed: list[_Placed] = []
    files: set[str] = set()
    directories: set[str] = set()
    offset = 0
    for entry in entries:
        name = _checked_name(entry.name, files, directories)
        if entry.size < 0:
            raise ValueError(f"{entry.name!r} has a negative size")
        dos_time, dos_date, unix_time = _times(entry.modified)
        item = _Placed(
            entry=entry,
            name=name,
            offset=offset,
            zip64=force_zip64 or entry.size >= _MAX32,
            offset64=force_zip64 or offset >= _MAX32,
            dos_time=dos_time,
            dos_date=dos_date,
            unix_time=unix_time,
        )
        placed.append(item)
        offset += len(item.local_header()) + entry.size + item.descriptor_length()
    directory_size = sum(len(item.central_header(0)) for item in placed)
    zip64_end = force_zip64 or len(placed) >= _MAX16 or offset >= _MAX32 or directory_size >= _MAX32
    return _Layout(placed, offset, directory_size, zip64_end, force_zip64)


def _checked_name(name: str, files: set[str], directories: set[str]) -> bytes:
    """``name`` as UTF-8 if it is a safe, new, relative file path; otherwise ``ValueError``.

    Refused: absolute paths, drive letters, backslashes (a separator on Windows), empty, ``.``
    and ``..`` components, control characters, and clashes (the same name twice, or a name
    that is also another entry's directory), which unzip tools would resolve by overwriting.
    """
    if not name:
        raise ValueError("a ZIP entry needs a name")
    if "\\" in name or name.startswith("/") or _DRIVE.match(name):
        raise ValueError(f"{name!r} is not a relative path with '/' separators")
    if any(unicodedata.category(char) == "Cc" for char in name):
        raise ValueError(f"{name!r} contains control characters")
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"{name!r} has an empty, '.' or '..' path component")
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{name!r} is not valid Unicode text") from None
    if len(encoded) > _MAX16:
        raise ValueError(f"{name[:40]!r}... is longer than a ZIP name may be")
    parents = ["/".join(parts[:depth]) for depth in range(1, len(parts))]
    if name in files:
        raise ValueError(f"{name!r} appears twice")
    if name in directories or any(parent in files for parent in parents):
        raise ValueError(f"{name!r} is both a file and a directory in the archive")
    files.add(name)
    directories.update(parents)
    return encoded


def _times(modified: datetime) -> tuple[int, int, int | None]:
    """DOS time and date (UTC, clamped to 1980-2107) and the Unix time when it fits 31 bits."""
    utc = modified.astimezone(UTC) if modified.tzinfo is not None else modified.replace(tzinfo=UTC)
    unix = int(utc.timestamp())
    unix_time = unix if 0 <= unix <= 0x7FFFFFFF else None
    if utc.year < 1980:
        utc = datetime(1980, 1, 1, tzinfo=UTC)
    elif utc.year > 2107:
        utc = datetime(2107, 12, 31, 23, 59, 58, tzinfo=UTC)
    dos_time = (utc.hour << 11) | (utc.minute << 5) | (utc.second // 2)
    dos_date = ((utc.year - 1980) << 9) | (utc.month << 5) | utc.day
    return dos_time, dos_date, unix_time


__all__ = ["ZipContentError", "ZipEntry", "stream_zip", "zip_size"]
