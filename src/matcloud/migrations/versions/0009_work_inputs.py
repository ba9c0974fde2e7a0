"""work: tool inputs kept for shareable result URLs

Revision ID: 0009_work_inputs
Revises: 0008_optimade_element_masks
Create Date: 2026-11-25 23:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from matcloud.core.db import UTCDateTime

revision = "0009_work_inputs"
down_revision = "0008_optimade_element_masks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "work_inputs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("tool", sa.String(length=40), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("fmt", sa.String(length=20), nullable=True),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_work_inputs_expires_at", "work_inputs", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_work_inputs_expires_at", table_name="work_inputs")
    op.drop_table("work_inputs")
