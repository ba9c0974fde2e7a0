"""Failure paths of a large upload against a real ``matcloud serve`` process.

The server is SIGKILLed in the middle of a multipart upload and restarted on the same data dir:
the parts that had arrived must survive, the client must send only the others, the file must
come back bit for bit, and the blob store must never show a partial object. A part whose body
is cut short must be refused, and the commit must then name it.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from archive_helpers import metadata
from matcloud.archive.client import ArchiveClient, ClientError, MiB
from matcloud.settings import Settings

PART = 4 * MiB
PARTS = 16
KiB = 1024


class Served:
    """``matcloud serve`` in a subprocess on a fixed port, with its own data dir."""

    def __init__(self, settings: Settings, log: Path) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("MATCLOUD_")}
        self.env |= {
            "MATCLOUD_DATA_DIR": str(settings.data_dir),
            "MATCLOUD_DATABASE_URL": settings.resolved_database_url,
            "MATCLOUD_LOG_LEVEL": "WARNING",
            "MATCLOUD_LOG_FORMAT": "text",
        }
        self.blobs = settings.resolved_blob_dir / "objects"
        self.log = log
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def matcloud(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "matcloud.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "matcloud.cli", "serve", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError("matcloud serve did not start:\n" + self.log.read_text())

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def visible_blobs_are_whole(self) -> int:
        """Every object under ``blobs/objects`` hashes to its own name; how many there are."""
        count = 0
        for path in self.blobs.rglob("*"):
            if path.is_file():
                with open(path, "rb") as handle:
                    assert hashlib.file_digest(handle, "sha256").hexdigest() == path.name, path
                count += 1
        return count


@pytest.fixture
def served(settings: Settings, tmp_path: Path) -> Iterator[tuple[Served, str]]:
    """A fresh instance served by a subprocess, and a depositor's API token."""
    server = Served(settings, tmp_path / "serve.log")
    server.matcloud("init")
    server.matcloud("user", "create", "ada@example.org")
    token = server.matcloud("token", "create", "ada@example.org").strip().splitlines()[-1]
    server.start()
    try:
        yield server, token
    finally:
        server.stop()


class Counting(httpx.HTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[int] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        head, _, last = request.url.path.rpartition("/")
        if request.method == "PUT" and head.endswith("/content"):
            self.parts.append(int(last))
        return super().handle_request(request)


def received(server: Served, token: str, record_id: str, key: str) -> list[int]:
    response = httpx.get(
        f"{server.url}/api/records/{record_id}/draft/files/{key}",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    return list(response.json()["transfer"]["received"])


def test_server_killed_mid_upload_then_the_upload_resumes(
    served: tuple[Served, str], tmp_path: Path
) -> None:
    server, token = served
    path, digest = tmp_path / "md-trajectory.bin", hashlib.sha256()
    with open(path, "wb") as handle:
        for _ in range(PARTS):
            block = os.urandom(PART)
            digest.update(block)
            handle.write(block)
    with ArchiveClient(server.url, token) as client:
        record_id = client.create_draft(metadata())["id"]

    arrived: list[int] = []
    killed = threading.Event()

    def kill_midway(done: int, total: int) -> None:
        """Once six parts' worth is sent, wait for three to be stored, then SIGKILL."""
        if killed.is_set() or done < 6 * PART:
            return
        deadline = time.monotonic() + 30
        while len(arrived) < 3 and time.monotonic() < deadline:
            arrived[:] = received(server, token, record_id, path.name)
        server.kill()
        killed.set()

    with ArchiveClient(server.url, token, retries=1, backoff=0.1) as client:
        with pytest.raises(ClientError) as caught:
            client.upload(record_id, path, part_size=PART, parallel=2, progress=kill_midway)
    assert killed.is_set() and caught.value.network
    assert "upload again to resume" in str(caught.value)
    # the parts wait in place in the staged file; no partial object is visible
    assert server.visible_blobs_are_whole() == 0

    server.start()
    kept = received(server, token, record_id, path.name)
    assert set(arrived) <= set(kept) and 3 <= len(kept) < PARTS
    counting = Counting()
    with ArchiveClient(server.url, token, transport=counting) as client:
        entry = client.upload(record_id, path, part_size=PART, parallel=2)
        assert entry["status"] == "completed" and entry["sha256"] == digest.hexdigest()
        assert sorted(counting.parts) == sorted(set(range(1, PARTS + 1)) - set(kept))
        back = client.download(record_id, path.name, tmp_path / "back.bin")
    with open(back, "rb") as reread:
        assert hashlib.file_digest(reread, "sha256").hexdigest() == digest.hexdigest()
    server.visible_blobs_are_whole()


def test_a_truncated_part_is_refused_and_the_commit_names_it(
    served: tuple[Served, str], tmp_path: Path
) -> None:
    server, token = served
    auth = {"Authorization": f"Bearer {token}"}
    size, data = 64 * KiB, os.urandom(3 * 64 * KiB)
    with httpx.Client(base_url=server.url, headers=auth) as http:
        record_id = http.post("/api/records", json={"metadata": metadata()}).json()["id"]
        files = f"/api/records/{record_id}/draft/files"
        transfer = {"type": "M", "parts": 3, "part_size": size}
        made = http.post(files, json=[{"key": "cut.bin", "size": len(data), "transfer": transfer}])
        assert made.status_code == 201, made.text
        part = f"{files}/cut.bin/content"
        assert http.put(f"{part}/1", content=data[:size]).status_code == 200
        assert http.put(f"{part}/3", content=data[2 * size :]).status_code == 200

        # A body cut short (chunked, so the server only learns it at the end): refused.
        short = http.put(f"{part}/2", content=iter([data[size : size + 1000]]))
        assert short.status_code == 400
        assert short.json()["detail"] == (
            "Part 2 of 'cut.bin' must have 65536 bytes; 1000 arrived. Send the part again."
        )
        # A client that announces the full length, sends half and hangs up.
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            head = (
                f"PUT {part}/2 HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                f"Authorization: Bearer {token}\r\nContent-Length: {size}\r\n\r\n"
            )
            sock.sendall(head.encode() + data[size : size + 30_000])
        assert received(server, token, record_id, "cut.bin") == [1, 3]

        commit = http.post(f"{files}/cut.bin/commit")
        assert commit.status_code == 400
        assert commit.json()["detail"] == "'cut.bin' is missing part(s) 2; send them first."

        assert http.put(f"{part}/2", content=data[size : 2 * size]).status_code == 200
        sha = hashlib.sha256(data).hexdigest()
        done = http.post(f"{files}/cut.bin/commit", json={"checksum": f"sha256:{sha}"})
        assert done.status_code == 200 and done.json()["sha256"] == sha
    server.visible_blobs_are_whole()
