"""The landing page and the API speak to machines: meta tags, JSON-LD, signposting, content
negotiation and exports, read back with third-party tools (extruct, pyld, signposting)."""

from __future__ import annotations

import json
from typing import Any

import extruct
import pytest
import signposting
from fastapi import FastAPI
from fastapi.testclient import TestClient
from lxml import etree
from pyld import jsonld

from archive_helpers import bearer, draft_with_file, publish_via_review, upload
from matcloud.core.models import Role
from shared_schemas import SCHEMAS


@pytest.fixture
def published(app: FastAPI, client: TestClient) -> dict[str, Any]:
    ada = bearer(app, "ada@example.org")
    mod = bearer(app, "mod@example.org", Role.MODERATOR)
    record_id = draft_with_file(client, ada)
    upload(client, ada, record_id, "Si.cif", b"data_Si\n_cell_length_a 5.43\n")
    return publish_via_review(client, ada, mod, record_id)


def test_landing_page_metadata_is_found_by_extruct(
    client: TestClient, published: dict[str, Any]
) -> None:
    html = client.get(f"/records/{published['id']}").text
    data = extruct.extract(html, base_url="http://testserver/", syntaxes=["dublincore", "json-ld"])
    dc = {e["name"].lower(): e["content"] for e in data["dublincore"][0]["elements"]}
    assert dc["dc.title"] == "Phonons of silicon from DFPT"
    assert "Lovelace, Ada" in dc["dc.creator"]
    [document] = data["json-ld"]
    assert document["@type"] == "Dataset"
    assert document["identifier"] == f"https://doi.org/{published['pids']['doi']['identifier']}"
    assert {d["name"] for d in document["distribution"]} >= {"data.csv", "Si.cif"}
    tree = etree.HTML(html)
    highwire = {
        m.get("name"): m.get("content")
        for m in tree.xpath("//meta[starts-with(@name, 'citation_')]")
    }
    assert highwire["citation_title"] == "Phonons of silicon from DFPT"
    assert highwire["citation_doi"] == published["pids"]["doi"]["identifier"]


def test_json_ld_expands_with_pyld(client: TestClient, published: dict[str, Any]) -> None:
    document = client.get(
        f"/records/{published['id']}", headers={"Accept": "application/ld+json"}
    ).json()

    def offline_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        """schema.org's context, as it resolves (a vocabulary): no network here."""
        assert url.rstrip("/") in ("https://schema.org", "http://schema.org"), url
        return {
            "contextUrl": None,
            "documentUrl": url,
            "document": {"@context": {"@vocab": "https://schema.org/", "id": "@id"}},
        }

    expanded = jsonld.expand(document, {"documentLoader": offline_loader})
    assert expanded and "https://schema.org/Dataset" in expanded[0]["@type"]
    assert expanded[0]["https://schema.org/name"][0]["@value"] == "Phonons of silicon from DFPT"


def test_signposting_links_on_landing_page_and_files(
    client: TestClient, published: dict[str, Any]
) -> None:
    response = client.get(f"/records/{published['id']}")
    found = signposting.find_signposting_http_link([response.headers["link"]], "http://testserver/")
    doi = published["pids"]["doi"]["identifier"]
    assert str(found.citeAs.target) == f"https://doi.org/{doi}"
    described = {d.type: str(d.target) for d in found.describedBy}
    assert described["application/vnd.datacite.datacite+xml"].endswith("/export/datacite-xml")
    assert "application/ld+json" in described
    items = {str(i.target) for i in found.items}
    assert any(url.endswith("/files/Si.cif/content") for url in items)
    assert found.license and found.types
    download = client.get(f"/api/records/{published['id']}/files/Si.cif/content")
    back = signposting.find_signposting_http_link([download.headers["link"]], "http://testserver/")
    assert str(back.collection.target).endswith(f"/records/{published['id']}")
    for url in described.values():  # every describedby link answers
        assert client.get(url.removeprefix("http://testserver")).status_code == 200


@pytest.mark.parametrize(
    ("accept", "starts"),
    [
        ("application/vnd.datacite.datacite+xml", "<?xml"),
        ("application/ld+json", "{"),
        ("application/x-bibtex", "@misc{"),
        ("application/vnd.citationstyles.csl+json", "{"),
        ("text/x-bibliography", "Lovelace, A."),
        ("application/x-dc+xml", "<"),
    ],
)
def test_content_negotiation_on_api_and_landing_page(
    client: TestClient, published: dict[str, Any], accept: str, starts: str
) -> None:
    for path in [f"/api/records/{published['id']}", f"/records/{published['id']}"]:
        response = client.get(path, headers={"Accept": accept})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(accept)
        assert response.text.lstrip().startswith(starts)
    assert client.get(f"/api/records/{published['id']}").json()["id"] == published["id"]
    assert (
        "<html" in client.get(f"/records/{published['id']}", headers={"Accept": "text/html"}).text
    )


def test_exports_and_datacite_xml_is_valid(client: TestClient, published: dict[str, Any]) -> None:
    base = f"/api/records/{published['id']}/export"
    for name in [
        "datacite-xml",
        "datacite-json",
        "dublincore",
        "json-ld",
        "bibtex",
        "csl",
        "citation",
    ]:
        response = client.get(f"{base}/{name}")
        assert response.status_code == 200, name
        assert published["id"] in response.headers["content-disposition"]
    assert client.get(f"{base}/marc21").status_code == 404
    json.loads(client.get(f"{base}/csl").text)
    xsd = SCHEMAS / "datacite" / "kernel-4.7" / "metadata.xsd"
    if not xsd.exists():
        pytest.skip("../shared/schemas is not here")
    parser = etree.XMLParser(no_network=True)
    schema = etree.XMLSchema(etree.parse(str(xsd), parser))
    document = etree.fromstring(client.get(f"{base}/datacite-xml").content)
    assert schema.validate(document), schema.error_log


def test_drafts_have_no_exports(app: FastAPI, client: TestClient) -> None:
    ada = bearer(app, "ada@example.org")
    record_id = draft_with_file(client, ada)
    assert client.get(f"/api/records/{record_id}/export/bibtex", headers=ada).status_code == 404
    page = client.get(f"/records/{record_id}", headers=ada)
    assert "application/ld+json" not in page.text and "link" not in page.headers
