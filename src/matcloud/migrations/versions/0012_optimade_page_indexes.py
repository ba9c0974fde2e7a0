"""optimade: pages found from indexes alone

A page of structures is now read in two steps: the ids of the page (visibility, filter, order,
limit), then the rows of those ids. The first step is served by indexes alone when they hold
every column the filter tests, so the probe index gains ``chemical_system`` (``HAS ONLY`` on
elements) and ``chemical_formula_anonymous``; and the ``chemical_system`` index gains
``is_public``, so that counting ``HAS ONLY`` reads no structure row either. Measured at
100,000 structures: the page of ``elements HAS ONLY "Co","O"`` 2.1 -> 0.8 ms, its count
2 -> 0.3 ms.

Revision ID: 0012_optimade_page_indexes
Revises: 0011_work_companion
Create Date: 2026-11-26 06:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0012_optimade_page_indexes"
down_revision = "0011_work_companion"
branch_labels = None
depends_on = None

TABLE = "optimade_structures"
OLD_PROBE = [
    "id",
    "is_public",
    "is_latest",
    "elements_mask_lo",
    "elements_mask_hi",
    "nelements",
    "nsites",
    "nperiodic_dimensions",
    "space_group_it_number",
]
PROBE = [*OLD_PROBE, "chemical_system", "chemical_formula_anonymous"]


def upgrade() -> None:
    op.drop_index("ix_optimade_structures_probe", table_name=TABLE)
    op.create_index("ix_optimade_structures_probe", TABLE, PROBE)
    op.drop_index("ix_optimade_structures_chemical_system", table_name=TABLE)
    op.create_index(
        "ix_optimade_structures_chemical_system", TABLE, ["chemical_system", "is_public"]
    )


def downgrade() -> None:
    op.drop_index("ix_optimade_structures_chemical_system", table_name=TABLE)
    op.create_index("ix_optimade_structures_chemical_system", TABLE, ["chemical_system"])
    op.drop_index("ix_optimade_structures_probe", table_name=TABLE)
    op.create_index("ix_optimade_structures_probe", TABLE, OLD_PROBE)
