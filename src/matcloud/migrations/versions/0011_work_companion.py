"""work: a second input file (the pw.x file of a matdyn.modes) kept with the first

Revision ID: 0011_work_companion
Revises: 0010_optimade_counts
Create Date: 2026-11-26 03:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_work_companion"
down_revision = "0010_optimade_counts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("work_inputs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("companion", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("companion_filename", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("work_inputs", schema=None) as batch_op:
        batch_op.drop_column("companion_filename")
        batch_op.drop_column("companion")
