"""Demo DISCOVER sections (``matcloud demo``), labelled as demo data everywhere.

``demo-frameworks``: 70,000 porous frameworks made by a seeded generator, published as a
demo record (a CSV table and a README), then built into a section from
``data/demo-frameworks.yaml``: the scale test of the plot and the table.

``demo-idcards``: materials ID cards of five crystals from real Quantum ESPRESSO calculations
driven by AiiDA (``scripts/demo_idcards.py`` wrote ``data/demo-idcards.aiida`` and its
README), published as a demo record, indexed by EXPLORE and built into a section from
``data/demo-idcards.yaml``: bands, phonons and provenance on every card.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select

from matcloud.archive.models import Record, Version
from matcloud.archive.service import ArchiveService
from matcloud.core.auth import Identity
from matcloud.discover.service import DiscoverService

DATA = Path(__file__).parent / "data"
FRAMEWORKS = 70_000
SEED = 20201020  # the Materials Cloud paper's publication date
TOPOLOGIES = ["hcb", "sql", "kgm", "dia", "pts", "bor", "ctn", "srs", "fes", "hxl", "ths", "lon"]
TITLE = "Demo: 70,000 generated porous frameworks (methane storage)"
IDCARDS_TITLE = "Demo: band structures and phonons of five crystals (Quantum ESPRESSO, AiiDA)"
README = """# Demo: 70,000 generated porous frameworks

Demo data, generated - not research results. The table `frameworks.csv` is made by
`matcloud/discover/demo.py` from a fixed seed ({seed}), so it is the same on every machine.
It has the shape of a computational screening of covalent-organic frameworks for methane
storage: density, void fraction, surface area, largest pore, heat of adsorption and the
deliverable capacity between 65 and 5.8 bar, with plausible correlations between them.
"""


def frameworks_csv(rows: int = FRAMEWORKS, seed: int = SEED) -> bytes:
    """The generated table (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    void = np.clip(rng.beta(5, 2.2, rows), 0.05, 0.97)
    skeleton = rng.normal(1.45, 0.12, rows).clip(1.0, 2.1)  # g/cm³ of the walls
    density = skeleton * (1 - void)
    pore = np.exp(rng.normal(np.log(6 + 30 * void**3), 0.25)).clip(3.5, 80)
    surface = (7200 * void * (1 - 0.35 * void) / (1 + 4 / pore) * rng.normal(1, 0.08, rows)).clip(
        50, None
    )
    heat = (9 + 60 / pore + rng.normal(0, 1.2, rows)).clip(6, 30)
    # volumetric uptake peaks at intermediate density, with stronger binding helping below ~15
    capacity = 260 * void * np.exp(-(((density - 0.45) / 0.35) ** 2)) * (1 + 0.02 * (heat - 12))
    capacity = (capacity + rng.normal(0, 8, rows)).clip(0, None)
    natoms = rng.integers(20, 600, rows)
    topology = rng.choice(TOPOLOGIES, rows)
    layered = np.isin(topology, ["hcb", "sql", "kgm", "hxl"])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["name", "topology", "dimensionality", "density", "void_fraction", "surface_area",
         "pore_diameter", "heat_of_adsorption", "deliverable_capacity", "natoms"]
    )  # fmt: skip
    for i in range(rows):
        writer.writerow(
            [
                f"demo-cof-{i + 1:05d}",
                topology[i],
                "2D" if layered[i] else "3D",
                f"{density[i]:.4f}",
                f"{void[i]:.4f}",
                f"{surface[i]:.1f}",
                f"{pore[i]:.2f}",
                f"{heat[i]:.2f}",
                f"{capacity[i]:.1f}",
                int(natoms[i]),
            ]
        )
    return buffer.getvalue().encode()


