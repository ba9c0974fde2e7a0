"""Publishing a record with an AiiDA archive makes it browsable; a broken one is "not
browsable" with the reason on its landing page and never harms the record."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient

from archive_helpers import bearer, metadata, publish_via_review, upload
from matcloud.cli import main
from matcloud.core.errors import NotFound
from matcloud.core.models import Role
from matcloud.explore.aiida import index as index_module
from matcloud.explore.models import ExploreArchive
from matcloud.explore.service import ExploreService
from matcloud.settings import Settings

from .conftest import AIIDA_PYTHON


def publish_with(
    client: TestClient, app: FastAPI, files: dict[str, bytes], title: str = "AiiDA provenance"
) -> dict[str, Any]:
    ada = bearer(app, f"ada{len(title)}@example.org")
    mod = bearer(app, f"mod{len(title)}@example.org", Role.MODERATOR)
    created = client.post("/api/records", json={"metadata": metadata(title=title)}, headers=ada)
    assert created.status_code == 201, created.text
    record_id = created.json()["id"]
    for key, data in files.items():
        upload(client, ada, record_id, key, data)
    return publish_via_review(client, ada, mod, record_id)


def explore(app: FastAPI) -> ExploreService:
    service: ExploreService = app.state.explore
    return service


def test_a_published_archive_is_indexed_and_linked_from_its_landing_page(
    app: FastAPI, client: TestClient, rich: Path, manifest: dict[str, Any]
) -> None:
    record = publish_with(client, app, {"workflow.aiida": rich.read_bytes(), "README.md": b"hi"})
    states = explore(app).for_version(record["id"])
    assert set(states) == {"workflow.aiida"}
    state = states["workflow.aiida"]
    assert state["status"] == "ready" and state["nodes"] == manifest["profile_counts"]["nodes"]
    archive_id = state["id"]
    body = explore(app).get(archive_id)
    assert body["records"] == [
        {"version": record["id"], "key": "workflow.aiida", "url": f"/records/{record['id']}"}
    ]
    assert body["statistics"]["types"]["data.core.structure.StructureData."] == 7
    source = explore(app).source(archive_id)
    assert source.connect().execute("SELECT count(*) FROM db_dbnode").fetchone()[0] == 54

    page = client.get(f"/records/{record['id']}")
    assert f'href="/explore/{archive_id}"' in page.text and "Explore provenance" in page.text
    assert [a["id"] for a in explore(app).list()["hits"]["hits"]] == [archive_id]


def test_the_same_bytes_in_two_records_are_indexed_once(
    app: FastAPI, client: TestClient, rich: Path
) -> None:
    first = publish_with(client, app, {"a.aiida": rich.read_bytes()}, title="First")
    second = publish_with(client, app, {"b.aiida": rich.read_bytes()}, title="Second one")
    ids = {
        explore(app).for_version(r["id"])[key]["id"]
        for r, key in ((first, "a.aiida"), (second, "b.aiida"))
    }
    assert len(ids) == 1
    with app.state.instance.db.read() as session:
        assert session.query(ExploreArchive).count() == 1
    assert len(explore(app).get(ids.pop())["records"]) == 2


def test_a_broken_archive_is_not_browsable_and_the_record_is_fine(
    app: FastAPI, client: TestClient, tmp_path: Path
) -> None:
    bomb = tmp_path / "bomb.aiida"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("metadata.json", '{"export_version": "main_0001"}')
        archive.writestr("db.sqlite3", bytes(32 * 1024 * 1024))
    record = publish_with(client, app, {"results.aiida": bomb.read_bytes()})
    assert record["is_published"]
    state = explore(app).for_version(record["id"])["results.aiida"]
    assert state["status"] == "failed" and "zip bomb" in state["error"]
    page = client.get(f"/records/{record['id']}")
    assert page.status_code == 200
    assert "not browsable" in page.text and "zip bomb" in page.text
    with pytest.raises(NotFound):
        explore(app).source(state["id"])
    assert explore(app).list()["hits"]["total"] == 0


def test_a_retracted_record_takes_its_archive_offline(
    app: FastAPI, client: TestClient, rich: Path
) -> None:
    record = publish_with(client, app, {"w.aiida": rich.read_bytes()})
    archive_id = explore(app).for_version(record["id"])["w.aiida"]["id"]
    explore(app).source(archive_id)
    mod = bearer(app, "retractor@example.org", Role.MODERATOR)
    removed = client.post(
        f"/api/records/{record['parent']['id']}/delete",
        json={"reason": "Withdrawn by the authors."},
        headers=mod,
    )
    assert removed.status_code == 200
    explore(app)._visible.clear()  # what a few seconds do (the visibility cache)
    with pytest.raises(NotFound):
        explore(app).source(archive_id)
    with pytest.raises(NotFound):
        explore(app).get(archive_id)


def test_a_crash_while_indexing_leaves_no_half_index(
    app: FastAPI, rich: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = explore(app)
    good = service.index_local(rich)
    assert good["status"] == "ready"

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("killed mid-write")

    monkeypatch.setattr("matcloud.explore.service.build_index", crash)
    with pytest.raises(RuntimeError):
        service.index(good["id"])
    failed = service.get(good["id"])
    assert failed["status"] == "failed" and "internal error" in failed["error"]
    leftovers = [p.name for p in service.root.iterdir() if p.name.startswith(".")]
    assert leftovers == []
    assert (service.root / good["id"] / index_module.INDEX_DB).exists()  # the old one stays
    monkeypatch.undo()
    service.index(good["id"])
    assert service.get(good["id"])["status"] == "ready"


def test_legacy_exports_without_aiida_core_say_what_to_install(
    app: FastAPI, shared_aiida: Path
) -> None:
    body = explore(app).index_local(shared_aiida / "export/migrate/export_0.12_simple.aiida")
    assert body["status"] == "failed"
    assert "legacy AiiDA export (version 0.12)" in body["error"]
    assert "make aiida-venv" in body["error"]


@pytest.fixture
def with_aiida(settings: Settings) -> Settings:
    if not AIIDA_PYTHON.exists():
        pytest.skip("aiida-core is not installed: run `make aiida-venv`")
    return settings.model_copy(update={"explore_aiida_python": AIIDA_PYTHON})


@pytest.mark.parametrize(
    "name", ["export_0.4_simple.tar.gz", "export_0.9_simple.aiida", "export_0.13_simple.aiida"]
)
def test_legacy_exports_are_migrated_with_aiida_core(
    with_aiida: Settings, shared_aiida: Path, tmp_path: Path, name: str
) -> None:
    from matcloud.core.instance import Instance, init_instance

    init_instance(with_aiida)
    instance = Instance.open(with_aiida)
    service = ExploreService(with_aiida, instance.db, instance.blobs, instance.jobs)
    try:
        body = service.index_local(shared_aiida / "export/migrate" / name)
        assert body["status"] == "ready", body["error"]
        assert body["export_version"] == "main_0001" and body["nodes"] == 10
        source = service.source(body["id"])
        assert source.info["source"].endswith("migrated.aiida")
        row = (
            source.connect()
            .execute("SELECT repository_metadata FROM db_dbnode WHERE repository_metadata != '{}'")
            .fetchone()
        )
        assert row is not None
        broken = service.index_local(shared_aiida / "export/migrate/0.10_dangling_link.aiida")
        assert broken["status"] == "failed" and "unknown input node" in broken["error"]
    finally:
        service.close()
        instance.close()


def test_the_command_line_indexes_a_local_file(
    instance_settings: Settings, rich: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    env = {"MATCLOUD_DATABASE_URL": instance_settings.resolved_database_url}
    data = ["--data-dir", str(instance_settings.data_dir)]
    done = runner.invoke(main, [*data, "explore", "index", str(rich)], env=env)
    assert done.exit_code == 0, done.output
    assert "54 nodes, 52 links, 2 groups" in done.output and "/explore/" in done.output
    bad = tmp_path / "bad.aiida"
    bad.write_text("not an archive")
    refused = runner.invoke(main, [*data, "explore", "index", str(bad)], env=env)
    assert refused.exit_code == 1 and "is not browsable" in refused.output
