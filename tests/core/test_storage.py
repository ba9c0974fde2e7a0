"""The local blob store against real files: integrity, ranges, limits, crashes and races."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from matcloud.core.errors import NotFound, TooLarge, Unavailable, ValidationFailed
from matcloud.core.storage import CHUNK_SIZE, BlobInfo, BlobStore, format_size, open_blob_store
from matcloud.core.storage.local import LocalBlobStore
from matcloud.settings import Settings

MISSING_ID = "0" * 64


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def patterned(size: int) -> bytes:
    """Deterministic bytes that differ at every offset within a 1 MiB period and across periods."""
    block = hashlib.sha256(str(size).encode()).digest() * (CHUNK_SIZE // 32 + 1)
    return (block * (size // len(block) + 1))[:size]


def object_files(root: Path) -> list[Path]:
    objects = root / "objects"
    return sorted(p for p in objects.rglob("*") if p.is_file()) if objects.exists() else []


def tmp_files(root: Path) -> list[Path]:
    tmp = root / "tmp"
    return sorted(tmp.iterdir()) if tmp.exists() else []


def test_round_trip_checksums_match_hashlib(store: LocalBlobStore) -> None:
    data = patterned(3 * CHUNK_SIZE + 12345)
    info = store.put(io.BytesIO(data))

    sha = hashlib.sha256(data).hexdigest()
    assert info == BlobInfo(id=sha, size=len(data), md5=hashlib.md5(data).hexdigest(), sha256=sha)
    with store.open(info.id) as reader:
        assert reader.read() == data
    assert b"".join(store.iter_range(info.id)) == data
    assert store.size(info.id) == len(data)
    assert store.exists(info.id)
    assert store.verify(info.id)


def test_layout_fan_out_read_only_and_no_temp_left(store: LocalBlobStore) -> None:
    info = store.put(io.BytesIO(b"hello"))

    path = store.root / "objects" / info.id[:2] / info.id[2:4] / info.id
    assert object_files(store.root) == [path]
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert tmp_files(store.root) == []


def test_empty_blob(store: LocalBlobStore) -> None:
    info = store.put(io.BytesIO(b""))

    assert info.id == hashlib.sha256(b"").hexdigest()
    assert info.size == 0
    assert b"".join(store.iter_range(info.id)) == b""


def test_identical_content_is_stored_once(store: LocalBlobStore) -> None:
    data = patterned(CHUNK_SIZE + 1)
    first = store.put(io.BytesIO(data))
    second = store.put(iter([data[:10], data[10:]]))

    assert first == second
    assert len(object_files(store.root)) == 1
    assert tmp_files(store.root) == []


def test_iterable_of_bytes_of_any_chunk_sizes(store: LocalBlobStore) -> None:
    pieces = [b"a", b"", b"bc" * 1000, patterned(2 * CHUNK_SIZE + 7), b"z"]
    data = b"".join(pieces)

    def generate() -> Iterator[bytes]:
        yield from pieces

    info = store.put(generate())

    assert info.id == hashlib.sha256(data).hexdigest()
    assert info.md5 == hashlib.md5(data).hexdigest()
    assert info.size == len(data)
    with store.open(info.id) as reader:
        assert reader.read() == data


def test_small_pieces_from_a_web_body_and_a_real_file(
    store: LocalBlobStore, tmp_path: Path
) -> None:
    data = patterned(5 * CHUNK_SIZE + 3)
    pieces = [data[i : i + 65536] for i in range(0, len(data), 65536)]
    source = tmp_path / "source.bin"
    source.write_bytes(data)

    from_pieces = store.put(pieces)
    with source.open("rb", buffering=0) as raw:
        from_file = store.put(raw)

    assert from_pieces == from_file
    assert from_file.md5 == hashlib.md5(data).hexdigest()
    assert len(object_files(store.root)) == 1


@pytest.mark.parametrize(
    ("start", "end"),
    [(0, None), (0, 1), (5, 10), (7, None), (100, 100), (0, 0), (255, 256), (256, None)],
)
def test_byte_ranges(store: LocalBlobStore, start: int, end: int | None) -> None:
    data = bytes(range(256))
    info = store.put(io.BytesIO(data))

    with store.open(info.id, start, end) as reader:
        assert reader.read() == data[start:end]
    assert b"".join(store.iter_range(info.id, start, end, chunk_size=3)) == data[start:end]


def test_range_reader_never_reads_outside_its_window(store: LocalBlobStore) -> None:
    data = patterned(3 * CHUNK_SIZE)
    info = store.put(io.BytesIO(data))
    start, end = CHUNK_SIZE - 5, 2 * CHUNK_SIZE + 5

    with store.open(info.id, start, end) as reader:
        assert reader.read(10) == data[start : start + 10]
        assert reader.tell() == 10
        reader.seek(-3, io.SEEK_END)
        assert reader.read(100) == data[end - 3 : end]
        reader.seek(0)
        assert reader.read() == data[start:end]
        reader.seek(10**9)
        assert reader.read() == b""


@pytest.mark.parametrize(("start", "end"), [(-1, None), (0, 257), (10, 5), (257, None)])
def test_out_of_bounds_ranges_are_rejected(
    store: LocalBlobStore, start: int, end: int | None
) -> None:
    info = store.put(io.BytesIO(bytes(range(256))))

    with pytest.raises(ValidationFailed):
        store.open(info.id, start, end)
    with pytest.raises(ValidationFailed):
        store.iter_range(info.id, start, end)


def test_missing_blob_is_not_found(store: LocalBlobStore) -> None:
    store.put(io.BytesIO(b"something else"))

    for call in (store.open, store.iter_range, store.size, store.verify):
        with pytest.raises(NotFound):
            call(MISSING_ID)
    assert not store.exists(MISSING_ID)
    assert store.delete(MISSING_ID) is False


def test_missing_blob_in_a_store_never_written(store: LocalBlobStore) -> None:
    with pytest.raises(NotFound):
        store.open(MISSING_ID)
    assert not store.exists(MISSING_ID)


@pytest.mark.parametrize(
    "bad_id",
    [
        "../../etc/passwd",
        "../" * 21 + "x",
        "A" * 64,
        "0123456789ABCDEF" * 4,
        "0" * 63,
        "0" * 65,
        "",
        "g" * 64,
        "0" * 62 + "/0",
        "0" * 63 + "\n",
    ],
)
def test_malformed_ids_are_rejected(store: LocalBlobStore, bad_id: str) -> None:
    store.put(io.BytesIO(b"x"))

    for call in (store.open, store.iter_range, store.size, store.exists, store.delete):
        with pytest.raises(ValidationFailed):
            call(bad_id)
    with pytest.raises(ValidationFailed):
        store.verify(bad_id)


def test_over_the_limit_stores_nothing(store: LocalBlobStore) -> None:
    limit = 2 * CHUNK_SIZE
    consumed = 0

    def endless() -> Iterator[bytes]:
        nonlocal consumed
        while True:
            consumed += 1
            yield b"x" * CHUNK_SIZE

    with pytest.raises(TooLarge, match="exceeds the limit of 2 MiB"):
        store.put(endless(), max_bytes=limit)

    assert consumed == 3  # stopped at the first chunk past the limit
    assert object_files(store.root) == []
    assert tmp_files(store.root) == []


def test_exactly_at_the_limit_is_accepted(store: LocalBlobStore) -> None:
    data = patterned(CHUNK_SIZE)

    assert store.put(io.BytesIO(data), max_bytes=len(data)).size == len(data)
    with pytest.raises(TooLarge, match="exceeds the limit of 1023 B"):
        store.put(io.BytesIO(data + b"!"), max_bytes=1023)


@pytest.mark.parametrize(
    ("num_bytes", "text"),
    [(0, "0 B"), (1023, "1023 B"), (1024, "1 KiB"), (1536, "1.5 KiB"), (5 * 1024**3, "5 GiB")],
)
def test_format_size(num_bytes: int, text: str) -> None:
    assert format_size(num_bytes) == text


def test_delete(store: LocalBlobStore) -> None:
    info = store.put(io.BytesIO(b"to be removed"))

    assert store.delete(info.id) is True
    assert not store.exists(info.id)
    assert store.delete(info.id) is False
    with pytest.raises(NotFound):
        store.open(info.id)
    assert store.put(io.BytesIO(b"to be removed")) == info  # and it can come back


def test_verify_detects_corruption(store: LocalBlobStore) -> None:
    info = store.put(io.BytesIO(patterned(100_000)))
    path = store.root / "objects" / info.id[:2] / info.id[2:4] / info.id
    assert store.verify(info.id)

    path.chmod(0o644)
    with path.open("r+b") as handle:
        handle.seek(50_000)
        handle.write(b"\x00")

    assert not store.verify(info.id)


def test_put_repairs_a_damaged_copy_of_another_length(store: LocalBlobStore) -> None:
    data = patterned(10_000)
    info = store.put(io.BytesIO(data))
    path = store.root / "objects" / info.id[:2] / info.id[2:4] / info.id
    path.chmod(0o644)
    path.write_bytes(data[:100])

    assert store.put(io.BytesIO(data)) == info
    assert store.verify(info.id)
    assert stat.S_IMODE(path.stat().st_mode) == 0o444


def test_check_passes_and_creates_the_layout(store: LocalBlobStore) -> None:
    store.check()

    assert (store.root / "objects").is_dir()
    assert tmp_files(store.root) == []


def test_check_reports_an_unusable_root(tmp_path: Path) -> None:
    # Tests run as root, whom permission bits do not stop; a regular file in the path does.
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    store = LocalBlobStore(blocker / "blobs")

    with pytest.raises(Unavailable, match="not writable"):
        store.check()
    with pytest.raises(NotFound):
        store.open(MISSING_ID)

    root_is_a_file = LocalBlobStore(blocker)
    with pytest.raises(Unavailable):
        root_is_a_file.check()


def test_open_blob_store_from_settings(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")

    store = open_blob_store(settings)

    assert isinstance(store, LocalBlobStore)
    assert isinstance(store, BlobStore)
    assert store.root == tmp_path / "data" / "blobs"
    assert store.put(io.BytesIO(b"abc")).size == 3


def test_concurrent_puts_of_the_same_content_leave_one_intact_blob(
    store: LocalBlobStore,
) -> None:
    data = patterned(3 * CHUNK_SIZE + 99)
    barrier = threading.Barrier(4)
    results: list[BlobInfo] = []
    errors: list[BaseException] = []

    def put() -> None:
        try:
            barrier.wait()
            results.append(store.put(io.BytesIO(data)))
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=put) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(results) == 4 and len(set(results)) == 1
    assert len(object_files(store.root)) == 1
    assert tmp_files(store.root) == []
    assert store.verify(results[0].id)


CHILD = """
import sys, time
from pathlib import Path
from matcloud.core.storage.local import LocalBlobStore

