"""The structure search page (/optimade/search) and its JSON twin: results of published records,
filter errors shown with the API's status and message, the picker without JavaScript, escaping
and paging."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from archive_helpers import bearer, metadata, publish_via_review, upload
from matcloud.core.models import Role
from matcloud.optimade.views import PERIODIC_TABLE, Picker, fixes, picked_filter
from matcloud.settings import Settings
from optimade_data import binaries, insert_structures, publish_records

DEMO = Path(__file__).resolve().parents[2] / "src" / "matcloud" / "archive" / "demo_files"
HOSTILE = 'Si <script>alert("x")</script> & co'


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"job_queue": "immediate"})


def publish(client: TestClient, app: FastAPI, files: dict[str, bytes], **meta: Any) -> str:
    ada = bearer(app, "ada@example.org")
    mod = bearer(app, "mod@example.org", Role.MODERATOR)
    created = client.post("/api/records", json={"metadata": metadata(**meta)}, headers=ada)
    record_id: str = created.json()["id"]
    for key, data in files.items():
        upload(client, ada, record_id, key, data)
    version: str = publish_via_review(client, ada, mod, record_id)["id"]
    return version


@pytest.fixture
def published(app: FastAPI, client: TestClient) -> str:
    """Si.cif and MoS2.vasp in one published record (with a hostile title); its version id."""
    files = {name: (DEMO / name).read_bytes() for name in ("Si.cif", "MoS2.vasp")}
    return publish(client, app, files, title=HOSTILE)


def search(client: TestClient, suffix: str = "", **params: str) -> Any:
    return client.get(f"/optimade/search{suffix}", params=params, follow_redirects=False)


def text_of(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


# -- the page ----------------------------------------------------------------------------------


def test_the_empty_page_renders_with_the_periodic_table(client: TestClient) -> None:
    response = search(client)
    assert response.status_code == 200
    html = response.text
    assert "No structure is published yet" in html
    assert html.count('class="pt-el ') == 118
    assert 'value="Og"' in html and 'aria-label="Silicon (Si)"' in html
    assert 'href="/optimade/v1/structures' in html  # the same search in the API
    # the archive's record search links here
    assert 'href="/optimade/search"' in client.get("/records").text


def test_the_table_has_every_element_in_its_place() -> None:
    cells = {(c.row, c.column): c.symbol for c in PERIODIC_TABLE}
    assert len(cells) == 118 and len(PERIODIC_TABLE) == 118
    assert cells[(1, 1)] == "H" and cells[(1, 18)] == "He"
    assert cells[(3, 14)] == "Si" and cells[(6, 4)] == "Hf" and cells[(7, 18)] == "Og"
    assert cells[(9, 3)] == "La" and cells[(9, 17)] == "Lu" and cells[(10, 17)] == "Lr"


def test_a_filter_finds_the_structure_with_a_link_to_its_record(
    client: TestClient, published: str
) -> None:
    everything = search(client, ".json").json()
    assert everything["data_returned"] == 2 and everything["error"] is None

    response = search(client, filter='elements HAS "Si"')
    assert response.status_code == 200
    html = response.text
    rows = re.findall(r'<tr class="structure-row"[\s\S]*?</tr>', html)
    assert len(rows) == 1
    assert f'href="/records/{published}"' in rows[0]
    assert "Si.cif" in rows[0] and 'Fd<span class="bar">3</span>m' in rows[0]
    assert "1 structure matches" in text_of(html)

    twin = search(client, ".json", filter='elements HAS "Si"')
    assert twin.status_code == 200
    body = twin.json()
    assert body["data_returned"] == 1
    [row] = body["structures"]
    assert row["formula"] == "Si" and row["space_group_number"] == 227
    assert row["record"]["url"] == f"/records/{published}"
    assert row["record"]["title"] == HOSTILE and row["record"]["version_label"] == "v1"
    assert row["file"] == "Si.cif" and row["node"] is None
    assert row["doi_url"] == f"/doi/{row['doi']}"
    assert row["preview_url"].startswith("/optimade/v1/structures/")
    assert "table" not in body["picker"]  # the page's layout, not data
    assert body["picker"]["elements"] == ["Si"]

    # the preview URL is served by the API and holds what a 3D view needs
    entry = client.get(row["preview_url"]).json()["data"]["attributes"]
    assert len(entry["cartesian_site_positions"]) == 8 and entry["lattice_vectors"]


def test_formulas_have_subscripts_and_sorting_works(client: TestClient, published: str) -> None:
    html = search(client, filter='elements HAS "Mo"').text
    assert "MoS<sub>2</sub>" in html
    assert "MoS2 monolayer (2H)" in html  # the structure's own label, besides the record
    by_sites = search(client, ".json", sort="-nsites").json()
    assert [row["nsites"] for row in by_sites["structures"]] == [8, 3]
    labels = [option["id"] for option in by_sites["sorts"]]
    assert "-last_modified" in labels and "nsites" in labels


def test_hostile_titles_are_escaped(client: TestClient, published: str) -> None:
    html = search(client).text
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co" in html


# -- errors ------------------------------------------------------------------------------------


def test_a_syntax_error_is_shown_with_its_place_and_suggestions(
    client: TestClient, published: str
) -> None:
    response = search(client, filter="MoS2")
    assert response.status_code == 400
    html = response.text
    assert 'role="alert"' in html and 'aria-invalid="true"' in html
    assert "not valid OPTIMADE filter syntax at character 1" in text_of(html)
    assert "<mark>M</mark>" in html
    assert "chemical_formula_reduced=&#34;MoS2&#34;" in html  # the fix, as a link
    assert html.count('class="example-list"') == 1
    assert '<tr class="structure-row"' not in html

    twin = search(client, ".json", filter="MoS2")
    assert twin.status_code == 400
    error = twin.json()["error"]
    assert error["status"] == 400 and error["position"] == 1 and error["parameter"] == "filter"
    assert error["fixes"] == ['chemical_formula_reduced="MoS2"', 'elements HAS ONLY "Mo","S"']
    assert twin.json()["structures"] == []


def test_lowercase_keywords_get_a_corrected_filter(client: TestClient) -> None:
    body = search(client, ".json", filter="elements has all 'Si' AND nsites<=8").json()
    assert body["error"]["position"] == 10
    assert body["error"]["fixes"] == ['elements HAS ALL "Si" AND nsites<=8']
    assert body["fixes"][0]["href"].startswith("/optimade/search?filter=")


def test_an_unsupported_filter_says_so_plainly(client: TestClient) -> None:
    response = search(client, filter='nelements="two"')
    assert response.status_code == 501
    assert "does not implement that part of the language" in text_of(response.text)
    assert search(client, ".json", filter='nelements="two"').json()["error"]["status"] == 501


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"filter": "nsites<"}, 400),
        ({"filter": "unknown_property=1"}, 400),
        ({"filter": '"'}, 400),
        ({"filter": "(" * 500 + "nsites=1" + ")" * 500}, 400),
        ({"page_limit": "many"}, 400),
        ({"page_limit": "5000"}, 403),
        ({"page_offset": "-1"}, 400),
        ({"sort": "elements"}, 400),
    ],
)
def test_bad_input_is_never_a_server_error(
    client: TestClient, params: dict[str, str], status: int
) -> None:
    response = search(client, **params)
    assert response.status_code == status, response.text[:300]
    assert 'class="notice filter-error"' in response.text
    assert search(client, ".json", **params).json()["error"]["status"] == status


def test_a_fault_of_ours_keeps_the_page_and_the_filter(
    app: FastAPI, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    search(client)  # the service is made on first use

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(app.state.optimade, "entries", broken)
    response = search(client, filter="nsites=1")
    assert response.status_code == 500
    assert "The search failed on our side" in response.text
    assert 'value="nsites=1"' in response.text
    assert "database on fire" not in response.text


# -- the picker without JavaScript -------------------------------------------------------------


def follow(client: TestClient, **params: str) -> str:
    """Submit the picker's form as a browser without JavaScript would; the filter it made."""
    response = search(client, **params)
    assert response.status_code == 303, response.text[:300]
    location = str(response.headers["location"])
    assert urlsplit(location).path == "/optimade/search"
    query = parse_qs(urlsplit(location).query)
    assert not {"toggle", "previous", "mode", "apply"} & query.keys()  # a plain URL
    return query.get("filter", [""])[0]


