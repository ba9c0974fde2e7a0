"""Test harness: settings on a temp data dir, a migrated database on SQLite or PostgreSQL.

``pytest --db postgres`` runs the same tests on PostgreSQL (URL from
``MATCLOUD_TEST_DATABASE_URL``, default the local ``test`` database); each test gets its own
schema, dropped afterwards. ``--services`` enables tests marked ``requires_services`` (the
PostgreSQL/Redis servers), as ``.ci/run`` does.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from matcloud.core import migrate
from matcloud.core.db import Database
from matcloud.settings import Settings

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.addoption(
        "--services", action="store_true", help="run tests that need PostgreSQL/Redis servers"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--services") or config.getoption("--db") == "postgres":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL/Redis: run with --services (.ci/run does)")
    for item in items:
        if "requires_services" in item.keywords:
            item.add_marker(skip)


def postgres_url() -> str:
    return os.environ.get("MATCLOUD_TEST_DATABASE_URL", DEFAULT_PG_URL)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database of the backend chosen with ``--db``."""
    if request.config.getoption("--db") == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'matcloud.db'}"
        return
    base = postgres_url()
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings of a fresh instance in a temp data dir (jobs run in the embedded queue)."""
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        base_url="http://testserver",
        secret_key="test-secret-key-not-for-production",
        log_format="text",
    )


@pytest.fixture
def db(settings: Settings) -> Iterator[Database]:
    """The instance's database with every migration applied."""
    database = Database(settings.resolved_database_url)
    migrate.upgrade(database)
    yield database
    database.dispose()


@pytest.fixture
def instance_settings(settings: Settings) -> Settings:
    """``settings`` of an initialised instance (schema migrated, admin made)."""
    from matcloud.core.instance import init_instance

    init_instance(settings)
    return settings


@pytest.fixture
def app(instance_settings: Settings) -> Iterator[FastAPI]:
    from matcloud.app import create_app

    application = create_app(instance_settings)
    yield application
    application.state.instance.close()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An httpx client speaking ASGI straight to the app (no network)."""
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client
