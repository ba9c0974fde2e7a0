"""optimade: elements as bits, and element postings that count without the structure table

``optimade_structures.elements_mask_lo``/``_hi`` (``matcloud.optimade.masks``) let a filter on
``elements`` test a candidate without probing the values table once per element; they join
the covering probe index. The ``elements`` rows of ``optimade_structure_values`` get a copy of
their structure's ``is_public``, masks, ``nelements`` and ``nsites``, covered by the lookup
index (now ``ix_optimade_values_postings``): a count driven by an element's index range reads
nothing else. Triggers keep the copies equal to the structure's columns whoever writes: a
values row inserted without them gets them, an update of the structure is copied.
Existing rows are filled here.

Revision ID: 0008_optimade_element_masks
Revises: 0007_optimade_query_indexes
Create Date: 2026-11-25 23:00:00.000000
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from matcloud.optimade.masks import element_masks

revision = "0008_optimade_element_masks"
down_revision = "0007_optimade_query_indexes"
branch_labels = None
depends_on = None

OLD_PROBE = [
    "id",
    "is_public",
    "is_latest",
    "nelements",
    "nsites",
    "nperiodic_dimensions",
    "space_group_it_number",
]
PROBE = [*OLD_PROBE[:3], "elements_mask_lo", "elements_mask_hi", *OLD_PROBE[3:]]
COPIED = ["is_public", "elements_mask_lo", "elements_mask_hi", "nelements", "nsites"]
BATCH = 5000
_COLUMNS = ", ".join(COPIED)
_CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in COPIED)
_SET_NEW = ", ".join(f"{c} = NEW.{c}" for c in COPIED)

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER optimade_postings_fill AFTER INSERT ON optimade_structure_values
    WHEN NEW.field = 'elements' AND NEW.is_public IS NULL
    BEGIN
        UPDATE optimade_structure_values SET ({_COLUMNS}) =
            (SELECT {_COLUMNS} FROM optimade_structures WHERE id = NEW.structure_id)
        WHERE id = NEW.id;
    END""",
    f"""CREATE TRIGGER optimade_postings_sync
    AFTER UPDATE OF {_COLUMNS} ON optimade_structures
    WHEN {_CHANGED.replace("IS DISTINCT FROM", "IS NOT")}
    BEGIN
        UPDATE optimade_structure_values SET {_SET_NEW}
        WHERE structure_id = NEW.id AND field = 'elements';
    END""",
]
POSTGRES_TRIGGERS = [
    f"""CREATE FUNCTION optimade_postings_fill() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        SELECT {_COLUMNS} INTO {", ".join(f"NEW.{c}" for c in COPIED)}
        FROM optimade_structures WHERE id = NEW.structure_id;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER optimade_postings_fill BEFORE INSERT ON optimade_structure_values
    FOR EACH ROW WHEN (NEW.field = 'elements' AND NEW.is_public IS NULL)
    EXECUTE FUNCTION optimade_postings_fill()""",
    f"""CREATE FUNCTION optimade_postings_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE optimade_structure_values SET {_SET_NEW}
        WHERE structure_id = NEW.id AND field = 'elements';
        RETURN NULL;
    END $$""",
    f"""CREATE TRIGGER optimade_postings_sync
    AFTER UPDATE OF {_COLUMNS} ON optimade_structures
    FOR EACH ROW WHEN ({_CHANGED})
    EXECUTE FUNCTION optimade_postings_sync()""",
]


def upgrade() -> None:
    with op.batch_alter_table("optimade_structures", schema=None) as batch_op:
        for name in ("elements_mask_lo", "elements_mask_hi"):
            batch_op.add_column(
                sa.Column(name, sa.BigInteger(), nullable=False, server_default="0")
            )
    with op.batch_alter_table("optimade_structure_values", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_public", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("elements_mask_lo", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("elements_mask_hi", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("nelements", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("nsites", sa.Integer(), nullable=True))
    _fill_masks()
    op.execute(
        f"UPDATE optimade_structure_values SET ({_COLUMNS}) = (SELECT {_COLUMNS} FROM "
        "optimade_structures s WHERE s.id = optimade_structure_values.structure_id) "
        "WHERE field = 'elements'"
    )
    with op.batch_alter_table("optimade_structures", schema=None) as batch_op:
        batch_op.drop_index("ix_optimade_structures_probe")
        batch_op.create_index("ix_optimade_structures_probe", PROBE, unique=False)
    with op.batch_alter_table("optimade_structure_values", schema=None) as batch_op:
        batch_op.drop_index("ix_optimade_values_lookup")
        batch_op.create_index(
            "ix_optimade_values_postings", ["field", "value", "structure_id", *COPIED], unique=False
        )
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRES_TRIGGERS if postgres else SQLITE_TRIGGERS:
        op.execute(statement)


def _fill_masks() -> None:
    table = sa.table(
        "optimade_structures",
        sa.column("id", sa.String),
        sa.column("elements", sa.JSON),
        sa.column("elements_mask_lo", sa.BigInteger),
        sa.column("elements_mask_hi", sa.BigInteger),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(table.c.id, table.c.elements).order_by(table.c.id)).all()
    update = (
        table.update()
        .where(table.c.id == sa.bindparam("row_id"))
        .values(elements_mask_lo=sa.bindparam("lo"), elements_mask_hi=sa.bindparam("hi"))
    )
    for start in range(0, len(rows), BATCH):
        batch = []
        for row_id, elements in rows[start : start + BATCH]:
            if isinstance(elements, str):
                elements = json.loads(elements)
            lo, hi = element_masks(elements or [])
            batch.append({"row_id": row_id, "lo": lo, "hi": hi})
        bind.execute(update, batch)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER optimade_postings_sync ON optimade_structures")
        op.execute("DROP TRIGGER optimade_postings_fill ON optimade_structure_values")
        op.execute("DROP FUNCTION optimade_postings_sync()")
        op.execute("DROP FUNCTION optimade_postings_fill()")
    else:
        op.execute("DROP TRIGGER optimade_postings_sync")
        op.execute("DROP TRIGGER optimade_postings_fill")
    with op.batch_alter_table("optimade_structure_values", schema=None) as batch_op:
        batch_op.drop_index("ix_optimade_values_postings")
        batch_op.create_index(
            "ix_optimade_values_lookup", ["field", "value", "structure_id"], unique=False
        )
        for name in reversed(COPIED):
            batch_op.drop_column(name)
    with op.batch_alter_table("optimade_structures", schema=None) as batch_op:
        batch_op.drop_index("ix_optimade_structures_probe")
        batch_op.create_index("ix_optimade_structures_probe", OLD_PROBE, unique=False)
        batch_op.drop_column("elements_mask_hi")
        batch_op.drop_column("elements_mask_lo")
