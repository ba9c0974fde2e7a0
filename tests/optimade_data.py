"""Structure-index rows for OPTIMADE tests, written straight into the tables the indexing job
fills (``optimade_structures`` and ``optimade_structure_values``), with hand-set, spec-correct
properties: a crystal, a 2D monolayer, a molecule, a disordered alloy, compounds with
two-letter symbols, plus as many generated binaries as a test needs for paging.

Also records: a published version with metadata and related papers (the references).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from matcloud.archive.models import Record, Version, VersionState
from matcloud.core.db import Database
from matcloud.core.models import Role, User
from matcloud.optimade.models import StructureEntry, StructureValue

T0 = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
ANON = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _formula(counts: dict[str, int]) -> str:
    return "".join(f"{el}{n if n > 1 else ''}" for el, n in counts.items())


def _reduce(counts: dict[str, int]) -> dict[str, int]:
    divisor = math.gcd(*counts.values())
    return {el: n // divisor for el, n in counts.items()}


def structure(
    id: str,
    sites: list[tuple[str, tuple[float, float, float]]],
    *,
    lattice: list[list[float]] | None = None,
    dimension_types: tuple[int, int, int] = (1, 1, 1),
    species: list[dict[str, Any]] | None = None,
    record: str = "2025.1",
    version: str = "2025.1v1",
    **overrides: Any,
) -> dict[str, Any]:
    """One row of ``optimade_structures`` (every property derived from the sites), with
    ``overrides`` applied last. A site's species name may be a disordered species of
    ``species`` (give those explicitly)."""
    species = species or [
        {"name": name, "chemical_symbols": [name], "concentration": [1.0]}
        for name in dict.fromkeys(name for name, _ in sites)
    ]
    by_name = {s["name"]: s for s in species}
    amounts: dict[str, float] = {}
    for name, _ in sites:
        for symbol, share in zip(
            by_name[name]["chemical_symbols"], by_name[name]["concentration"], strict=True
        ):
            amounts[symbol] = amounts.get(symbol, 0) + share
    elements = sorted(amounts)
    counts = {el: round(amounts[el]) or 1 for el in elements}
    reduced = _reduce(counts)
    total = sum(amounts.values())
    ordered = sorted(reduced.values(), reverse=True)
    hill_order = sorted(elements, key=lambda el: {"C": "0", "H": "1"}.get(el, el))
    if "C" not in elements:
        hill_order = elements
    features = ["disorder"] if any(len(s["chemical_symbols"]) > 1 for s in species) else []
    volume = abs(_det(lattice)) if lattice is not None and all(dimension_types) else None
    row: dict[str, Any] = {
        "id": id,
        "record_id": record,
        "version_id": version,
        "version_index": int(version.rsplit("v", 1)[1]),
        "file_key": f"{id}.cif",
        "archive_id": None,
        "node_uuid": None,
        "is_latest": True,
        "is_public": True,
        "last_modified": T0,
        "title": f"Structure {id}",
        "doi": f"10.99999/{version}",
        "elements": elements,
        "nelements": len(elements),
        "elements_ratios": [amounts[el] / total for el in elements],
        "chemical_formula_descriptive": _formula(counts),
        "chemical_formula_reduced": _formula(reduced),
        "chemical_formula_hill": _formula({el: reduced[el] for el in hill_order}),
        "chemical_formula_anonymous": "".join(
            f"{ANON[i]}{n if n > 1 else ''}" for i, n in enumerate(ordered)
        ),
        "dimension_types": list(dimension_types),
        "nperiodic_dimensions": sum(dimension_types),
        "lattice_vectors": lattice,
        "cartesian_site_positions": [list(p) for _, p in sites],
        "nsites": len(sites),
        "species": species,
        "species_at_sites": [name for name, _ in sites],
        "structure_features": features,
        "space_group_it_number": None,
        "space_group_symbol_hermann_mauguin": None,
        "space_group_symbol_hall": None,
        "volume": volume,
    }
    row.update(overrides)
    return row


def _det(m: list[list[float]]) -> float:
    return (
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    )


def values_of(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``optimade_structure_values`` rows of a structure row."""
    found = []
    for field in ("elements", "species_at_sites", "structure_features", "dimension_types"):
        for position, value in enumerate(row[field]):
            found.append(
                {
                    "structure_id": row["id"],
                    "field": field,
                    "position": position,
                    "value": str(value),
                }
            )
    return found


