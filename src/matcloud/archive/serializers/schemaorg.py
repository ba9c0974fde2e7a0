"""schema.org JSON-LD (a ``Dataset``, or ``SoftwareSourceCode``...) for pages and harvesters."""

from __future__ import annotations

import json
from typing import Any

from matcloud.archive.serializers import _common as c

SCHEMA_TYPES = {
    "dataset": "Dataset",
    "software": "SoftwareSourceCode",
    "publication": "CreativeWork",
    "image": "ImageObject",
    "video": "VideoObject",
    "workflow": "SoftwareSourceCode",
    "other": "CreativeWork",
}
#: Relations that say which paper the data belongs to, and how schema.org says it.
PAPER_PROPERTIES = {
    "issupplementto": "isPartOf",
    "ispartof": "isPartOf",
    "isderivedfrom": "isBasedOn",
    "isdocumentedby": "citation",
    "isreferencedby": "citation",
    "isdescribedby": "citation",
    "cites": "citation",
    "references": "citation",
}


def _creator(creator: dict[str, Any]) -> dict[str, Any]:
    person = creator["person_or_org"]
    out: dict[str, Any]
    if c.is_person(creator):
        out = {
            "@type": "Person",
            "name": " ".join(filter(None, [person.get("given_name"), person.get("family_name")])),
            "familyName": person.get("family_name"),
        }
        if person.get("given_name"):
            out["givenName"] = person["given_name"]
        orcid = c.identifier(creator, "orcid")
        if orcid:
            out["@id"] = c.ORCID_URL + orcid
    else:
        out = {"@type": "Organization", "name": person.get("name")}
        ror = c.identifier(creator, "ror")
        if ror:
            out["@id"] = c.ROR_URL + ror
    affiliations = []
    for affiliation in creator.get("affiliations") or []:
        item: dict[str, Any] = {"@type": "Organization", "name": affiliation.get("name")}
        if affiliation.get("id"):
            item["@id"] = c.ROR_URL + affiliation["id"]
        affiliations.append({k: v for k, v in item.items() if v})
    if affiliations:
        out["affiliation"] = affiliations
    return out


def _work(item: dict[str, Any]) -> dict[str, Any]:
    url = c.related_url(item)
    work: dict[str, Any] = {"@type": "ScholarlyArticle", "@id": url, "url": url}
    if item.get("scheme") == "doi":
        work["identifier"] = url
    return work


def _distribution(record: c.Record) -> list[dict[str, Any]]:
    out = []
    for entry in c.files(record):
        item: dict[str, Any] = {
            "@type": "DataDownload",
            "name": entry["key"],
            "contentUrl": (entry.get("links") or {}).get("content"),
            "encodingFormat": entry.get("mimetype"),
            "contentSize": f"{entry['size']} B" if entry.get("size") is not None else None,
            "sha256": entry.get("sha256"),
        }
        out.append({k: v for k, v in item.items() if v is not None})
    return out


def _catalog(site: str, landing: str | None) -> dict[str, Any]:
    catalog = {"@type": "DataCatalog", "name": site}
    if landing and "/records/" in landing:
        catalog["url"] = landing.split("/records/")[0] + "/"
    return catalog


def document(record: c.Record) -> dict[str, Any]:
    """The JSON-LD object (put it in a ``<script type="application/ld+json">`` as it is)."""
    doi = c.doi(record)
    site = c.publisher(record)
    landing = c.landing_url(record)
    out: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": SCHEMA_TYPES.get(c.resource_type(record), "CreativeWork"),
        "@id": c.doi_url(doi) if doi else landing,
        "identifier": c.doi_url(doi) if doi else None,
        "url": landing,
        "name": c.title(record),
        "description": c.description(record) or None,
        "creator": [_creator(creator) for creator in c.creators(record)],
        "datePublished": c.publication_date(record),
        "license": [licence.url for licence in c.licences(record)] or None,
        "keywords": c.subjects(record) or None,
        "version": c.version(record),
        "publisher": {"@type": "Organization", "name": site},
        "includedInDataCatalog": _catalog(site, landing),
        "distribution": _distribution(record) or None,
    }
    if out["license"] and len(out["license"]) == 1:
        out["license"] = out["license"][0]
    concept = c.concept_doi(record)
    if concept and concept != doi:
        out["isPartOf"] = [{"@type": "CreativeWork", "@id": c.doi_url(concept)}]
    for item in c.related(record):
        prop = PAPER_PROPERTIES.get(item.get("relation_type", {}).get("id", ""))
        if prop:
            out.setdefault(prop, []).append(_work(item))
    return {k: v for k, v in out.items() if v is not None}


def serialize(record: c.Record) -> str:
    return json.dumps(document(record), ensure_ascii=False, indent=2)


__all__ = ["document", "serialize"]
