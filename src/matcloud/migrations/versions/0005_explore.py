"""explore: indexed AiiDA archives and the record files that are them

Revision ID: 0005_explore
Revises: 0004_pid_registration
Create Date: 2026-11-25 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import matcloud.core.db

revision = "0005_explore"
down_revision = "0004_pid_registration"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "explore_archives",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("blob_id", sa.String(length=64), nullable=True),
        sa.Column("source_path", sa.String(length=4000), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("export_version", sa.String(length=32), nullable=False),
        sa.Column("aiida_version", sa.String(length=64), nullable=False),
        sa.Column("node_count", sa.Integer(), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("created_at", matcloud.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", matcloud.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("indexed_at", matcloud.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_explore_archives")),
        sa.UniqueConstraint("sha256", name=op.f("uq_explore_archives_sha256")),
    )
    with op.batch_alter_table("explore_archives", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_explore_archives_status"), ["status"], unique=False)
    op.create_table(
        "explore_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("archive_id", sa.String(length=16), nullable=False),
        sa.Column("version_id", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["archive_id"],
            ["explore_archives.id"],
            name=op.f("fk_explore_files_archive_id_explore_archives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_explore_files")),
        sa.UniqueConstraint("version_id", "key", name=op.f("uq_explore_files_version_id")),
    )
    with op.batch_alter_table("explore_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_explore_files_archive_id"), ["archive_id"])
        batch_op.create_index(batch_op.f("ix_explore_files_version_id"), ["version_id"])


def downgrade() -> None:
    with op.batch_alter_table("explore_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_explore_files_version_id"))
        batch_op.drop_index(batch_op.f("ix_explore_files_archive_id"))
    op.drop_table("explore_files")
    with op.batch_alter_table("explore_archives", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_explore_archives_status"))
    op.drop_table("explore_archives")