def insert_structures(db: Database, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = list(rows)
    with db.unit_of_work() as uow:
        uow.session.execute(insert(StructureEntry), rows)
        values = [v for row in rows for v in values_of(row)]
        if values:
            uow.session.execute(insert(StructureValue), values)
    return rows


# -- the fixed set ---------------------------------------------------------------------------

SI = structure(
    "2025.1v1-si00000001",
    [("Si", (0.0, 0.0, 0.0)), ("Si", (1.3575, 1.3575, 1.3575))],
    lattice=[[0.0, 2.715, 2.715], [2.715, 0.0, 2.715], [2.715, 2.715, 0.0]],
    space_group_it_number=227,
    space_group_symbol_hermann_mauguin="F d -3 m",
    space_group_symbol_hall="-F 4vw 2vw 3",
    chemical_formula_descriptive="Si2",
    title="Silicon (diamond)",
)
MOS2 = structure(
    "2025.1v1-mos2000002",
    [("Mo", (0.0, 0.0, 10.0)), ("S", (1.595, 0.921, 11.56)), ("S", (1.595, 0.921, 8.44))],
    lattice=[[3.19, 0.0, 0.0], [-1.595, 2.763, 0.0], [0.0, 0.0, 20.0]],
    dimension_types=(1, 1, 0),
    space_group_it_number=187,
    space_group_symbol_hermann_mauguin="P -6 m 2",
    title="MoS2 monolayer",
    last_modified=T0 + timedelta(days=1),
)
WATER = structure(
    "2025.1v1-h2o0000003",
    [("O", (0.0, 0.0, 0.119)), ("H", (0.0, 0.763, -0.477)), ("H", (0.0, -0.763, -0.477))],
    lattice=None,
    dimension_types=(0, 0, 0),
    title="Water molecule [gas phase]",
    last_modified=T0 + timedelta(days=2, microseconds=250),
    archive_id="abcdef0123456789",
    node_uuid="2b8d6c4e-0000-4000-8000-000000000003",
)
FENI = structure(
    "2025.2v1-feni000004",
    [("FeNi", (0.0, 0.0, 0.0))],
    lattice=[[0.0, 1.78, 1.78], [1.78, 0.0, 1.78], [1.78, 1.78, 0.0]],
    species=[
        {"name": "FeNi", "chemical_symbols": ["Fe", "Ni"], "concentration": [0.5, 0.5]},
    ],
    record="2025.2",
    version="2025.2v1",
    chemical_formula_descriptive="Fe0.5Ni0.5",
    title="Disordered FeNi (fcc)",
)
CSPBBR3 = structure(
    "2025.2v1-cspb000005",
    [
        ("Cs", (0.0, 0.0, 0.0)),
        ("Pb", (2.937, 2.937, 2.937)),
        ("Br", (2.937, 2.937, 0.0)),
        ("Br", (2.937, 0.0, 2.937)),
        ("Br", (0.0, 2.937, 2.937)),
    ],
    lattice=[[5.874, 0.0, 0.0], [0.0, 5.874, 0.0], [0.0, 0.0, 5.874]],
    record="2025.2",
    version="2025.2v1",
    space_group_it_number=221,
    space_group_symbol_hermann_mauguin="P m -3 m",
    title="CsPbBr3 (cubic perovskite) 100% pure_phase",
    last_modified=T0 + timedelta(days=3),
)
NACL_OLD = structure(
    "2025.3v1-nacl000006",
    [("Na", (0.0, 0.0, 0.0)), ("Cl", (2.82, 2.82, 2.82))],
    lattice=[[0.0, 2.82, 2.82], [2.82, 0.0, 2.82], [2.82, 2.82, 0.0]],
    record="2025.3",
    version="2025.3v1",
    is_latest=False,
    title="Rock salt (first version)",
)
NACL = structure(
    "2025.3v2-nacl000007",
    [("Na", (0.0, 0.0, 0.0)), ("Cl", (2.82, 2.82, 2.82))],
    lattice=[[0.0, 2.82, 2.82], [2.82, 0.0, 2.82], [2.82, 2.82, 0.0]],
    record="2025.3",
    version="2025.3v2",
    space_group_it_number=225,
    space_group_symbol_hermann_mauguin="F m -3 m",
    title='Rock salt ("halite")',
    last_modified=T0 + timedelta(days=4),
)
HIDDEN = structure(
    "2025.4v1-hidden00008",
    [("Au", (0.0, 0.0, 0.0))],
    lattice=[[0.0, 2.04, 2.04], [2.04, 0.0, 2.04], [2.04, 2.04, 0.0]],
    record="2025.4",
    version="2025.4v1",
    is_public=False,
    title="Retracted gold",
)
FIXED = [SI, MOS2, WATER, FENI, CSPBBR3, NACL_OLD, NACL, HIDDEN]
PUBLIC = [row for row in FIXED if row["is_public"]]

METALS = ["Li", "Na", "Mg", "Al", "K", "Ca", "Ti", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Sr"]
ANIONS = ["O", "S", "Se", "Cl", "Br", "N", "F", "Te"]


def binaries(count: int, *, start: int = 0, record: str = "2025.9") -> list[dict[str, Any]]:
    """``count`` rock-salt-like binaries with distinct ids (``gen-000123``)."""
    pairs = list(itertools.product(METALS, ANIONS))
    rows = []
    for n in range(start, start + count):
        metal, anion = pairs[n % len(pairs)]
        a = 2.0 + (n % 50) / 20
        rows.append(
            structure(
                f"{record}v1-gen-{n:06d}",
                [(metal, (0.0, 0.0, 0.0)), (anion, (a, a, a))],
                lattice=[[0.0, a, a], [a, 0.0, a], [a, a, 0.0]],
                record=record,
                version=f"{record}v1",
                last_modified=T0 + timedelta(minutes=n),
                title=f"Generated {metal}{anion} #{n}",
            )
        )
    return rows


def ids(body: dict[str, Any]) -> list[str]:
    """The ids of the entries of a response."""
    return [entry["id"] for entry in body["data"]]


# -- records (for references) -------------------------------------------------------------

PAPER_DOI = "10.1038/s41597-020-00637-5"


def publish_records(db: Database, versions: Iterable[str]) -> None:
    """Published records and versions with the given version ids (e.g. ``2025.1v1``), with a
    creator, a paper (DOI) and an arXiv preprint as related identifiers."""
    with db.unit_of_work() as uow:
        owner = uow.session.scalar(select(User).where(User.email == "depositor@example.org"))
        if owner is None:
            owner = User(email="depositor@example.org", name="Depositor", role=Role.USER)
            uow.session.add(owner)
            uow.session.flush()
        records: dict[str, Record] = {}
        for version_id in versions:
            record_id, index = version_id.rsplit("v", 1)
            record = records.get(record_id) or uow.session.get(Record, record_id)
            if record is None:
                record = Record(id=record_id, owner_id=owner.id, latest_version_id=version_id)
                uow.session.add(record)
            records[record_id] = record
            record.latest_version_id = version_id
            uow.session.add(
                Version(
                    id=version_id,
                    record_id=record_id,
                    index=int(index),
                    state=VersionState.PUBLISHED,
                    doi=f"10.99999/{version_id}",
                    published_at=T0,
                    updated_at=T0 + timedelta(hours=int(index)),
                    metadata_json={
                        "resource_type": {"id": "dataset"},
                        "title": f"Structures of record {record_id}",
                        "publication_date": "2025-03-01",
                        "creators": [
                            {
                                "person_or_org": {
                                    "type": "personal",
                                    "given_name": "Ada",
                                    "family_name": "Lovelace",
                                    "name": "Lovelace, Ada",
                                }
                            },
                            {"person_or_org": {"type": "organizational", "name": "EPFL"}},
                        ],
                        "related_identifiers": [
                            {
                                "identifier": PAPER_DOI,
                                "scheme": "doi",
                                "relation_type": {"id": "issupplementto"},
                                "resource_type": {"id": "publication-article"},
                            },
                            {
                                "identifier": "2003.12510",
                                "scheme": "arxiv",
                                "relation_type": {"id": "isdescribedby"},
                            },
                        ],
                    },
                )
            )


__all__ = [
    "FIXED",
    "PAPER_DOI",
    "PUBLIC",
    "binaries",
    "ids",
    "insert_structures",
    "publish_records",
    "structure",
    "values_of",
]
