"""DataCite metadata as the REST API's JSON (``{"data": {"type": "dois", "attributes": ...}}``).

The attributes are also what :mod:`.datacite` writes as kernel-4.7 XML, so both exports say the
same thing.
"""

from __future__ import annotations

import json
import re
from typing import Any

from matcloud.archive.serializers import _common as c

SCHEMA_VERSION = "http://datacite.org/schema/kernel-4"
ROR_RE = re.compile(r"^0[a-hj-km-np-tv-z0-9]{6}[0-9]{2}$")

#: InvenioRDM relation ids to DataCite's relationType.
RELATION_TYPES = {
    "issupplementto": "IsSupplementTo",
    "isdocumentedby": "IsDocumentedBy",
    "isreferencedby": "IsReferencedBy",
    "references": "References",
    "cites": "Cites",
    "iscitedby": "IsCitedBy",
    "isderivedfrom": "IsDerivedFrom",
    "issourceof": "IsSourceOf",
    "isdescribedby": "IsDescribedBy",
    "describes": "Describes",
    "isnewversionof": "IsNewVersionOf",
    "ispreviousversionof": "IsPreviousVersionOf",
    "ispartof": "IsPartOf",
    "haspart": "HasPart",
    "iscompiledby": "IsCompiledBy",
    "compiles": "Compiles",
    "isidenticalto": "IsIdenticalTo",
    "requires": "Requires",
    "isrequiredby": "IsRequiredBy",
    "isversionof": "IsVersionOf",
    "hasversion": "HasVersion",
}
#: InvenioRDM identifier schemes to DataCite's relatedIdentifierType.
IDENTIFIER_TYPES = {
    "doi": "DOI",
    "arxiv": "arXiv",
    "url": "URL",
    "isbn": "ISBN",
    "handle": "Handle",
    "urn": "URN",
    "ads": "bibcode",
    "pmid": "PMID",
}


def _creator(creator: dict[str, Any]) -> dict[str, Any]:
    person = creator["person_or_org"]
    out: dict[str, Any] = {
        "name": c.display_name(creator),
        "nameType": "Personal" if c.is_person(creator) else "Organizational",
    }
    if c.is_person(creator):
        if person.get("given_name"):
            out["givenName"] = person["given_name"]
        out["familyName"] = person.get("family_name") or ""
    identifiers = []
    orcid = c.identifier(creator, "orcid")
    if orcid:
        identifiers.append(
            {
                "nameIdentifier": c.ORCID_URL + orcid,
                "nameIdentifierScheme": "ORCID",
                "schemeUri": c.ORCID_URL,
            }
        )
    ror = c.identifier(creator, "ror")
    if ror:
        identifiers.append(
            {
                "nameIdentifier": c.ROR_URL + ror,
                "nameIdentifierScheme": "ROR",
                "schemeUri": c.ROR_URL,
            }
        )
    out["nameIdentifiers"] = identifiers
    affiliations = []
    for affiliation in creator.get("affiliations") or []:
        item: dict[str, Any] = {"name": affiliation.get("name") or affiliation.get("id")}
        if affiliation.get("id"):
            item.update(
                affiliationIdentifier=c.ROR_URL + affiliation["id"],
                affiliationIdentifierScheme="ROR",
                schemeUri=c.ROR_URL,
            )
        affiliations.append(item)
    out["affiliation"] = affiliations
    return out


def _related(record: c.Record) -> list[dict[str, Any]]:
    items = []
    for item in c.related(record):
        relation = item.get("relation_type", {}).get("id", "")
        entry = {
            "relatedIdentifier": item["identifier"],
            "relatedIdentifierType": IDENTIFIER_TYPES.get(item.get("scheme", ""), "URL"),
            "relationType": RELATION_TYPES.get(relation, "References"),
        }
        if entry["relatedIdentifierType"] == "URL" and item.get("scheme") != "url":
            entry["relatedIdentifier"] = c.related_url(item)
        items.append(entry)
    concept = c.concept_doi(record)
    if concept and concept != c.doi(record):
        items.append(
            {
                "relatedIdentifier": concept,
                "relatedIdentifierType": "DOI",
                "relationType": "IsVersionOf",
            }
        )
    return items


