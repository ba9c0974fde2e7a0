"""The structure index behind the OPTIMADE API: one row per structure found in a published
record (a structure file, or a StructureData node inside an AiiDA archive), with the OPTIMADE
properties computed once at indexing time.

List-valued properties that filters query element by element (``elements HAS ALL "Si","O"``,
``species_at_sites HAS "Ni1"``, ``structure_features HAS "disorder"``) are also stored one value
per row in :class:`StructureValue`, indexed by (field, value), so that ``HAS``/``HAS ALL``/
``HAS ANY``/``HAS ONLY`` become indexed ``EXISTS`` sub-queries on both SQLite and PostgreSQL
instead of scans of JSON.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from matcloud.core.db import Base, UTCDateTime, utcnow
from matcloud.optimade.masks import mask_hi_default, mask_lo_default

#: The list-valued properties mirrored in :class:`StructureValue` (``field`` column values).
VALUE_FIELDS = ("elements", "species_at_sites", "structure_features", "dimension_types")


def chemical_system(elements: list[str]) -> str:
    return "-".join(sorted(elements))


def chemical_system_default(context: Any) -> str | None:
    """Column default: the chemical system of the row's ``elements``, so that whoever inserts
    rows (the indexing job, tests) need not know about the column."""
    elements = context.get_current_parameters().get("elements")
    return chemical_system(elements) if isinstance(elements, list) else None


class StructureEntry(Base):
    __tablename__ = "optimade_structures"
    __table_args__ = (
        Index("ix_optimade_structures_visible", "is_public", "is_latest", "id"),
        Index("ix_optimade_structures_modified", "last_modified", "id"),
        # Filters test a candidate's visibility, elements and common scalars without reading
        # its row (rows are wide: positions, species): a covering index for probes by id, and
        # for the walk in id order that finds a page's ids (see pages.fetch_page).
        Index(
            "ix_optimade_structures_probe",
            "id",
            "is_public",
            "is_latest",
            "elements_mask_lo",
            "elements_mask_hi",
            "nelements",
            "nsites",
            "nperiodic_dimensions",
            "space_group_it_number",
            "chemical_system",
            "chemical_formula_anonymous",
        ),
        # HAS ONLY on elements, counted without reading the rows
        Index("ix_optimade_structures_chemical_system", "chemical_system", "is_public"),
        # counts of the common "nelements + anonymous formula" filters, without the rows
        Index(
            "ix_optimade_structures_anonymous",
            "chemical_formula_anonymous",
            "nelements",
            "is_public",
        ),
        # ranges of nelements / nsites (and both) counted from the index alone: 30x faster
        # than reading each matching row for its visibility
        Index("ix_optimade_structures_nelements", "nelements", "nsites", "is_public"),
        Index("ix_optimade_structures_nsites", "nsites", "nelements", "is_public"),
    )

    #: ``<version id>-<10 hex of sha256(file key, node uuid)>``: stable across re-indexing.
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(40), index=True)
    version_id: Mapped[str] = mapped_column(String(40), index=True)
    version_index: Mapped[int] = mapped_column(Integer, default=1)
    file_key: Mapped[str] = mapped_column(String(255))
    #: For a structure inside an AiiDA archive: the archive (EXPLORE id) and the node.
    archive_id: Mapped[str | None] = mapped_column(String(16), nullable=True)
    node_uuid: Mapped[str | None] = mapped_column(String(36), nullable=True)
    #: The newest published version of its record holds it (older versions stay addressable).
    is_latest: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Its version is published (a retraction sets this false; rows are kept for the record).
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    last_modified: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    title: Mapped[str] = mapped_column(Text, default="")
    doi: Mapped[str | None] = mapped_column(String(255), nullable=True)

    # -- OPTIMADE properties (v1.2) --------------------------------------------------------
    elements: Mapped[list[str]] = mapped_column(JSON)
    #: The sorted elements joined by "-" ("O-Si"), filled from ``elements`` on insert:
    #: ``elements HAS ONLY "Si","O"`` is ``chemical_system IN ('O', 'Si', 'O-Si')`` on an index.
    chemical_system: Mapped[str | None] = mapped_column(
        String(500), nullable=True, default=chemical_system_default
    )
    #: The elements as bits (:mod:`matcloud.optimade.masks`), filled from ``elements``.
    elements_mask_lo: Mapped[int] = mapped_column(BigInteger, default=mask_lo_default)
    elements_mask_hi: Mapped[int] = mapped_column(BigInteger, default=mask_hi_default)
    nelements: Mapped[int] = mapped_column(Integer)  # indexed below, with what ranges count
    elements_ratios: Mapped[list[float]] = mapped_column(JSON)
    chemical_formula_descriptive: Mapped[str] = mapped_column(String(500))
    chemical_formula_reduced: Mapped[str] = mapped_column(String(500), index=True)
    chemical_formula_hill: Mapped[str | None] = mapped_column(String(500), nullable=True)
    chemical_formula_anonymous: Mapped[str] = mapped_column(String(500), index=True)
    dimension_types: Mapped[list[int]] = mapped_column(JSON)
    nperiodic_dimensions: Mapped[int] = mapped_column(Integer, index=True)
    lattice_vectors: Mapped[list[list[float]] | None] = mapped_column(JSON, nullable=True)
    cartesian_site_positions: Mapped[list[list[float]]] = mapped_column(JSON)
    nsites: Mapped[int] = mapped_column(Integer)  # indexed below
    species: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    species_at_sites: Mapped[list[str]] = mapped_column(JSON)
    structure_features: Mapped[list[str]] = mapped_column(JSON)
    space_group_it_number: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    space_group_symbol_hermann_mauguin: Mapped[str | None] = mapped_column(
        String(40), nullable=True
    )
    space_group_symbol_hall: Mapped[str | None] = mapped_column(String(60), nullable=True)
    #: Cell volume in Å^3 (extra property ``_matcloud_volume``).
    volume: Mapped[float | None] = mapped_column(Float, nullable=True)


#: Columns of a structure copied onto its ``elements`` values rows (database triggers keep
#: them equal), so that a count driven by an element's index range needs no other table.
POSTING_COLUMNS = ("is_public", "elements_mask_lo", "elements_mask_hi", "nelements", "nsites")


class StructureValue(Base):
    """One element of a list-valued property of a structure (for indexed ``HAS`` filters).

    The ``elements`` rows also carry a copy of their structure's :data:`POSTING_COLUMNS`
    (``NULL`` on the other rows), filled and kept current by triggers (migration 0008), and
    covered by the lookup index: ``elements HAS ALL "Cu","O" AND nsites < 20`` is counted
    from one range of that index."""

    __tablename__ = "optimade_structure_values"
    __table_args__ = (
        Index("ix_optimade_values_postings", "field", "value", "structure_id", *POSTING_COLUMNS),
        Index("ix_optimade_values_structure", "structure_id", "field"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    structure_id: Mapped[str] = mapped_column(
        String(80), ForeignKey("optimade_structures.id", ondelete="CASCADE")
    )
    field: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)
    value: Mapped[str] = mapped_column(String(255))
    # copies of the structure's columns (elements rows only; see POSTING_COLUMNS)
    is_public: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    elements_mask_lo: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    elements_mask_hi: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    nelements: Mapped[int | None] = mapped_column(Integer, nullable=True)
    nsites: Mapped[int | None] = mapped_column(Integer, nullable=True)


class EntrySet(Base):
    """Named sets of structures (a DISCOVER section's structures: the set is the section's
    slug). Entry ids are stable across re-indexing, so membership outlives a reindex: the
    indexer copies it into the values table (field :data:`SET_FIELD`) whenever it writes a
    structure, and ``_<prefix>_sections HAS "<name>"`` finds the set's structures."""

    __tablename__ = "optimade_entry_sets"
    __table_args__ = (Index("ix_optimade_entry_sets_entry", "entry_id"),)

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    entry_id: Mapped[str] = mapped_column(String(80), primary_key=True)


#: The values-table field of set membership (its ``value`` is the set's name).
SET_FIELD = "sets"


class EntryCount(Base):
    """How many entries of a type are public, kept by database triggers (migration 0010) on
    every insert, retraction and delete, whoever writes: ``data_available`` of every response
    and the density estimate of every filtered page read one row instead of counting 10^5.
    """

    __tablename__ = "optimade_counts"

    entry_type: Mapped[str] = mapped_column(String(40), primary_key=True)
    visible: Mapped[int] = mapped_column(BigInteger, default=0)


__all__ = [
    "POSTING_COLUMNS",
    "SET_FIELD",
    "EntryCount",
    "EntrySet",
    "VALUE_FIELDS",
    "StructureEntry",
    "StructureValue",
    "chemical_system",
]
