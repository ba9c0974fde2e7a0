"""The embedded blob store: a content-addressed directory tree on the local filesystem.

Layout under ``root``::

    objects/ab/cd/abcd...   one read-only file per blob, named by its sha256 (fan-out 2+2 hex
                            chars keeps directories small: 65,536 leaves for millions of blobs)
    tmp/put-*.part          uploads in progress; same filesystem, so publishing is a link

A write goes to a fresh temp file, is fsynced, then hard-linked into place and the directory is
fsynced. A process killed at any point therefore leaves either the complete blob or nothing under
``objects/`` (at worst a stray temp file, which :meth:`LocalBlobStore.cleanup_tmp` removes).
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
import re
import tempfile
import time
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from matcloud.core.errors import NotFound, TooLarge, Unavailable, ValidationFailed
from matcloud.core.storage import (
    CHUNK_SIZE,
    BlobInfo,
    format_size,
    validate_blob_id,
    validate_range,
)

#: While a large blob is written, ask the kernel every this many bytes to start writing back what
#: is dirty and to drop what is already on disk. Without it a multi-GB upload sits in the page
#: cache until the final fsync (slow, and it evicts everything else the server had cached).
_WRITEBACK_WINDOW = 32 * 1024 * 1024

_READ_ONLY = 0o444
_STAGE_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


class LocalBlobStore:
    """A :class:`~matcloud.core.storage.BlobStore` in a directory.

    The constructor touches nothing on disk, so an app can be built while the data disk is
    missing; directories are created on the first write and :meth:`check` reports the problem.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.objects_dir = self.root / "objects"
        self.tmp_dir = self.root / "tmp"

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    # -- writing ---------------------------------------------------------------------------------

    def put(self, stream: BinaryIO | Iterable[bytes], *, max_bytes: int | None = None) -> BlobInfo:
        """Stream ``stream`` into the store and return its id, size and checksums.

        Over ``max_bytes`` the upload is abandoned at the first chunk past the limit and its temp
        file removed, so an oversized request costs at most one chunk beyond the limit.
        """
        self._make_dirs()
        fd, tmp_name = tempfile.mkstemp(prefix="put-", suffix=".part", dir=self.tmp_dir)
        tmp_path = Path(tmp_name)
        try:
            try:
                info = _write_stream(fd, _chunks(stream), max_bytes)
                os.fsync(fd)
                if info.size > _WRITEBACK_WINDOW:
                    # All pages are clean after the fsync; a big upload is rarely read back at
                    # once, so leave the page cache to data that is.
                    _drop_cache(fd, 0, 0)
            finally:
                os.close(fd)
            os.chmod(tmp_path, _READ_ONLY)
            self._publish(tmp_path, info)
        finally:
            tmp_path.unlink(missing_ok=True)
        return info

    def _publish(self, tmp_path: Path, info: BlobInfo) -> None:
        """Make the fsynced temp file visible under its id, atomically."""
        target = self._path(info.id)
        self._make_fanout_dirs(target.parent)
        try:
            # link, unlike rename, never replaces: an existing blob is left untouched, so readers
            # of it are undisturbed and concurrent writers of the same content settle on one copy.
            os.link(tmp_path, target)
        except FileExistsError:
            if target.stat().st_size == info.size:
                return
            # Same address, different length: the stored copy is damaged. Ours hashes to the id,
            # so it is the good one.
            os.replace(tmp_path, target)
        _fsync_dir(target.parent)

    def _make_dirs(self) -> None:
        self.objects_dir.mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(exist_ok=True)

    def _make_fanout_dirs(self, leaf: Path) -> None:
        """Create ``objects/ab/cd`` as needed, fsyncing each parent whose entries changed."""
        for directory in (leaf.parent, leaf):
            try:
                directory.mkdir()
            except FileExistsError:
                continue
            _fsync_dir(directory.parent)

    def cleanup_tmp(self, older_than_seconds: float = 3600) -> int:
        """Remove temp files left by killed writers; return how many were removed.

        A live upload rewrites its temp file with every chunk, so its modification time stays
        fresh; only files untouched for ``older_than_seconds`` are considered abandoned.
        """
        cutoff = time.time() - older_than_seconds
        removed = 0
        try:
            entries = list(os.scandir(self.tmp_dir))
        except FileNotFoundError:
            return 0
        for entry in entries:
            try:
                if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime <= cutoff:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:
                continue
        return removed

    # -- staged writes (multipart uploads) --------------------------------------------------------

    def stage_write(
        self, stage_id: str, offset: int, stream: BinaryIO | Iterable[bytes], *, length: int
    ) -> int:
        """Write one part of a staged blob at ``offset``; return the bytes written.

        Parts land in place in one sparse temp file, in any order and in parallel, so the commit
        only hashes and links it: no second copy. More than ``length`` bytes is refused.
        A shared lock lets :meth:`stage_commit` wait for writers that are still running.
        """
        path = self._stage_path(stage_id)
        self._make_dirs()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
            written = 0
            for chunk in _chunks(stream):
                if written + len(chunk) > length:
                    raise TooLarge(f"the part exceeds its size of {format_size(length)}")
                view = memoryview(chunk)
                while view:
                    done = os.pwrite(fd, view, offset + written)
                    written += done
                    view = view[done:]
            os.fsync(fd)
            return written
        finally:
            os.close(fd)

    def stage_commit(self, stage_id: str, *, size: int) -> BlobInfo:
        """Hash the staged file in one pass and make it a blob (the stage is consumed)."""
        path = self._stage_path(stage_id)
        committing = self.tmp_dir / f"commit-{stage_id}-{os.getpid()}-{time.monotonic_ns()}"
        try:
            os.rename(path, committing)  # new part writes start a fresh stage, not ours
        except FileNotFoundError:
            raise NotFound("the staged upload is gone; send its parts again") from None
        try:
            fd = os.open(committing, os.O_RDONLY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)  # writers that opened it before the rename finish
                if os.fstat(fd).st_size != size:
                    raise ValidationFailed(
                        f"the staged upload has {os.fstat(fd).st_size} bytes, not {size}"
                    )
                with os.fdopen(os.dup(fd), "rb", buffering=0) as reader:
                    info = _write_stream(None, _chunks(reader), None)
            finally:
                os.close(fd)
            os.chmod(committing, _READ_ONLY)
            self._publish(committing, info)
        finally:
            committing.unlink(missing_ok=True)
        return info

    def stage_delete(self, stage_id: str) -> bool:
        try:
            self._stage_path(stage_id).unlink()
        except FileNotFoundError:
            return False
        return True

    def _stage_path(self, stage_id: str) -> Path:
        if not _STAGE_ID.fullmatch(stage_id):
            raise ValidationFailed(f"malformed stage id {stage_id!r}")
        return self.tmp_dir / f"stage-{stage_id}"

    # -- reading ---------------------------------------------------------------------------------

    def open(self, blob_id: str, start: int = 0, end: int | None = None) -> BinaryIO:
        """A buffered, seekable reader of ``[start, end)``; positions are relative to ``start``."""
        path = self._path(blob_id)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except (FileNotFoundError, NotADirectoryError):
            raise NotFound(f"blob {blob_id} does not exist") from None
        try:
            stop = validate_range(start, end, os.fstat(fd).st_size)
        except BaseException:
            os.close(fd)
            raise
        return io.BufferedReader(_RangeReader(fd, start, stop), buffer_size=64 * 1024)

    def iter_range(
        self,
        blob_id: str,
        start: int = 0,
        end: int | None = None,
        chunk_size: int = CHUNK_SIZE,
    ) -> Generator[bytes, None, None]:
        """Chunks of ``[start, end)``; the blob is opened (and checked) before this returns."""
        if chunk_size <= 0:
            raise ValidationFailed("chunk_size must be positive")
        return _iterate(self.open(blob_id, start, end), chunk_size)

    def size(self, blob_id: str) -> int:
        try:
            return self._path(blob_id).stat().st_size
        except (FileNotFoundError, NotADirectoryError):
            raise NotFound(f"blob {blob_id} does not exist") from None

    def exists(self, blob_id: str) -> bool:
        return self._path(blob_id).is_file()

    def delete(self, blob_id: str) -> bool:
        """Unlink the blob. Fan-out directories stay: removing them would race with writers."""
        path = self._path(blob_id)
        try:
            path.unlink()
        except (FileNotFoundError, NotADirectoryError):
            return False
        _fsync_dir(path.parent)
        return True

    def verify(self, blob_id: str) -> bool:
        """Re-hash the stored bytes; False means the file on disk no longer matches its id."""
        try:
            with open(self._path(blob_id), "rb") as handle:
                digest = hashlib.file_digest(handle, "sha256").hexdigest()
        except (FileNotFoundError, NotADirectoryError):
            raise NotFound(f"blob {blob_id} does not exist") from None
        return digest == blob_id

    # -- health ----------------------------------------------------------------------------------

    def check(self) -> None:
        """Prove the store is writable end to end: write, fsync and remove a probe file."""
        try:
            self._make_dirs()
            fd, probe = tempfile.mkstemp(prefix="probe-", dir=self.tmp_dir)
            try:
                os.write(fd, b"matcloud blob store probe\n")
                os.fsync(fd)
            finally:
                os.close(fd)
                os.unlink(probe)
        except OSError as exc:
            raise Unavailable(f"blob store at {self.root} is not writable: {exc}") from exc

    def local_path(self, blob_id: str) -> Path:
        """The read-only file holding the blob, for readers that need random access (zip)."""
        path = self._path(blob_id)
        if not path.is_file():
            raise NotFound(f"no blob {blob_id}")
        return path

    def _path(self, blob_id: str) -> Path:
        validate_blob_id(blob_id)
        return self.objects_dir / blob_id[:2] / blob_id[2:4] / blob_id


