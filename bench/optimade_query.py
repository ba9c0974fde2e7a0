"""OPTIMADE benchmark: latency of typical filters over a structure index of 100,000 rows.

    .venv/bin/python bench/optimade_query.py                 # SQLite, 100,000 structures
    .venv/bin/python bench/optimade_query.py --rows 20000 --requests 100
    .venv/bin/python bench/optimade_query.py --postgres      # database matcloud_bench

A fresh instance (SQLite in ``bench/out``, or with ``--postgres`` the PostgreSQL database
``matcloud_bench`` on the local server, made if missing) gets ``--rows`` generated
structures with realistic compositions (element frequencies skewed as in real databases:
oxygen in about half of them), 1 to 6 elements, 1 to 40 sites, over 2,000 published record
versions, and their values rows (about 20 per structure). The generated database is kept
(``bench/out``; ``matcloud_bench``) and reused. A real server (uvicorn in a thread, the
whole app) then answers each query ``--requests`` times, sequentially over one keep-alive
connection, after a warm-up; the table gives p50/p95 per query. The database is built
without planner statistics, as a real instance's is: the service's own sampled ``ANALYZE``
(PlannerStatistics) is part of what is measured (its first request pays for it, outside
the timed ones); PostgreSQL's autovacuum keeps its own.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import create_engine, insert, text

ROOT = Path(__file__).resolve().parents[1]
# keep bench/ off the path: a script here must never shadow a package it imports
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT / "tests"))

from livesite import free_port  # noqa: E402
from matcloud.app import create_app  # noqa: E402
from matcloud.core.instance import init_instance  # noqa: E402
from matcloud.optimade.models import StructureEntry, StructureValue  # noqa: E402
from matcloud.settings import Settings  # noqa: E402
from optimade_data import publish_records, structure, values_of  # noqa: E402

OUT = ROOT / "bench" / "out"
WEIGHTS = {
    "O": 50, "Li": 8, "Na": 5, "K": 4, "Mg": 5, "Ca": 5, "Sr": 3, "Ba": 3, "Al": 5, "Si": 8,
    "P": 6, "S": 8, "Se": 3, "Te": 2, "N": 6, "F": 6, "Cl": 5, "Br": 3, "I": 2, "H": 8,
    "C": 6, "B": 3, "Ti": 5, "V": 4, "Cr": 3, "Mn": 6, "Fe": 8, "Co": 6, "Ni": 6, "Cu": 6,
    "Zn": 4, "Ga": 3, "Ge": 3, "As": 2, "Y": 2, "Zr": 3, "Nb": 3, "Mo": 3, "Ru": 1, "Rh": 1,
    "Pd": 2, "Ag": 2, "Cd": 1, "In": 2, "Sn": 3, "Sb": 2, "Cs": 2, "La": 3, "Ce": 2, "Nd": 1,
    "Sm": 1, "Gd": 1, "Hf": 1, "Ta": 1, "W": 2, "Re": 1, "Os": 1, "Ir": 1, "Pt": 2, "Au": 1,
    "Hg": 1, "Tl": 1, "Pb": 2, "Bi": 2, "U": 1,
}  # fmt: skip
NELEMENTS = {1: 5, 2: 30, 3: 40, 4: 18, 5: 5, 6: 2}
COMMON = ["Si", "Fe", "Mn", "Li", "Ti", "Co", "Ni", "Cu", "Al", "Mg", "Zn", "Ca", "Na", "V"]
RARE = ["Os", "Ir", "Re", "Hg", "Tl", "U", "Rh", "Ru", "Au", "Ta"]
ANONYMOUS = [(2, "AB"), (2, "AB2"), (3, "ABC"), (3, "A3BC"), (3, "ABC3"), (4, "ABCD"), (3, "A2BC")]


def _pair(rng: random.Random) -> tuple[str, str]:
    first, second = rng.sample(COMMON, 2)
    return first, second


QUERIES: dict[str, Callable[[random.Random], str | None]] = {
    "HAS ALL elements": lambda r: f'elements HAS ALL "{r.choice(COMMON)}","O"',
    "HAS ONLY elements": lambda r: f'elements HAS ONLY "{r.choice(COMMON)}","O"',
    "nelements + anonymous": lambda r: 'nelements={}ANDchemical_formula_anonymous="{}"'.format(
        *r.choice(ANONYMOUS)
    ).replace("AND", " AND "),
    "nested OR/NOT": lambda r: (
        '(elements HAS "{}" OR elements HAS "{}") AND NOT elements HAS "O" AND nsites < {}'.format(
            *_pair(r), r.randint(5, 40)
        )
    ),
    "rare element": lambda r: f'elements HAS "{r.choice(RARE)}"',
    "broad scalar ranges": lambda r: f"nsites<{r.randint(5, 15)} AND nelements>={r.randint(1, 3)}",
    "no filter": lambda r: None,
}


def generate(rows: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    symbols, weights = list(WEIGHTS), list(WEIGHTS.values())
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    found = []
    for n in range(rows):
        count = rng.choices(list(NELEMENTS), list(NELEMENTS.values()))[0]
        elements: set[str] = set()
        while len(elements) < count:
            elements.add(rng.choices(symbols, weights)[0])
        nsites = rng.randint(count, 40)
        names = sorted(elements)
        chosen = names + [rng.choice(names) for _ in range(nsites - count)]
        a = rng.uniform(3, 12)
        sites = [
            (name, (rng.uniform(0, a), rng.uniform(0, a), rng.uniform(0, a))) for name in chosen
        ]
        version = f"2024.{n % 2000 + 1}v1"
        row = structure(
            f"{version}-{n:010x}",
            sites,
            lattice=[[a, 0.0, 0.0], [0.0, a, 0.0], [0.0, 0.0, a]],
            record=version.rsplit("v", 1)[0],
            version=version,
            last_modified=t0 + timedelta(seconds=n),
            space_group_it_number=rng.randint(1, 230),
            title=f"Generated structure {n}",
        )
        found.append(row)
    return found


def build(settings: Settings, rows: int) -> None:
    init_instance(settings)
    app = create_app(settings)
    db = app.state.instance.db
    start = time.perf_counter()
    for first in range(0, rows, 10_000):
        batch = generate(min(10_000, rows - first), seed=first)
        for i, row in enumerate(batch):  # distinct ids and versions across batches
            n = first + i
            version = f"2024.{n % 2000 + 1}v1"
            row.update(
                id=f"{version}-{n:010x}",
                version_id=version,
                record_id=version.rsplit("v", 1)[0],
                last_modified=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=n),
            )
        with db.unit_of_work() as uow:
            uow.session.execute(insert(StructureEntry), batch)
            uow.session.execute(insert(StructureValue), [v for r in batch for v in values_of(r)])
        print(f"  {first + len(batch)} rows ({time.perf_counter() - start:.0f} s)", flush=True)
    publish_records(db, sorted({f"2024.{n % 2000 + 1}v1" for n in range(min(rows, 2000))}))
    # no ANALYZE here: the service keeps SQLite's statistics itself (PlannerStatistics)
    app.state.instance.close()


PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/matcloud_bench"


def recreate_postgres_database() -> None:
    admin = create_engine(
        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS matcloud_bench"))
        connection.execute(text("CREATE DATABASE matcloud_bench"))
    admin.dispose()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL, not SQLite")
    args = parser.parse_args()
    backend = "postgres" if args.postgres else "sqlite"
    data_dir = OUT / (f"optimade-{args.rows}" + ("-pg" if args.postgres else ""))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(
        data_dir=data_dir, base_url=url, secret_key="bench-secret-key-" + "x" * 32,
        log_level="WARNING", database_url=PG_URL if args.postgres else None,
    )  # fmt: skip
    if args.rebuild and data_dir.exists():
        shutil.rmtree(data_dir)
    if args.postgres and (args.rebuild or not data_dir.exists()):
        recreate_postgres_database()
    if not data_dir.exists():
        print(f"building {args.rows} structures ({backend}) in {data_dir}")
        data_dir.mkdir(parents=True)
        build(settings, args.rows)
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    db = app.state.instance.db
    with db.engine.connect() as connection:
        ids = list(
            connection.execute(
                text("SELECT id FROM optimade_structures ORDER BY random() LIMIT 500")
            ).scalars()
        )
    service = app.state.optimade if hasattr(app.state, "optimade") else None
    queries = dict(QUERIES)
    print(f"\n{args.rows} structures, {args.requests} requests per query, {backend}; values drawn")
    print("per request, compiled-filter cache cleared before each (the worst case)\n")
    print("| query | example | data_returned (example) | p50 ms | p95 ms |")
    print("|---|---|---:|---:|---:|")
    rng = random.Random(11)
    with httpx.Client(base_url=url, timeout=60) as client:
        client.get("/optimade/v1/structures")
        service = app.state.optimade
        for name in [*queries, "single entry"]:
            times = []
            for n in range(args.requests + 5):
                if name == "single entry":
                    path, params = f"/optimade/v1/structures/{rng.choice(ids)}", {}
                else:
                    made = queries[name](rng)
                    path, params = "/optimade/v1/structures", ({"filter": made} if made else {})
                service._compiled.clear()
                service._trees.clear()
                start = time.perf_counter()
                response = client.get(path, params=params)
                elapsed = (time.perf_counter() - start) * 1000
                assert response.status_code == 200, response.text
                if n >= 5:  # warm-up
                    times.append(elapsed)
                if n == 5:
                    example = params.get("filter", path.rsplit("/", 1)[-1])
                    returned = response.json()["meta"].get("data_returned")
            print(
                f"| {name} | `{example}` | {returned} | "
                f"{statistics.median(times):.1f} | {percentile(times, 0.95):.1f} |"
            )
    server.should_exit = True
    thread.join(timeout=10)


if __name__ == "__main__":
    main()
