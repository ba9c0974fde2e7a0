"""The ``structures`` entry type: every OPTIMADE v1.2 property, and ours, mapped onto the
structure index (:mod:`matcloud.optimade.models`).

Descriptions of the standard properties are the specification's own text, read from the
``optimade`` package's models. Standard properties the index does not hold (``assemblies``,
symmetry operations, the extended Hermann-Mauguin symbol) stay *known* to the filter compiler
with an unknown value everywhere, so ``assemblies IS UNKNOWN`` matches every entry instead of
failing. Provider properties are named with the configured prefix (``_matcloud_`` by default).
Derived URLs are SQL expressions too, so they can be filtered on like any other string.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from optimade.models import (  # type: ignore[import-untyped]
    DataType,
    StructureResourceAttributes,
)
from sqlalchemy import ColumnElement, case, func, literal, literal_column, select

from matcloud.optimade.masks import element_bit
from matcloud.optimade.models import SET_FIELD, EntryCount, StructureEntry, StructureValue
from matcloud.optimade.schema import EntrySchema, Prop, Row, ValuesTable

ANGSTROM = "Ao"  # UCUM for the ångström


def timestamp(value: datetime) -> str:
    """RFC 3339 in UTC with a ``Z`` (microseconds kept, so ``=`` finds what it was shown)."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def spec_description(name: str) -> str:
    field = StructureResourceAttributes.model_fields.get(name)
    return (field.description if field is not None else None) or name


def column_getter(key: str) -> Callable[[Row], Any]:
    return lambda row: row[key]


