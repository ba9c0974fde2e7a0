"""Structures handed to the tools from the other sections: a record's file, an OPTIMADE entry,
an AiiDA StructureData node; each page shows the buttons, the rules of each section hold."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from archive_helpers import bearer, metadata, publish_via_review, upload
from matcloud.core.models import Role
from matcloud.optimade.models import StructureEntry
from matcloud.settings import Settings
from work_data import SI

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


def opened(client: TestClient, url: str) -> dict[str, Any]:
    answer = client.get(url, follow_redirects=False)
    assert answer.status_code == 303, answer.text[:500]
    result: dict[str, Any] = client.get(answer.headers["location"] + ".json").json()
    return result


def test_a_record_file_and_its_optimade_entry(client: TestClient, app: FastAPI) -> None:
    record = publish(client, app, {"Si.vasp": SI})
    landing = client.get(f"/records/{record['id']}").text
    link = f"/work/seekpath/open?record={record['id']}&amp;file=Si.vasp"
    assert link in landing
    result = opened(client, link.replace("&amp;", "&"))
    assert result["result"]["bravais_lattice_extended"] == "cF2"
    assert result["input"]["filename"] == "Si.vasp"

    search = client.get("/optimade/search").text
    with app.state.instance.db.read() as session:
        entry_id = session.scalars(select(StructureEntry.id)).one()
    assert f"/work/inspect/open?optimade={entry_id}" in search
    inspected = opened(client, f"/work/inspect/open?optimade={entry_id}")
    assert inspected["result"]["symmetry"]["number"] == 227
    assert inspected["input"]["format"] == "optimade"


def test_what_is_not_public_is_not_handed_over(client: TestClient, app: FastAPI) -> None:
    ada = bearer(app, "ada@example.org")
    created = client.post("/api/records", json={"metadata": metadata()}, headers=ada)
    record_id = created.json()["id"]
    upload(client, ada, record_id, "Si.vasp", SI)
    hidden = client.get(f"/work/seekpath/open?record={record_id}&file=Si.vasp")
    assert hidden.status_code == 404  # a draft, asked for by someone else
    assert client.get("/work/seekpath/open?optimade=nothing").status_code == 404
    asked = client.get("/work/seekpath/open")
    assert asked.status_code == 400 and "Say which structure" in asked.text


def test_an_aiida_structure_node(client: TestClient, app: FastAPI) -> None:
    if not RICH.exists():
        pytest.skip("AiiDA fixtures not built: run `make aiida-fixtures`")
    publish(client, app, {"workflow.aiida": RICH.read_bytes()})
    with app.state.instance.db.read() as session:
        archive_id, node = session.execute(
            select(StructureEntry.archive_id, StructureEntry.node_uuid).where(
                StructureEntry.node_uuid.is_not(None)
            )
        ).first()  # type: ignore[misc]
    page = client.get(f"/explore/{archive_id}/nodes/{node}").text
    assert f"/work/inspect/open?archive={archive_id}&amp;node={node}" in page
    inspected = opened(client, f"/work/inspect/open?archive={archive_id}&node={node}")
    assert inspected["result"]["nsites"] >= 1
    assert client.get(f"/work/inspect/open?archive={archive_id}&node=nope").status_code == 404
