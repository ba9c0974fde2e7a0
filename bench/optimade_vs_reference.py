"""OPTIMADE benchmark: our API against optimade-python-tools' reference server, same data.

    make optimade-venv                                      # once: .venv-optimade
    .venv/bin/python bench/optimade_vs_reference.py --structures 100000 [--requests 60] [--seed 7]
        [--budget 600] [--analyze] [--keep]

1. **Data.** ``--structures`` random but plausible crystals from a fixed seed: 1-5 elements of
   :data:`ELEMENTS`, 1-40 sites on a jittered grid (no two atoms closer than ~1 Å) in a
   random triclinic cell of 10-25 Å^3 per atom; one in :data:`PROTOTYPE_SHARE` is instead a
   textbook prototype (fcc, rock salt, zinc blende, perovskite, ...) with random elements and
   lattice constant, so that real space groups and formulas like ``ABC3`` occur as they do in
   real databases (random positions alone give P1).
2. **Indexing, ours.** What the indexing job does per structure, timed in two parts:
   :func:`~matcloud.structures.optimade_properties` (formulas, spglib space group), then the
   indexing job's own insert (``write_entries``) of the rows into ``optimade_structures`` and
   ``optimade_structure_values`` (whose triggers fill the element postings) of a fresh
   ``matcloud init`` instance (temp data dir, SQLite; ids ``bench-<n>``, public, latest).
   Then ``matcloud serve`` on that data dir.
3. **The anchor.** The same structures as the reference server's own MongoDB documents (JSON
   lines), served by ``bench/optimade_reference.py`` in ``.venv-optimade``: the
   ``optimade.server.main`` app, mongomock backend, ``optimade[server]`` of the same version
   as ours.
4. **Latency.** Sequential requests (httpx, one connection per side) to the same
   ``/structures?filter=...&page_limit=20`` on both (ours under ``/optimade/v1``, theirs under
   ``/v1``), alternating the sides so that noise on the machine hits both alike. Each filter
   gets ``--requests`` timed requests after a warm-up, its values drawn from a seeded RNG per
   request (elements, formulas, bounds, ids) so no cache answers for the server. Every
   response's ``meta.data_returned`` is compared with the other side's and with a brute-force
   count over the generated data in Python, and where a page holds every match the ids must
   agree too: a speed-up means nothing if the answers differ.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from matcloud.core.db import Database
from matcloud.optimade.indexing import write_entries
from matcloud.optimade.models import VALUE_FIELDS, StructureEntry
from matcloud.settings import Settings
from matcloud.structures import Species, Structure, optimade_properties
from matcloud.structures.symmetry import space_group

sys.path.insert(0, str(Path(__file__).resolve().parent))
from archive_transfer import BENCH_OUT, Server  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_PYTHON = ROOT / ".venv-optimade" / "bin" / "python"
REFERENCE = ROOT / "bench" / "optimade_reference.py"
PAGE_LIMIT = 20
WARMUP = 5
#: Elements of everyday inorganic materials; the filters below draw from them.
ELEMENTS = (
    "H Li Be B C N O F Na Mg Al Si P S Cl K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Rb "
    "Sr Y Zr Nb Mo Ru Rh Pd Ag Cd In Sn Sb Te I Cs Ba La Ce Hf Ta W Ir Pt Au Pb Bi"
).split()
PROTOTYPE_SHARE = 0.15
_FCC = [(0.0, 0.0, 0.0), (0.0, 0.5, 0.5), (0.5, 0.0, 0.5), (0.5, 0.5, 0.0)]


def _shifted(points: list[tuple[float, float, float]], *by: float) -> list[Any]:
    return [tuple((c + b) % 1.0 for c, b in zip(p, by, strict=True)) for p in points]


#: Conventional cubic cells: (role, fractional position); role i takes the i-th element.
PROTOTYPES: dict[str, list[tuple[int, tuple[float, float, float]]]] = {
    "fcc": [(0, p) for p in _FCC],
    "bcc": [(0, (0.0, 0.0, 0.0)), (0, (0.5, 0.5, 0.5))],
    "rock salt": [(0, p) for p in _FCC] + [(1, p) for p in _shifted(_FCC, 0.5, 0.0, 0.0)],
    "CsCl": [(0, (0.0, 0.0, 0.0)), (1, (0.5, 0.5, 0.5))],
    "zinc blende": [(0, p) for p in _FCC] + [(1, p) for p in _shifted(_FCC, 0.25, 0.25, 0.25)],
    "fluorite": [(0, p) for p in _FCC]
    + [(1, p) for p in _shifted(_FCC, 0.25, 0.25, 0.25)]
    + [(1, p) for p in _shifted(_FCC, 0.75, 0.75, 0.75)],
    "perovskite": [
        (0, (0.0, 0.0, 0.0)),
        (1, (0.5, 0.5, 0.5)),
        (2, (0.5, 0.5, 0.0)),
        (2, (0.5, 0.0, 0.5)),
        (2, (0.0, 0.5, 0.5)),
    ],
}


# -- data ---------------------------------------------------------------------------------


@dataclass
class Facts:
    """What the brute-force counts need of one generated structure."""

    elements: frozenset[str]
    nelements: int
    nsites: int
    anonymous: str


def lattice(rng: np.random.Generator, volume: float) -> np.ndarray:
    """A random triclinic cell of the given volume (rows a, b, c), never nearly flat."""
    while True:
        lengths = rng.uniform(0.8, 1.25, 3)
        alpha, beta, gamma = np.radians(rng.uniform(75.0, 105.0, 3))
        cx = math.cos(beta)
        cy = (math.cos(alpha) - math.cos(beta) * math.cos(gamma)) / math.sin(gamma)
        if 1.0 - cx * cx - cy * cy > 0.3:  # c keeps a good part of its length out of plane ab
            break
    cell = (
        np.array(
            [
                [1.0, 0.0, 0.0],
                [math.cos(gamma), math.sin(gamma), 0.0],
                [cx, cy, math.sqrt(1.0 - cx * cx - cy * cy)],
            ]
        )
        * lengths[:, None]
    )
    return cell * (volume / abs(np.linalg.det(cell))) ** (1 / 3)


def grid_shape(nsites: int) -> tuple[int, int, int]:
    """The smallest grid of about cubic shape with room for every site, so that grid points
    are about as far apart as atoms of that density."""
    side = math.ceil(nsites ** (1 / 3) - 1e-9)
    shapes = itertools.product(*[(max(side - 1, 1), side)] * 3)
    return min((s for s in shapes if math.prod(s) >= nsites), key=math.prod)


def random_structure(rng: np.random.Generator) -> Structure:
    """1-5 random elements, 1-40 sites in a random cell: each site on its own point of a grid
    over the cell, jittered by up to 15 % of the spacing, so atoms are ~1.3 Å apart or more
    (uniform positions would put some on top of each other)."""
    nelements = int(rng.integers(1, 6))
    nsites = int(rng.integers(nelements, 41))
    elements = list(rng.choice(ELEMENTS, nelements, replace=False))
    counts = np.ones(nelements, dtype=int) + rng.multinomial(
        nsites - nelements, np.ones(nelements) / nelements
    )
    symbols = [el for el, n in zip(elements, counts, strict=True) for _ in range(n)]
    cell = lattice(rng, nsites * rng.uniform(10.0, 25.0))
    shape = grid_shape(nsites)
    points = rng.choice(math.prod(shape), nsites, replace=False)
    index = np.stack(np.unravel_index(points, shape), axis=1)
    fractional = (index + 0.5 + rng.uniform(-0.15, 0.15, (nsites, 3))) / np.array(shape)
    return build(elements, symbols, cell, fractional)


def prototype_structure(rng: np.random.Generator) -> Structure:
    """A textbook structure type, random elements and lattice constant, maybe tetragonal."""
    name = list(PROTOTYPES)[int(rng.integers(len(PROTOTYPES)))]
    sites = PROTOTYPES[name]
    roles = max(role for role, _ in sites) + 1
    elements = list(rng.choice(ELEMENTS, roles, replace=False))
    a = (len(sites) * rng.uniform(10.0, 25.0)) ** (1 / 3)
    c = a * (rng.uniform(1.05, 1.3) if rng.random() < 0.3 else 1.0)
    cell = np.diag([a, a, c])
    fractional = np.array([position for _, position in sites])
    return build(elements, [elements[role] for role, _ in sites], cell, fractional)


def build(elements: list[str], symbols: list[str], cell: np.ndarray, frac: np.ndarray) -> Structure:
    cartesian = np.round(frac @ cell, 5).tolist()
    return Structure(
        lattice=tuple(tuple(row) for row in np.round(cell, 5).tolist()),
        pbc=(True, True, True),
        species=tuple(Species(str(el), (str(el),), (1.0,)) for el in elements),
        sites=tuple((str(s), tuple(p)) for s, p in zip(symbols, cartesian, strict=True)),
    )


def generate(count: int, seed: int) -> Iterator[Structure]:
    rng = np.random.default_rng(seed)
    for _ in range(count):
        if rng.random() < PROTOTYPE_SHARE:
            yield prototype_structure(rng)
        else:
            yield random_structure(rng)


# -- ours: properties and the index tables ------------------------------------------------


@dataclass
class Indexing:
    """Seconds and counts of the set-up phases, for the report."""

    build: float = 0.0
    properties: float = 0.0
    spglib: float = 0.0
    insert: float = 0.0
    entries: int = 0
    values: int = 0
    sites: int = 0
    space_groups: Counter[str] = field(default_factory=Counter)
    reference_insert: float = 0.0
    analyze: float | None = None


def index_ours(
    structures: list[Structure],
    data_dir: Path,
    reference_file: Path,
    timing: Indexing,
    analyze: bool = False,
) -> list[Facts]:
    """Properties, then bulk inserts into our tables; writes the reference's documents too.

    With ``analyze``, SQLite's ``ANALYZE`` runs after the inserts: the indexing job does not
    run it, and without its statistics the planner may pick a poor index for some filters,
    so the flag shows what that costs."""
    started = time.perf_counter()
    properties = [optimade_properties(s) for s in structures]
    timing.properties = time.perf_counter() - started
    started = time.perf_counter()
    for structure in structures:
        space_group(structure)
    timing.spglib = time.perf_counter() - started

    base = datetime(2025, 1, 1, tzinfo=UTC)
    modified = [base + timedelta(seconds=n) for n in range(len(structures))]
    columns = {c.name for c in StructureEntry.__table__.columns}
    entries, values = [], []
    for n, props in enumerate(properties):
        row = {k: v for k, v in props.items() if k in columns}
        row.update(
            id=f"bench-{n}",
            record_id=f"bench-{n}",
            version_id=f"bench-{n}",
            version_index=1,
            file_key=f"structure-{n}.cif",
            is_public=True,
            is_latest=True,
            last_modified=modified[n],
            title="",
        )
        entries.append(row)
        for name in VALUE_FIELDS:
            for position, value in enumerate(props.get(name) or []):
                values.append(
                    {
                        "structure_id": row["id"],
                        "field": name,
                        "position": position,
                        "value": str(value),
                    }
                )
        timing.space_groups[props["space_group_symbol_hermann_mauguin"] or "none"] += 1
        timing.sites += props["nsites"]
    timing.entries, timing.values = len(entries), len(values)

    db = Database(Settings(data_dir=data_dir).resolved_database_url)
    try:
        started = time.perf_counter()
        with db.unit_of_work() as uow:  # what the indexing job does, in one transaction
            write_entries(uow.session, entries, values)
        timing.insert = time.perf_counter() - started
        if analyze:
            started = time.perf_counter()
            with db.engine.begin() as connection:
                connection.exec_driver_sql("ANALYZE")
            timing.analyze = time.perf_counter() - started
    finally:
        db.dispose()

    with open(reference_file, "w") as out:
        for n, props in enumerate(properties):
            out.write(json.dumps(reference_document(n, props, modified[n])) + "\n")
    return [
        Facts(
            frozenset(p["elements"]), p["nelements"], p["nsites"], p["chemical_formula_anonymous"]
        )
        for p in properties
    ]


def reference_document(n: int, props: dict[str, Any], modified: datetime) -> dict[str, Any]:
    """The reference server's MongoDB document (extended JSON), as its test_structures.json."""
    document = {k: v for k, v in props.items() if k != "volume"}  # ours only (_matcloud_volume)
    document.update(
        _id={"$oid": f"{n:024x}"},
        id=f"bench-{n}",
        last_modified={"$date": modified.strftime("%Y-%m-%dT%H:%M:%S.000Z")},
    )
    return document


