"""The depositor client and ``matcloud archive`` against a real server (uvicorn in a thread).

Requests are counted (and, to simulate a broken network, refused) by a transport wrapped around
httpx's own, so these tests see exactly what went over the wire when an upload resumes.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from archive_helpers import metadata
from livesite import free_port
from matcloud.app import create_app
from matcloud.archive.client import PARTIAL_SUFFIX, ArchiveClient, ClientError, MiB
from matcloud.core.instance import init_instance
from matcloud.core.models import Role
from matcloud.settings import Settings

KiB = 1024
LIMIT = 8 * MiB


@dataclass
class Live:
    url: str
    token: str
    moderator_token: str


class Recording(httpx.HTTPTransport):
    """httpx's transport, noting each request; ``refuse`` turns some into network errors."""

    def __init__(self, refuse: Callable[[httpx.Request], bool] = lambda request: False) -> None:
        super().__init__()
        self.refuse = refuse
        self.seen: list[tuple[str, str, str | None, int]] = []
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.refuse(request):
            with self.lock:
                self.seen.append((request.method, request.url.path, None, 0))
            raise httpx.ConnectError("refused by the test", request=request)
        response = super().handle_request(request)
        with self.lock:
            self.seen.append(
                (
                    request.method,
                    request.url.path,
                    request.headers.get("range"),
                    response.status_code,
                )
            )
        return response

    def parts_sent(self) -> list[int]:
        return sorted(
            int(p.rsplit("/", 1)[1])
            for m, p, _, _ in self.seen
            if m == "PUT" and p.rsplit("/", 2)[1] == "content"
        )


@pytest.fixture
def live(settings: Settings) -> Iterator[Live]:
    """A migrated instance (record limit 8 MiB) with a depositor and a moderator, on a port."""
    settings = settings.model_copy(update={"max_record_bytes": LIMIT})
    init_instance(settings)
    app = create_app(settings)
    auth = app.state.instance.auth
    tokens = []
    for email, role in [("ada@example.org", Role.USER), ("mod@example.org", Role.MODERATOR)]:
        auth.create_user(None, email, email.split("@")[0], password="x" * 16, role=role)
        tokens.append(auth.create_token(None, email, "tests").secret)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the test server did not start"
    yield Live(url, tokens[0], tokens[1])
    server.should_exit = True
    thread.join(timeout=10)
    app.state.instance.close()


def random_file(path: Path, size: int) -> bytes:
    data = os.urandom(size)
    path.write_bytes(data)
    return data


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def received(live: Live, record_id: str, key: str) -> list[int]:
    response = httpx.get(
        f"{live.url}/api/records/{record_id}/draft/files/{key}",
        headers={"Authorization": f"Bearer {live.token}"},
    )
    assert response.status_code == 200, response.text
    return list(response.json()["transfer"]["received"])


# -- the client --------------------------------------------------------------------------------


