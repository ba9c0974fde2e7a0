"""Every OPTIMADE endpoint, validated against the ``optimade`` package's response models:
info, entry info, links, versions, the index meta-database, single entries, references,
response fields, includes, errors and version handling."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from optimade.models import (
    EntryInfoResponse,
    ErrorResponse,
    IndexInfoResponse,
    InfoResponse,
    LinksResponse,
    ReferenceResponseMany,
    ReferenceResponseOne,
    StructureResponseMany,
    StructureResponseOne,
)
from pydantic.warnings import PydanticDeprecatedSince211

from optimade_data import CSPBBR3, FENI, MOS2, NACL, PAPER_DOI, PUBLIC, SI, WATER, ids

V1 = "/optimade/v1"


@pytest.fixture(autouse=True)
def _models_may_use_deprecated_pydantic() -> Iterator[None]:
    """The optimade models read model_fields off instances (deprecated in pydantic 2.11)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PydanticDeprecatedSince211)
        yield


def ok(api: TestClient, url: str, model: Any = None, **params: Any) -> dict[str, Any]:
    response = api.get(url, params=params or None)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.api+json")
    assert response.headers["access-control-allow-origin"] == "*"
    body: dict[str, Any] = response.json()
    if model is not None:
        model(**body)
    return body


def fails(api: TestClient, url: str, status: int, **params: Any) -> dict[str, Any]:
    response = api.get(url, params=params or None)
    assert response.status_code == status, response.text
    assert response.headers["access-control-allow-origin"] == "*"
    body: dict[str, Any] = response.json()
    ErrorResponse(**body)
    assert body["errors"][0]["status"] == str(status)
    return body


@pytest.mark.parametrize("base", [V1, "/optimade", "/optimade/v1.2", "/optimade/v1.2.0"])
def test_info(api: TestClient, base: str) -> None:
    body = ok(api, f"{base}/info", InfoResponse)
    attributes = body["data"]["attributes"]
    assert attributes["api_version"] == "1.2.0"
    assert attributes["available_api_versions"] == [
        {"url": "http://testserver/optimade/v1/", "version": "1.2.0"}
    ]
    assert attributes["entry_types_by_format"] == {"json": ["references", "structures"]}
    assert body["meta"]["provider"]["prefix"] == "matcloud"
    assert body["meta"]["schema"].startswith("https://schemas.optimade.org/openapi/v1.2/")


def test_entry_info_describes_every_property(api: TestClient) -> None:
    body = ok(api, f"{V1}/info/structures", EntryInfoResponse)
    properties = body["data"]["properties"]
    for name in ("id", "type", "elements", "nelements", "last_modified", "structure_features"):
        assert name in properties
    for name, described in properties.items():
        assert described["description"], name
        assert described["type"] in ("string", "integer", "float", "boolean", "timestamp",
                                     "list", "dictionary"), name  # fmt: skip
        assert isinstance(described["sortable"], bool)
    assert properties["nelements"]["sortable"] is True
    assert properties["elements"]["sortable"] is False
    assert properties["lattice_vectors"]["unit"] == "Ao"
    assert properties["_matcloud_is_latest"]["type"] == "boolean"
    assert body["data"]["output_fields_by_format"]["json"] == list(properties)
    assert "assemblies" not in properties
    ok(api, f"{V1}/info/references", EntryInfoResponse)
    fails(api, f"{V1}/info/calculations", 404)


def test_every_structure_validates_with_every_field(api: TestClient) -> None:
    fields = list(ok(api, f"{V1}/info/structures")["data"]["properties"])
    body = ok(
        api, f"{V1}/structures", StructureResponseMany,
        response_fields=",".join(fields + ["assemblies"]), page_limit=100,
    )  # fmt: skip
    assert sorted(ids(body)) == sorted(row["id"] for row in PUBLIC)
    by_id = {entry["id"]: entry["attributes"] for entry in body["data"]}
    water = by_id[WATER["id"]]
    assert water["lattice_vectors"] is None
    assert water["dimension_types"] == [0, 0, 0]
    assert water["nperiodic_dimensions"] == 0
    assert water["assemblies"] is None
    assert water["last_modified"] == "2025-03-03T12:00:00.000250Z"
    assert water["_matcloud_provenance"] == (
        "http://testserver/explore/abcdef0123456789/nodes/2b8d6c4e-0000-4000-8000-000000000003"
    )
    feni = by_id[FENI["id"]]
    assert feni["species"] == FENI["species"]
    assert feni["structure_features"] == ["disorder"]
    assert by_id[MOS2["id"]]["dimension_types"] == [1, 1, 0]
    assert by_id[SI["id"]]["_matcloud_space_group"] == "Fd-3m"
    assert by_id[SI["id"]]["_matcloud_landing_page"] == "http://testserver/records/2025.1v1"
    assert by_id[CSPBBR3["id"]]["chemical_formula_reduced"] == "Br3CsPb"
    assert by_id[NACL["id"]]["_matcloud_is_latest"] is True


