"""The metadata formats OAI-PMH disseminates, built from the serializers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree

from matcloud.archive.serializers import datacite, dublincore

OAI_DATACITE = "http://schema.datacite.org/oai/oai-1.1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
Format = tuple[str, str, Callable[[dict[str, Any]], etree._Element]]


def oai_datacite(record: dict[str, Any]) -> etree._Element:
    """DataCite's OAI wrapper around the full DataCite 4.7 record."""
    root = etree.Element(f"{{{OAI_DATACITE}}}oai_datacite", nsmap={None: OAI_DATACITE, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{OAI_DATACITE} {OAI_DATACITE}oai.xsd")
    etree.SubElement(root, f"{{{OAI_DATACITE}}}schemaVersion").text = "4.7"
    etree.SubElement(root, f"{{{OAI_DATACITE}}}datacentreSymbol").text = (
        record.get("metadata", {}).get("publisher") or "matcloud"
    )
    etree.SubElement(root, f"{{{OAI_DATACITE}}}payload").append(datacite.to_element(record))
    return root


FORMATS: dict[str, Format] = {
    "oai_dc": (
        "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
        "http://www.openarchives.org/OAI/2.0/oai_dc/",
        dublincore.to_element,
    ),
    "oai_datacite": (f"{OAI_DATACITE}oai.xsd", OAI_DATACITE, oai_datacite),
}

__all__ = ["FORMATS"]
