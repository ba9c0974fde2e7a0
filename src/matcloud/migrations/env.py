"""Alembic environment: runs on the connection that :mod:`matcloud.core.migrate` hands over."""

from __future__ import annotations

from alembic import context

from matcloud.core.migrate import include_object, target_metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only `alembic` run by hand reaches this
    raise SystemExit("run migrations with `matcloud db upgrade`")

context.configure(
    connection=connection,
    target_metadata=target_metadata(),
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_object=include_object,
)
with context.begin_transaction():
    context.run_migrations()
