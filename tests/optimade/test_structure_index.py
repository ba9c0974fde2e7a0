"""The structure index is filled from published records: structure files and the StructureData
nodes of AiiDA archives; retractions hide, new versions take over "latest", bad files are
skipped without harming the rest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from archive_helpers import bearer, metadata, publish_via_review, upload
from matcloud.cli import main
from matcloud.core.models import Role
from matcloud.optimade.models import StructureEntry, StructureValue
from matcloud.settings import Settings

DEMO = Path(__file__).resolve().parents[2] / "src" / "matcloud" / "archive" / "demo_files"
RICH = Path(__file__).resolve().parents[1] / "fixtures" / "aiida" / "rich.aiida"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"job_queue": "immediate"})


def publish(client: TestClient, app: FastAPI, files: dict[str, bytes]) -> dict[str, Any]:
    ada = bearer(app, "ada@example.org")
    mod = bearer(app, "mod@example.org", Role.MODERATOR)
    created = client.post("/api/records", json={"metadata": metadata()}, headers=ada)
    record_id = created.json()["id"]
    for key, data in files.items():
        upload(client, ada, record_id, key, data)
    return publish_via_review(client, ada, mod, record_id)


def rows(app: FastAPI, **where: Any) -> list[StructureEntry]:
    with app.state.instance.db.read() as session:
        query = select(StructureEntry).order_by(StructureEntry.file_key, StructureEntry.id)
        for name, value in where.items():
            query = query.where(getattr(StructureEntry, name) == value)
        found = list(session.scalars(query).all())
        session.expunge_all()
        return found


def test_structure_files_of_a_published_record_are_indexed(
    app: FastAPI, client: TestClient
) -> None:
    record = publish(
        client,
        app,
        {
            "Si.cif": (DEMO / "Si.cif").read_bytes(),
            "MoS2.vasp": (DEMO / "MoS2.vasp").read_bytes(),
            "broken.cif": b"data_x\n_cell_length_a 5\nloop_\n_atom_site_label\n",
            "notes.txt": b"not a structure",
        },
    )
    found = rows(app)
    assert [r.file_key for r in found] == ["MoS2.vasp", "Si.cif"]
    mos2, si = found
    assert si.elements == ["Si"] and si.nsites == 8 and si.space_group_it_number == 227
    assert si.chemical_formula_reduced == "Si" and si.record_id == record["parent"]["id"]
    assert si.version_id == record["id"] and si.doi == record["pids"]["doi"]["identifier"]
    assert si.is_public and si.is_latest and si.id.startswith(record["id"] + "-")
    assert mos2.elements == ["Mo", "S"] and mos2.chemical_formula_anonymous == "A2B"
    with app.state.instance.db.read() as session:
        values = session.scalars(
            select(StructureValue.value).where(
                StructureValue.structure_id == mos2.id, StructureValue.field == "elements"
            )
        ).all()
    assert sorted(values) == ["Mo", "S"]


def test_structures_inside_an_aiida_archive_are_indexed_with_their_node(
    app: FastAPI, client: TestClient
) -> None:
    if not RICH.exists():
        pytest.skip("AiiDA fixtures not built: run `make aiida-fixtures`")
    publish(client, app, {"workflow.aiida": RICH.read_bytes()})
    found = rows(app)
    assert len(found) == 7  # the StructureData nodes of the archive
    assert all(r.archive_id and r.node_uuid for r in found)
    slab = next(r for r in found if "disorder" in r.structure_features)
    assert slab.dimension_types == [1, 1, 0] and slab.nperiodic_dimensions == 2
    labels = {r.title for r in found}
    assert any("Ni3Al" in label for label in labels)


def test_a_new_version_takes_latest_and_a_retraction_hides(
    app: FastAPI, client: TestClient
) -> None:
    ada = bearer(app, "ada@example.org")
    mod = bearer(app, "mod@example.org", Role.MODERATOR)
    created = client.post("/api/records", json={"metadata": metadata()}, headers=ada)
    first_id = created.json()["id"]
    upload(client, ada, first_id, "Si.cif", (DEMO / "Si.cif").read_bytes())
    first = publish_via_review(client, ada, mod, first_id)
    new = client.post(f"/api/records/{first_id}/versions", headers=ada).json()
    second = publish_via_review(client, ada, mod, new["id"])
    assert [r.is_latest for r in rows(app, version_id=first["id"])] == [False]
    assert [r.is_latest for r in rows(app, version_id=second["id"])] == [True]
    removed = client.post(
        f"/api/records/{second['id']}/delete", json={"reason": "A wrong cell."}, headers=mod
    )
    assert removed.status_code == 200
    assert [r.is_public for r in rows(app, version_id=second["id"])] == [False]
    assert [(r.is_public, r.is_latest) for r in rows(app, version_id=first["id"])] == [(True, True)]


def test_reindex_is_idempotent(
    app: FastAPI, client: TestClient, instance_settings: Settings
) -> None:
    publish(client, app, {"Si.cif": (DEMO / "Si.cif").read_bytes()})
    before = [(r.id, r.chemical_formula_reduced) for r in rows(app)]
    env = {"MATCLOUD_DATABASE_URL": instance_settings.resolved_database_url}
    data = ["--data-dir", str(instance_settings.data_dir)]
    done = CliRunner().invoke(main, [*data, "optimade", "reindex"], env=env)
    assert done.exit_code == 0, done.output
    assert "1 structures from 1 published versions" in done.output
    assert [(r.id, r.chemical_formula_reduced) for r in rows(app)] == before
