"""optimade: chemical_system column and a covering probe index, for fast filters

``chemical_system`` (sorted elements joined by "-") makes ``elements HAS ONLY ...`` an indexed
``IN`` of the subsets of the given elements; existing rows get it from their values rows.
``ix_optimade_structures_probe`` covers the visibility and common scalar columns, so testing a
candidate found through the values index does not read its (wide) row;
``ix_optimade_structures_anonymous`` answers counts of "nelements + anonymous formula" filters
from the index alone, and the ``nelements`` and ``nsites`` indexes become covering ones (the
count of a range no longer reads every matching row for its visibility).

Revision ID: 0007_optimade_query_indexes
Revises: 0006_optimade
Create Date: 2026-11-25 20:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_optimade_query_indexes"
down_revision = "0006_optimade"
branch_labels = None
depends_on = None

COVERING = {
    "ix_optimade_structures_nelements": ["nelements", "nsites", "is_public"],
    "ix_optimade_structures_nsites": ["nsites", "nelements", "is_public"],
}
PROBE_COLUMNS = [
    "id",
    "is_public",
    "is_latest",
    "nelements",
    "nsites",
    "nperiodic_dimensions",
    "space_group_it_number",
]


def upgrade() -> None:
    with op.batch_alter_table("optimade_structures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chemical_system", sa.String(length=500), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_optimade_structures_chemical_system"),
            ["chemical_system"],
            unique=False,
        )
        batch_op.create_index("ix_optimade_structures_probe", PROBE_COLUMNS, unique=False)
        batch_op.create_index(
            "ix_optimade_structures_anonymous",
            ["chemical_formula_anonymous", "nelements", "is_public"],
            unique=False,
        )
        for name, columns in COVERING.items():  # same names, now covering
            batch_op.drop_index(batch_op.f(name))
            batch_op.create_index(batch_op.f(name), columns, unique=False)
    # Rows indexed before this revision: the system from their elements' values rows.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE optimade_structures SET chemical_system = ("
            " SELECT string_agg(v.value, '-' ORDER BY v.value COLLATE \"C\")"
            " FROM optimade_structure_values v"
            " WHERE v.structure_id = optimade_structures.id AND v.field = 'elements')"
        )
    else:
        op.execute(
            "UPDATE optimade_structures SET chemical_system = ("
            " SELECT group_concat(value, '-') FROM ("
            "  SELECT v.value FROM optimade_structure_values v"
            "  WHERE v.structure_id = optimade_structures.id AND v.field = 'elements'"
            "  ORDER BY v.value))"
        )


def downgrade() -> None:
    with op.batch_alter_table("optimade_structures", schema=None) as batch_op:
        for name, columns in COVERING.items():
            batch_op.drop_index(batch_op.f(name))
            batch_op.create_index(batch_op.f(name), columns[:1], unique=False)
        batch_op.drop_index("ix_optimade_structures_anonymous")
        batch_op.drop_index("ix_optimade_structures_probe")
        batch_op.drop_index(batch_op.f("ix_optimade_structures_chemical_system"))
        batch_op.drop_column("chemical_system")
