"""Benchmark: ARCHIVE file transfer through the REST API against `cp`, side by side in one run.

Starts a fresh ``matcloud serve`` (temp data dir, SQLite, ``MATCLOUD_LOG_LEVEL=WARNING``) and
makes a 2 GiB source (one 64 MiB ``os.urandom`` block repeated). Then, alternating the sides so
that noise on the machine hits them alike, it times:

- **cp**: ``cp SRC DST && sync -f DST`` (the anchor: data on disk when the clock stops);
- **upload, client**: ``ArchiveClient.upload`` — multipart, 64 MiB parts, 2 in parallel, the
  client hashing the file alongside, then the commit (which assembles the parts on the server);
- **upload, one PUT**: a single streamed ``PUT .../content`` with plain httpx (no multipart),
  then the commit;
- **download**: ``ArchiveClient.download`` — the 302 to ``/dl/<token>``, streamed to disk with
  the sha256 checked — followed by ``sync -f`` like cp.

For each phase the server's peak RSS is read from ``VmHWM`` in ``/proc/<pid>/status`` (reset
before the phase by writing 5 to ``/proc/<pid>/clear_refs``), cross-checked by sampling
``VmRSS`` every 20 ms, and its CPU seconds from ``/proc/<pid>/stat``.

    .venv/bin/python bench/archive_transfer.py [--size-gb 2] [--repeat 3] [--part-mib 64]
        [--parallel 2] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from matcloud.archive.client import ArchiveClient

GIB = 1024**3
MIB = 1024**2
BLOCK = 64 * MIB
BENCH_OUT = Path(__file__).resolve().parent / "out"
CLK_TCK = os.sysconf("SC_CLK_TCK")
METADATA: dict[str, Any] = {
    "resource_type": {"id": "dataset"},
    "title": "Transfer benchmark",
    "creators": [
        {"person_or_org": {"type": "personal", "given_name": "Ada", "family_name": "Lovelace"}}
    ],
    "description": "Bytes for the transfer benchmark.",
    "rights": [{"id": "cc-by-4.0"}],
}


@dataclass
class Run:
    wall: float
    server_cpu: float
    client_cpu: float
    hwm: int
    sampled: int


@dataclass
class Server:
    """``matcloud serve`` in a subprocess, with what the benchmark reads from ``/proc``."""

    work: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    def matcloud(self, *args: str) -> str:
        command = [sys.executable, "-m", "matcloud.cli", *args]
        return subprocess.run(
            command, env=self.env, check=True, capture_output=True, text=True
        ).stdout

    def start(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        log = open(self.work / "serve.log", "ab")  # noqa: SIM115 (kept open by the child)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "matcloud.cli", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise SystemExit("matcloud serve did not start; see " + str(self.work / "serve.log"))

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def status(self, field_name: str) -> int:
        """A ``/proc/<pid>/status`` figure in bytes (the file gives kB)."""
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1]) * 1024
        raise KeyError(field_name)

    def cpu(self) -> float:
        with open(f"/proc/{self.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime

    def reset_peak(self) -> None:
        with open(f"/proc/{self.pid}/clear_refs", "w") as clear:
            clear.write("5")


def measure(server: Server, action: Callable[[], object]) -> Run:
    """Time ``action`` and watch the server's memory and CPU while it runs."""
    os.sync()  # nothing dirty from an earlier phase is flushed on this one's clock
    server.reset_peak()
    peak, stop = [server.status("VmRSS")], threading.Event()

    def sample() -> None:
        while not stop.wait(0.02):
            peak[0] = max(peak[0], server.status("VmRSS"))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    cpu, client_cpu, started = server.cpu(), time.process_time(), time.perf_counter()
    try:
        action()
    finally:
        wall = time.perf_counter() - started
        stop.set()
        sampler.join()
    return Run(
        wall,
        server.cpu() - cpu,
        time.process_time() - client_cpu,
        server.status("VmHWM"),
        peak[0],
    )


def make_source(path: Path, size: int) -> None:
    block = os.urandom(BLOCK)
    with open(path, "wb") as handle:
        remaining = size
        while remaining:
            piece = block[: min(BLOCK, remaining)]
            handle.write(piece)
            remaining -= len(piece)
        handle.flush()
        os.fsync(handle.fileno())


def file_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb", buffering=0) as handle:
        while chunk := handle.read(MIB):
            yield chunk


def single_put(url: str, token: str, record_id: str, path: Path) -> None:
    """A plain httpx client's upload: announce, one streamed PUT, commit."""
    files = f"{url}/api/records/{record_id}/draft/files"
    size = path.stat().st_size
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=None) as http:
        http.post(files, json=[{"key": path.name, "size": size}]).raise_for_status()
        http.put(
            f"{files}/{path.name}/content",
            content=file_chunks(path),
            headers={"Content-Length": str(size), "Content-Type": "application/octet-stream"},
        ).raise_for_status()
        http.post(f"{files}/{path.name}/commit").raise_for_status()