def test_the_picker_works_without_javascript(client: TestClient, published: str) -> None:
    form = {"mode": "all", "previous": "", "nelements_min": "", "nelements_max": ""}
    first = follow(client, **form, filter="", toggle="Si")
    assert first == 'elements HAS ALL "Si"'
    second = follow(client, **{**form, "previous": first}, filter=first, toggle="O")
    assert second == 'elements HAS ALL "O","Si"'
    untoggled = follow(client, **{**form, "previous": second}, filter=second, toggle="O")
    assert untoggled == 'elements HAS ALL "Si"'

    # the page reads the filter back into the picker: Si is pressed
    html = client.get("/optimade/search", params={"filter": second}).text
    assert re.search(r'value="Si"[^>]*aria-pressed="true"', html)
    assert re.search(r'value="Mo"[^>]*aria-pressed="false"', html)

    # "Write filter" with a mode and ranges
    written = follow(
        client, filter=untoggled, previous=untoggled, mode="only", apply="1", nsites_max="8"
    )
    assert written == 'elements HAS ONLY "Si" AND nsites<=8'
    rows = search(client, ".json", filter=written).json()["structures"]
    assert [row["formula"] for row in rows] == ["Si"]

    # Enter in a range field: the picker changed, the filter box did not
    ranged = follow(client, filter=untoggled, previous=untoggled, mode="all", nelements_min="1")
    assert ranged == 'elements HAS ALL "Si" AND nelements>=1'
    # Enter in the filter box: what was typed wins
    typed = follow(client, filter="nsites=3", previous=untoggled, mode="all")
    assert typed == "nsites=3"
    assert follow(client, filter=typed, previous=typed, mode="all", clear="1") == ""


