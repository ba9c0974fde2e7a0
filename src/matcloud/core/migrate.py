"""Schema migrations (Alembic), one linear history valid on SQLite and PostgreSQL.

The scripts live inside the package (``matcloud/migrations``) so that an installed wheel can
upgrade its database without a source checkout.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData

from matcloud.core.db import Base, Database

#: Modules whose tables belong to the schema; each section appends its ``models`` module.
MODEL_MODULES = ["matcloud.core.models", "matcloud.archive.models", "matcloud.archive.search"]


def target_metadata() -> MetaData:
    for module in MODEL_MODULES:
        importlib.import_module(module)
    return Base.metadata


def _config() -> Config:
    config = Config()
    config.set_main_option(
        "script_location", str(Path(__file__).resolve().parent.parent / "migrations")
    )
    return config


def upgrade(db: Database, revision: str = "head") -> None:
    """Apply every migration up to ``revision`` (idempotent)."""
    config = _config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def autogenerate(db: Database, message: str) -> None:
    """Write a new migration script from the difference between models and ``db`` (developers)."""
    config = _config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