def structures_schema(base_url: str, prefix: str, dialect: str) -> EntrySchema:
    """The ``structures`` schema of one instance (its base URL and provider prefix)."""
    table = StructureEntry.__table__
    c = table.c
    base = base_url.rstrip("/")
    props: dict[str, Prop] = {}

    def add(name: str, data_type: DataType, column: ColumnElement[Any] | None, **kw: Any) -> None:
        key: str | None = getattr(column, "key", None) if column is not None else None
        kw.setdefault("description", spec_description(name))
        if key is not None and key in c and "render" not in kw:
            kw["render"] = column_getter(key)
            kw["needs"] = (key,)
        props[name] = Prop(name=name, type=data_type, column=column, **kw)

    string, integer, list_ = DataType.STRING, DataType.INTEGER, DataType.LIST
    add(
        "id",
        string,
        c.id,
        nullable=False,
        sortable=True,
        description="An entry's ID: <record version>-<10 hex digits>, stable across re-indexing.",
    )
    add(
        "type",
        string,
        None,
        constant="structures",
        nullable=False,
        description='The entry type: always "structures".',
        render=lambda row: "structures",
    )
    add(
        "immutable_id",
        string,
        c.id,
        nullable=False,
        sortable=True,
        description="The same as id: ids here never point to a newer version (every record "
        "version keeps its own structures).",
    )
    add(
        "last_modified",
        DataType.TIMESTAMP,
        c.last_modified,
        nullable=False,
        sortable=True,
        render=lambda row: timestamp(row["last_modified"]),
        needs=("last_modified",),
    )
    add(
        "elements",
        list_,
        c.elements,
        item_type=string,
        values_field="elements",
        length=c.nelements,
        set_column=c.chemical_system,
        bit_columns=(c.elements_mask_lo, c.elements_mask_hi),
        bit_of=element_bit,
        nullable=False,
    )
    add("nelements", integer, c.nelements, nullable=False, sortable=True)
    add(
        "elements_ratios",
        list_,
        c.elements_ratios,
        item_type=DataType.FLOAT,
        length=c.nelements,
        nullable=False,
    )
    for name in ("descriptive", "reduced", "anonymous"):
        add(
            f"chemical_formula_{name}",
            string,
            c[f"chemical_formula_{name}"],
            nullable=False,
            sortable=True,
        )
    add("chemical_formula_hill", string, c.chemical_formula_hill, sortable=True)
    add(
        "dimension_types",
        list_,
        c.dimension_types,
        item_type=integer,
        values_field="dimension_types",
        nullable=False,
    )
    add("nperiodic_dimensions", integer, c.nperiodic_dimensions, nullable=False, sortable=True)
    add("lattice_vectors", list_, c.lattice_vectors, item_type=list_, json_null=True, unit=ANGSTROM)
    add(
        "cartesian_site_positions",
        list_,
        c.cartesian_site_positions,
        item_type=list_,
        length=c.nsites,
        nullable=False,
        unit=ANGSTROM,
    )
    add("nsites", integer, c.nsites, nullable=False, sortable=True)
    add("species", list_, c.species, item_type=DataType.DICTIONARY, nullable=False)
    add(
        "species_at_sites",
        list_,
        c.species_at_sites,
        item_type=string,
        values_field="species_at_sites",
        length=c.nsites,
        nullable=False,
    )
    add(
        "structure_features",
        list_,
        c.structure_features,
        item_type=string,
        values_field="structure_features",
        nullable=False,
    )
    add("space_group_symbol_hall", string, c.space_group_symbol_hall, sortable=True)
    add(
        "space_group_symbol_hermann_mauguin",
        string,
        c.space_group_symbol_hermann_mauguin,
        sortable=True,
    )
    add("space_group_it_number", integer, c.space_group_it_number, sortable=True)
    # standard, but not held by the index: known names, unknown values
    for name, data_type in (
        ("assemblies", list_),
        ("space_group_symmetry_operations_xyz", list_),
        ("space_group_symbol_hermann_mauguin_extended", string),
    ):
        add(name, data_type, None, listed=False, render=lambda row: None)

    own = f"_{prefix}_"
    landing = literal(f"{base}/records/") + c.version_id
    provenance = case(
        (
            c.node_uuid.is_not(None) & c.archive_id.is_not(None),
            literal(f"{base}/explore/") + c.archive_id + "/nodes/" + c.node_uuid,
        ),
        else_=None,
    )
    add(
        f"{own}record",
        string,
        c.record_id,
        nullable=False,
        sortable=True,
        description="The record (concept) the structure was published in, e.g. 2026.17.",
    )
    add(
        f"{own}version",
        string,
        c.version_id,
        nullable=False,
        sortable=True,
        description="The record version that holds the structure, e.g. 2026.17v2.",
    )
    add(f"{own}doi", string, c.doi, sortable=True, description="The DOI of that record version.")
    add(
        f"{own}title",
        string,
        c.title,
        nullable=False,
        sortable=True,
        description="A human-readable title of the structure.",
    )
    add(
        f"{own}landing_page",
        string,
        landing,
        nullable=False,
        description="The landing page of the record version (absolute URL).",
        render=lambda row: f"{base}/records/{row['version_id']}",
        needs=("version_id",),
    )
    add(
        f"{own}file",
        string,
        c.file_key,
        nullable=False,
        sortable=True,
        description="The file of the record version the structure was read from.",
    )
    add(
        f"{own}provenance",
        string,
        provenance,
        description="For a structure inside an AiiDA archive: its node in EXPLORE (absolute "
        "URL), with its full provenance; null otherwise.",
        render=lambda row: (
            f"{base}/explore/{row['archive_id']}/nodes/{row['node_uuid']}"
            if row["node_uuid"] and row["archive_id"]
            else None
        ),
        needs=("archive_id", "node_uuid"),
    )
    add(
        f"{own}is_latest",
        DataType.BOOLEAN,
        c.is_latest,
        nullable=False,
        sortable=True,
        description="Whether the structure belongs to the latest version of its record "
        "(older versions stay available; filter with "
        f"{own}is_latest = TRUE for the current ones).",
    )
    add(
        f"{own}space_group",
        string,
        func.replace(c.space_group_symbol_hermann_mauguin, " ", ""),
        sortable=True,
        description="The short Hermann-Mauguin symbol written without spaces, as most people "
        "write it (e.g. Fd-3m, P63/mmc); null where the space group is unknown.",
        render=lambda row: (
            (row["space_group_symbol_hermann_mauguin"] or "").replace(" ", "") or None
        ),
        needs=("space_group_symbol_hermann_mauguin",),
    )
    # the named sets a structure is in (DISCOVER sections), aggregated from the values rows
    values = StructureValue.__table__.c
    aggregate = func.json_group_array if dialect == "sqlite" else func.json_agg
    empty = literal("[]") if dialect == "sqlite" else literal_column("'[]'::json")
    sets = (
        select(func.coalesce(aggregate(values.value), empty))
        .where(values.structure_id == c.id, values.field == SET_FIELD)
        .scalar_subquery()
        .label("sets")
    )
    add(
        f"{own}sections",
        list_,
        sets,
        item_type=string,
        values_field=SET_FIELD,
        nullable=False,
        description="The DISCOVER sections that show this structure (their slugs: the "
        f'section is {base}/discover/<slug>); filter with {own}sections HAS "<slug>".',
        render=lambda row: sorted(_json_list(row["sets"])),
        needs=("sets",),
    )
    add(
        f"{own}volume",
        DataType.FLOAT,
        c.volume,
        sortable=True,
        unit="Ao3",
        description="The volume of the unit cell in Å^3 (null for molecules).",
    )

    return EntrySchema(
        type="structures",
        description="Crystal structures and molecules published in the records of this "
        "archive (one entry per structure file, or per structure node in an AiiDA archive).",
        table=table,
        id=c.id,
        props=props,
        prefix=prefix,
        dialect=dialect,
        values=ValuesTable(StructureValue.__table__, "structure_id", "field", "position", "value"),
        # On SQLite, unindexable on purpose: without planner statistics SQLite takes any
        # equality on an indexed column for a selective one and would drive every query from
        # the visibility index (nearly all rows); PostgreSQL keeps its statistics itself.
        visible=(
            func.coalesce(c.is_public, False).is_(True)
            if dialect == "sqlite"
            else c.is_public.is_(True)
        ),
        total=select(EntryCount.visible).where(EntryCount.entry_type == "structures"),
        base_columns=("id", "version_id"),
        columns={**{key: c[key] for key in c.keys()}, "sets": sets},
    )


def _json_list(value: Any) -> list[str]:
    """A JSON array from the database (text on SQLite, decoded already on PostgreSQL)."""
    if isinstance(value, str):
        value = json.loads(value)
    return [str(v) for v in value or []]


__all__ = ["structures_schema", "timestamp"]
