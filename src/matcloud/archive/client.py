"""A depositor's client for the ARCHIVE REST API (this instance or any other, over HTTP).

Archive files reach 50 GB and travel over networks that break, so transfers are built to be
re-run: a file above one part is sent as numbered parts in parallel threads, each part retried
on its own; the server keeps every complete part, so running the same upload again after a
crash sends only the parts missing from the draft's ``transfer.received``. Memory stays flat:
bodies stream from the file in chunks, and the sha256 sent at commit (so the server refuses a
corrupt assembly) is computed by one more thread reading the file alongside the parts.
Downloads stream to ``<name>.part``, resume it with ``Range``, and become ``<name>`` only once
the bytes hash to the sha256 the record announces.
"""

from __future__ import annotations

import hashlib
import os
import random
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from pathlib import Path
from threading import Event
from typing import Any
from urllib.parse import quote, unquote

import httpx

MiB = 1024 * 1024
CHUNK = 1 * MiB
PARTIAL_SUFFIX = ".part"

#: ``progress(done, total)``: bytes of one file sent or received so far (called from threads).
Progress = Callable[[int, int], None]


class ClientError(Exception):
    """A refusal by the server (its problem+json detail and field errors) or a failed transfer."""

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        errors: list[dict[str, str]] | None = None,
        network: bool = False,
    ) -> None:
        self.detail = detail
        self.status = status
        self.errors = list(errors or [])
        self.network = network  # the server was not reached, or the connection broke
        lines = [detail] + [f"  {e.get('field', '')}: {e.get('message', '')}" for e in self.errors]
        super().__init__("\n".join(lines))

    @classmethod
    def from_response(cls, response: httpx.Response) -> ClientError:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("detail"):
            listed = body.get("errors")
            errors = [e for e in listed if isinstance(e, dict)] if isinstance(listed, list) else []
            return cls(str(body["detail"]), status=response.status_code, errors=errors)
        what = f"{response.request.method} {response.request.url.path}"
        reason = f"HTTP {response.status_code} {response.reason_phrase}"
        return cls(f"{what}: {reason}", status=response.status_code)


def _retryable(error: Exception) -> bool:
    """Network errors and server-side failures are worth another try; refusals are not."""
    if isinstance(error, ClientError):
        return error.network or (error.status or 0) >= 500
    return isinstance(error, httpx.TransportError)


class _Meter:
    """Bytes of one file moved so far, reported to ``progress`` from any thread."""

    def __init__(self, total: int, progress: Progress | None) -> None:
        self.total, self.done, self.progress = total, 0, progress
        self.lock = threading.Lock()

    def add(self, count: int) -> None:
        with self.lock:  # reports in order, so a progress bar never steps back by mistake
            self.done += count
            if self.progress is not None:
                self.progress(self.done, self.total)


def _hash_into(hasher: Any, path: Path, stop: Event | None = None) -> Any:
    """Feed a file to ``hasher`` in chunks (``stop`` abandons it, e.g. when an upload failed)."""
    with open(path, "rb", buffering=0) as handle:
        while chunk := handle.read(CHUNK):
            if stop is not None and stop.is_set():
                raise ClientError(f"Hashing {path} was abandoned.")
            hasher.update(chunk)
    return hasher


def file_sha256(path: Path, stop: Event | None = None) -> str:
    return str(_hash_into(hashlib.sha256(), path, stop).hexdigest())


def _read_span(
    path: Path, offset: int, length: int, sink: Callable[[bytes], None]
) -> Iterator[bytes]:
    """``length`` bytes of ``path`` from ``offset`` in chunks, each shown to ``sink`` first."""
    with open(path, "rb", buffering=0) as handle:
        handle.seek(offset)
        remaining = length
        while remaining:
            chunk = handle.read(min(CHUNK, remaining))
            if not chunk:
                raise ClientError(f"{path} became shorter during the upload.")
            remaining -= len(chunk)
            sink(chunk)
            yield chunk


