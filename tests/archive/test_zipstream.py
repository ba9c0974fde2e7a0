"""Streamed ZIP archives: read back by Python's zipfile and Info-ZIP's unzip, sizes predicted."""

from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
import zipfile
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from matcloud.archive.zipstream import ZipContentError, ZipEntry, stream_zip, zip_size

WHEN = datetime(2024, 5, 6, 7, 8, 10, tzinfo=UTC)
UNZIP = shutil.which("unzip") or "/usr/bin/unzip"


def entry(name: str, data: bytes, *, pieces: int = 3, modified: datetime = WHEN) -> ZipEntry:
    """An entry whose content arrives in several chunks, as a blob store would hand it over."""

    def chunks() -> Iterator[bytes]:
        step = max(1, -(-len(data) // pieces))
        for start in range(0, len(data), step):
            yield data[start : start + step]

    return ZipEntry(name=name, size=len(data), chunks=chunks, modified=modified)


def build(entries: list[ZipEntry], *, force_zip64: bool = False) -> bytes:
    data = b"".join(stream_zip(entries, force_zip64=force_zip64))
    assert len(data) == zip_size(entries, force_zip64=force_zip64)
    return data


def unzip_test(path: Path, *members: str) -> str:
    result = subprocess.run(
        [UNZIP, "-t", str(path), *members],
        capture_output=True,
        text=True,
        env={**os.environ, "LC_ALL": "C.UTF-8"},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No errors detected" in result.stdout
    return result.stdout


CONTENT = {
    "README.txt": b"hello archive\n",
    "data/structures/Si.cif": b"data_Si\n_cell_length_a 5.43\n" * 50,
    "data/empty.dat": b"",
    "random.bin": os.urandom(200_000),
}


@pytest.mark.parametrize("force_zip64", [False, True])
def test_zipfile_reads_back_names_content_and_crcs(force_zip64: bool) -> None:
    data = build([entry(name, body) for name, body in CONTENT.items()], force_zip64=force_zip64)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == list(CONTENT)
        for info in archive.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            assert info.flag_bits & 0x0008  # data descriptor
            assert info.flag_bits & 0x0800  # UTF-8 name
            assert info.CRC == zlib.crc32(CONTENT[info.filename])
            assert info.file_size == len(CONTENT[info.filename])
            assert info.date_time == (2024, 5, 6, 7, 8, 10)
            assert archive.read(info) == CONTENT[info.filename]
            assert (info.external_attr >> 16) == 0o100644


@pytest.mark.parametrize("force_zip64", [False, True])
def test_unzip_accepts_the_archive(tmp_path: Path, force_zip64: bool) -> None:
    path = tmp_path / "files.zip"
    path.write_bytes(build([entry(n, b) for n, b in CONTENT.items()], force_zip64=force_zip64))
    output = unzip_test(path)
    for name in CONTENT:
        assert name in output


def test_zip64_records_only_when_needed_or_forced() -> None:
    entries = [entry("a.txt", b"abc")]
    plain = build(entries)
    forced = build(entries, force_zip64=True)
    assert b"PK\x06\x06" not in plain and b"PK\x06\x07" not in plain
    assert b"PK\x06\x06" in forced and b"PK\x06\x07" in forced
    with zipfile.ZipFile(io.BytesIO(forced)) as archive:
        info = archive.getinfo("a.txt")
        assert info.extract_version == 45
        assert archive.read(info) == b"abc"


def test_non_ascii_names(tmp_path: Path) -> None:
    names = ["données/résumé.txt", "结构/硅.cif", "emoji-🧪.json", "Ωmega space.dat"]
    data = build([entry(name, name.encode()) for name in names])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == names
        assert all(info.flag_bits & 0x0800 for info in archive.infolist())
        assert [archive.read(name) for name in names] == [name.encode() for name in names]
    path = tmp_path / "unicode.zip"
    path.write_bytes(data)
    unzip_test(path)
    target = tmp_path / "out"
    with zipfile.ZipFile(path) as archive:
        archive.extractall(target)
    assert (target / "结构" / "硅.cif").read_bytes() == "结构/硅.cif".encode()


def test_empty_files_and_empty_archive(tmp_path: Path) -> None:
    data = build([entry("nothing.txt", b""), entry("also/nothing", b"")])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        assert [archive.read(n) for n in archive.namelist()] == [b"", b""]
    path = tmp_path / "empties.zip"
    path.write_bytes(data)
    unzip_test(path)

    for force in (False, True):
        empty = build([], force_zip64=force)
        assert len(empty) == (22 + 56 + 20 if force else 22)
        with zipfile.ZipFile(io.BytesIO(empty)) as archive:
            assert archive.namelist() == []


def test_more_than_65535_entries(tmp_path: Path) -> None:
    count = 70_000
    entries = [entry(f"d{i // 1000}/f{i}.txt", str(i).encode(), pieces=1) for i in range(count)]
    data = build(entries)
    assert b"PK\x06\x06" in data  # the entry count needs the Zip64 end record
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        assert len(infos) == count
        assert archive.read("d69/f69999.txt") == b"69999"
        assert archive.read("d0/f0.txt") == b"0"
        assert archive.testzip() is None
    path = tmp_path / "many.zip"
    path.write_bytes(data)
    unzip_test(path)


def test_zip_size_is_exact_for_many_shapes() -> None:
    shapes = [
        [],
        [entry("a", b"")],
        [entry("a", b"x" * 100_001, pieces=7), entry("b/é", b"y")],
        [entry("old.txt", b"1", modified=datetime(1970, 1, 1, tzinfo=UTC))],
        [entry("far.txt", b"1", modified=datetime(2150, 1, 1, tzinfo=UTC))],
    ]
    for entries in shapes:
        for force in (False, True):
            build(entries, force_zip64=force)  # asserts the length


def test_size_over_4_gib_uses_zip64_and_offsets_past_4_gib(tmp_path: Path) -> None:
    """A real Zip64 archive: one 4 GiB entry of zeros, then a small one beyond the 4 GiB mark.

    The zeros are written as a hole in a sparse file, so the test needs neither 4 GiB of memory
    nor of disk. Checking the big entry's CRC by reading it back takes unzip ~30 s, so its CRC
    is compared with one computed here, its data descriptor is read directly, and unzip tests
    the entry stored past the 4 GiB mark (which needs the Zip64 offset) and lists the rest.
    """
    big = 0x1_0000_0000  # 4 GiB: the 32-bit size fields cannot hold it
    zeros = bytes(8 * 1024 * 1024)

    def zero_chunks() -> Iterator[bytes]:
        for _ in range(big // len(zeros)):
            yield zeros

    entries = [
        ZipEntry("big.bin", big, zero_chunks, WHEN),
        entry("after.txt", b"past the 4 GiB mark"),
    ]
    path = tmp_path / "huge.zip"
    with path.open("wb") as out:
        for chunk in stream_zip(entries):
            if chunk is zeros:
                out.seek(len(chunk), os.SEEK_CUR)
            else:
                out.write(chunk)
        out.truncate()
    assert path.stat().st_size == zip_size(entries)
    with zipfile.ZipFile(path) as archive:
        big_info = archive.getinfo("big.bin")
        assert big_info.file_size == big
        assert big_info.CRC == _crc_of_zeros(big, zeros)
        after = archive.getinfo("after.txt")
        assert after.header_offset > 0xFFFFFFFF
        assert archive.read(after) == b"past the 4 GiB mark"
    with path.open("rb") as handle:
        handle.seek(after.header_offset - 24)
        descriptor = handle.read(24)
    assert descriptor == struct.pack("<IIQQ", 0x08074B50, big_info.CRC, big, big)
    assert "1 file" in unzip_test(path, "after.txt")
    listing = subprocess.run([UNZIP, "-l", str(path)], capture_output=True, text=True, check=True)
    assert str(big) in listing.stdout and "2 files" in listing.stdout


def _crc_of_zeros(length: int, zeros: bytes) -> int:
    crc = 0
    for _ in range(length // len(zeros)):
        crc = zlib.crc32(zeros, crc)
    return crc


def test_extended_timestamp_keeps_the_exact_time(tmp_path: Path) -> None:
    when = datetime(2023, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    path = tmp_path / "time.zip"
    path.write_bytes(build([entry("t.txt", b"t", modified=when)]))
    target = tmp_path / "out"
    subprocess.run([UNZIP, "-q", str(path), "-d", str(target)], check=True)
    assert (target / "t.txt").stat().st_mtime == when.timestamp()
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("t.txt").date_time == (2023, 1, 2, 1, 4, 4)  # UTC, 2 s steps


def test_naive_times_are_utc_and_dos_range_is_clamped() -> None:
    entries = [
        entry("naive.txt", b"1", modified=datetime(2020, 2, 3, 4, 5, 6)),
        entry("early.txt", b"1", modified=datetime(1960, 1, 1, tzinfo=UTC)),
        entry("late.txt", b"1", modified=datetime(2200, 1, 1, tzinfo=UTC)),
    ]
    with zipfile.ZipFile(io.BytesIO(build(entries))) as archive:
        assert archive.getinfo("naive.txt").date_time == (2020, 2, 3, 4, 5, 6)
        assert archive.getinfo("early.txt").date_time == (1980, 1, 1, 0, 0, 0)
        assert archive.getinfo("late.txt").date_time == (2107, 12, 31, 23, 59, 58)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "/etc/passwd",
        "../escape.txt",
        "a/../../escape.txt",
        "a/./b",
        ".",
        "a//b",
        "dir/",
        "C:/Windows/evil.dll",
        "c:evil",
        "a\\b.txt",
        "..\\..\\evil",
        "bad\x00name",
        "new\nline",
        "x" * 70_000,
        "lone-surrogate-\udc80",
    ],
)
def test_unsafe_names_are_refused_before_any_byte(name: str) -> None:
    entries = [entry("fine.txt", b"ok"), entry(name, b"bad")]
    with pytest.raises(ValueError):
        stream_zip(entries)
    with pytest.raises(ValueError):
        zip_size(entries)


@pytest.mark.parametrize(
    "names",
    [["a.txt", "a.txt"], ["dir", "dir/file.txt"], ["dir/file.txt", "dir"], ["a/b/c", "a/b"]],
)
def test_clashing_names_are_refused(names: list[str]) -> None:
    with pytest.raises(ValueError, match="twice|both a file and a directory"):
        stream_zip([entry(name, b"x") for name in names])


def test_similar_but_distinct_names_are_fine() -> None:
    names = ["a", "ab/c", "a.b/c", "A", "..a", "a..", "dir/.hidden", "t12:00.txt"]
    with zipfile.ZipFile(io.BytesIO(build([entry(n, b"1") for n in names]))) as archive:
        assert archive.namelist() == names


def test_negative_size_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        zip_size([ZipEntry("a", -1, lambda: iter([b""]), WHEN)])


@pytest.mark.parametrize("actual", [b"short", b"exactly ten+more", b""])
def test_content_not_matching_the_declared_size_raises(actual: bytes) -> None:
    declared = 10
    bad = ZipEntry("bad.bin", declared, lambda: iter([actual[:4], actual[4:]]), WHEN)
    stream = stream_zip([entry("good.txt", b"fine"), bad])
    with pytest.raises(ZipContentError, match="bad.bin"):
        for _ in stream:
            pass


def test_too_many_bytes_are_refused_before_they_are_sent() -> None:
    sent: list[bytes] = []
    bad = ZipEntry("bad.bin", 3, lambda: iter([b"abc", b"d"]), WHEN)
    with pytest.raises(ZipContentError):
        for chunk in stream_zip([bad]):
            sent.append(chunk)
    assert b"d" not in sent


def test_entries_are_read_lazily_and_chunks_pass_through_uncopied() -> None:
    opened: list[str] = []
    payload = b"z" * 4096

    def source(name: str) -> ZipEntry:
        def chunks() -> Iterator[bytes]:
            opened.append(name)
            yield payload

        return ZipEntry(name, len(payload), chunks, WHEN)

    stream = stream_zip([source("one"), source("two")])
    assert opened == []
    assert next(stream).startswith(b"PK\x03\x04")  # the first local header
    assert opened == []
    assert next(stream) is payload  # no copy, no buffering of the entry
    assert opened == ["one"]
    rest = list(stream)
    assert opened == ["one", "two"]
    assert sum(1 for chunk in rest if chunk is payload) == 1


def test_an_abandoned_stream_closes_the_current_source() -> None:
    closed: list[bool] = []

    def chunks() -> Iterator[bytes]:
        try:
            while True:
                yield b"x" * 10
        finally:
            closed.append(True)

    stream = stream_zip([ZipEntry("endless", 10**9, chunks, WHEN)])
    next(stream)
    next(stream)
    stream.close()  # type: ignore[attr-defined]
    assert closed == [True]