def test_small_and_multipart_uploads_round_trip(live: Live, tmp_path: Path) -> None:
    small = random_file(tmp_path / "README.txt", 1000)
    big = random_file(tmp_path / "phonons.bin", 3 * MiB + 123)
    transport, seen = Recording(), []
    with ArchiveClient(live.url, live.token, transport=transport) as client:
        record_id = client.create_draft(metadata())["id"]
        one = client.upload(record_id, tmp_path / "README.txt", part_size=64 * KiB)
        many = client.upload(
            record_id,
            tmp_path / "phonons.bin",
            part_size=64 * KiB,
            parallel=4,
            progress=lambda done, total: seen.append((done, total)),
        )
        assert client.get_draft(record_id)["files"]["count"] == 2
        out = tmp_path / "out"
        out.mkdir()
        for key, data in [("README.txt", small), ("phonons.bin", big)]:
            assert client.download(record_id, key, out).read_bytes() == data

    assert one["status"] == "completed" and one["sha256"] == sha(small) and "transfer" not in one
    assert many["status"] == "completed" and many["sha256"] == sha(big)
    parts = -(-len(big) // (64 * KiB))
    assert many["transfer"]["parts"] == parts == 49
    assert transport.parts_sent() == list(range(1, parts + 1))  # each part once
    singles = [p for m, p, _, _ in transport.seen if m == "PUT" and p.endswith("/content")]
    assert singles == [f"/api/records/{record_id}/draft/files/README.txt/content"]
    dones = [d for d, _ in seen]
    assert dones == sorted(dones) and dones[-1] == len(big) and {t for _, t in seen} == {len(big)}


def test_each_part_is_retried_alone(live: Live, tmp_path: Path) -> None:
    """The first try of every part fails (network error or 503); each is sent once more."""
    data = random_file(tmp_path / "flaky.bin", 640 * KiB)
    failed: set[str] = set()

    class Flaky(Recording):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            path = request.url.path
            if request.method == "PUT" and path not in failed:
                failed.add(path)
                if int(path.rsplit("/", 1)[1]) % 2:
                    raise httpx.ReadError("connection reset (test)", request=request)
                return httpx.Response(503, json={"detail": "busy (test)"}, request=request)
            return super().handle_request(request)

    transport = Flaky()
    with ArchiveClient(live.url, live.token, transport=transport, backoff=0.01) as client:
        record_id = client.create_draft(metadata())["id"]
        entry = client.upload(record_id, tmp_path / "flaky.bin", part_size=64 * KiB)
    assert entry["sha256"] == sha(data)
    assert len(failed) == 10 and transport.parts_sent() == list(range(1, 11))


def test_upload_resumes_with_the_missing_parts_only(live: Live, tmp_path: Path) -> None:
    data = random_file(tmp_path / "relax.bin", MiB + 7)  # 17 parts of 64 KiB
    down = ("/content/3", "/content/8", "/content/17")
    broken = Recording(lambda r: r.method == "PUT" and r.url.path.endswith(down))
    with ArchiveClient(live.url, live.token, transport=broken, retries=2, backoff=0.01) as client:
        record_id = client.create_draft(metadata())["id"]
        with pytest.raises(ClientError) as caught:
            client.upload(record_id, tmp_path / "relax.bin", part_size=64 * KiB)
    assert caught.value.network and "upload again to resume" in str(caught.value)
    assert "failed 3 time(s)" in str(caught.value)
    kept = received(live, record_id, "relax.bin")
    assert kept and not {3, 8, 17} & set(kept)

    again, seen = Recording(), []
    with ArchiveClient(live.url, live.token, transport=again) as client:
        entry = client.upload(
            record_id,
            tmp_path / "relax.bin",
            part_size=999 * KiB,  # ignored: the pending upload keeps its own layout
            progress=lambda done, total: seen.append(done),
        )
    assert entry["sha256"] == sha(data) and entry["transfer"]["parts"] == 17
    assert again.parts_sent() == sorted(set(range(1, 18)) - set(kept))
    assert seen[0] >= len(kept) * 64 * KiB - 64 * KiB  # progress starts from what arrived


def test_a_file_changed_between_runs_is_uploaded_again_whole(live: Live, tmp_path: Path) -> None:
    """The kept parts no longer match: the server refuses the commit, the client starts over."""
    path = tmp_path / "scf.bin"
    random_file(path, 640 * KiB)
    broken = Recording(lambda r: r.method == "PUT" and r.url.path.endswith("/content/4"))
    with ArchiveClient(live.url, live.token, transport=broken, retries=0) as client:
        record_id = client.create_draft(metadata())["id"]
        with pytest.raises(ClientError):
            client.upload(record_id, path, part_size=64 * KiB, parallel=1)
    kept = received(live, record_id, "scf.bin")
    assert kept[:3] == [1, 2, 3] and 4 not in kept
    data = random_file(path, 640 * KiB)  # same size, other bytes
    again = Recording()
    with ArchiveClient(live.url, live.token, transport=again) as client:
        entry = client.upload(record_id, path, part_size=64 * KiB)
    assert entry["sha256"] == sha(data)
    missing = set(range(1, 11)) - set(kept)
    assert again.parts_sent() == sorted([*missing, *range(1, 11)])  # the rest, then all
    commits = [s for m, p, _, s in again.seen if m == "POST" and p.endswith("/commit")]
    assert commits == [400, 200]


def test_a_committed_file_is_skipped_and_other_content_refused(live: Live, tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("a,b\n1,2\n")
    with ArchiveClient(live.url, live.token) as client:
        record_id = client.create_draft(metadata())["id"]
        first = client.upload(record_id, path)
    transport = Recording()
    with ArchiveClient(live.url, live.token, transport=transport) as client:
        assert client.upload(record_id, path) == first
        assert [m for m, *_ in transport.seen] == ["GET"]  # no PUT, no commit
        path.write_text("a,b\n3,4\n")
        with pytest.raises(ClientError, match="already has a file 'data.csv' with other content"):
            client.upload(record_id, path)
        replaced = client.upload(record_id, path, replace=True)
    assert replaced["sha256"] == sha(b"a,b\n3,4\n") != first["sha256"]


def test_download_resumes_a_partial_file_and_checks_sha256(live: Live, tmp_path: Path) -> None:
    data = random_file(tmp_path / "bands.bin", 2 * MiB + 5)
    with ArchiveClient(live.url, live.token) as client:
        record_id = client.create_draft(metadata())["id"]
        client.upload(record_id, tmp_path / "bands.bin", part_size=512 * KiB)
    out = tmp_path / "out"
    out.mkdir()
    partial = out / f"bands.bin{PARTIAL_SUFFIX}"
    partial.write_bytes(data[:700_000])

    transport, seen = Recording(), []
    with ArchiveClient(live.url, live.token, transport=transport) as client:
        path = client.download(record_id, "bands.bin", out, progress=lambda d, t: seen.append(d))
        assert path == out / "bands.bin" and path.read_bytes() == data and not partial.exists()
        fetched = [(r, s) for m, p, r, s in transport.seen if p.startswith("/dl/")]
        assert fetched == [("bytes=700000-", 206)]
        assert seen[0] == 700_000 and seen[-1] == len(data)

        transport.seen.clear()  # complete and intact: nothing to fetch
        assert client.download(record_id, "bands.bin", out / "bands.bin") == path
        assert not [p for _, p, _, _ in transport.seen if p.startswith("/dl/")]

        path.unlink()
        partial.write_bytes(b"\0" * 1000)  # a prefix that is not the file's
        with pytest.raises(ClientError, match="arrived corrupt"):
            client.download(record_id, "bands.bin", out)
        assert not partial.exists() and not path.exists()
        assert client.download(record_id, "bands.bin", out).read_bytes() == data


def test_refusals_carry_the_servers_words(live: Live, tmp_path: Path) -> None:
    with ArchiveClient(live.url, "mc_not-a-real-token") as client:
        with pytest.raises(ClientError) as caught:
            client.create_draft(metadata())
    assert caught.value.status == 401
    assert str(caught.value) == "The API token is unknown, revoked or expired."

    huge = tmp_path / "huge.bin"
    with open(huge, "wb") as handle:
        handle.truncate(LIMIT + 1)  # sparse: refused when announced, before a byte is sent
    transport = Recording()
    with ArchiveClient(live.url, live.token, transport=transport) as client:
        record_id = client.create_draft(metadata())["id"]
        with pytest.raises(ClientError) as caught:
            client.upload(record_id, huge, part_size=MiB)
        assert caught.value.status == 413
        assert "may take at most 8 MiB; a moderator can grant more" in str(caught.value)
        assert not [m for m, *_ in transport.seen if m == "PUT"]

        with pytest.raises(ClientError) as caught:
            client.create_draft({"metadata": {"title": ""}, "colour": "blue"})
    assert caught.value.status == 400 and "  colour: is not a known field" in str(caught.value)

    with ArchiveClient("http://127.0.0.1:9", live.token, retries=0) as client:
        with pytest.raises(ClientError, match="Cannot reach http://127.0.0.1:9") as caught:
            client.get_draft(record_id)
    assert caught.value.network


# -- the command -------------------------------------------------------------------------------


def cli(
    live: Live, *args: str, token: str | None = None, signed_in: bool = True
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCLOUD_")}
    env["MATCLOUD_URL"] = live.url
    if signed_in:
        env["MATCLOUD_TOKEN"] = token or live.token
    return subprocess.run(
        [sys.executable, "-m", "matcloud.cli", "archive", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_uploads_submits_publishes_and_downloads(live: Live, tmp_path: Path) -> None:
    (tmp_path / "meta.json").write_text(json.dumps({"metadata": metadata()}))
    readme = random_file(tmp_path / "README.md", 300)
    big = random_file(tmp_path / "traj.bin", 700 * KiB)
    files = [str(tmp_path / "README.md"), str(tmp_path / "traj.bin")]
    meta = str(tmp_path / "meta.json")

    made = cli(live, "upload", "--new", "--metadata", meta, "--part-size", "64KiB", *files)
    assert made.returncode == 0, made.stderr
    record_id = made.stdout.split()[0]
    assert f"Created draft {record_id}" in made.stderr
    assert f"Uploaded 2 file(s) to {record_id}." in made.stderr

    again = cli(live, "upload", "--record", record_id, *files)  # all there: skipped
    assert again.returncode == 0 and again.stdout.split() == [record_id]

    refused = cli(live, "publish", record_id)
    assert refused.returncode == 1
    assert "[rights] I may publish these files" in refused.stderr
    assert "Not submitted: confirm" in refused.stderr and "--confirm-criteria" in refused.stderr

    submitted = cli(live, "publish", record_id, "--confirm-criteria", "--comment", "Thanks!")
    assert submitted.returncode == 0, submitted.stderr
    assert f"Submitted {record_id} for review (request " in submitted.stdout

    not_moderator = cli(live, "publish", record_id, "--direct")
    assert not_moderator.returncode == 1 and "moderator" in not_moderator.stderr
    published = cli(live, "publish", record_id, "--direct", token=live.moderator_token)
    assert published.returncode == 0, published.stderr
    assert published.stdout.startswith(f"Published {record_id}, DOI ")

    out = tmp_path / "out"
    fetched = cli(live, "download", record_id, "--dest", str(out), signed_in=False)
    assert fetched.returncode == 0, fetched.stderr
    assert sorted(fetched.stdout.split()) == sorted(str(out / n) for n in ["README.md", "traj.bin"])
    assert (out / "README.md").read_bytes() == readme and (out / "traj.bin").read_bytes() == big
    one = cli(live, "download", record_id, "traj.bin", "nope.txt", "--dest", str(out))
    assert one.returncode == 1 and "has no file(s) nope.txt" in one.stderr


def test_cli_refusals_are_clear(live: Live, tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("x")
    bad = cli(live, "upload", "--record", "2026.1v1", str(path), token="mc_bogus")
    assert bad.returncode == 1
    assert "Error: The API token is unknown, revoked or expired." in bad.stderr
    assert bad.stdout == ""
    missing = cli(live, "upload", "--record", "2026.1v1", str(path), signed_in=False)
    assert missing.returncode == 2 and "Give an API token" in missing.stderr
    both = cli(live, "upload", "--record", "2026.1v1", "--new", str(path))
    assert both.returncode == 2 and "either --record ID or --new" in both.stderr
    unknown = cli(live, "upload", "--record", "1999.9v1", str(path))
    assert unknown.returncode == 1 and "1999.9" in unknown.stderr
    size = cli(live, "upload", "--record", "2026.1v1", "--part-size", "lots", str(path))
    assert size.returncode == 2 and "'lots' is not a size" in size.stderr
