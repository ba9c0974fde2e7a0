"""Structures handed to a tool from elsewhere on the platform: a record's file (ARCHIVE), an
OPTIMADE entry, a StructureData node of an AiiDA archive (EXPLORE).

Each becomes the :class:`ToolInput` a person could have uploaded: the file's own bytes and
name, or the structure as OPTIMADE JSON (which keeps partial occupancy). Reading obeys each
section's rules: a record file through the record's visibility (drafts only for their owner
and the moderators), an OPTIMADE entry only while public, a node only from a browsable
archive.
"""

from __future__ import annotations

import json

from sqlalchemy import select

from matcloud.archive.models import FileStatus
from matcloud.archive.service import ArchiveService
from matcloud.core.auth import Identity
from matcloud.core.errors import NotFound
from matcloud.explore.service import ExploreService
from matcloud.optimade.models import StructureEntry
from matcloud.structures import StructureError, optimade_properties
from matcloud.work.inputs import MAX_INPUT_BYTES, ToolInput
from matcloud.work.tools.base import ToolError

OPTIMADE_FIELDS = (
    "lattice_vectors",
    "dimension_types",
    "cartesian_site_positions",
    "species",
    "species_at_sites",
    "chemical_formula_descriptive",
)


class Sources:
    def __init__(self, archive: ArchiveService, explore: ExploreService) -> None:
        self.archive = archive
        self.explore = explore

    def record_file(
        self, identity: Identity, record_id: str, key: str, limit: int = MAX_INPUT_BYTES
    ) -> ToolInput:
        ctx = self.archive.ctx
        with ctx.db.read() as session:
            version = self.archive.records.resolve_id(session, identity, record_id)
            found = next(
                (
                    f
                    for f in version.files
                    if f.key == key and f.status == FileStatus.COMPLETED and f.blob_id
                ),
                None,
            )
            if found is None or found.blob_id is None:
                raise NotFound(f"{version.id} has no file {key!r}.")
            blob_id, size = found.blob_id, found.size or 0
        if size > limit:
            raise ToolError(f"{key} is {size:,} bytes; this tool accepts up to {limit:,}.", 413)
        with ctx.blobs.open(blob_id) as stream:
            data = stream.read(limit + 1)
        return ToolInput(data, key.rsplit("/", 1)[-1])

    def optimade_entry(self, entry_id: str) -> ToolInput:
        columns = [getattr(StructureEntry, name) for name in OPTIMADE_FIELDS]
        with self.archive.ctx.db.read() as session:
            row = session.execute(
                select(*columns).where(StructureEntry.id == entry_id, StructureEntry.is_public)
            ).first()
        if row is None:
            raise NotFound(f"There is no public OPTIMADE structure {entry_id!r}.")
        document = dict(zip(OPTIMADE_FIELDS, row, strict=True))
        return ToolInput(json.dumps(document).encode(), f"{entry_id}.json", "optimade")

    def aiida_node(self, archive_id: str, uuid: str) -> ToolInput:
        try:
            structure = self.explore.structure_node(archive_id, uuid)
        except StructureError as exc:
            raise ToolError(f"This StructureData node cannot be read: {exc}", 422) from None
        document = optimade_properties(structure)
        return ToolInput(json.dumps(document).encode(), f"{uuid}.json", "optimade")


__all__ = ["Sources"]
