"""Demo records for a new instance (``matcloud demo``): published, and marked as demo."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select

from matcloud.archive.models import Record
from matcloud.archive.service import ArchiveService
from matcloud.core.auth import Identity

FILES = Path(__file__).parent / "demo_files"
PAPER = {
    "identifier": "10.1038/s41597-020-00637-5",
    "scheme": "doi",
    "relation_type": {"id": "issupplementto"},
}
CREATOR = {
    "person_or_org": {"type": "personal", "given_name": "Demo", "family_name": "Depositor"},
    "affiliations": [{"name": "matcloud demo content"}],
}
RECORDS: list[tuple[dict[str, Any], list[str]]] = [
    (
        {
            "title": "Demo: crystal structure of silicon",
            "description": "Demo content. The conventional cell of diamond-structure silicon, "
            "as a CIF file, to show how structure files are previewed in 3D.",
            "subjects": [{"subject": "silicon"}, {"subject": "crystal structure"}],
        },
        ["Si.cif", "README.md"],
    ),
    (
        {
            "title": "Demo: a MoS2 monolayer",
            "description": "Demo content. A 2H-MoS2 monolayer in VASP POSCAR format with 20 Å of "
            "vacuum, as used for two-dimensional materials.",
            "subjects": [{"subject": "2D materials"}, {"subject": "MoS2"}],
        },
        ["MoS2.vasp", "README.md"],
    ),
    (
        {
            "title": "Demo: lattice constants of common semiconductors",
            "description": "Demo content. A small table of experimental lattice constants, to "
            "show tabular data and its preview.",
            "subjects": [{"subject": "lattice constant"}, {"subject": "semiconductors"}],
            "rights": [{"id": "cc0-1.0"}],
        },
        ["lattice_constants.csv", "README.md"],
    ),
    (
        {
            "title": "Demo: an AiiDA provenance graph of structures, bands and workflows",
            "description": "Demo content. An AiiDA archive written by aiida-core 2.9 (the "
            "project's test-fixture generator, `tests/fixtures/make_aiida_archives.py`): crystal "
            "structures, a band structure, k-points, arrays, a Quantum ESPRESSO-like CalcJob with "
            "its input and output files, calcfunctions, workfunctions and a work chain, groups, "
            "comments and logs. Some labels hold HTML on purpose, to show that archive content "
            "is always displayed as text. Open it in EXPLORE from the file list.",
            "subjects": [{"subject": "AiiDA"}, {"subject": "provenance"}],
        },
        ["provenance-demo.aiida", "README.md"],
    ),
]


def load_demo_records(
    archive: ArchiveService, depositor: Identity, moderator: Identity
) -> Iterator[str]:
    """Publish the demo records unless they exist (idempotent)."""
    with archive.ctx.db.read() as session:
        existing = session.scalar(
            select(Record.id).where(Record.is_demo.is_(True), Record.owner_id == depositor.user_id)
        )
    if existing is not None:
        yield "demo records exist"
        return
    for fields, files in RECORDS:
        metadata = {
            "resource_type": {"id": "dataset"},
            "creators": [CREATOR],
            "related_identifiers": [PAPER],
            **fields,
        }
        draft = archive.drafts.create(depositor, {"metadata": metadata}, is_demo=True)
        version_id = draft["id"]
        for name in files:
            archive.files.init(depositor, version_id, [{"key": name}])
            with (FILES / name).open("rb") as handle:
                archive.files.put_content(depositor, version_id, name, handle, None)
            archive.files.commit(depositor, version_id, name)
        published = archive.publisher.publish(moderator, version_id)
        yield f"demo record {published['id']}: {fields['title']}"


__all__ = ["load_demo_records"]