def _funder_identifier(funder: dict[str, Any]) -> tuple[str, str] | None:
    value = funder.get("id")
    if not value:
        return None
    if ROR_RE.fullmatch(value):
        return c.ROR_URL + value, "ROR"
    if value.startswith("10.13039/"):
        return c.doi_url(value), "Crossref Funder ID"
    return value, "Other"


def _funding(record: c.Record) -> list[dict[str, Any]]:
    references = []
    for item in c.funding(record):
        funder = item.get("funder") or {}
        name = funder.get("name") or funder.get("id")
        if not name:
            continue
        reference: dict[str, Any] = {"funderName": name}
        found = _funder_identifier(funder)
        if found:
            reference["funderIdentifier"], reference["funderIdentifierType"] = found
        award = item.get("award") or {}
        if award.get("number"):
            reference["awardNumber"] = award["number"]
        if c.award_title(award):
            reference["awardTitle"] = c.award_title(award)
        references.append(reference)
    return references


def attributes(record: c.Record) -> dict[str, Any]:
    """The DataCite attributes of a published version (DOI, creators, ..., funding)."""
    meta = c.metadata(record)
    rtype = c.resource_type(record)
    doi = c.doi(record)
    dates = []
    if c.publication_date(record):
        dates.append({"date": c.publication_date(record), "dateType": "Issued"})
    if c.available_date(record):
        dates.append({"date": c.available_date(record), "dateType": "Available"})
    out: dict[str, Any] = {
        "doi": doi,
        "prefix": doi.split("/", 1)[0] if doi else None,
        "suffix": doi.split("/", 1)[1] if doi else None,
        "identifiers": [{"identifier": c.doi_url(doi), "identifierType": "DOI"}] if doi else [],
        "creators": [_creator(creator) for creator in c.creators(record)],
        "titles": [{"title": c.title(record)}],
        "publisher": c.publisher(record),
        "publicationYear": int(c.year(record) or 0) or None,
        "types": {
            "resourceTypeGeneral": c.DATACITE_TYPES.get(rtype, "Other"),
            "resourceType": c.TYPE_LABELS.get(rtype, "Other"),
        },
        "subjects": [{"subject": subject} for subject in c.subjects(record)],
        "dates": dates,
        "relatedIdentifiers": _related(record),
        "sizes": [f"{f['size']} bytes" for f in c.files(record) if f.get("size") is not None],
        "formats": list(dict.fromkeys(f["mimetype"] for f in c.files(record) if f.get("mimetype"))),
        "version": c.version(record),
        "rightsList": [
            {
                "rights": licence.title,
                "rightsUri": licence.url,
                "rightsIdentifier": licence.id,
                "rightsIdentifierScheme": "SPDX",
                "schemeUri": "https://spdx.org/licenses/",
            }
            for licence in c.licences(record)
        ],
        "descriptions": [{"description": c.description(record), "descriptionType": "Abstract"}]
        if meta.get("description")
        else [],
        "fundingReferences": _funding(record),
        "url": c.landing_url(record),
        "schemaVersion": SCHEMA_VERSION,
    }
    return {key: value for key, value in out.items() if value not in (None, [])}


def serialize(record: c.Record) -> str:
    doi = c.doi(record)
    payload = {"data": {"id": doi, "type": "dois", "attributes": attributes(record)}}
    if doi is None:
        del payload["data"]["id"]
    return json.dumps(payload, ensure_ascii=False, indent=2)


__all__ = ["IDENTIFIER_TYPES", "RELATION_TYPES", "attributes", "serialize"]
