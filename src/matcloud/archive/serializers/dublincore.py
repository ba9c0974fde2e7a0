"""Simple Dublin Core: the OAI-PMH ``oai_dc:dc`` record, and ``DC.*`` meta tags for pages."""

from __future__ import annotations

from lxml import etree

from matcloud.archive.serializers import _common as c

OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{OAI_DC} http://www.openarchives.org/OAI/2.0/oai_dc.xsd"

#: Resource types to the DCMI Type Vocabulary.
DCMI_TYPES = {
    "dataset": "Dataset",
    "software": "Software",
    "publication": "Text",
    "image": "Image",
    "video": "MovingImage",
    "workflow": "Software",
}


def elements(record: c.Record) -> list[tuple[str, str]]:
    """(element, value) pairs in the order written, e.g. ``("creator", "Lovelace, Ada")``."""
    pairs: list[tuple[str, str]] = [("title", c.title(record))]
    pairs += [("creator", c.display_name(creator)) for creator in c.creators(record)]
    pairs += [("subject", subject) for subject in c.subjects(record)]
    description = c.description(record)
    if description:
        pairs.append(("description", description))
    pairs.append(("publisher", c.publisher(record)))
    if c.publication_date(record):
        pairs.append(("date", c.publication_date(record) or ""))
    dcmi = DCMI_TYPES.get(c.resource_type(record))
    if dcmi:
        pairs.append(("type", dcmi))
    doi = c.doi(record)
    if doi:
        pairs.append(("identifier", c.doi_url(doi)))
    landing = c.landing_url(record)
    if landing:
        pairs.append(("identifier", landing))
    pairs += [("relation", c.related_url(item)) for item in c.related(record)]
    concept = c.concept_doi(record)
    if concept and concept != doi:
        pairs.append(("relation", c.doi_url(concept)))
    for licence in c.licences(record):
        pairs += [("rights", licence.url), ("rights", licence.title)]
    formats = dict.fromkeys(f["mimetype"] for f in c.files(record) if f.get("mimetype"))
    pairs += [("format", mimetype) for mimetype in formats]
    return [(name, value) for name, value in pairs if value]


def meta_tags(record: c.Record) -> list[tuple[str, str]]:
    """``(name, content)`` for ``<meta name="DC.title" content="...">`` tags."""
    return [(f"DC.{name}", value) for name, value in elements(record)]


def to_element(record: c.Record) -> etree._Element:
    """The ``oai_dc:dc`` element (valid against oai_dc.xsd), for OAI-PMH ``metadata``."""
    root = etree.Element(f"{{{OAI_DC}}}dc", nsmap={"oai_dc": OAI_DC, "dc": DC, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
    for name, value in elements(record):
        etree.SubElement(root, f"{{{DC}}}{name}").text = value
    return root


def serialize(record: c.Record) -> str:
    xml: bytes = etree.tostring(
        to_element(record), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
    return xml.decode("utf-8")


__all__ = ["DC", "OAI_DC", "elements", "meta_tags", "serialize", "to_element"]
