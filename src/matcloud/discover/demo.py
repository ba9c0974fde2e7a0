"""Demo DISCOVER sections (``matcloud demo``), labelled as demo data everywhere.

``demo-frameworks``: 70,000 porous frameworks made by a seeded generator, published as a
demo record (a CSV table and a README), then built into a section from
``data/demo-frameworks.yaml``: the scale test of the plot and the table.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

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
    """Publish the demo record and build the section from it (both idempotent)."""
    record_id, made = _demo_record(archive, depositor, moderator)
    if made is not None:
        yield f"demo record {made}: {TITLE}"
    spec = (DATA / "demo-frameworks.yaml").read_text().replace("RECORD", record_id)
    built = discover.add(admin, spec)
    state = "built" if built["changed"] else "up to date"
    yield f"demo section {built['url']} ({built['rows']:,} rows): {state}"


def _demo_record(
    archive: ArchiveService, depositor: Identity, moderator: Identity
) -> tuple[str, str | None]:
    """The demo record's id, and the version published now (None: it existed)."""
    with archive.ctx.db.read() as session:
        found = session.scalar(
            select(Record.id)
            .join(Version, Version.record_id == Record.id)
            .where(Record.is_demo.is_(True), Version.metadata_json["title"].as_string() == TITLE)
        )
    if found is not None:
        return str(found), None
    metadata = {
        "resource_type": {"id": "dataset"},
        "title": TITLE,
        "creators": [
            {
                "person_or_org": {"type": "organizational", "name": "matcloud demo generator"},
            }
        ],
        "description": "Demo content, generated: 70,000 porous frameworks with computed-like "
        "properties for methane storage, made from a fixed seed by matcloud's demo generator. "
        "Not research data. The DISCOVER demo section 'demo-frameworks' is built from it.",
        "subjects": [{"subject": "demo"}, {"subject": "porous frameworks"}],
        "rights": [{"id": "cc0-1.0"}],
        # the Materials Cloud paper, whose DISCOVER sections this demo imitates
        "related_identifiers": [
            {
                "identifier": "10.1038/s41597-020-00637-5",
                "scheme": "doi",
                "relation_type": {"id": "isdocumentedby"},
            }
        ],
    }
    draft = archive.drafts.create(depositor, {"metadata": metadata}, is_demo=True)
    version_id = draft["id"]
    for name, data in (
        ("frameworks.csv", frameworks_csv()),
        ("README.md", README.format(seed=SEED).encode()),
    ):
        archive.files.init(depositor, version_id, [{"key": name}])
        archive.files.put_content(depositor, version_id, name, io.BytesIO(data), None)
        archive.files.commit(depositor, version_id, name)
    published = archive.publisher.publish(moderator, version_id)
    return str(published["id"]).split("v")[0], str(published["id"])


__all__ = ["frameworks_csv", "load_demo_sections"]
