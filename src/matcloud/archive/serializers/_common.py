"""What every export format reads out of a published record's JSON (``version_json``)."""

from __future__ import annotations

import functools
from typing import Any

from markdown_it import MarkdownIt

from matcloud.archive.licences import LICENCES, Licence

Record = dict[str, Any]

DOI_RESOLVER = "https://doi.org/"
ORCID_URL = "https://orcid.org/"
ROR_URL = "https://ror.org/"

#: InvenioRDM resource type ids to DataCite's resourceTypeGeneral.
DATACITE_TYPES = {
    "dataset": "Dataset",
    "software": "Software",
    "publication": "Text",
    "image": "Image",
    "video": "Audiovisual",
    "workflow": "Workflow",
    "other": "Other",
}
#: Human labels of the resource types (DataCite's free-text resourceType, citations).
TYPE_LABELS = {
    "dataset": "Dataset",
    "software": "Software",
    "publication": "Publication",
    "image": "Image",
    "video": "Video",
    "workflow": "Workflow",
    "other": "Other",
}


def metadata(record: Record) -> dict[str, Any]:
    meta: dict[str, Any] = record.get("metadata") or {}
    return meta


def doi(record: Record) -> str | None:
    value: str | None = (record.get("pids") or {}).get("doi", {}).get("identifier")
    return value


def concept_doi(record: Record) -> str | None:
    parent = record.get("parent") or {}
    value: str | None = (parent.get("pids") or {}).get("doi", {}).get("identifier")
    return value


def doi_url(value: str) -> str:
    return DOI_RESOLVER + value


def landing_url(record: Record) -> str | None:
    value: str | None = (record.get("links") or {}).get("self_html")
    return value


def resource_type(record: Record) -> str:
    value: str = (metadata(record).get("resource_type") or {}).get("id") or "dataset"
    return value


def title(record: Record) -> str:
    value: str = metadata(record).get("title") or ""
    return value


def publisher(record: Record) -> str:
    value: str = metadata(record).get("publisher") or "matcloud"
    return value


def publication_date(record: Record) -> str | None:
    """The date the depositor gave (YYYY[-MM[-DD]]), else the day the version was published."""
    given: str | None = metadata(record).get("publication_date")
    return given or available_date(record)


def available_date(record: Record) -> str | None:
    published: str | None = record.get("publication_date")
    return published[:10] if published else None


def year(record: Record) -> str | None:
    date = publication_date(record)
    return date[:4] if date else None


def date_parts(record: Record) -> list[int]:
    date = publication_date(record)
    return [int(p) for p in date.split("-")] if date else []


def version(record: Record) -> str | None:
    """The version index (1, 2, ...), which each DOI names."""
    index = (record.get("versions") or {}).get("index")
    return str(index) if index is not None else None


def creators(record: Record) -> list[dict[str, Any]]:
    value: list[dict[str, Any]] = metadata(record).get("creators") or []
    return value


def is_person(creator: dict[str, Any]) -> bool:
    return bool(creator["person_or_org"].get("type") == "personal")


def display_name(creator: dict[str, Any]) -> str:
    """ "Family, Given" for a person, the name of an organisation."""
    person = creator["person_or_org"]
    if is_person(creator):
        family: str = person.get("family_name") or ""
        given = person.get("given_name")
        return f"{family}, {given}" if given else family
    name: str = person.get("name") or ""
    return name


def identifier(creator: dict[str, Any], scheme: str) -> str | None:
    for item in creator["person_or_org"].get("identifiers") or []:
        if item.get("scheme") == scheme:
            value: str = item["identifier"]
            return value
    return None


def subjects(record: Record) -> list[str]:
    return [s["subject"] for s in metadata(record).get("subjects") or [] if s.get("subject")]


def licences(record: Record) -> list[Licence]:
    found = []
    for right in metadata(record).get("rights") or []:
        licence = LICENCES.get(str(right.get("id", "")).lower())
        if licence is not None:
            found.append(licence)
    return found


def related(record: Record) -> list[dict[str, Any]]:
    value: list[dict[str, Any]] = metadata(record).get("related_identifiers") or []
    return value


def related_url(item: dict[str, Any]) -> str:
    """A resolvable URL of a related identifier where its scheme has one, else ``scheme:id``."""
    value: str = item["identifier"]
    scheme = item.get("scheme")
    if scheme == "doi":
        return doi_url(value)
    if scheme == "arxiv":
        return "https://arxiv.org/abs/" + value.removeprefix("arXiv:")
    if scheme == "url":
        return value
    if scheme == "handle":
        return "https://hdl.handle.net/" + value
    if scheme == "pmid":
        return f"https://pubmed.ncbi.nlm.nih.gov/{value}/"
    if scheme == "ads":
        return "https://ui.adsabs.harvard.edu/abs/" + value
    if scheme == "urn" and value.lower().startswith("urn:"):
        return value
    return f"{scheme}:{value}"


def files(record: Record) -> list[dict[str, Any]]:
    value: list[dict[str, Any]] = (record.get("files") or {}).get("entries") or []
    return value


def funding(record: Record) -> list[dict[str, Any]]:
    value: list[dict[str, Any]] = metadata(record).get("funding") or []
    return value


def award_title(award: dict[str, Any]) -> str | None:
    titles = award.get("title") or {}
    value: str | None = titles.get("en") or next(iter(titles.values()), None)
    return value


@functools.cache
def _markdown() -> MarkdownIt:
    """One parser for the process: building its rule chains costs more than parsing."""
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def plain_text(markdown: str) -> str:
    """The text of a Markdown description, without markup (paragraphs kept apart)."""
    blocks: list[str] = []
    for token in _markdown().parse(markdown):
        if token.type in ("fence", "code_block"):
            blocks.append(token.content.rstrip("\n"))
        elif token.type == "inline":
            parts = []
            for child in token.children or []:
                if child.type in ("text", "code_inline"):
                    parts.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    parts.append("\n" if child.type == "hardbreak" else " ")
                elif child.type == "image":
                    parts.append(child.content)
            text = "".join(parts).strip()
            if text:
                blocks.append(text)
    return "\n\n".join(blocks)


def description(record: Record) -> str:
    return plain_text(metadata(record).get("description") or "")
