"""archive search index (PLACEHOLDER by the lead so that 0003_archive resolves; the search
helper replaces this whole file with the real migration).

Revision ID: 0002_archive_search
Revises: 0001_core
"""

from __future__ import annotations

revision = "0002_archive_search"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
