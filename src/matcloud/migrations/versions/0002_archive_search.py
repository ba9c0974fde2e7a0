"""archive search index: docs, facets, and the backend's full-text table

``archive_search_fts`` differs by backend and is not in the ORM metadata (the schema comparison
skips ``archive_search_fts*``): on SQLite an FTS5 virtual table (its shadow tables are
``archive_search_fts_data``, ``_idx``, ``_content``, ``_docsize``, ``_config``); on PostgreSQL a
table of tsvectors, the weighted whole ``document`` under a GIN index plus one vector for each
field a query can restrict to (``title:``, ``creator:``, ``keyword:``, ``doi:``). Both hold
tokens made by matcloud (``matcloud.archive.search_query.tokens``), so no tokenizer or text
search configuration of the database is involved.

Revision ID: 0002_archive_search
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR

import matcloud.core.db

revision = "0002_archive_search"
down_revision = "0001_core"
branch_labels = None
depends_on = None

FIELD_COLUMNS = ("title", "creators", "keywords", "identifiers")


def upgrade() -> None:
    op.create_table(
        "archive_search_docs",
        sa.Column("record_id", sa.String(length=32), nullable=False),
        sa.Column("version_id", sa.String(length=40), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("creators", sa.Text(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("identifiers", sa.Text(), nullable=False),
        sa.Column("licences", sa.JSON(), nullable=False),
        sa.Column("publication_date", sa.String(length=10), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("has_aiida", sa.Boolean(), nullable=False),
        sa.Column("file_types", sa.JSON(), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column("published_at", matcloud.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("fts_rowid", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_archive_search_docs")),
    )
    with op.batch_alter_table("archive_search_docs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_archive_search_docs_fts_rowid",
            ["fts_rowid", "record_id", "published_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_archive_search_docs_published_at"), ["published_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_archive_search_docs_year"), ["year"], unique=False)

    op.create_table(
        "archive_search_facets",
        sa.Column("record_id", sa.String(length=32), nullable=False),
        sa.Column("facet", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["archive_search_docs.record_id"],
            name=op.f("fk_archive_search_facets_record_id_archive_search_docs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "record_id", "facet", "value", name=op.f("pk_archive_search_facets")
        ),
    )
    with op.batch_alter_table("archive_search_facets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_archive_search_facets_facet_value", ["facet", "value", "record_id"], unique=False
        )

    if op.get_bind().dialect.name == "sqlite":
        # rowid = archive_search_docs.fts_rowid, a hash of the record id (search_backend)
        op.execute(
            "CREATE VIRTUAL TABLE archive_search_fts USING fts5("
            "title, creators, keywords, identifiers, description, "
            "tokenize = 'unicode61 remove_diacritics 0')"
        )
        return
    op.create_table(
        "archive_search_fts",
        sa.Column("record_id", sa.String(length=32), nullable=False),
        sa.Column("document", TSVECTOR(), nullable=False),
        *(sa.Column(name, TSVECTOR(), nullable=False) for name in FIELD_COLUMNS),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["archive_search_docs.record_id"],
            name="fk_archive_search_fts_record_id_archive_search_docs",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("record_id", name="pk_archive_search_fts"),
    )
    op.create_index(
        "ix_archive_search_fts_document",
        "archive_search_fts",
        ["document"],
        postgresql_using="gin",
    )


def downgrade() -> None:
    op.drop_table("archive_search_fts")
    with op.batch_alter_table("archive_search_facets", schema=None) as batch_op:
        batch_op.drop_index("ix_archive_search_facets_facet_value")
    op.drop_table("archive_search_facets")
    with op.batch_alter_table("archive_search_docs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_archive_search_docs_year"))
        batch_op.drop_index(batch_op.f("ix_archive_search_docs_published_at"))
        batch_op.drop_index("ix_archive_search_docs_fts_rowid")
    op.drop_table("archive_search_docs")
