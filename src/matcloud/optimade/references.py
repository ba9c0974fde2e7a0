"""``references`` entries: the bibliography of the published records that hold structures.

Each record version that holds indexed structures gives one reference for itself (the
dataset: its title, creators, year, DOI and landing page) and one per related identifier in
its metadata (the paper it supplements, a preprint, ...), identified by the identifier itself
(``doi:10.1038/...``, ``arxiv:2003.12510``) so that two records citing the same paper share
one entry. A structure's ``relationships.references`` are computed from its version's
metadata on the fly (a primary-key read per page), so they are always current.

Listing and filtering ``/references`` uses the same filter compiler as structures, over a
small in-memory SQLite copy (:class:`ReferenceStore`) rebuilt whenever the published versions
or the structure index change (a cheap fingerprint query per request decides), rather than a
table that some job would have to keep in step.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from optimade.models import (  # type: ignore[import-untyped]
    DataType,
    ReferenceResourceAttributes,
)
from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    func,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from matcloud.archive.models import Version, VersionState
from matcloud.archive.serializers._common import related_url
from matcloud.archive.serializers.datacite_json import RELATION_TYPES
from matcloud.core.db import Database, UTCDateTime
from matcloud.optimade.models import StructureEntry
from matcloud.optimade.properties import column_getter, timestamp
from matcloud.optimade.schema import EntrySchema, Prop, ValuesTable

SAFE_ID = re.compile(r"[A-Za-z0-9._;()/:+-]{1,200}")
#: DataCite relation types (as the deposit form stores them) in their usual spelling.
RELATIONS = RELATION_TYPES
BIB_TYPES = {"publication": "article", "software": "misc", "dataset": "misc"}


@dataclass
class Reference:
    id: str
    last_modified: datetime
    attributes: dict[str, Any]


@dataclass
class Cited:
    """A reference of one record version, and how the version relates to it."""

    reference: Reference
    description: str


@dataclass
class Bibliography:
    """References by version, and every reference once."""

    by_version: dict[str, list[Cited]] = field(default_factory=dict)
    references: dict[str, Reference] = field(default_factory=dict)


def _person(creator: dict[str, Any]) -> dict[str, str]:
    who = creator.get("person_or_org") or {}
    if who.get("type") == "personal":
        first, last = who.get("given_name"), who.get("family_name") or ""
        person = {"name": f"{first} {last}".strip() if first else last, "lastname": last}
        if first:
            person["firstname"] = first
        return person
    return {"name": str(who.get("name") or "")}


def dataset_reference(version: Version, base_url: str, site_name: str) -> Reference:
    meta = version.metadata_json or {}
    published = version.published_at or version.updated_at
    year = str(meta.get("publication_date") or "")[:4] or str(published.year)
    authors = [_person(c) for c in meta.get("creators") or []]
    attributes: dict[str, Any] = {
        "title": meta.get("title") or None,
        "authors": [a for a in authors if a["name"]] or None,
        "year": year,
        "doi": version.doi,
        "url": f"{base_url.rstrip('/')}/records/{version.id}",
        "publisher": meta.get("publisher") or site_name,
        "bib_type": "misc",
        "note": f"Dataset, version {version.index}",
    }
    return Reference(version.id, version.updated_at, attributes)


def related_reference(item: dict[str, Any], modified: datetime) -> Reference | None:
    scheme, identifier = str(item.get("scheme") or ""), str(item.get("identifier") or "")
    if not scheme or not identifier:
        return None
    if scheme == "doi":
        key = f"doi:{identifier.lower()}"
    elif scheme == "arxiv":
        key = f"arxiv:{identifier.removeprefix('arXiv:')}"
    else:
        key = f"{scheme}:{identifier}"
    if not SAFE_ID.fullmatch(key) or scheme == "url":
        key = f"{scheme}:{hashlib.sha256(key.encode()).hexdigest()[:16]}"
    url = related_url(item)
    resource_type = str((item.get("resource_type") or {}).get("id") or "").split("-")[0]
    attributes: dict[str, Any] = {
        "doi": identifier if scheme == "doi" else None,
        "url": url if url.startswith(("http://", "https://")) else None,
        "bib_type": BIB_TYPES.get(resource_type),
        "note": None,
    }
    if attributes["doi"] is None and attributes["url"] is None:
        attributes["note"] = f"{scheme.upper()} {identifier}"
    return Reference(key, modified, attributes)


def cited_by(version: Version, base_url: str, site_name: str) -> list[Cited]:
    """The references of one record version: itself, then its related identifiers."""
    cited = [
        Cited(
            dataset_reference(version, base_url, site_name),
            "The record version that published this structure",
        )
    ]
    for item in (version.metadata_json or {}).get("related_identifiers") or []:
        reference = related_reference(item, version.updated_at)
        if reference is not None:
            relation = str((item.get("relation_type") or {}).get("id") or "")
            cited.append(Cited(reference, RELATIONS.get(relation, relation or "Related")))
    return cited


def collect(by_version: dict[str, list[Cited]]) -> Bibliography:
    """Every reference once, last modified when the latest version citing it was."""
    found = Bibliography(by_version=by_version)
    for cited in by_version.values():
        for entry in cited:
            known = found.references.get(entry.reference.id)
            if known is None or known.last_modified < entry.reference.last_modified:
                found.references[entry.reference.id] = entry.reference
    return found


def bibliography(versions: Iterable[Version], base_url: str, site_name: str) -> Bibliography:
    return collect({v.id: cited_by(v, base_url, site_name) for v in versions})


def published_versions(session: Session, version_ids: Sequence[str]) -> list[Version]:
    versions: list[Version] = []
    ids = sorted(set(version_ids))
    for start in range(0, len(ids), 500):
        versions.extend(
            session.scalars(
                select(Version).where(
                    Version.id.in_(ids[start : start + 500]),
                    Version.state == VersionState.PUBLISHED,
                )
            )
        )
    return versions


class Citations:
    """The references of the versions on a page, remembered per (version, last update): a
    page costs one small primary-key read to check them, and metadata is read and turned
    into references only for versions not seen since they last changed."""

    def __init__(self, base_url: str, site_name: str, size: int = 4096) -> None:
        self.base_url = base_url
        self.site_name = site_name
        self.size = size
        self._lock = threading.Lock()
        self._known: OrderedDict[tuple[str, datetime], list[Cited]] = OrderedDict()

    def of(self, session: Session, version_ids: Sequence[str]) -> Bibliography:
        ids = sorted(set(version_ids))
        if not ids:
            return Bibliography()
        versions = Version.__table__.c  # a Core statement: no ORM work for two columns
        stamps = session.execute(
            select(versions.id, versions.updated_at).where(
                versions.id.in_(ids), versions.state == VersionState.PUBLISHED
            )
        ).all()
        found: dict[str, list[Cited]] = {}
        with self._lock:
            for version_id, updated in stamps:
                cited = self._known.get((version_id, updated))
                if cited is not None:
                    found[version_id] = cited
        missing = [version_id for version_id, _ in stamps if version_id not in found]
        for version in published_versions(session, missing):
            cited = cited_by(version, self.base_url, self.site_name)
            found[version.id] = cited
            with self._lock:
                self._known[(version.id, version.updated_at)] = cited
                while len(self._known) > self.size:
                    self._known.popitem(last=False)
        return collect(found)


# -- the in-memory store --------------------------------------------------------------------

METADATA = MetaData()
REFERENCES = Table(
    "refs",
    METADATA,
    Column("id", String, primary_key=True),
    Column("last_modified", UTCDateTime, nullable=False),
    Column("doi", String),
    Column("url", String),
    Column("title", Text),
    Column("year", String),
    Column("bib_type", String),
    Column("publisher", String),
    Column("note", String),
    Column("authors", JSON),
)
REFERENCE_VALUES = Table(
    "ref_values",
    METADATA,
    Column("ref_id", String, index=True),
    Column("field", String),
    Column("position", Integer),
    Column("value", String),
)
STRING_FIELDS = ("doi", "url", "title", "year", "bib_type", "publisher", "note")
NAME_PARTS = ("name", "firstname", "lastname")


def references_schema(prefix: str) -> EntrySchema:
    c = REFERENCES.c
    docs = ReferenceResourceAttributes.model_fields
    props: dict[str, Prop] = {}

    def add(name: str, data_type: DataType, column: Any, **kw: Any) -> None:
        spec = docs.get(name)
        kw.setdefault("description", (spec.description if spec else None) or name)
        if column is not None and "render" not in kw and column.key in c:
            kw.setdefault("render", column_getter(column.key))
            kw.setdefault("needs", (column.key,))
        props[name] = Prop(name=name, type=data_type, column=column, **kw)

    add(
        "id",
        DataType.STRING,
        c.id,
        nullable=False,
        sortable=True,
        description="doi:<DOI>, arxiv:<id>, ...; a record version's own citation is its "
        "version id.",
    )
    add(
        "type",
        DataType.STRING,
        None,
        constant="references",
        nullable=False,
        description='The entry type: always "references".',
        render=lambda row: "references",
    )
    add(
        "immutable_id",
        DataType.STRING,
        c.id,
        nullable=False,
        sortable=True,
        description="The same as id.",
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
    for name in STRING_FIELDS:
        add(name, DataType.STRING, c[name], sortable=True)
    add("authors", DataType.LIST, c.authors, item_type=DataType.DICTIONARY, json_null=True)
    for part in NAME_PARTS:
        add(
            f"authors.{part}",
            DataType.LIST,
            c.authors,
            item_type=DataType.STRING,
            values_field=f"authors.{part}",
            json_null=True,
            listed=False,
        )
    for name in docs:
        if name not in props:
            add(
                name,
                DataType.LIST if name == "editors" else DataType.STRING,
                None,
                listed=False,
                render=lambda row: None,
            )
    return EntrySchema(
        type="references",
        description="Bibliographic references: the published record versions that hold "
        "structures, and the papers and other works they are related to.",
        table=REFERENCES,
        id=c.id,
        props=props,
        prefix=prefix,
        dialect="sqlite",
        values=ValuesTable(REFERENCE_VALUES, "ref_id", "field", "position", "value"),
        columns={key: c[key] for key in c.keys()},
    )


class ReferenceStore:
    """The references of every published version with public structures, in memory."""

    def __init__(self, db: Database, base_url: str, site_name: str) -> None:
        self.db = db
        self.base_url = base_url
        self.site_name = site_name
        self._lock = threading.Lock()
        self._engine: Engine | None = None
        self._fingerprint: tuple[Any, ...] | None = None

    def fingerprint(self) -> tuple[Any, ...]:
        """Changes whenever a version is published, corrected or retracted, or the index is
        rewritten (what the references are computed from)."""
        with self.db.read() as session:
            versions = session.execute(
                select(func.count(Version.id), func.max(Version.updated_at)).where(
                    Version.state == VersionState.PUBLISHED
                )
            ).one()
            indexed = session.scalar(select(func.max(StructureEntry.last_modified)))
        return (*versions, indexed)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection to an up-to-date store (one query at a time: it is one connection)."""
        fingerprint = self.fingerprint()
        with self._lock:
            if self._engine is None or fingerprint != self._fingerprint:
                engine = self._build()
                if self._engine is not None:
                    self._engine.dispose()
                self._engine, self._fingerprint = engine, fingerprint
            with self._engine.connect() as connection:
                yield connection

    def _build(self) -> Engine:
        with self.db.read() as session:
            version_ids = list(
                session.scalars(
                    select(StructureEntry.version_id)
                    .where(StructureEntry.is_public.is_(True))
                    .distinct()
                )
            )
            versions = published_versions(session, version_ids)
            found = bibliography(versions, self.base_url, self.site_name)
        engine = create_engine(
            "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
        METADATA.create_all(engine)
        rows, values = [], []
        for reference in found.references.values():
            attributes = reference.attributes
            rows.append(
                {
                    "id": reference.id,
                    "last_modified": reference.last_modified,
                    "authors": attributes.get("authors"),
                    **{name: attributes.get(name) for name in STRING_FIELDS},
                }
            )
            for position, person in enumerate(attributes.get("authors") or []):
                for part in NAME_PARTS:
                    if person.get(part):
                        values.append(
                            {
                                "ref_id": reference.id,
                                "field": f"authors.{part}",
                                "position": position,
                                "value": person[part],
                            }
                        )
        with engine.begin() as connection:
            if rows:
                connection.execute(REFERENCES.insert(), rows)
            if values:
                connection.execute(REFERENCE_VALUES.insert(), values)
        return engine

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None


__all__ = [
    "Bibliography",
    "Citations",
    "Cited",
    "Reference",
    "ReferenceStore",
    "bibliography",
    "published_versions",
    "references_schema",
]
