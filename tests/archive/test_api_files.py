"""Uploads: limits refused before storing, multipart in any order, resume, checksums, downloads."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from archive_helpers import bearer, draft_with_file, metadata, upload
from matcloud.core.errors import PermissionDenied
from matcloud.core.models import Role
from matcloud.settings import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Small limits so the refusals can be tested with small files."""
    return settings.model_copy(
        update={
            "max_record_bytes": 1000,
            "max_aiida_record_bytes": 5000,
            "max_files_per_record": 3,
        }
    )


def objects(app: FastAPI) -> list[Path]:
    root = app.state.instance.settings.resolved_blob_dir / "objects"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def new_draft(client: TestClient, headers: dict[str, str]) -> str:
    response = client.post("/api/records", json={"metadata": metadata()}, headers=headers)
    record_id: str = response.json()["id"]
    return record_id


def test_bad_file_names_and_duplicates(app: FastAPI, client: TestClient) -> None:
    ada = bearer(app, "ada@example.org")
    rid = new_draft(client, ada)
    files = f"/api/records/{rid}/draft/files"
    for key in ["../etc/passwd", "a/b.txt", ".hidden", "", "x\x00y", "é" * 200]:
        response = client.post(files, json=[{"key": key}], headers=ada)
        assert response.status_code == 400, key
        assert response.json()["errors"][0]["field"] == "key"
    assert client.post(files, json=[{"key": "a.txt"}], headers=ada).status_code == 201
    assert client.post(files, json=[{"key": "a.txt"}], headers=ada).status_code == 409
    assert client.post(files, json={"key": "a.txt"}, headers=ada).status_code == 400


def test_limits_are_refused_before_the_bytes_are_stored(app: FastAPI, client: TestClient) -> None:
    ada = bearer(app, "ada@example.org")
    rid = new_draft(client, ada)
    files = f"/api/records/{rid}/draft/files"
    declared = client.post(files, json=[{"key": "big.bin", "size": 1001}], headers=ada)
    assert declared.status_code == 413
    assert "at most 1000 B" in declared.json()["detail"]

    client.post(files, json=[{"key": "a.bin"}], headers=ada)
    before = objects(app)
    too_long = client.put(
        f"{files}/a.bin/content",
        content=b"x" * 1001,
        headers={**ada, "Content-Type": "application/octet-stream"},
    )
    assert too_long.status_code == 413 and "1000 B" in too_long.json()["detail"]
    assert objects(app) == before

    def chunked() -> Iterator[bytes]:  # no Content-Length: refused while streaming
        for _ in range(20):
            yield b"y" * 100

    streamed = client.put(
        f"{files}/a.bin/content",
        content=chunked(),
        headers={**ada, "Content-Type": "application/octet-stream"},
    )
    assert streamed.status_code == 413
    assert objects(app) == before
    tmp = app.state.instance.settings.resolved_blob_dir / "tmp"
    assert not tmp.exists() or list(tmp.iterdir()) == []

    ok = client.put(f"{files}/a.bin/content", content=b"z" * 600, headers=ada)
    assert ok.status_code == 200
    client.post(f"{files}/a.bin/commit", headers=ada)
    client.post(files, json=[{"key": "b.bin"}], headers=ada)
    over = client.put(f"{files}/b.bin/content", content=b"w" * 500, headers=ada)
    assert over.status_code == 413  # 600 + 500 > 1000


def test_file_count_limit_and_moderator_override(app: FastAPI, client: TestClient) -> None:
    ada = bearer(app, "ada@example.org")
    mod = bearer(app, "mod@example.org", Role.MODERATOR)
    rid = new_draft(client, ada)
    files = f"/api/records/{rid}/draft/files"
    client.post(files, json=[{"key": f"{i}.txt"} for i in range(3)], headers=ada)
    refused = client.post(files, json=[{"key": "3.txt"}], headers=ada)
    assert refused.status_code == 413 and "at most 3 files" in refused.json()["detail"]
    quota = {"quota_bytes": 10_000, "quota_files": 10}
    assert client.put(f"/api/records/{rid}/quota", json=quota, headers=ada).status_code == 403
    assert client.put(f"/api/records/{rid}/quota", json=quota, headers=mod).status_code == 200
    assert client.post(files, json=[{"key": "3.txt", "size": 5000}], headers=ada).status_code == 201


def test_an_aiida_archive_raises_the_limit(app: FastAPI, client: TestClient) -> None:
    ada = bearer(app, "ada@example.org")
    rid = new_draft(client, ada)
    files = f"/api/records/{rid}/draft/files"
    assert (
        client.post(files, json=[{"key": "db.zip", "size": 2000}], headers=ada).status_code == 413
    )
    made = client.post(files, json=[{"key": "db.aiida", "size": 2000}], headers=ada)
    assert made.status_code == 201
    over = client.post(files, json=[{"key": "more.aiida", "size": 3001}], headers=ada)
    assert over.status_code == 413 and "AiiDA" in over.json()["detail"]


