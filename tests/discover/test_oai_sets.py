"""Each DISCOVER section is an OAI-PMH set of its source records (``discover:<slug>``, under
``discover``): listed, harvestable, in the records' headers; responses valid against the XSD."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from lxml import etree

from shared_schemas import oai_schema

NS = {"o": "http://www.openarchives.org/OAI/2.0/"}


def oai(client: TestClient, **args: str) -> etree._Element:
    response = client.get("/oai2d", params=args)
    assert response.status_code == 200
    doc = etree.fromstring(response.content)
    schema = oai_schema()
    assert schema.validate(doc), [e.message for e in schema.error_log]
    return doc


def test_a_section_is_a_set_of_its_records(client: TestClient, layers: dict[str, Any]) -> None:
    sets = oai(client, verb="ListSets").xpath("//o:setSpec/text()", namespaces=NS)
    assert {"published", "discover", "discover:layers"} <= set(sets)
    version = layers["record"]["id"]
    found = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="discover:layers")
    identifiers = found.xpath("//o:header/o:identifier/text()", namespaces=NS)
    assert [i.rsplit(":", 1)[-1] for i in identifiers] == [version]
    header = found.xpath("//o:header", namespaces=NS)[0]
    specs = header.xpath("o:setSpec/text()", namespaces=NS)
    assert {"discover", "discover:layers"} <= set(specs)
    parent = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="discover")
    assert len(parent.xpath("//o:header", namespaces=NS)) == 1
    wrong = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="discover:none")
    assert wrong.xpath("//o:error/@code", namespaces=NS) == ["badArgument"]
