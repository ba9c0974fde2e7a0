"""Export formats of published records: DataCite XML/JSON, Dublin Core, JSON-LD, citations."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from lxml import etree

from archive_helpers import bearer, draft_with_file, publish_via_review
from matcloud.archive.serializers import SERIALIZERS, bibtex, dublincore, negotiate, schemaorg
from matcloud.archive.serializers.datacite_json import attributes
from matcloud.core.models import Role

TITLE = "Énergies of Ni₃Al & 50% $x_1$ {phonons} #2 ~ ^ \\ test"
ROR_ORG = "05a28rw58"
METADATA: dict[str, Any] = {
    "title": TITLE,
    "creators": [
        {
            "person_or_org": {
                "type": "personal",
                "given_name": "Ada",
                "family_name": "Lovelace",
                "identifiers": [{"scheme": "orcid", "identifier": "0000-0002-1825-0097"}],
            },
            "affiliations": [{"id": "02s376052", "name": "EPFL"}],
        },
        {
            "person_or_org": {
                "type": "organizational",
                "name": "Matériaux Consortium",
                "identifiers": [{"scheme": "ror", "identifier": ROR_ORG}],
            }
        },
        {"person_or_org": {"type": "personal", "given_name": "Jean-Paul", "family_name": "Çelik"}},
    ],
    "description": "Phonons of **Ni₃Al** computed with *DFPT*.\n\nSee [the code](https://x.org).",
    "rights": [{"id": "cc-by-4.0"}, {"id": "mit"}],
    "related_identifiers": [
        {
            "identifier": "10.1038/s41597-020-00637-5",
            "scheme": "doi",
            "relation_type": {"id": "issupplementto"},
        },
        {"identifier": "2003.12510", "scheme": "arxiv", "relation_type": {"id": "cites"}},
        {
            "identifier": "https://example.org/code",
            "scheme": "url",
            "relation_type": {"id": "isderivedfrom"},
        },
        {"identifier": "12082125", "scheme": "pmid", "relation_type": {"id": "references"}},
    ],
    "funding": [
        {
            "funder": {"id": "00k4n6c32", "name": "European Commission"},
            "award": {"number": "101057564", "title": {"en": "Materials cloud"}},
        },
        {"funder": {"name": "Swiss National Science Foundation"}},
    ],
}


def shared_schemas() -> Path:
    for base in (Path(__file__).parents[3], Path(__file__).parents[2].parent):
        if (base / "shared" / "schemas").is_dir():
            return base / "shared" / "schemas"
    pytest.skip("the shared schemas (../shared/schemas next to the repository) are absent")


URL_MAP = {
    "http://dublincore.org/schemas/xmls/simpledc20021212.xsd": "dublincore/simpledc20021212.xsd",
    "http://www.w3.org/2001/03/xml.xsd": "w3c/xml.xsd",
    "http://www.w3.org/2001/xml.xsd": "w3c/xml.xsd",
    "http://www.w3.org/2009/01/xml.xsd": "w3c/xml.xsd",
}


class LocalResolver(etree.Resolver):
    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root

    def resolve(self, system_url: str | None, public_id: str | None, context: Any) -> Any:
        if system_url is None:
            return None
        if system_url in URL_MAP:
            return self.resolve_filename(str(self.root / URL_MAP[system_url]), context)
        if system_url.startswith(("http://", "https://")):
            raise RuntimeError(f"refusing network fetch of {system_url}")
        return None


def schema(relative: str) -> etree.XMLSchema:
    root = shared_schemas()
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(LocalResolver(root))
    return etree.XMLSchema(etree.parse(str(root / relative), parser))


def assert_valid(xsd: etree.XMLSchema, xml: str) -> etree._Element:
    document = etree.fromstring(xml.encode("utf-8"))
    assert xsd.validate(document), xsd.error_log
    return document


@pytest.fixture
def record(app: FastAPI, client: TestClient) -> dict[str, Any]:
    ada = bearer(app, "ada@example.org")
    mod = bearer(app, "mod@example.org", Role.MODERATOR)
    record_id = draft_with_file(client, ada, **METADATA)
    return publish_via_review(client, ada, mod, record_id)


def test_every_serializer_writes_text(record: dict[str, Any]) -> None:
    assert set(SERIALIZERS) == {
        "datacite-xml",
        "datacite-json",
        "dublincore",
        "json-ld",
        "bibtex",
        "csl",
        "citation",
    }
    for serializer in SERIALIZERS.values():
        assert "Énergies" in serializer.serialize(record), serializer.name


def test_datacite_xml_validates_and_says_everything(record: dict[str, Any]) -> None:
    xml = SERIALIZERS["datacite-xml"].serialize(record)
    doc = assert_valid(schema("datacite/kernel-4.7/metadata.xsd"), xml)
    ns = {"d": "http://datacite.org/schema/kernel-4"}

    def texts(path: str) -> list[str]:
        return [e.text or "" for e in doc.findall(path, ns)]

    assert texts("d:identifier") == [record["pids"]["doi"]["identifier"]]
    assert texts("d:titles/d:title") == [TITLE]
    assert texts("d:publisher") == ["matcloud"]
    names = doc.findall("d:creators/d:creator/d:creatorName", ns)
    assert [n.get("nameType") for n in names] == ["Personal", "Organizational", "Personal"]
    assert texts("d:creators/d:creator/d:givenName") == ["Ada", "Jean-Paul"]
    ids = doc.findall("d:creators/d:creator/d:nameIdentifier", ns)
    assert [(i.text, i.get("nameIdentifierScheme")) for i in ids] == [
        ("https://orcid.org/0000-0002-1825-0097", "ORCID"),
        (f"https://ror.org/{ROR_ORG}", "ROR"),
    ]
    affiliation = doc.find("d:creators/d:creator/d:affiliation", ns)
    assert affiliation is not None and affiliation.text == "EPFL"
    assert affiliation.get("affiliationIdentifier") == "https://ror.org/02s376052"
    assert affiliation.get("affiliationIdentifierScheme") == "ROR"
    year = record["metadata"]["publication_date"][:4]
    assert texts("d:publicationYear") == [year]
    rtype = doc.find("d:resourceType", ns)
    assert rtype is not None and rtype.get("resourceTypeGeneral") == "Dataset"
    dates = {d.get("dateType"): d.text for d in doc.findall("d:dates/d:date", ns)}
    assert dates == {
        "Issued": record["metadata"]["publication_date"],
        "Available": record["publication_date"][:10],
    }
    related = [
        (r.text, r.get("relatedIdentifierType"), r.get("relationType"))
        for r in doc.findall("d:relatedIdentifiers/d:relatedIdentifier", ns)
    ]
    assert related == [
        ("10.1038/s41597-020-00637-5", "DOI", "IsSupplementTo"),
        ("2003.12510", "arXiv", "Cites"),
        ("https://example.org/code", "URL", "IsDerivedFrom"),
        ("12082125", "PMID", "References"),
        (record["parent"]["pids"]["doi"]["identifier"], "DOI", "IsVersionOf"),
    ]
    assert texts("d:sizes/d:size") == ["8 bytes"]
    assert texts("d:formats/d:format") == ["text/csv"]
    assert texts("d:version") == ["1"]
    rights = doc.findall("d:rightsList/d:rights", ns)
    assert [(r.get("rightsIdentifier"), r.get("rightsIdentifierScheme")) for r in rights] == [
        ("cc-by-4.0", "SPDX"),
        ("mit", "SPDX"),
    ]
    assert rights[0].get("rightsURI") == "https://creativecommons.org/licenses/by/4.0/"
    assert texts("d:descriptions/d:description") == [
        "Phonons of Ni₃Al computed with DFPT.\n\nSee the code."
    ]
    assert texts("d:fundingReferences/d:fundingReference/d:funderName") == [
        "European Commission",
        "Swiss National Science Foundation",
    ]
    funder = doc.find("d:fundingReferences/d:fundingReference/d:funderIdentifier", ns)
    assert funder is not None and funder.get("funderIdentifierType") == "ROR"
    assert texts("d:fundingReferences/d:fundingReference/d:awardNumber") == ["101057564"]
    assert doc.find("d:language", ns) is None


def test_datacite_json_is_the_rest_api_payload(record: dict[str, Any]) -> None:
    body = json.loads(SERIALIZERS["datacite-json"].serialize(record))
    assert body["data"]["type"] == "dois"
    a = body["data"]["attributes"]
    assert a == attributes(record)
    assert a["doi"] == record["pids"]["doi"]["identifier"]
    assert a["url"] == record["links"]["self_html"]
    assert a["types"] == {"resourceTypeGeneral": "Dataset", "resourceType": "Dataset"}
    assert a["creators"][0]["nameIdentifiers"][0]["nameIdentifierScheme"] == "ORCID"
    assert a["creators"][1]["nameType"] == "Organizational"
    assert a["publicationYear"] == int(record["metadata"]["publication_date"][:4])
    assert a["fundingReferences"][0]["awardTitle"] == "Materials cloud"


def test_dublin_core_validates_strictly(record: dict[str, Any]) -> None:
    xml = SERIALIZERS["dublincore"].serialize(record)
    doc = assert_valid(schema("oai-pmh/oai_dc.xsd"), xml)
    assert doc.tag == "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"
    pairs = dublincore.elements(record)
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        values.setdefault(name, []).append(value)
    assert values["title"] == [TITLE]
    assert values["creator"] == ["Lovelace, Ada", "Matériaux Consortium", "Çelik, Jean-Paul"]
    doi = record["pids"]["doi"]["identifier"]
    assert values["identifier"] == [f"https://doi.org/{doi}", record["links"]["self_html"]]
    assert "https://arxiv.org/abs/2003.12510" in values["relation"]
    assert values["rights"] == [
        "https://creativecommons.org/licenses/by/4.0/",
        "Creative Commons Attribution 4.0 International",
        "https://opensource.org/licenses/MIT",
        "MIT License",
    ]
    assert values["format"] == ["text/csv"] and values["type"] == ["Dataset"]
    assert values["publisher"] == ["matcloud"]
    assert dublincore.meta_tags(record)[0] == ("DC.title", TITLE)
    dc = "{http://purl.org/dc/elements/1.1/}"
    assert [(str(e.tag).removeprefix(dc), e.text) for e in doc] == pairs


def test_json_ld(record: dict[str, Any]) -> None:
    doc = json.loads(SERIALIZERS["json-ld"].serialize(record))
    assert doc == schemaorg.document(record)
    doi_url = "https://doi.org/" + record["pids"]["doi"]["identifier"]
    assert doc["@context"] == "https://schema.org" and doc["@type"] == "Dataset"
    assert doc["@id"] == doc["identifier"] == doi_url
    assert doc["url"] == record["links"]["self_html"] and doc["name"] == TITLE
    ada, org, _ = doc["creator"]
    assert ada["@type"] == "Person" and ada["@id"] == "https://orcid.org/0000-0002-1825-0097"
    assert ada["affiliation"] == [
        {"@type": "Organization", "name": "EPFL", "@id": "https://ror.org/02s376052"}
    ]
    assert org == {
        "@type": "Organization",
        "name": "Matériaux Consortium",
        "@id": f"https://ror.org/{ROR_ORG}",
    }
    assert doc["license"] == [
        "https://creativecommons.org/licenses/by/4.0/",
        "https://opensource.org/licenses/MIT",
    ]
    assert doc["datePublished"] == record["metadata"]["publication_date"]
    assert doc["version"] == "1" and doc["publisher"]["name"] == "matcloud"
    assert doc["includedInDataCatalog"] == {
        "@type": "DataCatalog",
        "name": "matcloud",
        "url": "http://testserver/",
    }
    entry = record["files"]["entries"][0]
    assert doc["distribution"] == [
        {
            "@type": "DataDownload",
            "name": "data.csv",
            "contentUrl": entry["links"]["content"],
            "encodingFormat": "text/csv",
            "contentSize": "8 B",
            "sha256": entry["sha256"],
        }
    ]
    paper = "https://doi.org/10.1038/s41597-020-00637-5"
    assert {"@type": "ScholarlyArticle", "@id": paper, "url": paper, "identifier": paper} in doc[
        "isPartOf"
    ]
    assert doc["isBasedOn"][0]["@id"] == "https://example.org/code"
    assert doc["citation"][0]["@id"] == "https://arxiv.org/abs/2003.12510"


def _balanced(text: str) -> bool:
    depth = 0
    for match in re.finditer(r"\\.|[{}]", text):
        token = match.group(0)
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def test_bibtex(record: dict[str, Any]) -> None:
    text = SERIALIZERS["bibtex"].serialize(record)
    year = record["metadata"]["publication_date"][:4]
    key = f"lovelace_{year}_{record['id']}"
    assert text.startswith(f"@misc{{{key},\n") and text.rstrip().endswith("}")
    assert _balanced(text)
    fields = dict(re.findall(r"^  (\w+)\s*= \{(.*)\},$", text, re.M))
    assert fields["title"] == (
        r"{Énergies of Ni₃Al \& 50\% \$x\_1\$ \{phonons\} \#2 \textasciitilde{} "
        r"\textasciicircum{} \textbackslash{} test}"
    )
    assert fields["author"] == "Lovelace, Ada and {Matériaux Consortium} and Çelik, Jean-Paul"
    assert fields["doi"] == record["pids"]["doi"]["identifier"].replace("_", r"\_")
    assert fields["year"] == year and fields["version"] == "1"
    assert fields["publisher"] == "matcloud"
    assert fields["url"].startswith("https://doi.org/")
    assert bibtex.escape("a_b") == r"a\_b"


def test_csl_and_citation(record: dict[str, Any]) -> None:
    item = json.loads(SERIALIZERS["csl"].serialize(record))
    doi = record["pids"]["doi"]["identifier"]
    parts = [int(p) for p in record["metadata"]["publication_date"].split("-")]
    assert item["type"] == "dataset" and item["title"] == TITLE
    assert item["author"] == [
        {"family": "Lovelace", "given": "Ada"},
        {"literal": "Matériaux Consortium"},
        {"family": "Çelik", "given": "Jean-Paul"},
    ]
    assert item["issued"] == {"date-parts": [parts]}
    assert item["DOI"] == doi and item["URL"] == f"https://doi.org/{doi}"
    assert item["publisher"] == "matcloud" and item["version"] == "1"

    text = SERIALIZERS["citation"].serialize(record)
    assert text == (
        f"Lovelace, A., Matériaux Consortium, & Çelik, J.-P. ({parts[0]}). {TITLE} "
        f"(Version 1) [Data set]. matcloud. https://doi.org/{doi}"
    )


def test_citation_of_two_people(app: FastAPI, client: TestClient) -> None:
    ada = bearer(app, "ada@example.org")
    mod = bearer(app, "mod@example.org", Role.MODERATOR)
    creators = [
        {"person_or_org": {"type": "personal", "given_name": g, "family_name": f}}
        for g, f in [("Ada", "Lovelace"), ("Charles", "Babbage")]
    ]
    record = publish_via_review(
        client, ada, mod, draft_with_file(client, ada, creators=creators, title="Engines?")
    )
    text = SERIALIZERS["citation"].serialize(record)
    assert text.startswith("Lovelace, A., & Babbage, C. (")
    assert "). Engines? (Version 1) [Data set]. matcloud. https://doi.org/10." in text


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/vnd.datacite.datacite+xml", "datacite-xml"),
        ("application/vnd.datacite.datacite+json", "datacite-json"),
        ("application/x-dc+xml", "dublincore"),
        ("application/oai_dc+xml", "dublincore"),
        ("application/ld+json", "json-ld"),
        ("application/x-bibtex", "bibtex"),
        ("application/vnd.citationstyles.csl+json", "csl"),
        ("text/x-bibliography", "citation"),
        ("text/html,application/x-bibtex;q=0.9,*/*;q=0.8", "bibtex"),
        ("application/x-bibtex;q=0.5, application/ld+json;q=0.9", "json-ld"),
        ("application/x-bibtex, application/ld+json", "bibtex"),
        ("Application/LD+JSON ; charset=utf-8 ; q=0.3, text/x-bibliography;q=0.2", "json-ld"),
        ("application/x-bibtex;q=0, application/ld+json;q=0.1", "json-ld"),
        ("application/x-bibtex;q=nonsense", None),
        ("application/x-bibtex;q=0", None),
        ("*/*", None),
        ("text/html", None),
        ("application/json", None),
        ("application/*", None),
        ("", None),
    ],
)
def test_negotiate(accept: str, expected: str | None) -> None:
    found = negotiate(accept)
    assert (found.name if found else None) == expected


def test_demo_records_validate_against_datacite(app: FastAPI, client: TestClient) -> None:
    from matcloud.demo import load_demo

    xsd = schema("datacite/kernel-4.7/metadata.xsd")
    dc = schema("oai-pmh/oai_dc.xsd")
    messages = list(load_demo(app.state.platform))
    ids = [m.split()[2].rstrip(":") for m in messages if m.startswith("demo record ")]
    assert len(ids) == 6  # ARCHIVE's four, and the records of DISCOVER's demo sections
    for record_id in ids:
        record = client.get(f"/api/records/{record_id}").json()
        assert record["is_demo"]
        assert_valid(xsd, SERIALIZERS["datacite-xml"].serialize(record))
        assert_valid(dc, SERIALIZERS["dublincore"].serialize(record))
