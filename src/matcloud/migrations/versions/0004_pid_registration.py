"""archive_pids: registration state (the DOI outbox seen by moderators)

Revision ID: 0004_pid_registration
Revises: 0003_archive
Create Date: 2026-11-25 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import matcloud.core.db

revision = "0004_pid_registration"
down_revision = "0003_archive"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("archive_pids", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(
            sa.Column("synced_revision", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("sync_state", sa.String(length=16), server_default="pending", nullable=False)
        )
        batch_op.add_column(
            sa.Column("remote_state", sa.String(length=16), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("sync_error", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(
            sa.Column("sync_attempts", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("synced_at", matcloud.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_archive_pids_sync_state"), ["sync_state"], unique=False
        )
    # Before this revision the embedded provider registered DOIs in a job that set the status:
    # whatever is past "reserved" was registered then.
    op.execute(
        "UPDATE archive_pids SET sync_state = 'registered', synced_revision = revision, "
        "synced_at = updated_at WHERE status <> 'reserved'"
    )


def downgrade() -> None:
    with op.batch_alter_table("archive_pids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_archive_pids_sync_state"))
        batch_op.drop_column("synced_at")
        batch_op.drop_column("sync_attempts")
        batch_op.drop_column("sync_error")
        batch_op.drop_column("remote_state")
        batch_op.drop_column("sync_state")
        batch_op.drop_column("synced_revision")
        batch_op.drop_column("revision")
