"""discover: sections declared by a spec, and their rows

Revision ID: 0013_discover_sections
Revises: 0012_optimade_page_indexes
Create Date: 2026-11-26 07:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from matcloud.core.db import UTCDateTime

revision = "0013_discover_sections"
down_revision = "0012_optimade_page_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "discover_sections",
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("spec_text", sa.Text(), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("version_ids", sa.JSON(), nullable=False),
        sa.Column("stamp", sa.String(length=64), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("archive_id", sa.String(length=16), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("built_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("build_seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("slug"),
    )
    op.create_table(
        "discover_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("section_slug", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("provenance", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["section_slug"], ["discover_sections.slug"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("section_slug", "key", name="uq_discover_rows_key"),
    )
    op.create_index(
        "ix_discover_rows_position", "discover_rows", ["section_slug", "position"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_discover_rows_position", table_name="discover_rows")
    op.drop_table("discover_rows")
    op.drop_table("discover_sections")
