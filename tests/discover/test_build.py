"""Building sections from published records: a table file, an AiiDA group; the table API
(filters, search, sort, pages, plot points), ID cards with provenance; bad input refused
with nothing half-built."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from archive_helpers import bearer, metadata, upload
from discover_helpers import AIIDA_SPEC, CSV, RICH, SPEC, account, add, publish
from matcloud.core.models import Role


def test_a_table_section_is_built_once(
    client: TestClient, app: FastAPI, admin: dict[str, str], layers: dict[str, Any]
) -> None:
    assert layers["rows"] == 5 and layers["changed"] is True
    assert layers["versions"] == [layers["record"]["id"]]
    again = add(client, admin, SPEC.replace("RECORD", layers["record"]["id"]))
    assert again.status_code == 200 and again.json()["changed"] is False
    listed = client.get("/api/discover").json()["sections"]
    assert [s["slug"] for s in listed] == ["layers"]
    head = client.get("/api/discover/layers").json()
    assert head["title"] == "Layered materials" and head["plot"]["x"] == "natoms"
    assert head["sources"][0]["doi"] == layers["record"]["pids"]["doi"]["identifier"]
    gap = next(c for c in head["columns"] if c["name"] == "gap")
    assert gap == {"name": "gap", "title": "Band gap", "unit": "eV",
                   "description": "PBE gap", "type": "number"}  # fmt: skip
    assert head["filters"] == ["gap", "natoms", "magnetic"]


def test_rows_filter_search_sort_and_page(client: TestClient, layers: dict[str, Any]) -> None:
    def keys(**params: Any) -> list[str]:
        answer = client.get("/api/discover/layers/rows", params=params)
        assert answer.status_code == 200, answer.text
        return [row["key"] for row in answer.json()["rows"]]

    assert keys() == ["mos2", "graphene", "cri3", "hbn", "wte2"]
    assert keys(sort="gap") == ["graphene", "cri3", "mos2", "hbn", "wte2"]  # missing last
    assert keys(sort="-gap") == ["hbn", "mos2", "cri3", "graphene", "wte2"]
    assert keys(sort="-formula") == ["wte2", "mos2", "cri3", "graphene", "hbn"]
    assert keys(min_gap=1, max_gap=2) == ["mos2", "cri3"]
    assert keys(min_gap=0) == ["mos2", "graphene", "cri3", "hbn"]  # a missing gap fails
    assert keys(magnetic="true") == ["cri3"]
    assert keys(q="te2") == ["wte2"] and keys(q="MO S2") == ["mos2"]
    assert keys(q="graphene c2") == ["graphene"] and keys(q="nothing") == []
    page = client.get("/api/discover/layers/rows", params={"size": 2, "page": 2, "sort": "name"})
    body = page.json()
    assert body["matched"] == 5 and body["total"] == 5
    assert [r["key"] for r in body["rows"]] == ["hbn", "mos2"]
    assert body["rows"][0]["values"] == {"name": "hbn", "formula": "BN", "gap": 5.9,
        "natoms": 2, "magnetic": False, "structure": None}  # fmt: skip


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"min_gap": "abc"}, "min_gap"),
        ({"min_density": "1"}, "min_density"),
        ({"min_formula": "1"}, "min_formula"),
        ({"structure": "x"}, "structure"),
        ({"sort": "density"}, "sort"),
        ({"size": "1000"}, "size"),
        ({"page": "0"}, "page"),
        ({"page": "two"}, "page"),
    ],
)
def test_wrong_filters_name_the_field(
    client: TestClient, layers: dict[str, Any], params: dict[str, str], field: str
) -> None:
    answer = client.get("/api/discover/layers/rows", params=params)
    assert answer.status_code == 400, answer.text
    assert field in answer.text


def test_points_and_cards(client: TestClient, layers: dict[str, Any]) -> None:
    points = client.get(
        "/api/discover/layers/points", params={"axes": "natoms,gap,magnetic", "max_natoms": 6}
    ).json()
    assert points["keys"] == ["mos2", "graphene", "hbn", "wte2"]
    assert points["gap"] == [1.8, 0.0, 5.9, None]
    assert points["magnetic"] == ["False", "False", "False", "False"]
    card = client.get("/api/discover/layers/rows/mos2").json()
    assert card["title"] == "MoS2"
    gap = next(p for p in card["properties"] if p["name"] == "gap")
    assert gap["value"] == 1.8 and gap["unit"] == "eV" and gap["provenance"] is None
    record = layers["record"]["id"]
    url = f"/api/records/{record}/files/Si.vasp/content"
    assert card["structure"] == {"file": "Si.vasp", "url": url, "version": record}
    assert client.get(card["structure"]["url"]).status_code in (200, 302)
    assert client.get("/api/discover/layers/rows/nothing").status_code == 404
    assert client.get("/api/discover/nothing/rows").status_code == 404


def test_only_admins_build(client: TestClient, app: FastAPI, layers: dict[str, Any]) -> None:
    spec = SPEC.replace("RECORD", layers["record"]["id"])
    assert add(client, {}, spec).status_code == 401
    moderator = bearer(app, "other-mod@example.org", Role.MODERATOR)
    assert add(client, moderator, spec).status_code == 403
    assert client.delete("/api/discover/layers", headers=moderator).status_code == 403


def test_bad_data_is_refused_and_the_old_section_stays(
    client: TestClient, app: FastAPI, admin: dict[str, str], layers: dict[str, Any]
) -> None:
    bad = CSV.replace(b"1.8,3", b"wide,3.5").replace(b"hbn,BN", b"mos2,BN")
    record = publish(client, app, {"materials.csv": bad})
    answer = add(client, admin, SPEC.replace("RECORD", record["id"]))
    assert answer.status_code == 400
    errors = {e["field"]: e["message"] for e in answer.json()["errors"]}
    assert errors["row 1 (line 2), column 'gap'"] == "'wide' is not a number"
    assert errors["row 1 (line 2), column 'natoms'"] == "'3.5' is not an integer"
    still = client.get("/api/discover/layers/rows").json()
    assert still["total"] == 5 and still["rows"][0]["values"]["gap"] == 1.8


@pytest.mark.parametrize(
    ("edit", "field", "words"),
    [
        (("materials.csv", "other.csv"), "rows.table", "no file 'other.csv'"),
        (("from: Formula", "from: formula_name"), "columns[1]", "no column 'formula_name'"),
        (('record: "RECORD"', 'record: "1999.1"'), "sources[0].record", "no published record"),
        (('record: "RECORD"', 'doi: "10.5555/none"'), "sources[0].doi", "no published version"),
    ],
)
def test_what_the_records_lack(
    client: TestClient,
    admin: dict[str, str],
    layers: dict[str, Any],
    edit: tuple[str, str],
    field: str,
    words: str,
) -> None:
    spec = SPEC.replace(*edit).replace("RECORD", layers["record"]["id"])
    answer = add(client, admin, spec)
    assert answer.status_code == 400, answer.text
    errors = {e["field"]: e["message"] for e in answer.json()["errors"]}
    assert field in errors and words in errors[field], errors


def test_a_file_column_must_name_a_file(
    client: TestClient, app: FastAPI, admin: dict[str, str]
) -> None:
    record = publish(client, app, {"materials.csv": CSV.replace(b"Si.vasp", b"Ge.vasp")})
    answer = add(client, admin, SPEC.replace("RECORD", record["id"]))
    assert answer.status_code == 400
    assert {
        "field": "row mos2, column 'structure'",
        "message": "no file 'Ge.vasp'",
    } in answer.json()["errors"]
    assert client.get("/api/discover/layers").status_code == 404


def test_drafts_are_never_a_source(client: TestClient, app: FastAPI, admin: dict[str, str]) -> None:
    ada = account(app, "ada@example.org")
    created = client.post("/api/records", json={"metadata": metadata()}, headers=ada)
    record_id = created.json()["id"]
    upload(client, ada, record_id, "materials.csv", CSV)
    answer = add(client, admin, SPEC.replace("RECORD", record_id))
    assert answer.status_code == 400 and "no published record" in answer.text


def test_an_aiida_group_section_links_every_value_to_its_node(
    client: TestClient, app: FastAPI, admin: dict[str, str]
) -> None:
    if not RICH.exists():
        pytest.skip("AiiDA fixtures not built: run `make aiida-fixtures`")
    record = publish(client, app, {"workflow.aiida": RICH.read_bytes()})
    built = add(client, admin, AIIDA_SPEC.replace("RECORD", record["id"]))
    assert built.status_code == 201, built.text
    assert built.json()["rows"] == 5 and built.json()["archive"]
    every = client.get("/api/discover/workflows/rows").json()["rows"]
    inputs = {r["values"]["structure"] for r in every} - {None}
    assert len(inputs) == built.json()["optimade_structures"] == 3  # each input structure
    rows = client.get("/api/discover/workflows/rows", params={"min_energy": -1000}).json()
    assert [r["values"]["label"] for r in rows["rows"]] == ["Si scf"]
    calc = rows["rows"][0]
    card = client.get(f"/api/discover/workflows/rows/{calc['key']}").json()
    by_name = {p["name"]: p for p in card["properties"]}
    assert by_name["energy"]["value"] == -215.47 and by_name["queue"]["value"] == "debug"
    for name in ("energy", "walltime", "queue"):
        page = client.get(by_name[name]["provenance"])  # the node in EXPLORE
        assert page.status_code == 200, (name, by_name[name]["provenance"])
    assert by_name["energy"]["provenance"] == by_name["walltime"]["provenance"]
    assert by_name["energy"]["provenance"] != by_name["queue"]["provenance"]
    structure = card["structure"]
    assert structure["url"].startswith(f"/explore/{structure['archive']}/nodes/")
    assert "StructureData" in client.get(structure["url"]).text
    wrong = AIIDA_SPEC.replace("inputs.structure", "outputs.output_parameters")
    answer = add(client, admin, wrong.replace("RECORD", record["id"]))
    assert answer.status_code == 400 and "is a Dict, not a StructureData" in answer.text
    missing = AIIDA_SPEC.replace("fixtures/workflows", "fixtures/none")
    answer = add(client, admin, missing.replace("RECORD", record["id"]))
    assert answer.status_code == 400 and "no group 'fixtures/none'" in answer.text


def test_a_sections_structures_are_an_optimade_set(
    client: TestClient, app: FastAPI, admin: dict[str, str], layers: dict[str, Any]
) -> None:
    assert layers["optimade_structures"] == 1

    def found(filter_: str) -> list[dict[str, Any]]:
        answer = client.get("/optimade/v1/structures", params={"filter": filter_})
        assert answer.status_code == 200, answer.text
        data: list[dict[str, Any]] = answer.json()["data"]
        return data

    tagged = found('_matcloud_sections HAS "layers"')
    assert len(tagged) == 1 and tagged[0]["attributes"]["_matcloud_file"] == "Si.vasp"
    assert tagged[0]["attributes"]["_matcloud_sections"] == ["layers"]
    assert found('NOT _matcloud_sections HAS "layers"') == []
    assert found('_matcloud_sections HAS "other"') == []
    assert app.state.platform.structures.reindex()["structures"] == 1  # membership outlives it
    assert len(found('_matcloud_sections HAS "layers"')) == 1
    assert client.delete("/api/discover/layers", headers=admin).status_code == 204
    assert found('_matcloud_sections HAS "layers"') == []
    entry = client.get(f"/optimade/v1/structures/{tagged[0]['id']}").json()["data"]
    assert entry["attributes"]["_matcloud_sections"] == []
    info = client.get("/optimade/v1/info/structures").json()["data"]["properties"]
    assert info["_matcloud_sections"]["type"] == "list"
