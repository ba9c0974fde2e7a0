"""Fixtures of the DISCOVER tests: an admin, and the "layers" section built from a record."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from archive_helpers import bearer
from discover_helpers import CSV, SPEC, add, publish
from matcloud.core.models import Role
from matcloud.settings import Settings
from work_data import SI


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"job_queue": "immediate"})


@pytest.fixture
def admin(app: FastAPI) -> dict[str, str]:
    return bearer(app, "admin@example.org", Role.ADMIN)


@pytest.fixture
def layers(client: TestClient, app: FastAPI, admin: dict[str, str]) -> dict[str, Any]:
    record = publish(client, app, {"materials.csv": CSV, "Si.vasp": SI})
    built = add(client, admin, SPEC.replace("RECORD", record["id"]))
    assert built.status_code == 201, built.text
    body: dict[str, Any] = built.json()
    body["record"] = record
    return body