# -- the reference server -----------------------------------------------------------------


def start_reference(datafile: Path, work: Path, timing: Indexing) -> tuple[Any, str]:
    port = _free_port()
    proc = subprocess.Popen(
        [str(REFERENCE_PYTHON), str(REFERENCE), str(datafile), str(port)],
        stdout=subprocess.PIPE,
        stderr=open(work / "reference.log", "w"),  # noqa: SIM115 (kept open by the child)
        text=True,
    )
    assert proc.stdout is not None
    started = time.perf_counter()
    line = proc.stdout.readline()
    if not line.startswith("READY"):
        proc.kill()
        raise SystemExit("the reference server did not start; see " + str(work / "reference.log"))
    timing.reference_insert = time.perf_counter() - started
    return proc, line.split()[1]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# -- the queries --------------------------------------------------------------------------


@dataclass
class Query:
    """One request: the path after the base URL, its params, and the brute-force answer."""

    path: str
    params: dict[str, str]
    expected: int


def queries(facts: list[Facts], count: int, seed: int) -> dict[str, list[Query]]:
    """``count + WARMUP`` requests per filter, their values drawn from a seeded RNG."""
    rng = random.Random(seed)
    total = count + WARMUP

    def listing(fltr: str, match: Callable[[Facts], bool]) -> Query:
        expected = sum(1 for f in facts if match(f))
        return Query("/structures", {"filter": fltr, "page_limit": str(PAGE_LIMIT)}, expected)

    def has_all() -> Query:
        a, b = rng.sample(ELEMENTS, 2)
        return listing(f'elements HAS ALL "{a}","{b}"', lambda f: {a, b} <= f.elements)

    def has_only() -> Query:
        a, b = rng.sample(ELEMENTS, 2)
        return listing(f'elements HAS ONLY "{a}","{b}"', lambda f: f.elements <= {a, b})

    ternary = sorted({f.anonymous for f in facts if f.nelements == 3})
    weights = Counter(f.anonymous for f in facts if f.nelements == 3)

    def anonymous() -> Query:
        formula = rng.choices(ternary, [weights[t] for t in ternary])[0]
        return listing(
            f'nelements=3 AND chemical_formula_anonymous="{formula}"',
            lambda f: f.nelements == 3 and f.anonymous == formula,
        )

    def nested() -> Query:
        a, b, c = rng.sample(ELEMENTS, 3)
        return listing(
            f'(elements HAS "{a}" OR elements HAS "{b}") AND NOT elements HAS "{c}"',
            lambda f: (a in f.elements or b in f.elements) and c not in f.elements,
        )

    def single() -> Query:
        return Query(f"/structures/bench-{rng.randrange(len(facts))}", {}, 1)

    def bounds() -> Query:
        sites, elements = rng.randint(5, 15), rng.randint(2, 3)
        return listing(
            f"nsites<{sites} AND nelements>={elements}",
            lambda f: f.nsites < sites and f.nelements >= elements,
        )

    makers = {
        'elements HAS ALL "Si","O"': has_all,
        'elements HAS ONLY "Ga","As"': has_only,
        'nelements=3 AND chemical_formula_anonymous="ABC3"': anonymous,
        '(elements HAS "Fe" OR elements HAS "Co") AND NOT elements HAS "O"': nested,
        "single entry /structures/{id}": single,
        "nsites<10 AND nelements>=2": bounds,
    }
    return {name: [make() for _ in range(total)] for name, make in makers.items()}