def test_default_fields_are_the_listed_properties(api: TestClient) -> None:
    listed = set(ok(api, f"{V1}/info/structures")["data"]["properties"]) - {"id", "type"}
    body = ok(api, f"{V1}/structures", StructureResponseMany)
    assert all(set(entry["attributes"]) == listed for entry in body["data"])


def test_response_fields_are_obeyed_exactly(api: TestClient) -> None:
    body = ok(api, f"{V1}/structures", response_fields="nsites,id,_exmpl_gap,assemblies")
    for entry in body["data"]:
        assert set(entry) >= {"id", "type", "attributes"}
        assert entry["attributes"] == {
            "nsites": entry["attributes"]["nsites"],
            "_exmpl_gap": None,
            "assemblies": None,
        }
    assert [w["title"] for w in body["meta"]["warnings"]] == ["UnknownProviderProperty"]
    single = ok(api, f"{V1}/structures/{SI['id']}", response_fields="elements")
    assert single["data"]["attributes"] == {"elements": ["Si"]}


def test_single_entry(api: TestClient) -> None:
    body = ok(api, f"{V1}/structures/{FENI['id']}", StructureResponseOne)
    assert body["data"]["id"] == FENI["id"]
    assert body["meta"]["more_data_available"] is False
    assert body["meta"]["query"]["representation"] == f"/structures/{FENI['id']}"
    assert body["links"]["self"] == f"http://testserver/optimade/v1/structures/{FENI['id']}"
    ok(api, f"/optimade/structures/{FENI['id']}", StructureResponseOne)
    fails(api, f"{V1}/structures/bad%00id", 404)
    fails(api, f"{V1}/references/bad%00id", 404)
    fails(api, f"{V1}/structures/{'x' * 2000}", 404)
    missing = fails(api, f"{V1}/structures/2025.1v1-nothere", 404)
    assert "2025.1v1-nothere" in missing["errors"][0]["detail"]
    # single entries ignore what does not apply to them (with a warning)
    warned = ok(api, f"{V1}/structures/{SI['id']}", filter="nonsense(", foo="1")
    assert {w["title"] for w in warned["meta"]["warnings"]} == {"QueryParamNotUsed"}


def test_structures_cite_their_references_and_include_them(api: TestClient) -> None:
    body = ok(api, f"{V1}/structures", StructureResponseMany, filter='elements HAS "Na"')
    entry = body["data"][0]
    related = entry["relationships"]["references"]["data"]
    assert [r["id"] for r in related] == [
        entry["id"].split("-")[0],
        f"doi:{PAPER_DOI}",
        "arxiv:2003.12510",
    ]
    assert related[1]["meta"]["description"] == "IsSupplementTo"
    included = {r["id"]: r for r in body["included"]}
    assert set(included) == {"2025.3v1", "2025.3v2", f"doi:{PAPER_DOI}", "arxiv:2003.12510"}
    dataset = included["2025.3v2"]["attributes"]
    assert dataset["doi"] == "10.99999/2025.3v2"
    assert dataset["authors"][0] == {"name": "Ada Lovelace", "firstname": "Ada",
                                     "lastname": "Lovelace"}  # fmt: skip
    assert included[f"doi:{PAPER_DOI}"]["attributes"]["url"] == f"https://doi.org/{PAPER_DOI}"
    assert "included" not in ok(api, f"{V1}/structures", include="")
    assert ok(api, f"{V1}/structures", include="references")["included"]


def test_references_endpoint(api: TestClient) -> None:
    body = ok(api, f"{V1}/references", ReferenceResponseMany, page_limit=100)
    versions = sorted({row["version_id"] for row in PUBLIC})
    assert sorted(ids(body)) == sorted([*versions, f"doi:{PAPER_DOI}", "arxiv:2003.12510"])
    paper = ok(api, f"{V1}/references", filter=f'doi = "{PAPER_DOI}"')
    assert ids(paper) == [f"doi:{PAPER_DOI}"]
    by_author = ok(api, f"{V1}/references", filter='authors.lastname HAS "Lovelace"')
    assert sorted(ids(by_author)) == versions
    assert ids(ok(api, f"{V1}/references", filter='title CONTAINS "2025.2"')) == ["2025.2v1"]
    assert ids(ok(api, f"{V1}/references", filter="doi IS UNKNOWN")) == ["arxiv:2003.12510"]
    one = ok(api, f"{V1}/references/{quote(f'doi:{PAPER_DOI}', safe='')}", ReferenceResponseOne)
    assert one["data"]["attributes"]["doi"] == PAPER_DOI
    ok(api, f"{V1}/references/doi:{PAPER_DOI}", ReferenceResponseOne)
    fails(api, f"{V1}/references/doi:10.1/none", 404)
    fails(api, f"{V1}/references", 400, filter="nelements = 2")


