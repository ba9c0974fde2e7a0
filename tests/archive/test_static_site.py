"""The static copy of the landing pages renders from a plain file server, without the app."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from archive_helpers import bearer, draft_with_file, publish_via_review
from livesite import free_port
from matcloud.archive.static_site import export_static
from matcloud.core.models import Role


def test_export_static_serves_every_doi_target(
    app: FastAPI, client: TestClient, tmp_path: Path
) -> None:
    ada = bearer(app, "ada@example.org")
    mod = bearer(app, "mod@example.org", Role.MODERATOR)
    kept = publish_via_review(client, ada, mod, draft_with_file(client, ada))
    gone = publish_via_review(
        client, ada, mod, draft_with_file(client, ada, title="A record removed later")
    )
    client.post(
        f"/api/records/{gone['id']}/delete", json={"reason": "Duplicate data."}, headers=mod
    )
    draft = draft_with_file(client, ada, title="Never published")
    site = tmp_path / "site"
    report = export_static(app.state.archive, site, "https://files.example.org/records")
    assert (report.pages, report.tombstones) == (2, 1)
    assert not (site / "records" / draft).exists()

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=site,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(50):
            try:
                index = httpx.get(base + "/index.html")
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert index.status_code == 200 and "Phonons of silicon" in index.text
        # every DOI target (the landing page of a version, and of the record) renders
        for target in [kept["id"], kept["parent"]["id"]]:
            page = httpx.get(f"{base}/records/{target}/")
            assert page.status_code == 200
            assert kept["pids"]["doi"]["identifier"] in page.text
            assert 'type="application/ld+json"' in page.text
            assert "https://files.example.org/records/" in page.text
            assert 'name="citation_title"' in page.text and 'name="DC.title"' in page.text
            assert httpx.get(f"{base}/matcloud.css").status_code == 200
        stone = httpx.get(f"{base}/records/{gone['id']}/")
        assert "has been removed" in stone.text and "Duplicate data." in stone.text
    finally:
        server.terminate()
        server.wait(timeout=10)
