"""OPTIMADE tests: an app whose structure index holds the fixed structures of
:mod:`optimade_data`, published records for their references, and a client.

``api`` is a fresh app per test (for tests that write); ``shared_api`` is one app per test
module, on the backend chosen with ``--db``, for the many tests that only read.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from conftest import postgres_url
from matcloud.app import create_app
from matcloud.core.instance import init_instance
from matcloud.settings import Settings
from optimade_data import FIXED, insert_structures, publish_records


def fill(app: FastAPI) -> FastAPI:
    db = app.state.instance.db
    insert_structures(db, FIXED)
    publish_records(db, sorted({row["version_id"] for row in FIXED}))
    return app


@pytest.fixture
def filled(app: FastAPI) -> FastAPI:
    """The app with the fixed structures indexed and their records published."""
    return fill(app)


@pytest.fixture
def api(filled: FastAPI) -> Iterator[TestClient]:
    with TestClient(filled, base_url="http://testserver") as client:
        yield client


@pytest.fixture(scope="module")
def shared_api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """One filled app for a whole module of read-only tests (each test's own instance would
    spend most of its time creating the instance)."""
    tmp: Path = tmp_path_factory.mktemp("optimade")
    schema = None
    if request.config.getoption("--db") == "sqlite":
        url = f"sqlite:///{tmp / 'data' / 'matcloud.db'}"
    else:
        base = postgres_url()
        schema = f"t_{uuid.uuid4().hex[:16]}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    settings = Settings(
        data_dir=tmp / "data",
        database_url=url,
        base_url="http://testserver",
        secret_key="test-secret-key-not-for-production",
        log_format="text",
    )
    init_instance(settings)
    app = fill(create_app(settings))
    try:
        with TestClient(app, base_url="http://testserver") as client:
            yield client
    finally:
        app.state.instance.close()
        if schema is not None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
