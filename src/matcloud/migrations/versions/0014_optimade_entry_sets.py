"""optimade: named sets of structures (a DISCOVER section's structures)

Revision ID: 0014_optimade_entry_sets
Revises: 0013_discover_sections
Create Date: 2026-11-26 07:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_optimade_entry_sets"
down_revision = "0013_discover_sections"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "optimade_entry_sets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("entry_id", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("name", "entry_id"),
    )
    op.create_index(
        "ix_optimade_entry_sets_entry", "optimade_entry_sets", ["entry_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_optimade_entry_sets_entry", table_name="optimade_entry_sets")
    op.drop_table("optimade_entry_sets")
