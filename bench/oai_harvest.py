"""OAI-PMH harvest of many records: records per second, page latency, server memory.

Generates N published record versions straight into a fresh instance's database (the deposit
pipeline would take hours for 100,000), serves it with ``matcloud serve``, then harvests
``ListRecords`` (oai_dc) to the end through resumption tokens, timing every page and sampling
the server's resident memory. The anchor, in the same run, is the JSON REST listing of the same
records (``GET /api/records?size=100&page=N``, the first 10,000: its result window) — the
cheapest way the platform already had to page through records.

    .venv/bin/python bench/oai_harvest.py [--records 100000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
NS = {"o": "http://www.openarchives.org/OAI/2.0/"}
WORDS = (
    "phonon band structure silicon germanium graphene perovskite magnetism DFT GW "
    "polarization defect surface catalysis diffusion superconductivity monolayer strain"
).split()


def generate(data_dir: Path, count: int) -> None:
    from sqlalchemy import insert

    from archive_helpers import metadata
    from matcloud.archive.models import File, Record, Version, VersionState
    from matcloud.core import migrate
    from matcloud.core.db import Database
    from matcloud.core.instance import init_instance
    from matcloud.settings import Settings

    settings = Settings(data_dir=data_dir)
    init_instance(settings)
    db = Database(settings.resolved_database_url)
    migrate.upgrade(db)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    batch = 5000
    with db.unit_of_work() as uow:
        uow.session.execute(
            insert(Record.__table__),  # type: ignore[arg-type]
            [
                {
                    "id": f"2020.{i}",
                    "owner_id": 1,
                    "latest_version_id": f"2020.{i}v1",
                    "concept_doi": f"10.99999/matcloud.2020.{i}",
                    "is_demo": False,
                    "created_at": start,
                }
                for i in range(1, count + 1)
            ],
        )
    for first in range(1, count + 1, batch):
        rows, files = [], []
        for i in range(first, min(first + batch, count + 1)):
            moment = start + timedelta(minutes=i)
            words = [WORDS[(i * k) % len(WORDS)] for k in (1, 3, 7)]
            meta = metadata(
                title=f"{' '.join(words).capitalize()} dataset {i}",
                publication_date=moment.date().isoformat(),
                subjects=[{"subject": w} for w in words],
                publisher="matcloud",
            )
            rows.append(
                {
                    "id": f"2020.{i}v1",
                    "record_id": f"2020.{i}",
                    "index": 1,
                    "state": VersionState.PUBLISHED,
                    "metadata_json": meta,
                    "doi": f"10.99999/matcloud.2020.{i}v1",
                    "revision": 1,
                    "created_at": moment,
                    "updated_at": moment,
                    "published_at": moment,
                }
            )
            files.append(
                {
                    "version_id": f"2020.{i}v1",
                    "key": "data.csv",
                    "status": "completed",
                    "blob_id": "0" * 64,
                    "size": 1000 + i,
                    "md5": "0" * 32,
                    "sha256": "0" * 64,
                    "mimetype": "text/csv",
                    "created_at": moment,
                    "updated_at": moment,
                }
            )
        with db.unit_of_work() as uow:
            uow.session.execute(insert(Version), rows)
            uow.session.execute(insert(File.__table__), files)  # type: ignore[arg-type]
    db.dispose()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="matcloud-oai-"))
    env = {
        **os.environ,
        "MATCLOUD_DATA_DIR": str(work / "instance"),
        "MATCLOUD_LOG_LEVEL": "WARNING",
        "MATCLOUD_BASE_URL": "https://data.example.org",
    }
    os.environ.update(env)
    server = None
    try:
        began = time.perf_counter()
        generate(work / "instance", args.records)
        print(f"generated {args.records} records in {time.perf_counter() - began:.0f} s")
        server = subprocess.Popen(
            [sys.executable, "-m", "matcloud.cli", "serve", "--port", str(args.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{args.port}"
        for _ in range(100):
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        client = httpx.Client(base_url=base, timeout=120)
        # anchor: the JSON listing, 100 per page, as far as its window goes
        anchor_times = []
        for page in range(1, 101):
            t0 = time.perf_counter()
            response = client.get(
                "/api/records", params={"size": 100, "page": page, "sort": "oldest"}
            )
            anchor_times.append(time.perf_counter() - t0)
            assert response.status_code == 200, response.text
        # the harvest
        times, rss, seen = [], [], 0
        params: dict[str, str] = {"verb": "ListRecords", "metadataPrefix": "oai_dc"}
        started = time.perf_counter()
        while True:
            t0 = time.perf_counter()
            response = client.get("/oai2d", params=params)
            times.append(time.perf_counter() - t0)
            doc = etree.fromstring(response.content)
            seen += len(doc.xpath("//o:record", namespaces=NS))
            if len(times) % 50 == 1:
                rss.append(rss_kib(server.pid))
            token = doc.find(".//o:resumptionToken", namespaces=NS)
            if token is None or not (token.text or "").strip():
                break
            params = {"verb": "ListRecords", "resumptionToken": token.text}
        total = time.perf_counter() - started
        rss.append(rss_kib(server.pid))
        assert seen == args.records, (seen, args.records)
        times.sort()
        anchor_times.sort()
        print(f"\n{args.records} records, {len(times)} pages of 100\n")
        print(
            "| harvest | pages | p50 ms/page | p95 ms/page | records/s "
            "| server RSS MiB (first → last, max) |"
        )
        print("|---|---:|---:|---:|---:|---|")
        print(
            f"| OAI-PMH ListRecords oai_dc | {len(times)} "
            f"| {statistics.median(times) * 1000:.0f} | "
            f"{times[int(len(times) * 0.95)] * 1000:.0f} | {seen / total:.0f} | "
            f"{rss[0] / 1024:.0f} → {rss[-1] / 1024:.0f}, max {max(rss) / 1024:.0f} |"
        )
        print(
            f"| anchor: JSON REST listing (first 10,000) | {len(anchor_times)} | "
            f"{statistics.median(anchor_times) * 1000:.0f} | "
            f"{anchor_times[int(len(anchor_times) * 0.95)] * 1000:.0f} | "
            f"{100 * len(anchor_times) / sum(anchor_times):.0f} | - |"
        )
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
