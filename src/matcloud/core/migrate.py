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
MODEL_MODULES = [
    "matcloud.core.models",
    "matcloud.archive.models",
    "matcloud.archive.search",
    "matcloud.explore.models",
    "matcloud.optimade.models",
    "matcloud.work.models",
    "matcloud.discover.models",
    "matcloud.learn.models",
]


def target_metadata() -> MetaData:
    for module in MODEL_MODULES:
        importlib.import_module(module)
    return Base.metadata


#: Tables that exist only on one backend (SQLite FTS5 and its shadow tables, PostgreSQL
#: tsvector tables): created by hand in migrations, never by the ORM metadata.
BACKEND_SPECIFIC_PREFIXES = ("archive_search_fts",)


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Autogenerate skips the backend-specific tables."""
    table = getattr(obj, "table", obj)
    table_name = getattr(table, "name", name) or ""
    return not str(table_name).startswith(BACKEND_SPECIFIC_PREFIXES)


def is_backend_specific(diff: object) -> bool:
    """True for an autogenerate diff entry about a backend-specific table."""
    items = diff if isinstance(diff, tuple) else ()
    for item in items:
        table = getattr(item, "table", item)
        name = getattr(table, "name", None)
        if isinstance(name, str) and name.startswith(BACKEND_SPECIFIC_PREFIXES):
            return True
    return False


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


def downgrade(db: Database, revision: str) -> None:
    """Undo migrations down to ``revision`` ("base": an empty database)."""
    config = _config()
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


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
