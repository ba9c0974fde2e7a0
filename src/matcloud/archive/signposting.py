"""FAIR Signposting (https://signposting.org/FAIR/): typed links in HTTP ``Link`` headers that let
a machine go from a landing page to the persistent identifier, the metadata in each format, the
files, the authors and the licence — and from each file back to its landing page."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from matcloud.archive.licences import LICENCES

RESOURCE_TYPES = {
    "dataset": "https://schema.org/Dataset",
    "software": "https://schema.org/SoftwareSourceCode",
    "publication": "https://schema.org/ScholarlyArticle",
    "image": "https://schema.org/ImageObject",
    "video": "https://schema.org/VideoObject",
}


#: IANA's top-level media types; others (``chemical/x-cif``...) are left out of ``type``.
IANA_TOP_LEVEL = {
    "application",
    "audio",
    "font",
    "image",
    "message",
    "model",
    "multipart",
    "text",
    "video",
}


def _link(url: str, rel: str, media_type: str | None = None) -> str:
    value = f'<{url}> ; rel="{rel}"'
    if media_type and media_type.split("/", 1)[0] in IANA_TOP_LEVEL:
        value += f' ; type="{media_type}"'
    return value


def doi_url(doi: str) -> str:
    return f"https://doi.org/{doi}"


def landing_links(record: dict[str, Any], exports: list[tuple[str, str]]) -> str:
    """The ``Link`` header of a landing page; ``exports`` are (format name, media type)."""
    api = record["links"]["record"]
    links = []
    doi = record.get("pids", {}).get("doi", {}).get("identifier")
    if doi:
        links.append(_link(doi_url(doi), "cite-as"))
    links += [_link(f"{api}/export/{name}", "describedby", media) for name, media in exports]
    for entry in record["files"]["entries"]:
        if entry.get("status") == "completed":
            links.append(_link(entry["links"]["content"], "item", entry.get("mimetype")))
    for creator in record["metadata"].get("creators", []):
        for identifier in creator.get("person_or_org", {}).get("identifiers", []):
            if identifier.get("scheme") == "orcid":
                links.append(_link(f"https://orcid.org/{identifier['identifier']}", "author"))
    for right in record["metadata"].get("rights", []):
        licence = LICENCES.get(right.get("id", ""))
        if licence is not None:
            links.append(_link(licence.url, "license"))
    kind = record["metadata"].get("resource_type", {}).get("id", "dataset")
    links.append(_link(RESOURCE_TYPES.get(kind, "https://schema.org/CreativeWork"), "type"))
    links.append(_link("https://schema.org/AboutPage", "type"))
    return " , ".join(links)


def file_links(landing_url: str, record_api_url: str, key: str) -> str:
    """The ``Link`` header of a file: back to the landing page that describes it."""
    return " , ".join(
        [
            _link(landing_url, "collection", "text/html"),
            _link(f"{record_api_url}/files/{quote(key)}", "describedby", "application/json"),
        ]
    )


__all__ = ["doi_url", "file_links", "landing_links"]
