"""DataCite Metadata Schema 4.7 XML (``resource``), from the same attributes as the JSON."""

from __future__ import annotations

from typing import Any

from lxml import etree

from matcloud.archive.serializers import _common as c
from matcloud.archive.serializers.datacite_json import attributes

NS = "http://datacite.org/schema/kernel-4"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{NS} https://schema.datacite.org/meta/kernel-4.7/metadata.xsd"


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> Any:
    element = etree.SubElement(parent, f"{{{NS}}}{tag}", {k: v for k, v in attrs.items() if v})
    if text is not None:
        element.text = text
    return element


def _creators(parent: etree._Element, creators: list[dict[str, Any]]) -> None:
    group = _sub(parent, "creators")
    for creator in creators:
        node = _sub(group, "creator")
        _sub(node, "creatorName", creator["name"], nameType=creator["nameType"])
        if creator.get("givenName"):
            _sub(node, "givenName", creator["givenName"])
        if creator.get("familyName"):
            _sub(node, "familyName", creator["familyName"])
        for ident in creator.get("nameIdentifiers", []):
            _sub(
                node,
                "nameIdentifier",
                ident["nameIdentifier"],
                nameIdentifierScheme=ident["nameIdentifierScheme"],
                schemeURI=ident["schemeUri"],
            )
        for affiliation in creator.get("affiliation", []):
            _sub(
                node,
                "affiliation",
                affiliation["name"],
                affiliationIdentifier=affiliation.get("affiliationIdentifier", ""),
                affiliationIdentifierScheme=affiliation.get("affiliationIdentifierScheme", ""),
                schemeURI=affiliation.get("schemeUri", ""),
            )


def _funding(parent: etree._Element, references: list[dict[str, Any]]) -> None:
    group = _sub(parent, "fundingReferences")
    for reference in references:
        node = _sub(group, "fundingReference")
        _sub(node, "funderName", reference["funderName"])
        if reference.get("funderIdentifier"):
            _sub(
                node,
                "funderIdentifier",
                reference["funderIdentifier"],
                funderIdentifierType=reference["funderIdentifierType"],
            )
        if reference.get("awardNumber"):
            _sub(node, "awardNumber", reference["awardNumber"])
        if reference.get("awardTitle"):
            _sub(node, "awardTitle", reference["awardTitle"])


def to_element(record: c.Record) -> etree._Element:
    """The ``resource`` element (for embedding, e.g. in an OAI-PMH ``oai_datacite`` payload)."""
    a = attributes(record)
    root = etree.Element(f"{{{NS}}}resource", nsmap={None: NS, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
    _sub(root, "identifier", a.get("doi", ""), identifierType="DOI")
    _creators(root, a.get("creators", []))
    titles = _sub(root, "titles")
    for item in a["titles"]:
        _sub(titles, "title", item["title"])
    _sub(root, "publisher", a["publisher"])
    _sub(root, "publicationYear", str(a.get("publicationYear", "")))
    types = a["types"]
    _sub(
        root,
        "resourceType",
        types["resourceType"],
        resourceTypeGeneral=types["resourceTypeGeneral"],
    )
    if a.get("subjects"):
        group = _sub(root, "subjects")
        for item in a["subjects"]:
            _sub(group, "subject", item["subject"])
    if a.get("dates"):
        group = _sub(root, "dates")
        for item in a["dates"]:
            _sub(group, "date", item["date"], dateType=item["dateType"])
    if a.get("relatedIdentifiers"):
        group = _sub(root, "relatedIdentifiers")
        for item in a["relatedIdentifiers"]:
            _sub(
                group,
                "relatedIdentifier",
                item["relatedIdentifier"],
                relatedIdentifierType=item["relatedIdentifierType"],
                relationType=item["relationType"],
            )
    for plural, singular in (("sizes", "size"), ("formats", "format")):
        if a.get(plural):
            group = _sub(root, plural)
            for value in a[plural]:
                _sub(group, singular, value)
    if a.get("version"):
        _sub(root, "version", a["version"])
    if a.get("rightsList"):
        group = _sub(root, "rightsList")
        for item in a["rightsList"]:
            _sub(
                group,
                "rights",
                item["rights"],
                rightsURI=item["rightsUri"],
                rightsIdentifier=item["rightsIdentifier"],
                rightsIdentifierScheme=item["rightsIdentifierScheme"],
                schemeURI=item["schemeUri"],
            )
    if a.get("descriptions"):
        group = _sub(root, "descriptions")
        for item in a["descriptions"]:
            _sub(group, "description", item["description"], descriptionType="Abstract")
    if a.get("fundingReferences"):
        _funding(root, a["fundingReferences"])
    return root


def serialize(record: c.Record) -> str:
    xml: bytes = etree.tostring(
        to_element(record), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
    return xml.decode("utf-8")


__all__ = ["NS", "serialize", "to_element"]
