"""Fixtures of the LEARN tests: the demo lecture's files (made once per session with ffmpeg and
pdftoppm), an admin's token, and a lecture added through the API."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from archive_helpers import bearer
from learn_helpers import MISSING, post_lecture
from matcloud.core.models import Role
from matcloud.learn.demo_media import DemoLecture, make_demo_lecture
from matcloud.settings import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Jobs run at once: the timings are found before the upload's answer."""
    return settings.model_copy(update={"job_queue": "immediate"})


@pytest.fixture(scope="session")
def demo_lecture(tmp_path_factory: pytest.TempPathFactory) -> DemoLecture:
    if MISSING:
        pytest.skip(f"needs Debian's ffmpeg and poppler-utils ({', '.join(MISSING)})")
    return make_demo_lecture(tmp_path_factory.mktemp("demo-lecture"))


@pytest.fixture
def admin(app: FastAPI) -> dict[str, str]:
    return bearer(app, "admin@example.org", Role.ADMIN)


@pytest.fixture
def lecture(client: TestClient, admin: dict[str, str], demo_lecture: DemoLecture) -> dict[str, Any]:
    answer = post_lecture(client, admin, demo_lecture)
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body
