"""What a landing page shows of a record besides its JSON: file previews and the citation.

Service-level (no web code): the reading goes through :meth:`RecordService.resolve_id`, so a
preview obeys exactly the rules of the record itself (drafts for their owner and moderators,
``Gone`` for removed records), and only the first :data:`PREVIEW_BYTES` of a blob are ever read.
The citation is a plain-text reference and a simple BibTeX entry (the full serialisers, DataCite
and CSL, live with the record exports).
"""

from __future__ import annotations

import mimetypes
from dataclasses import asdict, dataclass
from typing import Any

from matcloud.archive.licences import LICENCES
from matcloud.archive.models import FileStatus
from matcloud.archive.records import Download
from matcloud.archive.service import ArchiveService
from matcloud.core.auth import Identity
from matcloud.core.errors import NotFound

PREVIEW_BYTES = 64 * 1024
#: Landing pages preview at most this many files (the first ones, by name).
MAX_PREVIEWS = 8
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
#: Structure formats the 3D viewer reads, by extension or by (VASP's fixed) file name.
STRUCTURE_EXTENSIONS = {"cif": "cif", "xyz": "xyz", "extxyz": "xyz", "xsf": "xsf", "vasp": "poscar"}
STRUCTURE_NAMES = ("poscar", "contcar")
TEXT_EXTENSIONS = frozenset(
    "txt md rst csv tsv dat json yaml yml toml ini cfg conf log out in py sh f90 c h tex bib "
    "xml pw win upf".split()
)
TEXT_NAMES = frozenset({"readme", "license", "licence", "makefile", "incar", "kpoints", "potcar"})


@dataclass(frozen=True)
class TextPreview:
    key: str
    kind: str  # "text" or "structure"
    format: str | None  # the structure format (cif, xyz, xsf, poscar) for the 3D viewer
    size: int
    text: str
    truncated: bool
    binary: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def structure_format(key: str) -> str | None:
    name = key.rsplit("/", 1)[-1].lower()
    if name.startswith(STRUCTURE_NAMES):
        return "poscar"
    extension = name.rsplit(".", 1)[-1] if "." in name else ""
    return STRUCTURE_EXTENSIONS.get(extension)


def preview_kind(key: str, mimetype: str | None = None) -> str | None:
    """``structure``, ``image``, ``text`` or ``None`` (nothing to preview)."""
    if structure_format(key):
        return "structure"
    guessed = (mimetype or "").split(";", 1)[0].strip().lower()
    if guessed in ("", "application/octet-stream"):
        guessed = mimetypes.guess_type(key)[0] or ""
    if guessed in IMAGE_TYPES:
        return "image"
    name = key.rsplit("/", 1)[-1].lower()
    extension = name.rsplit(".", 1)[-1] if "." in name else ""
    if guessed.startswith("text/") or extension in TEXT_EXTENSIONS or name in TEXT_NAMES:
        return "text"
    return None