class _RangeReader(io.RawIOBase):
    """Raw reader of ``[start, end)`` of a file descriptor, with positions relative to ``start``.

    It reads with ``preadv`` at explicit offsets, so it never depends on (or moves) the shared
    file offset, and it cannot read outside its window whatever the caller seeks to.
    """

    def __init__(self, fd: int, start: int, end: int) -> None:
        super().__init__()
        self._fd = fd
        self._start = start
        self._end = end
        self._pos = start

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        count = min(len(buffer), self._end - self._pos)
        if count <= 0:
            return 0
        view = memoryview(buffer).cast("B")[:count]
        got = os.preadv(self._fd, [view], self._pos)
        self._pos += got
        return got

    def readall(self) -> bytes:
        parts = []
        while chunk := self.read(CHUNK_SIZE):
            parts.append(chunk)
        return b"".join(parts)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            base = self._start
        elif whence == io.SEEK_CUR:
            base = self._pos
        elif whence == io.SEEK_END:
            base = self._end
        else:
            raise ValueError(f"invalid whence {whence}")
        self._pos = max(self._start, base + offset)
        return self._pos - self._start

    def tell(self) -> int:
        return self._pos - self._start

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
        super().close()


def _chunks(stream: BinaryIO | Iterable[bytes]) -> Iterator[bytes]:
    """The bytes of a binary file or of an iterable of chunks, regrouped into ~``CHUNK_SIZE``.

    Web frameworks hand over request bodies in small pieces (64 KiB is common); regrouping keeps
    the per-chunk costs (a syscall, a hand-off to the hashing thread) negligible. Big pieces pass
    through uncopied.
    """
    read = getattr(stream, "read", None)
    pieces: Iterable[bytes] = iter(lambda: read(CHUNK_SIZE), b"") if callable(read) else stream
    pending = bytearray()
    for piece in pieces:
        if not pending and len(piece) >= CHUNK_SIZE:
            yield piece
            continue
        pending += piece
        if len(pending) >= CHUNK_SIZE:
            yield bytes(pending)
            pending.clear()
    if pending:
        yield bytes(pending)