@dataclass
class Answer:
    ms: float
    status: int
    data_returned: int | None
    ids: list[str]


def ask(http: httpx.Client, query: Query) -> Answer:
    """One timed request; a timeout is an answer too (status 0), not the end of the run."""
    started = time.perf_counter()
    try:
        response = http.get(query.path, params=query.params)
    except httpx.TimeoutException:
        return Answer((time.perf_counter() - started) * 1000, 0, None, [])
    ms = (time.perf_counter() - started) * 1000
    body = response.json()
    data = body.get("data")
    ids = [d["id"] for d in data] if isinstance(data, list) else [data["id"]] if data else []
    returned = (body.get("meta") or {}).get("data_returned")
    return Answer(ms, response.status_code, returned, ids)


@dataclass
class Row:
    name: str
    ours: list[Answer]
    theirs: list[Answer]
    queries: list[Query]


def run_latency(ours: str, theirs: str, plan: dict[str, list[Query]], budget: float) -> list[Row]:
    """Warm-up, then the timed requests, alternating which side goes first. A filter stops
    early (after at least WARMUP timed requests) once either side has spent ``budget``
    seconds on it, so one pathologically slow query cannot hold the run hostage."""
    rows = []
    with (
        httpx.Client(base_url=ours, timeout=budget) as mine,
        httpx.Client(base_url=theirs, timeout=budget) as other,
    ):
        for name, todo in plan.items():
            for query in todo[:WARMUP]:
                ask(mine, query)
                ask(other, query)
            row = Row(name, [], [], [])
            for i, query in enumerate(todo[WARMUP:]):
                spent = max(sum(a.ms for a in row.ours), sum(a.ms for a in row.theirs)) / 1000
                if i >= WARMUP and spent > budget:
                    break
                row.queries.append(query)
                if i % 2:
                    row.theirs.append(ask(other, query))
                    row.ours.append(ask(mine, query))
                else:
                    row.ours.append(ask(mine, query))
                    row.theirs.append(ask(other, query))
            rows.append(row)
            step(f"  {name}: {len(row.queries)} requests")
    return rows