def load_demo_sections(
    archive: ArchiveService,
    discover: DiscoverService,
    depositor: Identity,
    moderator: Identity,
    admin: Identity,
) -> Iterator[str]:
    """Publish the demo records and build the sections from them (all idempotent)."""
    demos = [
        (
            "demo-frameworks.yaml",
            TITLE,
            _FRAMEWORKS_METADATA,
            lambda: [
                ("frameworks.csv", frameworks_csv()),
                ("README.md", README.format(seed=SEED).encode()),
            ],
        ),
        (
            "demo-idcards.yaml",
            IDCARDS_TITLE,
            _IDCARDS_METADATA,
            lambda: [
                ("demo-idcards.aiida", (DATA / "demo-idcards.aiida").read_bytes()),
                ("README.md", (DATA / "demo-idcards.md").read_bytes()),
            ],
        ),
    ]
    for spec_file, title, metadata, files in demos:
        record_id, version_id, made = _demo_record(archive, depositor, moderator, metadata, files)
        if made:
            yield f"demo record {version_id}: {title}"
        _index_now(discover, version_id)
        spec = (DATA / spec_file).read_text().replace("RECORD", record_id)
        built = discover.add(admin, spec)
        state = "built" if built["changed"] else "up to date"
        yield f"demo section {built['url']} ({built['rows']:,} rows): {state}"


#: the Materials Cloud paper, whose DISCOVER sections these demos imitate
_PAPER = {
    "identifier": "10.1038/s41597-020-00637-5",
    "scheme": "doi",
    "relation_type": {"id": "isdocumentedby"},
}
_FRAMEWORKS_METADATA: dict[str, Any] = {
    "resource_type": {"id": "dataset"},
    "title": TITLE,
    "creators": [
        {"person_or_org": {"type": "organizational", "name": "matcloud demo generator"}},
    ],
    "description": "Demo content, generated: 70,000 porous frameworks with computed-like "
    "properties for methane storage, made from a fixed seed by matcloud's demo generator. "
    "Not research data. The DISCOVER demo section 'demo-frameworks' is built from it.",
    "subjects": [{"subject": "demo"}, {"subject": "porous frameworks"}],
    "rights": [{"id": "cc0-1.0"}],
    "related_identifiers": [_PAPER],
}
_IDCARDS_METADATA: dict[str, Any] = {
    "resource_type": {"id": "dataset"},
    "title": IDCARDS_TITLE,
    "creators": [
        {"person_or_org": {"type": "organizational", "name": "matcloud demo calculations"}},
    ],
    "description": "Demo content: real Quantum ESPRESSO calculations (pw.x, ph.x, q2r.x, "
    "matdyn.x from Debian) of silicon, diamond, AlAs, MgO and aluminium, run by AiiDA work "
    "chains with demo-grade parameters (LDA, coarse meshes). The AiiDA archive holds the "
    "provenance of every value: structures, pseudopotentials, parameters, band structures and "
    "phonon dispersions. The DISCOVER demo section 'demo-idcards' is built from it.",
    "subjects": [
        {"subject": "demo"},
        {"subject": "band structure"},
        {"subject": "phonons"},
        {"subject": "Quantum ESPRESSO"},
    ],
    "rights": [{"id": "cc-by-4.0"}],
    "related_identifiers": [_PAPER],
}


def _demo_record(
    archive: ArchiveService,
    depositor: Identity,
    moderator: Identity,
    metadata: dict[str, Any],
    files: Callable[[], list[tuple[str, bytes]]],
) -> tuple[str, str, bool]:
    """The demo record's id, its version's id, and whether it was published now."""
    with archive.ctx.db.read() as session:
        found = session.execute(
            select(Record.id, Version.id)
            .join(Version, Version.record_id == Record.id)
            .where(
                Record.is_demo.is_(True),
                Version.metadata_json["title"].as_string() == metadata["title"],
            )
        ).first()
    if found is not None:
        return str(found[0]), str(found[1]), False
    draft = archive.drafts.create(depositor, {"metadata": metadata}, is_demo=True)
    version_id = draft["id"]
    for name, data in files():
        archive.files.init(depositor, version_id, [{"key": name}])
        archive.files.put_content(depositor, version_id, name, io.BytesIO(data), None)
        archive.files.commit(depositor, version_id, name)
    published = archive.publisher.publish(moderator, version_id)
    return str(published["id"]).split("v")[0], str(published["id"]), True


def _index_now(discover: DiscoverService, version_id: str) -> None:
    """Index the version's AiiDA archives in EXPLORE now, unless done: a section reads an
    archive once it is browsable, and the demo must not wait for a worker."""
    for state in discover.explore.for_version(version_id).values():
        if state.get("status") not in ("ready", "failed"):
            discover.explore.index(str(state["id"]))


__all__ = ["frameworks_csv", "load_demo_sections"]
