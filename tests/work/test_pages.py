"""The WORK pages and API end to end: forms (with CSRF), results with shareable URLs, files,
bad input re-shown with its message, expiry."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from matcloud.core.db import utcnow
from matcloud.structures import read_structures
from matcloud.work.inputs import MAX_INPUT_BYTES
from matcloud.work.models import WorkInput
from work_data import SI

ALLOY = b"""data_CuAu
_cell_length_a 3.8
_cell_length_b 3.8
_cell_length_c 3.8
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
_symmetry_space_group_name_H-M 'P 1'
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
_atom_site_occupancy
Cu1 Cu 0 0 0 0.5
Au1 Au 0 0 0 0.5
"""


def csrf(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def test_the_section_lists_its_tools(client: TestClient) -> None:
    page = client.get("/work")
    assert page.status_code == 200
    assert 'href="/work/seekpath"' in page.text and 'href="/work/inspect"' in page.text
    listing = client.get("/api/work/tools").json()
    assert "optimade" in listing["formats"] and "cif" in listing["formats"]
    tools = listing["tools"]
    assert [t["slug"] for t in tools] == ["seekpath", "inspect", "phonons"]
    assert len(tools[0]["examples"]) == 29
    twin = client.get("/work/seekpath.json").json()
    assert twin["tool"]["slug"] == "seekpath" and twin["limits"]["atoms"] == 1000


def test_api_run_result_and_files(client: TestClient) -> None:
    answer = client.post(
        "/api/work/seekpath?filename=POSCAR", content=SI, headers={"Content-Type": "text/plain"}
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["result"]["bravais_lattice_extended"] == "cF2"
    assert body["result"]["path_text"] == "Γ—X—U|K—Γ—L—W—X"
    assert re.fullmatch(r"[0-9a-f]{32}", body["id"])
    again = client.get(body["links"]["self"]).json()
    assert again["result"]["path"] == body["result"]["path"] and again["id"] == body["id"]
    # the same input, the same URL
    repeat = client.post(
        "/api/work/seekpath?filename=POSCAR", content=SI, headers={"Content-Type": "text/plain"}
    )
    assert repeat.json()["id"] == body["id"]
    page = client.get(body["links"]["html"])
    assert page.status_code == 200
    assert "Γ—X—U|K—Γ—L—W—X" in page.text and 'id="bz-data"' in page.text
    assert (
        client.get(body["links"]["html"] + ".json").json()["result"]["spacegroup"]["number"] == 227
    )
    cif = client.get(body["links"]["files"]["primitive.cif"])
    assert cif.status_code == 200 and "attachment" in cif.headers["content-disposition"]
    primitive = read_structures(cif.content, "primitive.cif")[0]
    assert primitive.nsites == 2
    kpoints = client.get(body["links"]["files"]["kpoints-pw.txt"]).text
    assert kpoints.startswith("K_POINTS crystal_b")
    assert client.get(body["links"]["html"] + "/files/nothing.txt").status_code == 404


def test_api_json_and_examples(client: TestClient) -> None:
    body = client.post("/api/work/seekpath", json={"example": "hR1"}).json()
    assert body["result"]["bravais_lattice_extended"] == "hR1"
    text = client.post("/api/work/inspect", json={"text": SI.decode(), "filename": "POSCAR"})
    assert text.json()["result"]["symmetry"]["number"] == 227
    assert client.post("/api/work/seekpath", json={"example": "zz"}).status_code == 400
    assert client.post("/api/work/nothing", json={"example": "cF2"}).status_code == 404
    assert client.post("/api/work/seekpath", json=["not", "an", "object"]).status_code == 400
    bad = client.post("/api/work/seekpath", json={"text": "not a structure", "format": "cif"})
    assert bad.status_code == 422 and "CIF" in bad.json()["detail"]
    huge = client.post(
        "/api/work/seekpath?filename=x.cif",
        content=b"x" * (MAX_INPUT_BYTES + 10),
        headers={"Content-Type": "text/plain"},
    )
    assert huge.status_code == 413


def test_form_post_redirects_to_the_shareable_result(client: TestClient) -> None:
    token = csrf(client, "/work/seekpath")
    posted = client.post(
        "/work/seekpath",
        data={"csrf_token": token},
        files={"file": ("Si.vasp", SI, "text/plain")},
        follow_redirects=False,
    )
    assert posted.status_code == 303
    result = client.get(posted.headers["location"])
    assert result.status_code == 200 and "cF2" in result.text
    example = client.post(
        "/work/seekpath", data={"csrf_token": token, "example": "tI2"}, follow_redirects=False
    )
    assert (
        client.get(example.headers["location"] + ".json").json()["result"][
            "bravais_lattice_extended"
        ]
        == "tI2"
    )


def test_form_needs_its_csrf_token(client: TestClient) -> None:
    refused = client.post("/work/seekpath", data={"text": SI.decode()}, follow_redirects=False)
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"text": "this is not a structure"}, 400, "Cannot tell the format"),
        ({"text": "data_x\n_cell_length_a 4\n", "format": "cif"}, 422, "not a readable CIF"),
        ({}, 400, "Give a structure"),
    ],
)
def test_bad_form_input_is_shown_with_the_form(
    client: TestClient, fields: dict[str, str], status: int, message: str
) -> None:
    token = csrf(client, "/work/seekpath")
    shown = client.post("/work/seekpath", data={"csrf_token": token, **fields})
    assert shown.status_code == status
    assert message in shown.text and 'role="alert"' in shown.text
    if fields.get("text"):
        assert fields["text"].split("\n")[0] in shown.text  # the pasted text is kept


def test_an_oversized_upload_is_refused_before_reading(client: TestClient) -> None:
    token = csrf(client, "/work/inspect")
    shown = client.post(
        "/work/inspect",
        data={"csrf_token": token},
        files={"file": ("big.xyz", b"1" * (MAX_INPUT_BYTES + 100_000), "text/plain")},
    )
    assert shown.status_code == 413 and "accepts up to" in shown.text


def test_results_expire(client: TestClient, app: FastAPI) -> None:
    body = client.post("/api/work/inspect", json={"example": "cP1"}).json()
    db = app.state.instance.db
    with db.unit_of_work() as uow:
        uow.session.execute(update(WorkInput).values(expires_at=utcnow() - timedelta(seconds=1)))
    gone = client.get(body["links"]["html"])
    assert gone.status_code == 404 and "expired" in gone.text
    assert app.state.work.purge(force=True) == 1
    assert client.get("/work/inspect/results/not-a-result").status_code == 404


def test_viewing_a_result_keeps_it(client: TestClient, app: FastAPI) -> None:
    body = client.post("/api/work/inspect", json={"example": "cP2"}).json()
    db = app.state.instance.db
    soon = utcnow() + timedelta(days=2)
    with db.unit_of_work() as uow:
        uow.session.execute(update(WorkInput).values(expires_at=soon))
    assert client.get(body["links"]["self"]).status_code == 200
    with db.read() as session:
        row = session.get(WorkInput, body["id"])
        assert row is not None
        assert row.expires_at > utcnow() + timedelta(days=29)


def test_inspector_converts_and_refuses_what_a_format_cannot_hold(client: TestClient) -> None:
    body = client.post(
        "/api/work/inspect?filename=Si.vasp", content=SI, headers={"Content-Type": "text/plain"}
    ).json()
    result = body["result"]
    assert result["formula"]["reduced"] == "Si" and result["symmetry"]["number"] == 227
    (orbit,) = result["symmetry"]["orbits"]  # diamond: one orbit, 8a (8b in the other origin)
    assert orbit["multiplicity"] == 8 and orbit["wyckoff"] in ("a", "b") and orbit["atoms"] == 2
    assert result["density"] == pytest.approx(2.33, abs=0.01)
    assert result["neighbours"]["pairs"]["Si–Si"] == pytest.approx(2.3513, abs=1e-3)
    for name, url in body["links"]["files"].items():
        converted = client.get(url)
        assert converted.status_code == 200, name
        if not name.endswith(".json"):
            back = read_structures(converted.content, name.replace("structure.vasp", "POSCAR"))
            assert back[0].nsites == 2, name
    alloy = client.post(
        "/api/work/inspect?filename=CuAu.cif", content=ALLOY, headers={"Content-Type": "text/plain"}
    ).json()
    assert alloy["result"]["ordered"] is False and alloy["result"]["symmetry"] is None
    assert list(alloy["links"]["files"]) == ["structure.json"]
    refused = client.get(alloy["links"]["html"] + "/files/structure.cif")
    assert refused.status_code == 404
    page = client.get(alloy["links"]["html"])
    assert "not possible with partial occupancy" in page.text
