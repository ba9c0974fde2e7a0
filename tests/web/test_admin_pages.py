"""A failing background job is visible to admins, who can re-run it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from factories import csrf_from, make_user, sign_in
from matcloud.app import create_app
from matcloud.core.models import Role
from matcloud.settings import Settings


@pytest.fixture
def immediate_app(instance_settings: Settings) -> Iterator[FastAPI]:
    application = create_app(instance_settings.model_copy(update={"job_queue": "immediate"}))
    yield application
    application.state.instance.close()


def test_failed_job_is_shown_and_can_be_retried(immediate_app: FastAPI) -> None:
    calls: list[str] = []

    def flaky(record_id: str) -> None:
        calls.append(record_id)
        if len(calls) == 1:
            raise ConnectionError("DataCite did not answer")

    jobs = immediate_app.state.instance.jobs
    jobs.register("test.register_doi", flaky, retries=0)
    job_id = jobs.enqueue("test.register_doi", "2026.17")
    make_user(immediate_app, "root@example.org", Role.ADMIN)
    with TestClient(immediate_app) as client:
        sign_in(client, "root@example.org")
        data = client.get("/admin.json").json()
        assert data["jobs"]["failed"] == 1
        [failure] = data["failures"]
        assert failure["id"] == job_id and failure["name"] == "test.register_doi"
        assert "ConnectionError: DataCite did not answer" in failure["last_error"]
        page = client.get("/admin")
        assert "DataCite did not answer" in page.text
        response = client.post(
            f"/admin/jobs/{job_id}/retry",
            data={"csrf_token": csrf_from(page.text)},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert client.get("/admin.json").json()["failures"] == []
        assert calls == ["2026.17", "2026.17"]


def test_only_admins_retry_jobs(immediate_app: FastAPI) -> None:
    make_user(immediate_app, "mod@example.org", Role.MODERATOR)
    with TestClient(immediate_app) as client:
        sign_in(client, "mod@example.org")
        token = csrf_from(client.get("/account").text)
        response = client.post("/admin/jobs/whatever/retry", data={"csrf_token": token})
        assert response.status_code == 403


def test_outbox_is_visible_to_admins(app: FastAPI, client: TestClient) -> None:
    instance = app.state.instance
    with instance.db.unit_of_work() as uow:
        instance.mail.queue(uow, "ada@example.org", "Review requested: Si phonons", "Body text")
    make_user(app, "root@example.org", Role.ADMIN)
    sign_in(client, "root@example.org")
    data = client.get("/admin.json").json()
    assert [m["subject"] for m in data["mail"]] == ["Review requested: Si phonons"]
    assert data["mail"][0]["delivery"] == "queued"  # no worker in this test: not sent yet
    assert "Review requested: Si phonons" in client.get("/admin").text