def test_checksums_and_declared_sizes_are_checked(app: FastAPI, client: TestClient) -> None:
    ada = bearer(app, "ada@example.org")
    rid = new_draft(client, ada)
    files = f"/api/records/{rid}/draft/files"
    data = b"hello world"
    good = "sha256:" + hashlib.sha256(data).hexdigest()
    client.post(files, json=[{"key": "a.txt", "checksum": "md5:" + "0" * 32}], headers=ada)
    client.put(f"{files}/a.txt/content", content=data, headers=ada)
    wrong = client.post(f"{files}/a.txt/commit", headers=ada)
    assert wrong.status_code == 400 and "corrupt" in wrong.json()["detail"]
    right = client.post(f"{files}/a.txt/commit", json={"checksum": good}, headers=ada)
    assert right.status_code == 200 and right.json()["status"] == "completed"
    assert client.put(f"{files}/a.txt/content", content=data, headers=ada).status_code == 409

    client.post(files, json=[{"key": "b.txt", "size": 20}], headers=ada)
    short = client.put(f"{files}/b.txt/content", content=b"short", headers=ada)
    assert short.status_code == 200
    assert client.post(f"{files}/b.txt/commit", headers=ada).status_code == 400
    assert client.post(f"{files}/never.txt/commit", headers=ada).status_code == 404


def test_multipart_in_any_order_with_a_resent_part(app: FastAPI, client: TestClient) -> None:
    ada = bearer(app, "ada@example.org")
    rid = new_draft(client, ada)
    files = f"/api/records/{rid}/draft/files"
    data = os.urandom(950)
    init = client.post(
        files,
        json=[
            {"key": "big.bin", "size": 950, "transfer": {"type": "M", "parts": 4, "part_size": 256}}
        ],
        headers=ada,
    )
    assert init.status_code == 201
    entry = init.json()["entries"][0]
    assert [p["part"] for p in entry["links"]["parts"]] == [1, 2, 3, 4]

    def part(n: int, body: bytes) -> int:
        url = f"{files}/big.bin/content/{n}"
        return client.put(url, content=body, headers=ada).status_code

    chunks = [data[i : i + 256] for i in range(0, 950, 256)]
    assert part(3, chunks[2]) == 200
    assert part(1, b"garbage" * 36 + b"xxxx") == 200  # 256 bytes of wrong data
    assert part(4, chunks[3][:-1]) == 400  # a truncated part is refused
    assert part(5, b"x") == 404
    missing = client.post(f"{files}/big.bin/commit", headers=ada)
    assert missing.status_code == 400 and "2, 4" in missing.json()["detail"]
    status = client.get(f"{files}/big.bin", headers=ada).json()
    assert status["transfer"]["received"] == [1, 3]  # what a resuming client reads
    assert part(1, chunks[0]) == 200  # the failed part, re-sent alone
    assert part(2, chunks[1]) == 200
    assert part(4, chunks[3]) == 200
    done = client.post(
        f"{files}/big.bin/commit",
        json={"checksum": "sha256:" + hashlib.sha256(data).hexdigest()},
        headers=ada,
    )
    assert done.status_code == 200, done.text
    assert done.json()["sha256"] == hashlib.sha256(data).hexdigest()
    assert done.json()["size"] == 950
    fetched = client.get(f"{files}/big.bin/content", headers=ada)
    assert fetched.content == data


def test_multipart_needs_a_consistent_plan(app: FastAPI, client: TestClient) -> None:
    ada = bearer(app, "ada@example.org")
    rid = new_draft(client, ada)
    files = f"/api/records/{rid}/draft/files"
    for transfer, size in [
        ({"type": "M", "parts": 2, "part_size": 100}, 500),
        ({"type": "M", "parts": 0}, 100),
        ({"type": "M", "parts": 2}, None),
        ({"type": "X"}, 10),
    ]:
        response = client.post(
            files, json=[{"key": "f.bin", "size": size, "transfer": transfer}], headers=ada
        )
        assert response.status_code == 400, transfer


def test_downloads_go_through_short_lived_signed_urls(app: FastAPI, client: TestClient) -> None:
    ada = bearer(app, "ada@example.org")
    mod = bearer(app, "mod@example.org", Role.MODERATOR)
    data = bytes(range(256)) * 3
    rid = draft_with_file(client, ada, data=data)
    upload(client, ada, rid, "notes.txt", b"notes")
    client.post(f"/api/records/{rid}/draft/actions/publish", headers=mod)
    redirect = client.get(f"/api/records/{rid}/files/data.csv/content", follow_redirects=False)
    assert redirect.status_code == 302
    url = redirect.headers["location"]
    assert url.startswith("/dl/")
    full = client.get(url)
    assert full.content == data
    assert full.headers["etag"] == f'"{hashlib.sha256(data).hexdigest()}"'
    assert 'filename="data.csv"' in full.headers["content-disposition"]
    part = client.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == data[10:20]
    assert client.get(url, headers={"If-None-Match": full.headers["etag"]}).status_code == 304
    token = url.removeprefix("/dl/")
    signer = app.state.archive.records.signer
    grant = signer.verify(token)
    assert grant.key == "data.csv"
    with pytest.raises(PermissionDenied):
        signer.verify(token, now=10**10)  # expired
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert client.get(f"/dl/{tampered}").status_code == 404
    everything = client.get(f"/api/records/{rid}/files-archive")
    assert everything.status_code == 200
    assert int(everything.headers["content-length"]) == len(everything.content)
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(everything.content)) as archive:
        assert archive.testzip() is None
        assert archive.read("data.csv") == data and archive.read("notes.txt") == b"notes"