class ArchiveClient:
    """``ArchiveClient("https://archive.example.org", token)``; use it as a context manager.

    ``transport`` replaces httpx's network transport (tests count or break requests with it);
    ``retries`` and ``backoff`` set how often, and after how many seconds (doubling), a part or
    a download is tried again after a network error or a 5xx.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        transport: httpx.BaseTransport | None = None,
        retries: int = 5,
        backoff: float = 0.5,
        timeout: float = 60.0,
    ) -> None:
        headers = {"Accept": "application/json", "User-Agent": "matcloud-archive-client"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.retries, self.backoff = retries, backoff
        self.http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=headers,
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=10.0),
        )

    def __enter__(self) -> ArchiveClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    # -- plumbing ---------------------------------------------------------------------------

    def _call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, url, **kwargs)
        except httpx.TransportError as error:
            raise ClientError(
                f"Cannot reach {self.http.base_url}: {error or type(error).__name__}", network=True
            ) from error
        if response.status_code >= 400:
            raise ClientError.from_response(response)
        return response

    def _json(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        body: dict[str, Any] = self._call(method, url, **kwargs).json()
        return body

    def _retrying(self, what: str, attempt: Callable[[], None], stop: Event | None = None) -> None:
        """Run ``attempt`` until it succeeds, giving up after ``retries`` retries (or ``stop``)."""
        stop = stop or Event()
        for number in range(self.retries + 1):
            try:
                attempt()
                return
            except (httpx.TransportError, ClientError) as error:
                if not _retryable(error) or number == self.retries or stop.is_set():
                    if isinstance(error, ClientError) and not error.network:
                        raise
                    raise ClientError(
                        f"{what} failed {number + 1} time(s): {error or type(error).__name__}",
                        status=getattr(error, "status", None),
                        network=True,
                    ) from error
                delay = min(self.backoff * 2**number, 30.0) * (0.75 + random.random() / 2)
                if stop.wait(delay):
                    raise ClientError(f"{what} was abandoned.") from error

    @staticmethod
    def _files_url(record_id: str, key: str = "", *, draft: bool = True) -> str:
        base = f"/api/records/{quote(record_id, safe='')}/{'draft/files' if draft else 'files'}"
        return f"{base}/{quote(key, safe='')}" if key else base

    # -- records ----------------------------------------------------------------------------

    def create_draft(self, metadata: dict[str, Any]) -> dict[str, Any]:
        """A new draft; ``metadata`` is the record's metadata, or a whole ``{"metadata": ...}``."""
        body = metadata if "metadata" in metadata else {"metadata": metadata}
        return self._json("POST", "/api/records", json=body)

    def get_draft(self, record_id: str) -> dict[str, Any]:
        return self._json("GET", f"/api/records/{quote(record_id, safe='')}/draft")

    def get_record(self, record_id: str) -> dict[str, Any]:
        """A published record, or a draft its owner (or a moderator) may read."""
        return self._json("GET", f"/api/records/{quote(record_id, safe='')}")

    def criteria(self, record_id: str) -> list[dict[str, str]]:
        body = self._json("GET", f"/api/records/{quote(record_id, safe='')}/review/criteria")
        return list(body["criteria"])

    def submit_review(
        self, record_id: str, checklist: dict[str, bool], comment: str = ""
    ) -> dict[str, Any]:
        url = f"/api/records/{quote(record_id, safe='')}/draft/actions/submit-review"
        return self._json("POST", url, json={"checklist": checklist, "comment": comment})

    def publish(self, record_id: str) -> dict[str, Any]:
        """Publish at once (moderators only; depositors submit for review instead)."""
        url = f"/api/records/{quote(record_id, safe='')}/draft/actions/publish"
        return self._json("POST", url)

    def draft_files(self, record_id: str) -> list[dict[str, Any]]:
        return list(self._json("GET", self._files_url(record_id))["entries"])

    def delete_file(self, record_id: str, key: str) -> None:
        self._call("DELETE", self._files_url(record_id, key))

    # -- upload -----------------------------------------------------------------------------

    def upload(
        self,
        record_id: str,
        path: Path | str,
        *,
        key: str | None = None,
        part_size: int = 64 * MiB,
        parallel: int = 4,
        progress: Progress | None = None,
        replace: bool = False,
    ) -> dict[str, Any]:
        """Upload ``path`` into the draft and commit it; returns the committed file entry.

        Re-running after a failure resumes: a pending multipart upload of the same size keeps
        its parts and only the missing ones are sent (if the commit then finds that the parts
        kept held other bytes, the upload starts over once); a committed file with the same
        sha256 is left alone, one with other content is refused unless ``replace``.
        """
        path = Path(path)
        key = key or path.name
        size = path.stat().st_size
        if part_size < 1 or parallel < 1:
            raise ValueError("part_size and parallel must be positive")
        entry = next((e for e in self.draft_files(record_id) if e["key"] == key), None)
        if entry is not None and entry["status"] == "completed":
            if entry["size"] == size and entry["sha256"] == file_sha256(path):
                _Meter(size, progress).add(size)
                return entry
            if not replace:
                raise ClientError(
                    f"{record_id} already has a file {key!r} with other content; delete it "
                    "first (or upload with replace)."
                )
        if entry is not None and (entry["status"] == "completed" or entry["size"] != size):
            self.delete_file(record_id, key)  # replaced, or a different file's leftover upload
            entry = None
        if entry is None:
            announce: dict[str, Any] = {"key": key, "size": size}
            if size > part_size:
                parts = -(-size // part_size)
                announce["transfer"] = {"type": "M", "parts": parts, "part_size": part_size}
            (entry,) = self._json("POST", self._files_url(record_id), json=[announce])["entries"]
        meter = _Meter(size, progress)
        transfer, base = entry.get("transfer"), self._files_url(record_id, key)
        if transfer and transfer.get("type") == "M":
            sha256 = self._send_parts(base, path, transfer, parallel, meter)
        else:
            sha256 = self._put_span(f"{base}/content", path, (0, size), meter, Event())
        try:
            return self._json(
                "POST",
                f"{base}/commit",
                json={"checksum": f"sha256:{sha256}"},
                timeout=httpx.Timeout(60.0, read=None),  # the server assembles the parts first
            )
        except ClientError as error:
            if error.status != 400 or not (transfer or {}).get("received"):
                raise
        # Parts kept from an earlier run held other bytes (the file changed since): start over.
        self.delete_file(record_id, key)
        return self.upload(
            record_id, path, key=key, part_size=part_size, parallel=parallel, progress=progress
        )

    def _put_span(
        self, url: str, path: Path, span: tuple[int, int], meter: _Meter, stop: Event
    ) -> str:
        """PUT ``span`` (offset, length) of ``path`` streamed, retried on its own; the sha256 of
        the bytes sent by the attempt that succeeded."""
        digest = [""]

        def attempt() -> None:
            if stop.is_set():
                return
            hasher, sent = hashlib.sha256(), [0]

            def sink(chunk: bytes) -> None:
                hasher.update(chunk)
                sent[0] += len(chunk)
                meter.add(len(chunk))

            body = _read_span(path, *span, sink)
            headers = {"Content-Type": "application/octet-stream", "Content-Length": str(span[1])}
            try:
                self._call("PUT", url, content=body, headers=headers)
            except BaseException:
                meter.add(-sent[0])  # these bytes will be sent again
                raise
            digest[0] = hasher.hexdigest()

        self._retrying(f"PUT {unquote(url)}", attempt, stop)
        return digest[0]

    def _send_parts(
        self, base: str, path: Path, transfer: dict[str, Any], parallel: int, meter: _Meter
    ) -> str:
        """Send the parts the server lacks, ``parallel`` at a time; the whole file's sha256."""
        parts, part_size = int(transfer["parts"]), int(transfer["part_size"])
        received = set(transfer.get("received") or [])

        def span(number: int) -> tuple[int, int]:
            start = (number - 1) * part_size
            return start, min(part_size, meter.total - start)

        meter.add(sum(span(n)[1] for n in received if 1 <= n <= parts))
        missing = [n for n in range(1, parts + 1) if n not in received]
        stop = Event()

        def send(number: int) -> None:
            self._put_span(f"{base}/content/{number}", path, span(number), meter, stop)

        with ThreadPoolExecutor(max_workers=parallel + 1, thread_name_prefix="upload") as pool:
            # The hash reads alongside the parts, which then mostly come from the page cache.
            digest = pool.submit(file_sha256, path, stop)
            futures: list[Future[None]] = [pool.submit(send, n) for n in missing]
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            failed = next((f.exception() for f in done if f.exception() is not None), None)
            if failed is not None:
                stop.set()
                for future in futures:
                    future.cancel()
                detail = failed.detail if isinstance(failed, ClientError) else str(failed)
                raise ClientError(
                    f"{detail} The parts that arrived are kept: upload again to resume.",
                    status=getattr(failed, "status", None),
                    errors=getattr(failed, "errors", None),
                    network=getattr(failed, "network", False),
                ) from failed
            return digest.result()

    # -- download ---------------------------------------------------------------------------

    def download(
        self, record_id: str, key: str, dest: Path | str, *, progress: Progress | None = None
    ) -> Path:
        """Stream one file to ``dest`` (a directory, or the file's path) and return its path.

        The bytes land in ``<name>.part`` first; an existing ``.part`` is resumed with a range
        request, and the file only gets its name once it hashes to the record's sha256.
        """
        entries = self.get_record(record_id)["files"]["entries"]
        entry = next((e for e in entries if e["key"] == key), None)
        if entry is None:
            raise ClientError(f"{record_id} has no file {key!r}.", status=404)
        sha256, size = entry.get("sha256"), int(entry["size"] or 0)
        if entry.get("status") != "completed" or not sha256:
            raise ClientError(f"{key!r} of {record_id} is not committed yet.", status=409)
        dest = Path(dest)
        target = dest / key if dest.is_dir() else dest
        meter = _Meter(size, progress)
        if target.is_file() and target.stat().st_size == size and file_sha256(target) == sha256:
            meter.add(size)
            return target
        partial = target.with_name(target.name + PARTIAL_SUFFIX)
        url = self._files_url(record_id, key, draft=False) + "/content"
        hasher = hashlib.sha256()

        def attempt() -> None:
            nonlocal hasher
            have = partial.stat().st_size if partial.is_file() else 0
            headers = {"Accept": "*/*"}
            if have > size:
                partial.unlink()  # too long to be a prefix: start again
                have = 0
            if size and have == size:
                return
            if have:
                headers |= {"Range": f"bytes={have}-", "If-Range": f'"{sha256}"'}
            with self.http.stream("GET", url, headers=headers, follow_redirects=True) as response:
                if response.status_code >= 400:
                    response.read()
                    raise ClientError.from_response(response)
                resumed = response.status_code == 206
                hasher = _hash_into(hashlib.sha256(), partial) if resumed else hashlib.sha256()
                meter.add((have if resumed else 0) - meter.done)
                with open(partial, "ab" if resumed else "wb") as out:
                    for chunk in response.iter_bytes():  # as they come: no regrouping copies
                        out.write(chunk)
                        hasher.update(chunk)
                        meter.add(len(chunk))

        self._retrying(f"Downloading {key!r}", attempt)
        if not partial.exists():
            partial.touch()
        actual = hasher.hexdigest() if meter.done == size else file_sha256(partial)
        if actual != sha256:
            partial.unlink()
            raise ClientError(
                f"{key!r} arrived corrupt (sha256 {actual}, the record says {sha256}); "
                "download it again."
            )
        os.replace(partial, target)
        return target


__all__ = ["MiB", "PARTIAL_SUFFIX", "ArchiveClient", "ClientError", "Progress", "file_sha256"]
