"""/healthz and /metrics."""

from __future__ import annotations

import shutil

from fastapi import FastAPI
from fastapi.testclient import TestClient


def test_healthz_checks_every_backend(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "blob_store", "job_queue"}
    assert all(check["ok"] for check in body["checks"].values())


def test_healthz_fails_when_the_blob_store_is_gone(app: FastAPI, client: TestClient) -> None:
    root = app.state.instance.settings.resolved_blob_dir
    shutil.rmtree(root, ignore_errors=True)
    root.parent.joinpath("blobs").write_text("not a directory")
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["checks"]["blob_store"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_metrics_count_requests_and_jobs(client: TestClient) -> None:
    client.get("/")
    client.get("/")
    client.get("/missing")
    text = client.get("/metrics").text
    assert 'matcloud_http_requests_total{method="GET",route="/",status="200"} 2.0' in text
    assert 'route="<unmatched>",status="404"' in text
    assert "matcloud_http_request_duration_seconds_bucket" in text
    assert "matcloud_jobs_pending" in text


def test_two_apps_do_not_share_metrics(app: FastAPI, client: TestClient) -> None:
    from matcloud.app import create_app

    other = create_app(app.state.instance.settings)
    try:
        client.get("/")
        with TestClient(other) as other_client:
            text = other_client.get("/metrics").text
        assert 'route="/",status="200"' not in text
    finally:
        other.state.instance.close()