# -- the run ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--structures", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=60, help="timed requests per filter")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--budget", type=float, default=600, help="seconds per filter and side (and timeout)"
    )
    parser.add_argument(
        "--analyze", action="store_true", help="run SQLite's ANALYZE after our inserts"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work dir (data, logs)")
    args = parser.parse_args()
    if not REFERENCE_PYTHON.exists():
        raise SystemExit(f"{REFERENCE_PYTHON} is missing: run `make optimade-venv` first")
    load_before = os.getloadavg()
    BENCH_OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="optimade-", dir=BENCH_OUT))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCLOUD_")}
    env |= {"MATCLOUD_DATA_DIR": str(work / "data"), "MATCLOUD_LOG_LEVEL": "WARNING"}
    server = Server(work, env)
    reference = None
    timing = Indexing()
    try:
        step("generating structures")
        started = time.perf_counter()
        structures = list(generate(args.structures, args.seed))
        timing.build = time.perf_counter() - started
        step("matcloud init; properties and inserts")
        server.matcloud("init")
        datafile = work / "reference-structures.jsonl"
        facts = index_ours(structures, work / "data", datafile, timing, args.analyze)
        del structures
        step("starting both servers")
        server.start()
        reference, reference_url = start_reference(datafile, work, timing)
        step("latency")
        plan = queries(facts, args.requests, args.seed + 1)
        rows = run_latency(f"{server.url}/optimade/v1", f"{reference_url}/v1", plan, args.budget)
    finally:
        server.stop()
        if reference is not None:
            reference.terminate()
            reference.wait()
    report(args, timing, rows, datafile, load_before)
    if args.keep:
        print(f"\nwork dir kept: {work}", file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)


