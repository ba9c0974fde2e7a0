"""The phonon visualiser's API and pages: examples, the JSON body with a second file, the
modes of a result, form uploads of two files, and what is refused."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from factories import csrf_from

EXAMPLES = Path(__file__).parents[2] / "src" / "matcloud" / "work" / "data" / "phonons"
MODES = (EXAMPLES / "alas-matdyn.modes").read_text()
PWX = (EXAMPLES / "alas-scf.in").read_text()


def test_examples_and_modes_through_the_api(client: TestClient) -> None:
    tools = {t["slug"]: t for t in client.get("/api/work/tools").json()["tools"]}
    phonons = tools["phonons"]
    assert {e["name"] for e in phonons["examples"]} == {"si-phonopy", "alas-matdyn"}
    assert set(phonons["formats"]) == {"phonopy", "matdyn"} and phonons["companion"]
    body = client.post("/api/work/phonons", json={"example": "si-phonopy"}).json()
    result = body["result"]
    assert result["formula"] == "Si" and len(result["branches"]) == 6
    assert result["connection"] == "eigenvectors"
    link = body["links"]["modes"].format(q=5, mode=result["order"][5][2])
    mode = client.get(link).json()
    assert mode["qpoint"] == 5 and len(mode["displacements"]) == 2
    assert (
        mode["frequency_thz"] == round(result["branches"][2][5], 5)
        or abs(mode["frequency_thz"] - result["branches"][2][5]) < 1e-4
    )
    assert client.get(body["links"]["modes"].format(q=10_000, mode=0)).status_code == 404
    unknown = "/api/work/phonons/results/" + "0" * 32 + "/modes/0/0"
    assert client.get(unknown).status_code == 404
    page = client.get(body["links"]["html"])
    assert page.status_code == 200 and 'id="phonon-data"' in page.text
    assert "si-phonopy-band.yaml" in page.text


def test_a_matdyn_file_with_its_pw_file_as_json(client: TestClient) -> None:
    answer = client.post(
        "/api/work/phonons",
        json={
            "text": MODES,
            "filename": "alas.modes",
            "companion": {"text": PWX, "filename": "scf.in"},
            "options": {"connect": "frequencies"},
        },
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["input"]["companion"] == "scf.in"
    assert body["result"]["formula"] == "AlAs" and body["result"]["connection"] == "frequencies"
    again = client.get(body["links"]["self"]).json()  # recomputed from the stored pair
    assert again["result"]["branches"] == body["result"]["branches"]
    table = client.get(body["links"]["files"]["dispersion.csv"])
    assert table.status_code == 200 and table.headers["content-type"].startswith("text/csv")
    lines = table.text.splitlines()
    assert lines[0].startswith("distance_1/A,q1,q2,q3,branch1_THz") and lines[0].count(",") == 9
    assert len(lines) == 1 + body["result"]["nqpoints"]
    alone = client.post("/api/work/phonons", json={"text": MODES, "filename": "alas.modes"})
    assert alone.status_code == 400 and "pw.x" in alone.json()["detail"]
    bad_option = client.post(
        "/api/work/phonons", json={"example": "si-phonopy", "options": {"connect": "magic"}}
    )
    assert bad_option.status_code == 400
    two_for_one = client.post("/api/work/seekpath", json={"text": PWX, "companion": {"text": PWX}})
    assert two_for_one.status_code == 400 and "one file" in two_for_one.json()["detail"]


def test_form_upload_of_two_files(client: TestClient) -> None:
    form = client.get("/work/phonons")
    assert 'name="companion"' in form.text and "pw.x" in form.text
    token = csrf_from(client.get("/work/phonons").text)
    posted = client.post(
        "/work/phonons",
        data={"csrf_token": token, "connect": "eigenvectors"},
        files={
            "file": ("alas.modes", MODES.encode(), "text/plain"),
            "companion": ("scf.in", PWX.encode(), "text/plain"),
        },
        follow_redirects=False,
    )
    assert posted.status_code == 303, posted.text
    twin = client.get(posted.headers["location"] + ".json").json()
    assert twin["result"]["formula"] == "AlAs"
    refused = client.post(
        "/work/phonons",
        data={"csrf_token": token},
        files={"file": ("alas.modes", MODES.encode(), "text/plain")},
    )
    assert refused.status_code == 400 and "pw.x" in refused.text
    handed = client.get("/work/phonons/open?optimade=x", follow_redirects=False)
    assert handed.status_code == 400
