"""The DISCOVER pages over HTTP: the section page (with its first table page and the no-script
filters), the ID card (properties, provenance, hand-over links), their JSON twins, the
section list."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from discover_helpers import AIIDA_SPEC, CSV, PHONON_EXAMPLES, PHONON_SPEC, RICH, SPEC, add, publish
from factories import csrf_from, make_user, sign_in
from matcloud.core.models import Role
from work_data import SI


def test_the_section_page_and_its_twin(client: TestClient, layers: dict[str, Any]) -> None:
    html = client.get("/discover/layers").text
    assert "<h1>Layered materials</h1>" in html
    assert "<em>demo</em> of layers" in html  # the description's Markdown
    assert "Ada Curator (20" in html and "https://doi.org/" in html  # the citation
    assert html.count('href="/discover/layers/') == 5  # every row links to its card
    assert 'data-sort="gap"' in html and 'name="min_gap"' in html
    twin = client.get("/discover/layers.json").json()
    assert twin["table"]["matched"] == 5 and twin["plot"]["y"] == "gap"
    filtered = client.get("/discover/layers", params={"min_gap": 2, "plot_x": "natoms"}).text
    assert filtered.count('href="/discover/layers/') == 1 and "hbn" in filtered
    assert 'value="2"' in filtered  # the filter stays in its box
    wrong = client.get("/discover/layers", params={"min_gap": "wide"})
    assert wrong.status_code == 400 and "min_gap" in wrong.text


def test_the_id_card(client: TestClient, layers: dict[str, Any]) -> None:
    html = client.get("/discover/layers/mos2").text
    assert "<h1>MoS2</h1>" in html and "1.8 eV" in html
    record = layers["record"]["id"]
    assert f"/work/seekpath/open?record={record}&amp;file=Si.vasp" in html
    assert 'data-source="/api/discover/layers/structures/mos2"' in html
    twin = client.get("/discover/layers/mos2.json").json()
    assert twin["title"] == "MoS2" and twin["tools"][0]["title"] == "Open in SeeK-path"
    structure = client.get("/api/discover/layers/structures/mos2").json()
    assert structure["formula"] == "Si2" and len(structure["positions"]) == 2
    assert structure["symbols"] == ["Si", "Si"] and structure["pbc"] == [True, True, True]
    assert client.get("/api/discover/layers/structures/hbn").status_code == 404  # none
    assert client.get("/discover/layers/nothing").status_code == 404
    assert client.get("/discover/nothing").status_code == 404


def test_the_section_list(client: TestClient, layers: dict[str, Any]) -> None:
    html = client.get("/discover").text
    assert 'href="/discover/layers"' in html and "Layered materials" in html
    assert "Not yet available" not in html


def test_an_aiida_card_links_into_explore(
    client: TestClient, app: FastAPI, admin: dict[str, str]
) -> None:
    if not RICH.exists():
        pytest.skip("AiiDA fixtures not built: run `make aiida-fixtures`")
    record = publish(client, app, {"workflow.aiida": RICH.read_bytes()})
    assert add(client, admin, AIIDA_SPEC.replace("RECORD", record["id"])).status_code == 201
    rows = client.get("/api/discover/workflows/rows", params={"min_energy": -1000}).json()
    key = rows["rows"][0]["key"]
    html = client.get(f"/discover/workflows/{key}").text
    assert html.count('class="provenance"') == 4  # energy, wall time, queue, structure
    assert "/work/seekpath/open?archive=" in html and "<h1>Si scf</h1>" in html
    downloads = re.findall(r'href="(/explore/[^"]+/structure\.\w+)"', html)
    assert len(downloads) == 3
    for url in downloads:
        assert client.get(url).status_code == 200, url
    structure = client.get(f"/api/discover/workflows/structures/{key}").json()
    assert structure["formula"] == "Si2"


def test_a_section_with_one_number_is_a_table(
    client: TestClient, admin: dict[str, str], layers: dict[str, Any]
) -> None:
    spec = (
        "slug: gaps\ntitle: Gaps\nauthors: [{name: A}]\n"
        f'sources: [{{record: "{layers["record"]["id"]}"}}]\n'
        "rows: {table: materials.csv, id: name}\n"
        "columns:\n  - {name: name, type: string}\n  - {name: gap, type: number, unit: eV}\n"
    )
    assert add(client, admin, spec).status_code == 201
    html = client.get("/discover/gaps").text
    assert 'id="discover-plot"' not in html and 'name="min_gap"' in html
    assert client.get("/discover/gaps.json").json()["plot"] is None


def test_admins_add_a_section_through_the_page(client: TestClient, app: FastAPI) -> None:
    record = publish(client, app, {"materials.csv": CSV, "Si.vasp": SI})
    spec = SPEC.replace("RECORD", record["id"])
    make_user(app, "curator@example.org", Role.USER)
    sign_in(client, "curator@example.org")
    assert client.get("/discover/new").status_code == 403  # admins only
    page = client.get("/discover/layers")
    assert page.status_code == 404
    client.cookies.clear()
    make_user(app, "root@example.org", Role.ADMIN)
    sign_in(client, "root@example.org")
    form = client.get("/discover/new")
    assert form.status_code == 200 and 'name="spec"' in form.text
    token = csrf_from(form.text)
    no_token = client.post("/discover/new", data={"spec": spec}, follow_redirects=False)
    assert no_token.status_code == 403 and client.get("/api/discover").json()["sections"] == []

    wrong = spec.replace("{name: gap, title: Band gap, type: number", "{name: gap, type: numbr")
    answer = client.post("/discover/new", data={"spec": wrong, "csrf_token": token})
    assert answer.status_code == 400
    assert "columns[2].type" in answer.text and "numbr" in answer.text
    assert "slug: layers" in answer.text  # the spec stays in the form
    assert client.get("/api/discover").json()["sections"] == []
    empty = client.post("/discover/new", data={"spec": "  ", "csrf_token": token})
    assert empty.status_code == 400 and "paste its YAML or upload" in empty.text

    built = client.post(
        "/discover/new",
        data={"csrf_token": token},
        files={"file": ("layers.yaml", spec.encode(), "application/yaml")},
        follow_redirects=False,
    )
    assert built.status_code == 303 and built.headers["location"] == "/discover/layers"
    assert client.get("/discover/layers").status_code == 200
    listed = client.get("/discover/new.json").json()["sections"]
    assert [s["slug"] for s in listed] == ["layers"] and listed[0]["rows"] == 5
    assert "/discover/new" in client.get("/discover").text  # linked from DISCOVER's page


def test_a_phonon_file_opens_in_the_visualiser(
    client: TestClient, app: FastAPI, admin: dict[str, str]
) -> None:
    band = (PHONON_EXAMPLES / "si-phonopy-band.yaml").read_bytes()
    table = (
        b"name,structure,phonons\nsilicon,Si.vasp,si-band.yaml\nbare,Si.vasp,\n"
        b"broken,Si.vasp,broken.yaml\n"
    )
    files = {"phonons.csv": table, "Si.vasp": SI, "si-band.yaml": band}
    record = publish(client, app, files | {"broken.yaml": band[: len(band) // 2]})
    built = add(client, admin, PHONON_SPEC.replace("RECORD", record["id"]))
    assert built.status_code == 201, built.text
    card = client.get("/discover/phonon-files/silicon.json").json()
    link = f"/work/phonons/open?record={record['id']}&file=si-band.yaml"
    assert card["phonons"]["open"] == link
    assert link.replace("&", "&amp;") in client.get("/discover/phonon-files/silicon").text
    opened = client.get(link, follow_redirects=False)
    assert opened.status_code == 303, opened.text[:300]
    result = client.get(opened.headers["location"] + ".json").json()
    assert result["result"]["formula"] == "Si" and result["result"]["nbranches"] == 6
    assert client.get("/discover/phonon-files/bare.json").json().get("phonons") is None
    assert (
        'data-source="/api/discover/phonon-files/phonons/silicon"'
        in client.get("/discover/phonon-files/silicon").text
    )
    panel = client.get("/api/discover/phonon-files/phonons/silicon").json()
    assert panel["units"] == "THz" and len(panel["plot"]["series"]) == 6
    labels = [t["label"] for t in panel["plot"]["ticks"]]
    assert labels[0] == "Γ" and any("|" in label for label in labels)  # a jump of the path
    gaps = panel["plot"]["x"].count(None)
    assert gaps == sum("|" in label for label in labels)  # no line drawn across a jump
    highest = max(max(y for y in s["y"] if y is not None) for s in panel["plot"]["series"])
    assert 14 < highest < 17  # silicon's optical phonons at Γ: ~15.5 THz
    assert client.get("/api/discover/phonon-files/phonons/bare").status_code == 404
    broken = client.get("/api/discover/phonon-files/phonons/broken")
    assert (
        broken.status_code == 400
        and "broken.yaml is not a usable phonopy band.yaml" in (broken.json()["detail"])
    )
    csv = client.get(f"/work/phonons/open?record={record['id']}&file=phonons.csv")
    assert csv.status_code == 400  # not a phonon file: the tool's own message
    structure = client.get("/work/phonons/open?archive=x&node=y")
    assert structure.status_code == 400 and "takes a record&#39;s file" in structure.text