def step(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# -- the report ---------------------------------------------------------------------------


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def statuses(side: str, answers: list[Answer]) -> str:
    """ " (reference: HTTP 501 x60)" for the answers that were not 200; 0 is a timeout."""
    counts = Counter(a.status for a in answers if a.status != 200)
    named = [f"{'timeout' if s == 0 else f'HTTP {s}'} x{c}" for s, c in sorted(counts.items())]
    return f" ({side}: {', '.join(named)})" if named else ""


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}" if seconds else "-"


def report(
    args: argparse.Namespace,
    timing: Indexing,
    rows: list[Row],
    datafile: Path,
    load_before: tuple[float, float, float],
) -> None:
    n = timing.entries
    load = os.getloadavg()
    print(f"# OPTIMADE benchmark, {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    print(
        f"{platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}, load "
        f"average {load_before[0]:.2f} at the start, {load[0]:.2f} / {load[1]:.2f} / "
        f"{load[2]:.2f} (1 / 5 / 15 min) at the end; {n:,} structures (seed {args.seed}), "
        f"{timing.sites:,} sites, {timing.values:,} value rows; reference documents "
        f"{datafile.stat().st_size / 1e6:.0f} MB of JSON lines\n"
    )
    print("```")
    print(
        f".venv/bin/python bench/optimade_vs_reference.py --structures {n} "
        f"--requests {args.requests} "
        f"--seed {args.seed} --budget {args.budget:g}{' --analyze' if args.analyze else ''}"
    )
    print(".venv-optimade/bin/python bench/optimade_reference.py DATAFILE PORT   # started by it")
    print("```\n")
    index_total = timing.properties + timing.insert
    print("| indexing | seconds | rate |")
    print("|---|---:|---:|")
    print(
        f"| generating the `Structure`s (not indexing) | {timing.build:.1f} | "
        f"{rate(n, timing.build)} structures/s |"
    )
    print(
        f"| ours: `optimade_properties` (formulas, spglib) | {timing.properties:.1f} | "
        f"{rate(n, timing.properties)} structures/s |"
    )
    print(
        f"| (spglib `space_group` alone, timed separately) | {timing.spglib:.1f} | "
        f"{rate(n, timing.spglib)} structures/s |"
    )
    print(
        f"| ours: insert {n:,} structure rows + {timing.values:,} value rows (`write_entries`, "
        f"as the indexing job; triggers fill the element postings) | {timing.insert:.1f} | "
        f"{rate(n, timing.insert)} structures/s |"
    )
    if timing.analyze is not None:
        print(
            f"| ours: `ANALYZE` (`--analyze`; the indexing job does not run it) | "
            f"{timing.analyze:.1f} | |"
        )
    print(
        f"| **ours: indexing (properties + inserts)** | **{index_total:.1f}** | "
        f"**{rate(n, index_total)} structures/s** |"
    )
    print(
        f"| reference: start, read the JSON lines, insert into mongomock, unique index on id | "
        f"{timing.reference_insert:.1f} | {rate(n, timing.reference_insert)} structures/s |"
    )
    print()
    groups = ", ".join(f"{g} {c:,}" for g, c in timing.space_groups.most_common(8))
    print(f"Space groups found (most common): {groups}; {len(timing.space_groups)} distinct.\n")

    print(
        "| filter (values drawn per request) | timed requests | ours p50 ms | ours p95 ms "
        "| reference p50 ms | reference p95 ms | p50 speed-up | data_returned: ours / "
        "reference / brute force (sum) | disagreements |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|---|")
    findings = []
    for row in rows:
        mine = [a.ms for a in row.ours]
        theirs = [a.ms for a in row.theirs]
        sums = [
            sum(a.data_returned or 0 for a in row.ours),
            sum(a.data_returned or 0 for a in row.theirs),
            sum(q.expected for q in row.queries),
        ]
        wrong = []
        for q, a, b in zip(row.queries, row.ours, row.theirs, strict=True):
            label = q.params.get("filter", q.path)
            if a.data_returned != q.expected:
                wrong.append(f"ours {a.data_returned} != {q.expected} for `{label}`")
            if b.data_returned != q.expected:
                wrong.append(f"reference {b.data_returned} != {q.expected} for `{label}`")
            if q.expected <= PAGE_LIMIT and 200 == a.status == b.status:
                if sorted(a.ids) != sorted(b.ids):
                    wrong.append(f"different ids for `{label}`")
        findings += [f"{row.name}: {w}" for w in wrong]
        print(
            f"| `{row.name}`{statuses('ours', row.ours)}{statuses('reference', row.theirs)} | "
            f"{len(row.queries)} | {pct(mine, 50):.1f} | {pct(mine, 95):.1f} | "
            f"{pct(theirs, 50):.1f} | {pct(theirs, 95):.1f} | "
            f"{pct(theirs, 50) / pct(mine, 50):.1f}x | {sums[0]:,} / {sums[1]:,} / {sums[2]:,} | "
            f"{len(wrong) or 'none'} |"
        )
    if findings:
        print("\nDisagreements (first 20):")
        for line in findings[:20]:
            print(f"- {line}")


if __name__ == "__main__":
    main()