def test_picker_filters_read_back() -> None:
    state = Picker(("Si", "O"), "any", (2, 2), (None, 24))
    text = state.filter()
    assert text == 'elements HAS ANY "O","Si" AND nelements=2 AND nsites<=24'
    assert Picker.parse(text) == Picker(("O", "Si"), "any", (2, 2), (None, 24))
    assert Picker.parse('elements HAS "Fe"') == Picker(("Fe",), "all")
    assert Picker.parse("") == Picker()
    for custom in [
        'elements HAS "Si" OR nsites=1',
        'elements HAS "Xx"',
        'elements HAS "Si","O"',
        "nsites>=2 AND nsites>=3",
        'chemical_formula_reduced="Si"',
    ]:
        assert Picker.parse(custom) is None, custom
    assert picked_filter({"filter": "nsites=1"}) is None  # no picker field: not the picker


def test_fixes_for_usual_slips() -> None:
    assert fixes("SiO2") == ['chemical_formula_reduced="O2Si"', 'elements HAS ONLY "O","Si"']
    assert fixes("Fe2 O3") == ['chemical_formula_reduced="Fe2O3"', 'elements HAS ONLY "Fe","O"']
    assert fixes("elements has 'Si'") == ['elements HAS "Si"']
    assert fixes('_matcloud_title CONTAINS "has all"') == []  # strings are left alone


# -- paging ------------------------------------------------------------------------------------


def test_pages_link_to_each_other(app: FastAPI, client: TestClient) -> None:
    rows = binaries(25)
    insert_structures(app.state.instance.db, rows)
    publish_records(app.state.instance.db, sorted({row["version_id"] for row in rows}))

    first = search(client, ".json", page_limit="10").json()
    assert first["data_returned"] == 25 and len(first["structures"]) == 10
    pages = first["pagination"]
    assert (pages["page"], pages["pages"], pages["previous"]) == (1, 3, None)
    assert pages["next"] == "/optimade/search?page_limit=10&page_offset=10"

    last = search(client, ".json", page_limit="10", page_offset="20").json()
    assert len(last["structures"]) == 5 and last["pagination"]["next"] is None
    assert last["pagination"]["previous"] == "/optimade/search?page_limit=10&page_offset=10"
    seen = {row["id"] for row in first["structures"]} | {row["id"] for row in last["structures"]}
    assert len(seen) == 15

    html = search(client, page_limit="10", page_offset="10").text
    assert "Page 2 of 3" in html and 'rel="prev"' in html and 'rel="next"' in html
    assert "11–20 shown" in text_of(html)