root, marker = Path(sys.argv[1]), Path(sys.argv[2])

def slow():
    for i in range(64):
        if i == 8:
            marker.write_text("8 chunks written")
            while True:
                time.sleep(1)
        yield bytes([i]) * (1024 * 1024)

LocalBlobStore(root).put(slow())
"""


def test_a_writer_killed_mid_write_leaves_no_visible_blob(tmp_path: Path) -> None:
    root, marker = tmp_path / "blobs", tmp_path / "marker"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(root), str(marker)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120  # a generous bound so a broken child cannot hang CI
        while not marker.exists():
            assert child.poll() is None, child.stderr.read() if child.stderr else ""
            assert time.monotonic() < deadline, "the child never started writing"
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
        if child.stderr:
            child.stderr.close()
    assert child.returncode == -signal.SIGKILL

    assert object_files(root) == []
    strays = tmp_files(root)
    assert len(strays) == 1 and strays[0].stat().st_size == 8 * CHUNK_SIZE
    store = LocalBlobStore(root)
    full = hashlib.sha256(b"".join(bytes([i]) * CHUNK_SIZE for i in range(64))).hexdigest()
    partial = hashlib.sha256(b"".join(bytes([i]) * CHUNK_SIZE for i in range(8))).hexdigest()
    assert not store.exists(full)
    assert not store.exists(partial)

    assert store.cleanup_tmp() == 0  # the default only takes files idle for an hour
    info = store.put(io.BytesIO(b"life goes on"))
    assert store.verify(info.id)
    assert store.cleanup_tmp(older_than_seconds=0) == 1
    assert tmp_files(root) == []
    assert object_files(root) == [root / "objects" / info.id[:2] / info.id[2:4] / info.id]


def test_cleanup_tmp_on_a_fresh_store(store: LocalBlobStore) -> None:
    assert store.cleanup_tmp(older_than_seconds=0) == 0


def test_a_failing_stream_leaves_nothing_behind(store: LocalBlobStore) -> None:
    def broken() -> Iterator[bytes]:
        yield b"x" * CHUNK_SIZE
        raise OSError("client went away")

    with pytest.raises(OSError, match="client went away"):
        store.put(broken())
    assert object_files(store.root) == []
    assert tmp_files(store.root) == []


def test_unconsumed_iterator_releases_the_file(store: LocalBlobStore) -> None:
    info = store.put(io.BytesIO(patterned(3 * CHUNK_SIZE)))
    before = len(os.listdir("/proc/self/fd"))

    chunks = store.iter_range(info.id)
    next(chunks)
    chunks.close()

    assert len(os.listdir("/proc/self/fd")) == before