def test_links_and_the_index_meta_database(api: TestClient) -> None:
    links = ok(api, f"{V1}/links", LinksResponse)
    assert [(link["id"], link["attributes"]["link_type"]) for link in links["data"]] == [
        ("index", "root")
    ]
    assert links["data"][0]["attributes"]["base_url"] == "http://testserver/optimade/index"
    index = ok(api, "/optimade/index/v1/info", IndexInfoResponse)
    assert index["data"]["attributes"]["is_index"] is True
    assert index["data"]["attributes"]["entry_types_by_format"] == {"json": []}
    default = index["data"]["relationships"]["default"]["data"]["id"]
    children = ok(api, "/optimade/index/v1/links", LinksResponse)["data"]
    kinds = {link["id"]: link["attributes"]["link_type"] for link in children}
    assert kinds == {"index": "root", default: "child"}
    child = next(link for link in children if link["id"] == default)
    assert child["attributes"]["base_url"] == "http://testserver/optimade"
    ok(api, "/optimade/index/info", IndexInfoResponse)
    fails(api, "/optimade/index/v1/structures", 404)


def test_versions(api: TestClient) -> None:
    for url in ("/optimade/versions", "/optimade/index/versions"):
        response = api.get(url)
        assert response.status_code == 200
        assert response.text == "version\n1\n"
        assert response.headers["content-type"] == "text/csv; header=present; charset=utf-8"
    fails(api, f"{V1}/versions", 404)


@pytest.mark.parametrize(
    "url",
    ["/optimade/v2/info", "/optimade/v0/structures", "/optimade/v1.1/info",
     "/optimade/v123123/info", "/optimade/index/v2/info", "/optimade/v1.3.0/links"],
)  # fmt: skip
def test_unsupported_versions_are_553(api: TestClient, url: str) -> None:
    body = fails(api, url, 553)
    assert "/optimade/versions" in body["errors"][0]["detail"]


def test_unknown_paths_are_optimade_404s(api: TestClient) -> None:
    for url in (f"{V1}/nothing", f"{V1}/v123123/info", "/optimade/calculations"):
        fails(api, url, 404)


def test_api_hint(api: TestClient) -> None:
    assert ok(api, "/optimade/info", api_hint="v1")["data"]["type"] == "info"
    assert ok(api, "/optimade/structures", api_hint="v1.1")["data"]
    fails(api, "/optimade/structures", 553, api_hint="v2")
    warned = ok(api, f"{V1}/structures", api_hint="v2")
    assert warned["meta"]["warnings"]


def test_meta_of_a_listing(api: TestClient) -> None:
    body = ok(api, f"{V1}/structures", filter="nelements=2", page_limit=2)
    meta = body["meta"]
    assert meta["query"]["representation"] == "/structures?filter=nelements%3D2&page_limit=2"
    assert meta["data_returned"] == 5
    assert meta["data_available"] == len(PUBLIC)
    assert meta["more_data_available"] is True
    assert meta["time_stamp"].endswith("Z")
    assert body["links"]["next"].startswith("http://testserver/optimade/v1/structures?")
    assert body["data"][0]["links"]["self"].startswith("http://testserver/optimade/v1/")
    unversioned = ok(api, "/optimade/structures", page_limit=2)
    assert unversioned["links"]["next"].startswith("http://testserver/optimade/structures?")


def test_jsonapi_content_negotiation(api: TestClient) -> None:
    plain = api.get(f"{V1}/info", headers={"Accept": "application/vnd.api+json"})
    assert plain.status_code == 200
    assert api.get(f"{V1}/info", headers={"Accept": "application/json"}).status_code == 200
    refused = api.get(f"{V1}/info", headers={"Accept": "application/vnd.api+json; ext=x"})
    assert refused.status_code == 406


def test_base_urls_explain_themselves_to_people(api: TestClient) -> None:
    for url in ("/optimade", "/optimade/", f"{V1}/", "/optimade/index/v1/"):
        response = api.get(url)
        assert response.status_code == 200, url
        assert "OPTIMADE" in response.text


def test_optimade_routes_are_documented_once(filled: FastAPI) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        paths = filled.openapi()["paths"]
    assert not [w for w in caught if "optimade" in str(w.message).lower()]
    documented = [p for p in paths if p.startswith("/optimade")]
    assert "/optimade/v1/structures" in documented
    assert "/optimade/structures" not in documented
