"""Benchmark: ARCHIVE full-text search against a naive LIKE scan, side by side in one run.

Generates realistic published records (materials-science titles and descriptions, 1-6
creators with ORCIDs and affiliations, keywords, licences, years 2015-2026, ~10% with AiiDA
archives, file types, DOIs), indexes them with ``matcloud.archive.search.upsert`` in a migrated
temporary database, then times a mix of queries answered in full (page of hits, total and all
five facets' buckets) by ``search.search``.

The anchor answers the same requests the simplest way that works: one ``LIKE '%word%'`` test
per word over the text columns of ``archive_search_docs`` (case-insensitive), facet filters on
the docs table's own columns, then the total, the page and the facet counts computed in Python
from the matching rows. Same data, same connection, queries alternated between the two sides.

    .venv/bin/python bench/archive_search.py [--records 10000] [--queries 200] [--db sqlite]
    .venv/bin/python bench/archive_search.py --db postgres [--pg-url URL]   # or --db both
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from matcloud.archive import search
from matcloud.archive.search import SearchDoc, SearchDocRow, SearchQuery
from matcloud.core import migrate
from matcloud.core.db import Database

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

MATERIALS = (
    "graphene silicene germanene phosphorene MoS2 WSe2 hBN perovskite CsPbI3 MAPbI3 SrTiO3 "
    "BaTiO3 LiFePO4 LiCoO2 NMC garnet LLZO zeolite MOF COF silicon germanium GaAs GaN InP ZnO "
    "TiO2 anatase rutile cuprate nickelate pnictide hydride H3S LaH10 skyrmion Heusler spinel "
    "olivine kagome borophene MXene Ti3C2 diamond graphite fullerene nanotube clathrate"
).split()
PROPERTIES = (
    "phonons, band structure, magnetism, superconductivity, thermal conductivity, elastic "
    "constants, dielectric tensor, piezoelectricity, ferroelectricity, band gap, effective mass, "
    "work function, surface energy, adsorption, diffusion, ionic conductivity, defect formation "
    "energy, electron-phonon coupling, Raman spectra, optical absorption, exciton binding "
    "energy, spin-orbit coupling, topological invariants, Wannier functions, charge density "
    "wave, stacking faults, grain boundaries, phase diagram, equation of state"
).split(", ")
METHODS = (
    "DFT, DFPT, GW, BSE, DMFT, hybrid functionals, machine-learning potentials, molecular "
    "dynamics, Monte Carlo, high-throughput screening, Quantum ESPRESSO, VASP, CP2K, SIESTA, "
    "Wannier90, phonopy, AiiDA workflows, SSSP pseudopotentials, Hubbard U, van der Waals "
    "corrections, nudged elastic band, cluster expansion"
).split(", ")
WORDS = (
    "we compute calculate report present study investigate predict the of in and for with a "
    "using from first-principles ab initio accurate converged dataset database structures "
    "relaxed calculations results energies forces stresses trends systematic temperature "
    "pressure strain doping vacancy interstitial interface surface bulk monolayer bilayer "
    "heterostructure nanoribbon alloy compound crystal amorphous liquid anharmonic harmonic "
    "quasiparticle electronic vibrational magnetic transport mechanical optical stability "
    "synthesis experimental comparison benchmark protocol uncertainty reproducible provenance "
    "workflow inputs outputs archive supplementary figures tables scripts curated validated"
).split()
SURNAMES = (
    "Marzari Pizzi Talirz Yakutovich Huber Ceriotti Passerone Smit Prezzi Mounet Cepellotti "
    "Kahle Bonfanti Bercx Kotik Togo Tanaka Kresse Giannozzi Baroni Dal Corso Gonze Zunger "
    "Ceder Persson Curtarolo Wolverton Draxl Scheffler Rignanese Hautier Jain Ong Kozinsky "
    "Müller Schmidt Novak Kowalski Rossi Bianchi García López Martín Dubois Lefèvre Andersson "
    "Nielsen Virtanen Ivanov Petrov Chen Wang Li Zhang Liu Kim Park Sato Suzuki Nakamura Singh "
    "Gupta Okafor Mensah Silva Santos Costa O'Brien Murphy Nguyen Tran"
).split()
GIVEN = (
    "Nicola Giovanni Leopold Aliaksandr Sebastian Michele Carlo Berend Deborah Nicolas Andrea "
    "Leonid Marco Marnik Ana Atsushi Georg Paolo Stefano Xavier Alex Gerbrand Kristin Stefano "
    "Chris Claudia Matthias Gian-Marco Geoffroy Anubhav Shyue Boris Anna Eva Jan Lucía Hélène "
    "Mei Wei Jun Hiro Priya Chidi Ama João Siobhan Linh"
).split()
AFFILIATIONS = (
    "EPFL; PSI; ETH Zürich; Empa; CSCS; University of Basel; MPI Stuttgart; FHI Berlin; "
    "UCLouvain; MIT; UC Berkeley; LBNL; Duke University; Northwestern University; CNR-IOM; "
    "SISSA; University of Tokyo; KAIST; Tsinghua University; IIT Bombay; University of Lagos"
).split("; ")
KEYWORDS = [*MATERIALS[:30], *PROPERTIES[:20], *METHODS[:15], "2D materials", "batteries"]
LICENCES = ["cc-by-4.0"] * 14 + ["cc0-1.0"] * 3 + ["cc-by-sa-4.0", "mit", "gpl-3.0"]
FILE_TYPES = ["cif", "json", "zip", "tar.gz", "h5", "xyz", "pdf", "py", "csv", "poscar"]


def make_docs(n: int, rng: random.Random) -> list[SearchDoc]:
    docs = []
    start = datetime(2015, 1, 1, tzinfo=UTC)
    span = (datetime(2026, 11, 1, tzinfo=UTC) - start).total_seconds()
    for i in range(n):
        published = start + timedelta(seconds=span * (i + rng.random()) / n)
        year = published.year
        material, prop = rng.choice(MATERIALS), rng.choice(PROPERTIES)
        title = rng.choice(
            [
                f"{prop.capitalize()} of {material} from first principles",
                f"High-throughput {prop} of {rng.choice(MATERIALS)} and {material}",
                f"{material}: {prop} with {rng.choice(METHODS)}",
                f"A database of {prop} in {material} compounds",
                f"Machine-learning {prop} for {material}",
            ]
        )
        sentences = []
        for _ in range(rng.randint(3, 8)):
            bag = rng.sample(WORDS, rng.randint(6, 14))
            bag.insert(rng.randrange(len(bag)), rng.choice(MATERIALS + PROPERTIES + METHODS))
            sentences.append(" ".join(bag).capitalize() + ".")
        creators = []
        for _ in range(rng.randint(1, 6)):
            orcid = "-".join(f"{rng.randrange(10000):04d}" for _ in range(4))
            creators.append(
                f"{rng.choice(SURNAMES)}, {rng.choice(GIVEN)}; {orcid}; {rng.choice(AFFILIATIONS)}"
            )
        number = f"{year}.{i:04d}"
        related = [f"10.{rng.randint(1000, 9999)}/{rng.choice(WORDS)}.{rng.randint(1, 99999)}"]
        has_aiida = rng.random() < 0.10
        files = rng.sample(FILE_TYPES, rng.randint(1, 3)) + (["aiida"] if has_aiida else [])
        docs.append(
            SearchDoc(
                record_id=number,
                version_id=f"{number}v1",
                title=title,
                description=" ".join(sentences),
                creators="\n".join(creators),
                keywords=rng.sample(KEYWORDS, rng.randint(2, 6)),
                identifiers=f"10.24435/materialscloud:{number} " + " ".join(related),
                licences=[rng.choice(LICENCES)],
                publication_date=published.date().isoformat(),
                has_aiida=has_aiida,
                file_types=files,
                published_at=published,
            )
        )
    return docs


def make_queries(
    docs: list[SearchDoc], n: int, rng: random.Random
) -> list[tuple[str, SearchQuery]]:
    """(kind, request) pairs, n in all, the kinds in fixed proportions."""
    vocabulary = [w for w in MATERIALS + WORDS + SURNAMES if len(w) > 3]
    share = {
        "1 word": 0.2,
        "2-3 words": 0.2,
        "phrase": 0.15,
        "DOI": 0.15,
        "word + filters": 0.15,
        "empty, page 1": 0.075,
        "empty, page 50": 0.075,
    }
    out: list[tuple[str, SearchQuery]] = []
    for kind, fraction in share.items():
        for _ in range(round(n * fraction)):
            if kind == "1 word":
                query = SearchQuery(q=rng.choice(vocabulary))
            elif kind == "2-3 words":
                query = SearchQuery(q=" ".join(rng.sample(vocabulary, rng.randint(2, 3))))
            elif kind == "phrase":
                words = rng.choice(docs).title.split()
                at = rng.randrange(max(len(words) - 1, 1))
                query = SearchQuery(q='"' + " ".join(words[at : at + 2]) + '"')
            elif kind == "DOI":
                query = SearchQuery(q=rng.choice(docs).identifiers.split()[rng.randrange(2)])
            elif kind == "word + filters":
                filters = rng.choice(
                    [
                        {"has_aiida": ["true"]},
                        {"licence": ["cc-by-4.0"], "year": [str(rng.randint(2015, 2026))]},
                        {"keywords": [rng.choice(KEYWORDS)]},
                        {"file_type": ["cif", "json"], "has_aiida": ["false"]},
                    ]
                )
                query = SearchQuery(q=rng.choice(MATERIALS), filters=filters)
            elif kind == "empty, page 1":
                query = SearchQuery()
            else:
                query = SearchQuery(page=50)
            out.append((kind, query))
    rng.shuffle(out)
    return out


FACET_COLUMNS = {
    "keywords": "keywords",
    "licence": "licences",
    "year": "year",
    "has_aiida": "has_aiida",
    "file_type": "file_types",
}


def anchor(session: Session, query: SearchQuery) -> tuple[int, list[str]]:
    """The simplest thing that works: LIKE per word (or quoted phrase) over the text columns,
    facets counted in Python."""
    d = SearchDocRow
    text = [d.title, d.description, d.creators, sa.cast(d.keywords, sa.Text), d.identifiers]
    conditions = []
    phrases = re.findall(r'"([^"]*)"', query.q)
    for word in phrases + re.sub(r'"[^"]*"', " ", query.q).split():
        conditions.append(sa.or_(*(column.ilike(f"%{word}%") for column in text)))
    rows = session.execute(
        sa.select(
            d.record_id, d.published_at, d.keywords, d.licences, d.year, d.has_aiida, d.file_types
        ).where(*conditions)
    ).all()

    def values(row: Any, facet: str) -> list[str]:
        value = getattr(row, FACET_COLUMNS[facet])
        if facet == "has_aiida":
            return ["true" if value else "false"]
        return [str(value)] if facet == "year" else list(value)

    def keep(row: Any, skip: str | None = None) -> bool:
        return all(set(values(row, f)) & set(v) for f, v in query.filters.items() if f != skip)

    matching = [row for row in rows if keep(row)]
    matching.sort(key=lambda row: (-row.published_at.timestamp(), row.record_id))
    start = (query.page - 1) * query.size
    page = [row.record_id for row in matching[start : start + query.size]]
    aggregations = {}
    for facet in FACET_COLUMNS:
        counts: Counter[str] = Counter()
        for row in rows if facet in query.filters else matching:
            if facet not in query.filters or keep(row, facet):
                counts.update(values(row, facet))
        aggregations[facet] = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:20]
    return len(matching), page


def ours(session: Session, query: SearchQuery) -> tuple[int, list[str]]:
    result = search.search(session, query)
    return result.total, [hit.record_id for hit in result.hits]


@contextmanager
def database(kind: str, pg_url: str, workdir: Path) -> Iterator[Database]:
    if kind == "sqlite":
        db = Database(f"sqlite:///{workdir / 'search.db'}")
        yield db
        db.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in pg_url else "?"
    db = Database(f"{pg_url}{sep}options=-csearch_path%3D{schema}")
    try:
        yield db
    finally:
        db.dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(kind: str, args: argparse.Namespace, docs: list[SearchDoc], workdir: Path) -> str:
    queries = make_queries(docs, args.queries, random.Random(args.seed + 1))
    with database(kind, args.pg_url, workdir) as db:
        migrate.upgrade(db)
        began = time.perf_counter()
        for at in range(0, len(docs), 500):
            with db.unit_of_work() as uow:
                for doc in docs[at : at + 500]:
                    search.upsert(uow.session, doc)
        indexing = time.perf_counter() - began
        if kind == "postgres":  # what autovacuum does soon after a bulk load
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE"))
        timings: dict[tuple[str, str], list[float]] = defaultdict(list)
        cpu_times: dict[tuple[str, str], list[float]] = defaultdict(list)
        totals: dict[tuple[str, str], list[int]] = defaultdict(list)
        sides: list[tuple[str, Callable[[Session, SearchQuery], tuple[int, list[str]]]]] = [
            ("matcloud", ours),
            ("anchor", anchor),
        ]
        with db.read() as session:
            for _, query in queries[:20]:  # warm caches on both sides
                ours(session, query)
                anchor(session, query)
            for n, (label, query) in enumerate(queries):
                for side, function in sides if n % 2 else reversed(sides):
                    began, cpu = time.perf_counter(), time.process_time()
                    total, _ = function(session, query)
                    timings[(label, side)].append((time.perf_counter() - began) * 1000)
                    cpu_times[(label, side)].append((time.process_time() - cpu) * 1000)
                    totals[(label, side)].append(total)
        size = None
        if kind == "sqlite":
            size = (workdir / "search.db").stat().st_size / 2**20
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    labels = list(dict.fromkeys(label for label, _ in queries))
    lines = [
        f"### {kind}: {len(docs):,} records, indexed in {indexing:.1f} s "
        f"({len(docs) / indexing:,.0f} records/s)"
        + (f", database {size:.0f} MiB" if size else "")
        + f"; load average after the queries {load}",
        "",
        "| query kind | n | matcloud p50 ms | p95 ms | anchor (LIKE) p50 ms | p95 ms "
        "| CPU p50 ms: matcloud / anchor | mean total: matcloud / anchor |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label in [*labels, "all"]:
        row = []
        for side in ("matcloud", "anchor"):
            values = [
                t for (k, s), ts in timings.items() if s == side and label in (k, "all") for t in ts
            ]
            row += [f"{statistics.median(values):.1f}", f"{percentile(values, 95):.1f}"]
        cpu = [
            statistics.median(
                [
                    t
                    for (k, s), ts in cpu_times.items()
                    if s == side and label in (k, "all")
                    for t in ts
                ]
            )
            for side in ("matcloud", "anchor")
        ]
        row.append(f"{cpu[0]:.1f} / {cpu[1]:.1f}")
        if label == "all":
            row.append("")
        else:
            mean = [statistics.mean(totals[(label, s)]) for s in ("matcloud", "anchor")]
            row.append(f"{mean[0]:,.0f} / {mean[1]:,.0f}")
        n = sum(1 for k, _ in queries if label in (k, "all"))
        lines.append(f"| {label} | {n} | " + " | ".join(row) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    docs = make_docs(args.records, random.Random(args.seed))
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, command: {' '.join(sys.argv)}\n"
    )
    print(
        json.dumps(
            {"example_record": {k: str(v)[:120] for k, v in vars(docs[0]).items()}},
            ensure_ascii=False,
            indent=1,
        )
    )
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    for kind in kinds:
        with tempfile.TemporaryDirectory(prefix="matcloud-search-bench-") as tmp:
            print()
            print(run(kind, args, docs, Path(tmp)), flush=True)


if __name__ == "__main__":
    main()
