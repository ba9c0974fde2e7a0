"""DISCOVER sections: built from a spec and published records, then served.

``add`` checks the spec, resolves its sources to published versions (never drafts), reads the
rows (a table file of the record, or a group of an AiiDA archive of the record that EXPLORE
has indexed), checks every file and node the rows name, and replaces the section in one
transaction. The build is stamped with the spec and the versions' files: adding the same
spec over the same data again changes nothing.

Reading (table, filters, plot points, ID cards) works on an in-memory columnar copy of each
section (:mod:`.table`), loaded once per build.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from matcloud.archive.models import FileStatus, Version, VersionState
from matcloud.archive.service import ArchiveService
from matcloud.core.auth import ANONYMOUS, Identity, require_role
from matcloud.core.db import Database, utcnow
from matcloud.core.errors import FieldError, NotFound, ValidationFailed
from matcloud.core.models import Role
from matcloud.discover.dispersion import MAX_PHONON_BYTES, band_yaml_panel
from matcloud.discover.loaders import LoadedRow, aiida_rows, table_rows
from matcloud.discover.models import Section, SectionRow
from matcloud.discover.spec import Spec, parse_spec
from matcloud.discover.table import RowQuery, Table
from matcloud.explore.service import STRUCTURE_NODE, ExploreService
from matcloud.optimade.indexing import entry_id, set_members
from matcloud.structures import MAX_FILE_BYTES, StructureError, read_structures
from matcloud.structures.formula import descriptive_formula
from matcloud.structures.model import DUMMY, VACANCY

log = logging.getLogger(__name__)

BANDS_NODE = "data.core.array.bands.BandsData."
#: The parent OAI-PMH set of the sections' sets (``discover:<slug>``), and how long the sets
#: are kept before the sections are read again.
OAI_SET = "discover"
OAI_TTL = 5.0
#: Sections whose tables are kept in memory at once (each is a few MB at 70,000 rows).
OPEN_TABLES = 8


@dataclass(frozen=True)
class SourceFile:
    version_id: str
    key: str
    blob_id: str
    size: int


class DiscoverService:
    def __init__(self, db: Database, archive: ArchiveService, explore: ExploreService) -> None:
        self.db = db
        self.archive = archive
        self.explore = explore
        self._lock = threading.Lock()
        self._tables: OrderedDict[str, Table] = OrderedDict()
        self._oai: dict[str, tuple[str, frozenset[str]]] = {}
        self._oai_at = -OAI_TTL

    # -- building ----------------------------------------------------------------------------

    def add(self, identity: Identity, spec_text: str | bytes) -> dict[str, Any]:
        """Check, build and publish the section of ``spec_text`` (admins only)."""
        require_role(identity, Role.ADMIN)
        started = time.perf_counter()
        spec = parse_spec(spec_text)
        text = spec_text.decode("utf-8") if isinstance(spec_text, bytes) else spec_text
        with self.db.read() as session:
            versions = [self._published(session, i, s) for i, s in enumerate(spec.sources)]
            files = self._files(session, versions)
        version_ids = [v for v, _ in versions]
        stamp = _stamp(spec, version_ids, files)
        with self.db.read() as session:
            existing = session.get(Section, spec.slug)
            if existing is not None and existing.stamp == stamp:
                return self._summary(existing) | {"changed": False}
        archive_id: str | None = None
        if spec.rows.table is not None:
            source = self._file(files, "rows.table", spec.rows.table)
            with self.archive.ctx.blobs.open(source.blob_id) as stream:
                rows = table_rows(spec, stream.read(), spec.rows.table)
        else:
            assert spec.rows.aiida is not None
            archive_id = self._archive(files, spec.rows.aiida.file)
            connection = self.explore.source(archive_id).connect()
            rows = aiida_rows(spec, connection, spec.rows.aiida.file)
        self._check_references(spec, rows, files, archive_id)
        with self.db.unit_of_work() as uow:
            session = uow.session
            section = session.get(Section, spec.slug)
            if section is None:
                section = Section(slug=spec.slug, created_by=identity.user_id)
                session.add(section)
            section.title = spec.title
            section.demo = spec.demo
            section.spec_text = text
            section.spec = spec.model_dump(mode="json", by_alias=True, exclude_none=True)
            section.version_ids = version_ids
            section.stamp = stamp
            section.row_count = len(rows)
            section.archive_id = archive_id
            section.built_at = utcnow()
            section.build_seconds = round(time.perf_counter() - started, 3)
            session.flush()
            session.execute(delete(SectionRow).where(SectionRow.section_slug == spec.slug))
            for start in range(0, len(rows), 5000):
                session.execute(
                    insert(SectionRow),
                    [
                        {
                            "section_slug": spec.slug,
                            "position": start + i,
                            "key": row.key,
                            "values": row.values,
                            "provenance": row.provenance,
                        }
                        for i, row in enumerate(rows[start : start + 5000])
                    ],
                )
            indexed = set_members(session, spec.slug, self._entry_ids(spec, rows, files))
            summary = self._summary(section) | {"optimade_structures": indexed}
        with self._lock:
            self._oai_at = -OAI_TTL
        log.info("built DISCOVER section", extra={"slug": spec.slug, "rows": len(rows)})
        return summary | {"changed": True}

    def remove(self, identity: Identity, slug: str) -> None:
        require_role(identity, Role.ADMIN)
        with self.db.unit_of_work() as uow:
            section = uow.session.get(Section, slug)
            if section is None:
                raise NotFound(f"There is no DISCOVER section {slug!r}.")
            uow.session.execute(delete(SectionRow).where(SectionRow.section_slug == slug))
            uow.session.delete(section)
            set_members(uow.session, slug, [])
        with self._lock:
            self._tables.pop(slug, None)
            self._oai_at = -OAI_TTL

    @staticmethod
    def _entry_ids(spec: Spec, rows: list[LoadedRow], files: dict[str, SourceFile]) -> list[str]:
        """The OPTIMADE ids of the rows' structures (stable: they need not be indexed yet)."""
        if spec.structure is None:
            return []
        column = spec.column(spec.structure.column)
        found = []
        for row in rows:
            value = row.values.get(column.name)
            if value is None:
                continue
            if column.type == "file" and value in files:
                found.append(entry_id(files[value].version_id, value, None))
            elif column.type == "node" and spec.rows.aiida is not None:
                archive = files[spec.rows.aiida.file]
                found.append(entry_id(archive.version_id, archive.key, str(value)))
        return found

    def _published(self, session: Session, index: int, source: Any) -> tuple[str, str]:
        """(version id, DOI) of a source: its latest published version (or that version)."""
        where = f"sources[{index}]"
        if source.doi is not None:
            version = session.scalar(select(Version).where(Version.doi == source.doi))
            if version is None or version.state != VersionState.PUBLISHED:
                raise ValidationFailed(
                    f"{where}.doi: no published version here has the DOI {source.doi}.",
                    [FieldError(f"{where}.doi", "no published version has this DOI")],
                )
            return version.id, version.doi or ""
        try:
            version = self.archive.records.resolve_id(session, ANONYMOUS, source.record)
        except NotFound:
            version = None
        if version is None or version.state != VersionState.PUBLISHED:
            raise ValidationFailed(
                f"{where}.record: there is no published record {source.record!r}.",
                [FieldError(f"{where}.record", "no published record with this id")],
            )
        return version.id, version.doi or ""

    @staticmethod
    def _files(session: Session, versions: list[tuple[str, str]]) -> dict[str, SourceFile]:
        """The completed files of the versions by key (the first source wins a shared key)."""
        files: dict[str, SourceFile] = {}
        for version_id, _ in versions:
            version = session.get(Version, version_id)
            assert version is not None
            for f in version.files:
                if f.status == FileStatus.COMPLETED and f.blob_id and f.key not in files:
                    files[f.key] = SourceFile(version_id, f.key, f.blob_id, f.size or 0)
        return files

    @staticmethod
    def _file(files: dict[str, SourceFile], field: str, key: str) -> SourceFile:
        found = files.get(key)
        if found is None:
            shown = ", ".join(sorted(files)[:10]) or "none"
            raise ValidationFailed(
                f"{field}: the source records have no file {key!r} (they have: {shown}).",
                [FieldError(field, f"no file {key!r} in the source records")],
            )
        return found

    def _archive(self, files: dict[str, SourceFile], key: str) -> str:
        source = self._file(files, "rows.aiida.file", key)
        state = self.explore.for_version(source.version_id).get(key)
        if state is None or not state.get("browsable"):
            status = (state or {}).get("status", "not indexed")
            raise ValidationFailed(
                f"rows.aiida.file: {key} is not browsable in EXPLORE yet ({status}); sections "
                "read AiiDA archives once EXPLORE has indexed them.",
                [FieldError("rows.aiida.file", f"not browsable ({status})")],
            )
        return str(state["id"])

    def _check_references(
        self,
        spec: Spec,
        rows: list[LoadedRow],
        files: dict[str, SourceFile],
        archive_id: str | None,
    ) -> None:
        """Every file a row names is in the records; every node is in the archive, and the
        structure, bands and phonons columns name nodes of those types."""
        errors: list[FieldError] = []
        expected: dict[str, str] = {}
        parts = (("structure", STRUCTURE_NODE), ("bands", BANDS_NODE), ("phonons", BANDS_NODE))
        for part, node_type in parts:
            attached = getattr(spec, part)
            if attached is not None:
                expected[attached.column] = node_type
        node_columns = [c for c in spec.columns if c.type == "node"]
        types: dict[str, str] = {}
        if node_columns:
            uuids = {r.values[c.name] for r in rows for c in node_columns} - {None}
            if archive_id is None:
                errors.append(
                    FieldError(
                        f"columns[{spec.columns.index(node_columns[0])}].type",
                        "'node' columns need rows from an AiiDA archive (rows.aiida)",
                    )
                )
            else:
                connection = self.explore.source(archive_id).connect()
                found = list(uuids)
                for start in range(0, len(found), 500):
                    chunk = found[start : start + 500]
                    marks = ",".join("?" * len(chunk))
                    types.update(
                        connection.execute(
                            f"SELECT uuid, node_type FROM db_dbnode WHERE uuid IN ({marks})",  # noqa: S608
                            chunk,
                        ).fetchall()
                    )
        for row in rows:
            for column in spec.columns:
                value = row.values.get(column.name)
                if value is None:
                    continue
                if column.type == "file" and value not in files:
                    errors.append(
                        FieldError(f"row {row.key}, column {column.name!r}", f"no file {value!r}")
                    )
                elif column.type == "node" and archive_id is not None:
                    found_type = types.get(value)
                    if found_type is None:
                        errors.append(
                            FieldError(
                                f"row {row.key}, column {column.name!r}", f"no node {value!r}"
                            )
                        )
                    elif column.name in expected and found_type != expected[column.name]:
                        errors.append(
                            FieldError(
                                f"row {row.key}, column {column.name!r}",
                                f"node {value} is a {found_type.rstrip('.').rsplit('.', 1)[-1]}, "
                                f"not a {expected[column.name].rstrip('.').rsplit('.', 1)[-1]}",
                            )
                        )
            if len(errors) >= 20:
                break
        if errors:
            raise ValidationFailed.listing("The rows name what the records lack", errors)

    # -- OAI-PMH sets (see archive.oaipmh.provider.SetSource) ------------------------------

    def oai_sets(self) -> list[tuple[str, str, str]]:
        members = self._oai_sets()
        if not members:
            return []
        found = [(OAI_SET, "DISCOVER sections", "Records that curated DISCOVER sections show.")]
        found += [(spec, f"DISCOVER: {title}", title) for spec, (title, _) in members.items()]
        return found

    def oai_members(self, spec: str) -> list[str] | None:
        members = self._oai_sets()
        if spec == OAI_SET:
            return sorted({v for _, versions in members.values() for v in versions})
        found = members.get(spec)
        return None if found is None else list(found[1])

    def oai_sets_of(self, version_id: str) -> list[str]:
        specs = [spec for spec, (_, versions) in self._oai_sets().items() if version_id in versions]
        return [OAI_SET, *specs] if specs else []

    def _oai_sets(self) -> dict[str, tuple[str, frozenset[str]]]:
        """setSpec -> (title, version ids), read again after :data:`OAI_TTL` seconds."""
        with self._lock:
            if time.monotonic() - self._oai_at < OAI_TTL:
                return self._oai
        with self.db.read() as session:
            rows = session.execute(
                select(Section.slug, Section.title, Section.version_ids).order_by(Section.slug)
            ).all()
        sets = {f"{OAI_SET}:{slug}": (title, frozenset(versions)) for slug, title, versions in rows}
        with self._lock:
            self._oai, self._oai_at = sets, time.monotonic()
        return sets

    # -- reading -----------------------------------------------------------------------------

    def sections(self) -> dict[str, Any]:
        with self.db.read() as session:
            found = session.scalars(select(Section).order_by(Section.title)).all()
            return {"sections": [self._summary(s) for s in found]}

    def section(self, slug: str) -> dict[str, Any]:
        """A section's description, columns, plots and citation (the page's head)."""
        with self.db.read() as session:
            row = self._get(session, slug)
            summary = self._summary(row)
            spec = Spec.model_validate(row.spec)
            sources = []
            for version_id in row.version_ids:
                version = session.get(Version, version_id)
                if version is not None:
                    sources.append(
                        {
                            "version": version_id,
                            "doi": version.doi,
                            "title": (version.metadata_json or {}).get("title", ""),
                            "url": f"/records/{version_id}",
                            "state": version.state.value,
                        }
                    )
        plot = spec.default_plot
        return summary | {
            "description": spec.description,
            "authors": [a.model_dump(exclude_none=True) for a in spec.authors],
            "sources": sources,
            "columns": [
                {
                    "name": c.name,
                    "title": c.label,
                    "unit": c.unit,
                    "description": c.description,
                    "type": c.type,
                }
                for c in spec.columns
            ],
            "plot": plot.model_dump() if plot else None,
            "presets": [p.model_dump() for p in spec.presets],
            "filters": [c.name for c in spec.filter_columns],
            "search": [c.name for c in spec.search_columns],
            "has": {
                part: getattr(spec, part) is not None for part in ("structure", "bands", "phonons")
            },
        }

    def rows(self, slug: str, query: RowQuery) -> dict[str, Any]:
        """A page of the table: filtered, searched, sorted (server-side)."""
        table = self.table(slug)
        return table.page(query)

    def points(self, slug: str, query: RowQuery, axes: list[str]) -> dict[str, Any]:
        """The plot's points for the filters: row keys and the asked columns."""
        return self.table(slug).points(query, axes)

    def card(self, slug: str, key: str) -> dict[str, Any]:
        """One row as an ID card: every property with its unit and provenance."""
        table = self.table(slug)
        return table.card(key)

    def structure(self, slug: str, key: str) -> dict[str, Any]:
        """A row's structure as JSON for the 3D view: lattice, pbc, symbols, positions (Å)."""
        card = self.card(slug, key)
        attached = card.get("structure")
        if not attached:
            raise NotFound(f"Row {key!r} of {slug} has no structure.")
        try:
            if "node" in attached:
                crystal = self.explore.structure_node(attached["archive"], attached["node"])
            else:
                source = self.table(slug).context["files"][attached["file"]]
                with self.archive.ctx.blobs.open(source.blob_id) as stream:
                    data = stream.read(MAX_FILE_BYTES + 1)
                crystal = read_structures(data, attached["file"])[0]
        except StructureError as exc:
            raise ValidationFailed(
                f"The structure of {key} cannot be read: {exc}", [FieldError("structure", str(exc))]
            ) from None
        species = crystal.species_by_name
        return {
            "formula": descriptive_formula(crystal.composition()),
            "lattice": crystal.lattice,
            "pbc": list(crystal.pbc),
            "symbols": [_drawn(species[name].chemical_symbols) for name, _ in crystal.sites],
            "positions": [position for _, position in crystal.sites],
        }

    def phonons(self, slug: str, key: str) -> dict[str, Any]:
        """A row's phonon file (phonopy's band.yaml) as the dispersion its card draws."""
        attached = self.card(slug, key).get("phonons")
        if not attached or "file" not in attached:
            raise NotFound(f"Row {key!r} of {slug} has no phonon file.")
        source = self.table(slug).context["files"][attached["file"]]
        with self.archive.ctx.blobs.open(source.blob_id) as stream:
            data = stream.read(MAX_PHONON_BYTES + 1)
        return band_yaml_panel(data, attached["file"])

    def table(self, slug: str) -> Table:
        with self.db.read() as session:
            section = self._get(session, slug)
            stamp = section.stamp
            with self._lock:
                cached = self._tables.get(slug)
                if cached is not None and cached.stamp == stamp:
                    self._tables.move_to_end(slug)
                    return cached
            spec = Spec.model_validate(section.spec)
            rows = session.execute(
                select(SectionRow.key, SectionRow.values, SectionRow.provenance)
                .where(SectionRow.section_slug == slug)
                .order_by(SectionRow.position)
            ).all()
            versions = [(v, "") for v in section.version_ids]
            context = {
                "slug": slug,
                "archive_id": section.archive_id,
                "version_ids": list(section.version_ids),
                "files": self._files(session, versions),
            }
        table = Table.build(spec, stamp, rows, context)
        with self._lock:
            self._tables[slug] = table
            while len(self._tables) > OPEN_TABLES:
                self._tables.popitem(last=False)
        return table

    @staticmethod
    def _get(session: Session, slug: str) -> Section:
        section = session.get(Section, slug)
        if section is None:
            raise NotFound(f"There is no DISCOVER section {slug!r}.")
        return section

    @staticmethod
    def _summary(section: Section) -> dict[str, Any]:
        return {
            "slug": section.slug,
            "title": section.title,
            "demo": section.demo,
            "rows": section.row_count,
            "versions": list(section.version_ids),
            "archive": section.archive_id,
            "built": section.built_at.isoformat(),
            "build_seconds": section.build_seconds,
            "url": f"/discover/{section.slug}",
        }


def _drawn(symbols: tuple[str, ...]) -> str:
    """The element drawn for a site: its species' first real element ("X" for vacancies)."""
    return next((s for s in symbols if s not in (DUMMY, VACANCY)), DUMMY)


def _stamp(spec: Spec, version_ids: list[str], files: dict[str, SourceFile]) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps(spec.model_dump(mode="json"), sort_keys=True).encode())
    digest.update(json.dumps(version_ids).encode())
    digest.update(json.dumps(sorted((f.key, f.blob_id) for f in files.values())).encode())
    return digest.hexdigest()


__all__ = ["DiscoverService"]
