"""optimade: the number of public structures, kept by triggers

``optimade_counts`` holds one row per entry type with how many of its entries are public.
Triggers on ``optimade_structures`` keep it exact whoever writes (indexing, retraction,
deletes, a cascade from a record): each response's ``data_available`` reads one row instead of
counting every visible structure (15 ms at 10^5 on SQLite, per request). On PostgreSQL the
triggers are per statement over transition tables (a bulk insert adds its count once) and a
``TRUNCATE`` resets the count; SQLite has only row triggers (and no ``TRUNCATE``).

Revision ID: 0010_optimade_counts
Revises: 0009_work_inputs
Create Date: 2026-11-26 02:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_optimade_counts"
down_revision = "0009_work_inputs"
branch_labels = None
depends_on = None

_ADD = "UPDATE optimade_counts SET visible = visible + {delta} WHERE entry_type = 'structures'"
SQLITE_TRIGGERS = {
    "optimade_counts_insert": f"""CREATE TRIGGER optimade_counts_insert
    AFTER INSERT ON optimade_structures WHEN NEW.is_public
    BEGIN {_ADD.format(delta=1)}; END""",
    "optimade_counts_delete": f"""CREATE TRIGGER optimade_counts_delete
    AFTER DELETE ON optimade_structures WHEN OLD.is_public
    BEGIN {_ADD.format(delta=-1)}; END""",
    "optimade_counts_update": f"""CREATE TRIGGER optimade_counts_update
    AFTER UPDATE OF is_public ON optimade_structures
    WHEN coalesce(OLD.is_public, 0) != coalesce(NEW.is_public, 0)
    BEGIN {_ADD.format(delta="(CASE WHEN NEW.is_public THEN 1 ELSE -1 END)")}; END""",
}
_PUBLIC = "(SELECT count(*) FROM {table} WHERE is_public)"
POSTGRES_FUNCTIONS = {
    "optimade_counts_insert": _ADD.format(delta=_PUBLIC.format(table="added")),
    "optimade_counts_delete": _ADD.format(delta=f"-{_PUBLIC.format(table='removed')}"),
    "optimade_counts_update": _ADD.format(
        delta=f"{_PUBLIC.format(table='added')} - {_PUBLIC.format(table='removed')}"
    ),
    "optimade_counts_truncate": (
        "UPDATE optimade_counts SET visible = 0 WHERE entry_type = 'structures'"
    ),
}
POSTGRES_EVENTS = {
    "optimade_counts_insert": "AFTER INSERT ON optimade_structures REFERENCING NEW TABLE AS added",
    "optimade_counts_delete": "AFTER DELETE ON optimade_structures "
    "REFERENCING OLD TABLE AS removed",
    "optimade_counts_update": "AFTER UPDATE ON optimade_structures "
    "REFERENCING OLD TABLE AS removed NEW TABLE AS added",
    "optimade_counts_truncate": "AFTER TRUNCATE ON optimade_structures",
}


def upgrade() -> None:
    op.create_table(
        "optimade_counts",
        sa.Column("entry_type", sa.String(length=40), nullable=False),
        sa.Column("visible", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("entry_type"),
    )
    op.execute(
        "INSERT INTO optimade_counts (entry_type, visible) SELECT 'structures', count(*) "
        "FROM optimade_structures WHERE is_public"
    )
    if op.get_bind().dialect.name == "postgresql":
        for name, body in POSTGRES_FUNCTIONS.items():
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN {body}; RETURN NULL; END $$"
            )
            op.execute(
                f"CREATE TRIGGER {name} {POSTGRES_EVENTS[name]} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION {name}()"
            )
    else:
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in POSTGRES_FUNCTIONS:
            op.execute(f"DROP TRIGGER {name} ON optimade_structures")
            op.execute(f"DROP FUNCTION {name}()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("optimade_counts")