def _write_stream(fd: int | None, chunks: Iterable[bytes], max_bytes: int | None) -> BlobInfo:
    """Write ``chunks`` to ``fd`` (None: only hash) while hashing them; md5 runs on a helper
    thread.

    hashlib releases the GIL on large buffers, so with two cores a chunk costs
    max(md5, sha256 + write) instead of their sum: md5 alone is the slowest step (~600 MB/s).
    At most two chunks are in memory: the next md5 is only queued once the previous is done.
    """
    md5 = hashlib.md5(usedforsecurity=False)
    sha256 = hashlib.sha256()
    size = 0
    advised = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="blob-md5") as helper:
        md5_done: Future[None] | None = None
        for chunk in chunks:
            size += len(chunk)
            if max_bytes is not None and size > max_bytes:
                raise TooLarge(f"the file exceeds the limit of {format_size(max_bytes)}")
            if md5_done is not None:
                md5_done.result()
            md5_done = helper.submit(md5.update, chunk)
            sha256.update(chunk)
            if fd is None:
                continue
            _write_all(fd, chunk)
            if size - advised >= _WRITEBACK_WINDOW:
                # Start writeback of the window just written and drop the one before, now clean.
                _drop_cache(fd, max(0, advised - _WRITEBACK_WINDOW), size)
                advised = size
        if md5_done is not None:
            md5_done.result()
    digest = sha256.hexdigest()
    return BlobInfo(id=digest, size=size, md5=md5.hexdigest(), sha256=digest)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _drop_cache(fd: int, offset: int, end: int) -> None:
    """``POSIX_FADV_DONTNEED`` on ``[offset, end)`` (``end=0``: to the end of the file).

    On Linux this starts asynchronous writeback of dirty pages in the range and evicts the clean
    ones; elsewhere it is a hint or absent, and skipping it is harmless.
    """
    advise = getattr(os, "posix_fadvise", None)
    if advise is not None:
        advise(fd, offset, end - offset if end else 0, os.POSIX_FADV_DONTNEED)


def _fsync_dir(directory: Path) -> None:
    """Persist a directory's entries (a new or removed name) across a power loss."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _iterate(reader: BinaryIO, chunk_size: int) -> Generator[bytes, None, None]:
    with reader:
        while chunk := reader.read(chunk_size):
            yield chunk


__all__ = ["LocalBlobStore"]
