"""The provenance of one node as a new archive: the nodes aiida-core's own export would pick,
in a file that aiida-core imports."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from matcloud.core.errors import TooLarge
from matcloud.explore.provenance import closure

from .conftest import AIIDA_PYTHON, FIXTURES

CHECK = Path(__file__).resolve().parents[1] / "fixtures" / "aiida_check_provenance.py"
ROLES = ["bands", "workchain", "calcjob_retrieved", "workfunction_inner", "html_label"]


def aiida_says(original: Path, cut: Path, uuid: str) -> dict[str, Any]:
    done = subprocess.run(
        [str(AIIDA_PYTHON), str(CHECK), str(original), str(cut), uuid],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    body: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return body


@pytest.fixture
def archive_id(app: FastAPI, rich: Path) -> str:
    body = app.state.explore.index_local(rich)
    assert body["status"] == "ready"
    return str(body["id"])


def test_the_provenance_download_is_what_aiida_core_would_export(
    app: FastAPI,
    client: TestClient,
    archive_id: str,
    manifest: dict[str, Any],
    tmp_path: Path,
) -> None:
    if not AIIDA_PYTHON.exists():
        pytest.skip("aiida-core is not installed: run `make aiida-venv`")
    for role in ROLES:
        uuid = manifest["nodes"][role]["uuid"]
        response = client.get(f"/explore/{archive_id}/nodes/{uuid}/provenance.aiida")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/zip"
        assert f"provenance-{uuid[:8]}.aiida" in response.headers["content-disposition"]
        cut = tmp_path / f"{role}.aiida"
        cut.write_bytes(response.content)
        with zipfile.ZipFile(cut) as archive:
            metadata = json.loads(archive.read("metadata.json"))
        assert metadata["creation_parameters"]["entities_starting_set"] == {"node": [uuid]}
        said = aiida_says(FIXTURES / "rich.aiida", cut, uuid)
        assert said["imported"] == said["expected"], role
        assert int(response.headers["x-provenance-nodes"]) == len(said["expected"])
        assert said["readable"]
    assert not list((app.state.explore.root / ".downloads").iterdir())  # temp files removed


def test_bad_requests_for_a_provenance(
    client: TestClient, archive_id: str, manifest: dict[str, Any]
) -> None:
    uuid = manifest["nodes"]["bands"]["uuid"]
    assert client.get(f"/explore/{archive_id}/nodes/not-a-uuid/provenance.aiida").status_code == 404
    missing = "00000000-0000-4000-8000-000000000000"
    assert client.get(f"/explore/{archive_id}/nodes/{missing}/provenance.aiida").status_code == 404
    assert client.get(f"/explore/ffffffffffffffff/nodes/{uuid}/provenance.aiida").status_code == 404


def test_a_provenance_too_large_is_refused(
    app: FastAPI, archive_id: str, manifest: dict[str, Any]
) -> None:
    source = app.state.explore.source(archive_id)
    start = (
        source.connect()
        .execute(
            "SELECT id FROM db_dbnode WHERE uuid = ?", (manifest["nodes"]["workchain"]["uuid"],)
        )
        .fetchone()[0]
    )
    assert len(closure(source.connect(), start)) == 7
    with pytest.raises(TooLarge, match="over 3 nodes"):
        closure(source.connect(), start, limit=3)