def median_rate(size: int, runs: list[Run]) -> float:
    return size / MIB / statistics.median(run.wall for run in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description="ARCHIVE upload/download vs cp")
    parser.add_argument("--size-gb", type=float, default=2.0, help="source size in GiB")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each side")
    parser.add_argument("--part-mib", type=int, default=64, help="multipart part size")
    parser.add_argument("--parallel", type=int, default=2, help="parts in flight")
    parser.add_argument("--dir", type=Path, default=None, help="work dir (default: bench/out/)")
    args = parser.parse_args()

    size = int(args.size_gb * GIB)
    BENCH_OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="archive-transfer-", dir=args.dir or BENCH_OUT))
    need = (3 + 3 * args.repeat) * size
    if shutil.disk_usage(work).free < need:
        shutil.rmtree(work)
        raise SystemExit(f"{work}: need {need / GIB:.0f} GiB free")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCLOUD_")}
    env |= {
        "MATCLOUD_DATA_DIR": str(work / "data"),
        "MATCLOUD_LOG_LEVEL": "WARNING",
        "MATCLOUD_MAX_RECORD_BYTES": str(4 * size),
    }
    server = Server(work, env)
    source, copy, fetched = work / "source.bin", work / "copy.bin", work / "fetched"
    runs: dict[str, list[Run]] = {"cp": [], "upload": [], "put": [], "download": []}
    try:
        server.matcloud("init")
        server.matcloud("user", "create", "bench@example.org")
        token = server.matcloud("token", "create", "bench@example.org").strip().splitlines()[-1]
        server.start()
        make_source(source, size)
        idle_rss = server.status("VmRSS")
        with ArchiveClient(server.url, token, timeout=600) as client:
            upload = partial(client.upload, part_size=args.part_mib * MIB, parallel=args.parallel)
            for _ in range(args.repeat):
                runs["cp"].append(measure(server, partial(cp_and_sync, source, copy)))
                copy.unlink()
                record_id = client.create_draft(METADATA)["id"]
                runs["upload"].append(measure(server, partial(upload, record_id, source)))
                other = client.create_draft(METADATA)["id"]
                put = partial(single_put, server.url, token, other, source)
                runs["put"].append(measure(server, put))
                fetched.mkdir(exist_ok=True)
                fetch = partial(download_and_sync, client, record_id, fetched)
                runs["download"].append(measure(server, fetch))
                shutil.rmtree(fetched)
                for draft in (record_id, other):
                    client.http.delete(f"/api/records/{draft}/draft").raise_for_status()
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    report(args, size, runs, idle_rss)


def cp_and_sync(source: Path, target: Path) -> None:
    subprocess.run(["cp", str(source), str(target)], check=True)
    subprocess.run(["sync", "-f", str(target)], check=True)


def download_and_sync(client: ArchiveClient, record_id: str, dest: Path) -> None:
    path = client.download(record_id, "source.bin", dest)
    subprocess.run(["sync", "-f", str(path)], check=True)


def report(args: argparse.Namespace, size: int, runs: dict[str, list[Run]], idle: int) -> None:
    cp = median_rate(size, runs["cp"])
    labels = {
        "cp": "`cp` + `sync -f` (anchor)",
        "upload": f"upload, `ArchiveClient` ({args.part_mib} MiB parts x{args.parallel})",
        "put": "upload, one streamed PUT (httpx)",
        "download": "download, `ArchiveClient` (302, /dl/, sha256) + `sync -f`",
    }
    print(f"# archive transfer benchmark, {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(
        f"{platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.2f}; {size / MIB:.0f} MiB file, "
        f"{args.repeat} runs of each side; server idle RSS {idle / MIB:.0f} MiB\n"
    )
    print(
        "| transfer | median MiB/s | ratio to cp | runs: wall s | server CPU s | "
        "client CPU s | server peak RSS (VmHWM / sampled) |"
    )
    print("|---|---:|---:|---|---|---|---|")
    for name, label in labels.items():
        rate = median_rate(size, runs[name])
        walls = ", ".join(f"{r.wall:.1f}" for r in runs[name])
        server_cpu = ", ".join(f"{r.server_cpu:.1f}" for r in runs[name])
        client_cpu = ", ".join(f"{r.client_cpu:.1f}" for r in runs[name])
        if name == "cp":
            rss = "-"
        else:
            rss = (
                f"{max(r.hwm for r in runs[name]) / MIB:.0f} / "
                f"{max(r.sampled for r in runs[name]) / MIB:.0f} MiB"
            )
        print(
            f"| {label} | {rate:.0f} | {rate / cp:.2f} | {walls} | {server_cpu} | "
            f"{client_cpu} | {rss} |"
        )
    print("\n" + json.dumps({k: [r.__dict__ for r in v] for k, v in runs.items()}))


if __name__ == "__main__":
    main()