def _decode(data: bytes) -> tuple[str, bool]:
    """The text of ``data`` and whether it looks binary (a NUL byte, or mostly undecodable)."""
    if b"\x00" in data:
        return "", True
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    return text, bad > max(8, len(text) // 20)


def text_previews(
    archive: ArchiveService,
    identity: Identity,
    record_id: str,
    *,
    limit: int = PREVIEW_BYTES,
    max_files: int = MAX_PREVIEWS,
) -> list[TextPreview]:
    """The first ``limit`` bytes of each text or structure file of a record the identity may
    read (at most ``max_files`` of them)."""
    with archive.ctx.db.read() as session:
        version = archive.records.resolve_id(session, identity, record_id)
        wanted = [
            (f.key, f.blob_id, f.size or 0, preview_kind(f.key, f.mimetype))
            for f in version.files
            if f.status == FileStatus.COMPLETED and f.blob_id
        ]
    previews: list[TextPreview] = []
    for key, blob_id, size, kind in wanted:
        if kind not in ("text", "structure") or blob_id is None:
            continue
        if len(previews) >= max_files:
            break
        end = min(size, limit)
        data = b""
        if end > 0:
            with archive.ctx.blobs.open(blob_id, 0, end) as reader:
                data = reader.read(end)
        text, binary = _decode(data)
        previews.append(
            TextPreview(
                key=key,
                kind=kind,
                format=structure_format(key),
                size=size,
                text=text,
                truncated=size > end,
                binary=binary,
            )
        )
    return previews


def image_file(archive: ArchiveService, identity: Identity, record_id: str, key: str) -> Download:
    """A raster image of a record, for showing inline; anything else is not found here."""
    with archive.ctx.db.read() as session:
        version = archive.records.resolve_id(session, identity, record_id)
        file = next((f for f in version.files if f.key == key), None)
        if (
            file is None
            or file.status != FileStatus.COMPLETED
            or file.blob_id is None
            or file.sha256 is None
            or preview_kind(file.key, file.mimetype) != "image"
        ):
            raise NotFound(f"{version.id} has no image {key!r}.")
        mimetype = mimetypes.guess_type(file.key)[0] or file.mimetype
        return Download(file.blob_id, file.size or 0, file.sha256, file.key, mimetype, version.id)


def record_details(archive: ArchiveService, record: dict[str, Any]) -> dict[str, Any]:
    """What a landing page shows of a record's metadata, ready for a template: creators with
    their ORCID iD, licences with their links, references as links, and the citation."""
    meta = record["metadata"]
    return {
        "creators": [_creator(c) for c in meta.get("creators", [])],
        "licences": [_licence(r["id"]) for r in meta.get("rights", [])],
        "keywords": [s["subject"] for s in meta.get("subjects", [])],
        "references": [_reference(r) for r in meta.get("related_identifiers", [])],
        "funding": meta.get("funding", []),
        "citation": _citation(archive, record),
    }


RELATIONS = {
    "issupplementto": "Supplement to",
    "isdocumentedby": "Documented by",
    "isreferencedby": "Referenced by",
    "isdescribedby": "Described by",
    "isderivedfrom": "Derived from",
    "isnewversionof": "New version of",
    "ispreviousversionof": "Previous version of",
    "ispartof": "Part of",
    "iscitedby": "Cited by",
}
IDENTIFIER_URLS = {
    "doi": "https://doi.org/{}",
    "arxiv": "https://arxiv.org/abs/{}",
    "url": "{}",
    "handle": "https://hdl.handle.net/{}",
    "pmid": "https://pubmed.ncbi.nlm.nih.gov/{}",
}


def _creator(creator: dict[str, Any]) -> dict[str, Any]:
    person = creator["person_or_org"]
    orcid = next(
        (i["identifier"] for i in person.get("identifiers", []) if i.get("scheme") == "orcid"), None
    )
    return {
        "name": person.get("name", ""),
        "orcid": orcid,
        "affiliations": [
            {"name": a.get("name") or a.get("id"), "ror": a.get("id")}
            for a in creator.get("affiliations", [])
        ],
    }


def _licence(licence_id: str) -> dict[str, str | None]:
    known = LICENCES.get(licence_id)
    return {
        "id": licence_id,
        "title": known.title if known else licence_id,
        "url": known.url if known else None,
    }


def _reference(related: dict[str, Any]) -> dict[str, Any]:
    scheme, identifier = related.get("scheme", ""), related.get("identifier", "")
    pattern = IDENTIFIER_URLS.get(scheme)
    relation = related.get("relation_type", {}).get("id", "")
    return {
        "identifier": identifier,
        "scheme": scheme,
        "relation": RELATIONS.get(relation, relation.removeprefix("is").capitalize()),
        "url": pattern.format(identifier) if pattern else None,
    }


def _citation(archive: ArchiveService, record: dict[str, Any]) -> dict[str, Any]:
    meta = record["metadata"]
    people = [c["person_or_org"] for c in meta.get("creators", [])]
    names = []
    for p in people:
        given = " ".join(f"{part[0]}." for part in (p.get("given_name") or "").split() if part)
        names.append(
            f"{p['family_name']}, {given}".rstrip(", ")
            if p.get("family_name")
            else p.get("name", "")
        )
    authors = names[0] if len(names) == 1 else ", ".join(names[:-1]) + ", & " + names[-1]
    year = (meta.get("publication_date") or "")[:4] or "n.d."
    doi = record.get("pids", {}).get("doi", {}).get("identifier")
    local = record.get("pids", {}).get("doi", {}).get("provider") == "local"
    url = (archive.ctx.url(f"/doi/{doi}") if local else f"https://doi.org/{doi}") if doi else ""
    site = meta.get("publisher") or archive.ctx.settings.site_name
    version = f"v{record['versions']['index']}"
    text = f"{authors} ({year}). {meta.get('title', '')} ({version}) [Data set]. {site}."
    key = "".join(ch for ch in (people[0].get("family_name") or "record").lower() if ch.isalnum())
    fields = {
        "author": " and ".join(p.get("name", "") for p in people),
        "title": meta.get("title", ""),
        "year": year,
        "publisher": site,
        "version": version,
        "doi": doi or "",
        "url": url or archive.ctx.url(f"/records/{record['id']}"),
    }
    body = ",\n".join(f"  {k:<9} = {{{_bibtex(v)}}}" for k, v in fields.items() if v)
    bibtex = f"@dataset{{{key}{year}_{record['id'].replace('.', '_')},\n{body}\n}}"
    return {"text": f"{text} {url}".strip(), "bibtex": bibtex, "doi_url": url}


def _bibtex(value: str) -> str:
    for char in "\\{}&%$#_":
        value = value.replace(char, "\\" + char)
    return value


__all__ = [
    "record_details",
    "IMAGE_TYPES",
    "MAX_PREVIEWS",
    "PREVIEW_BYTES",
    "TextPreview",
    "image_file",
    "preview_kind",
    "structure_format",
    "text_previews",
]
