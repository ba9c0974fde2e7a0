"""EXPLORE pages over the real fixture archives: the list, an archive's overview and search, a
group, every node of the rich archive (HTML and JSON twin), the panels by type, downloads, the
graph data, and untrusted content shown as text."""

from __future__ import annotations

import json
import math
import re
import shutil
import sqlite3
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from matcloud.core.errors import NotFound
from matcloud.explore import views as explore_views
from matcloud.explore.node_files import find_object
from matcloud.explore.views_types import band_path
from matcloud.explore.views_values import bounded_json, flatten, json_tree

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "aiida"
CALCFUNCTION = "process.calculation.calcfunction.CalcFunctionNode."


def with_explore_pages(app: FastAPI) -> FastAPI:
    """The app with the EXPLORE pages (until ``create_app`` includes them itself)."""
    if not any(getattr(r, "name", "") == "explore_graph" for r in app.router.routes):
        app.include_router(explore_views.router)
    return app


@dataclass
class Site:
    client: TestClient
    archive: str
    small: str
    manifest: dict[str, Any]

    def node(self, role: str) -> str:
        return f"/explore/{self.archive}/nodes/{self.manifest['nodes'][role]['uuid']}"

    def page(self, url: str) -> str:
        response = self.client.get(url)
        assert response.status_code == 200, response.text[:2000]
        return response.text

    def twin(self, url: str) -> dict[str, Any]:
        response = self.client.get(url + ".json")
        assert response.status_code == 200, response.text[:2000]
        body: dict[str, Any] = json.loads(response.text)  # strict: no NaN
        return body


@pytest.fixture
def site(app: FastAPI, manifest: dict[str, Any]) -> Iterator[Site]:
    with_explore_pages(app)
    rich = app.state.explore.index_local(FIXTURES / "rich.aiida")
    small = app.state.explore.index_local(FIXTURES / "small.aiida")
    with TestClient(app, base_url="http://testserver") as client:
        yield Site(client, rich["id"], small["id"], manifest)


# -- list, overview, groups ----------------------------------------------------------------------


def test_archives_list(site: Site) -> None:
    body = site.twin("/explore/archives")
    assert body["total"] == 2
    rich = next(a for a in body["archives"] if a["id"] == site.archive)
    assert rich["nodes"] == 54 and rich["links"] == 52 and rich["groups"] == 2
    assert rich["types"][0] == {
        "node_type": CALCFUNCTION,
        "name": "CalcFunctionNode",
        "kind": "calculation",
        "count": 10,
        "share": 100.0,
        "url": f"/explore/{site.archive}?type={CALCFUNCTION}#nodes",
    }
    html = site.page("/explore/archives")
    assert "AiiDA records every calculation" in html
    assert f'href="/explore/{site.archive}"' in html and "rich.aiida" in html


def test_overview(site: Site) -> None:
    url = f"/explore/{site.archive}"
    body = site.twin(url)
    assert body["archive"]["statistics"]["nodes"] == 54
    assert body["archive"]["aiida_version"] == "2.9.4"
    assert body["archive"]["export_version"] == "main_0001"
    assert body["archive"]["first_ctime"].endswith("+00:00")
    assert {t["name"]: t["count"] for t in body["types"]}["StructureData"] == 7
    groups = {g["label"]: g for g in body["groups"]}
    assert groups["fixtures/structures"]["nodes"] == 5
    assert groups["fixtures/structures"]["description"].startswith("All input structures")
    assert body["search"]["total"] == 54 and len(body["search"]["hits"]) == 25
    assert body["search"]["hits"][0]["pk"] == 1 and body["search"]["next"]

    html = site.page(url)
    assert '<option value="data.core.structure.StructureData.">StructureData (7)</option>' in html
    assert "fixtures/workflows" in html and "1–25 of 54 nodes" in html
    assert html.count('class="type-bar ') == len(body["types"])


def test_search(site: Site) -> None:
    url = f"/explore/{site.archive}"
    si = site.manifest["nodes"]["structure_si"]["uuid"]
    found = site.client.get(url + ".json", params={"uuid": si[:6].upper()}).json()["search"]
    assert si in [h["uuid"] for h in found["hits"]]
    assert all(h["uuid"].startswith(si[:6]) for h in found["hits"])

    found = site.client.get(url + ".json", params={"label": "X1.02"}).json()["search"]
    assert sorted(h["label"] for h in found["hits"]) == [
        "NaCl rocksalt x1.02",
        "Ni3Al L1_2 x1.02",
        "Si diamond x1.02",
    ]
    found = site.client.get(url + ".json", params={"label": "100%_"}).json()["search"]
    assert found["total"] == 0  # LIKE wildcards are escaped

    structures = "data.core.structure.StructureData."
    found = site.client.get(url + ".json", params={"type": structures, "size": 10}).json()
    assert found["search"]["total"] == 7 and found["search"]["pages"] == 1
    assert {h["type"] for h in found["search"]["hits"]} == {"StructureData"}

    second = site.client.get(url + ".json", params={"size": 10, "page": 2}).json()["search"]
    assert [h["pk"] for h in second["hits"]] == list(range(11, 21))
    assert second["previous"] and second["next"] and second["pages"] == 6
    html = site.page(f"{url}?label=diamond")
    assert "Si diamond x1.02" in html and "NaCl rocksalt" not in html


def test_group_page(site: Site) -> None:
    group = site.manifest["groups"]["group_structures"]
    url = f"/explore/{site.archive}/groups/{group['uuid']}"
    body = site.twin(url)
    roles = group["node_roles"]
    assert {h["uuid"] for h in body["hits"]} == {site.manifest["nodes"][r]["uuid"] for r in roles}
    assert body["group"]["label"] == "fixtures/structures" and body["group"]["nodes"] == 5
    assert "All input structures" in site.page(url)


def test_not_found(site: Site) -> None:
    for url in (
        "/explore/0000000000000000",
        f"/explore/{site.archive}/nodes/00000000-0000-0000-0000-000000000000",
        f"/explore/{site.archive}/groups/nope",
        f"/explore/{site.archive}/graph/nope.json",
    ):
        response = site.client.get(url)
        assert response.status_code == 404, url
    problem = site.client.get("/explore/0000000000000000.json")
    assert problem.headers["content-type"] == "application/problem+json"


# -- node pages ----------------------------------------------------------------------------------


def test_every_node_page(site: Site) -> None:
    """Every role of the rich archive: the page and its twin, with the summary and the links."""
    for role, node in site.manifest["nodes"].items():
        if role.startswith("small_"):
            continue
        url = site.node(role)
        html = site.page(url)
        body = site.twin(url)
        assert body["node"]["uuid"] == node["uuid"], role
        assert body["node"]["node_type"] == node["node_type"], role
        assert len(body["comments"]) == node["comments"], role
        assert len(body["logs"]) == node["logs"], role
        files = [f["path"] for f in _files(body["files"]["children"])]
        assert sorted(files) == sorted(node.get("repository_files", [])), role
        if "process_state" in node:
            assert body["node"]["process_state"] == node["process_state"], role
            assert body["node"]["exit_status"] == node["exit_status"], role
        assert f'data-url="/explore/{site.archive}/graph/{node["uuid"]}.json"' in html


def _files(children: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for child in children:
        if child["dir"]:
            yield from _files(child["children"])
        else:
            yield child


def test_untrusted_content_is_text(site: Site) -> None:
    html = site.page(site.node("html_label"))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=" in html
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    comments = site.page(site.node("structure_si"))
    assert "second comment, &lt;b&gt;with HTML&lt;/b&gt;" in comments
    overview = site.page(f"/explore/{site.archive}?label=script")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in overview and "<script>alert" not in overview
    graph = site.client.get(
        f"/explore/{site.archive}/graph/{site.manifest['nodes']['html_label']['uuid']}.json"
    )
    assert graph.headers["content-type"] == "application/json"


def test_large_attributes_are_cut(site: Site) -> None:
    url = site.node("large_dict")
    response = site.client.get(url)
    assert response.status_code == 200 and len(response.text) < 150_000
    assert "The attributes as raw JSON" in response.text
    body = site.twin(url)
    assert body["attributes"]["cut"] and body["attributes"]["chars"] == 1_030_554
    raw = site.client.get(body["attributes"]["raw"])
    assert raw.status_code == 200 and raw.headers["content-type"] == "application/json"
    assert len(raw.text) == 1_030_554 and len(raw.json()["matrix"]) == 1000
    assert raw.headers["x-content-type-options"] == "nosniff"


def test_structure(site: Site) -> None:
    url = site.node("structure_si")
    panel = site.twin(url)["panels"][0]
    assert panel["kind"] == "structure" and panel["formula"] == "Si2" and panel["natoms"] == 2
    assert panel["lengths"] == pytest.approx([3.8403] * 3, abs=1e-4)
    assert panel["angles"] == pytest.approx([60.0] * 3)
    assert panel["volume"] == pytest.approx(2 * 2.7155**3)
    assert panel["pbc"] == [True, True, True]
    assert [d["label"] for d in panel["downloads"]] == ["CIF", "XSF", "POSCAR"]
    html = site.page(url)
    assert 'class="file-preview structure-preview" data-format="poscar"' in html
    assert "js/structure-preview.js" in html

    cif = site.client.get(f"{url}/structure.cif")
    assert cif.status_code == 200
    assert cif.headers["content-disposition"].startswith("attachment;")
    assert "_symmetry_space_group_name_H-M   'P 1'" in cif.text
    assert re.search(r"Si2 Si 0\.2500000000 0\.2500000000 0\.2500000000 1", cif.text)
    poscar = site.client.get(f"{url}/structure.poscar").text.splitlines()
    assert poscar[5:7] == ["  Si", "  2"] and poscar[7] == "Cartesian"
    slab = site.twin(site.node("structure_slab"))["panels"][0]
    assert slab["pbc"] == [True, True, False]
    assert "SLAB" in site.client.get(f"{site.node('structure_slab')}/structure.xsf").text
    assert site.client.get(f"{url}/structure.pdb").status_code == 404
    assert site.client.get(f"{site.node('bands')}/structure.cif").status_code == 404


def test_bands(site: Site) -> None:
    url = site.node("bands")
    panel = site.twin(url)["panels"][0]
    plot = panel["plot"]
    assert panel["kind"] == "bands" and panel["units"] == "eV"
    assert (panel["nk"], panel["nbands"], panel["nspin"]) == (5, 6, 1)
    assert [t["label"] for t in plot["ticks"]] == ["Γ", "X"]
    assert plot["x_title"] == "k-path (1/Å)" and plot["y_title"] == "Energy (eV)"
    assert plot["x"] == sorted(plot["x"]) and plot["x"][0] == 0.0
    # Γ to X of the fcc cell (a = 5.431 Å): 2π/a
    assert plot["x"][-1] == pytest.approx(2 * 3.141592653589793 / 5.431, rel=1e-4)
    assert len(plot["series"]) == 6 and len(plot["series"][0]["y"]) == 5
    html = site.page(url)
    assert 'data-plot="bands"' in html and "vendor/plotly.min.js" in html


def test_kpoints_arrays_xy_trajectory(site: Site) -> None:
    mesh = site.twin(site.node("kpoints_mesh"))["panels"][0]
    assert mesh["mesh"] == [4, 4, 4] and mesh["offset"] == [0.5, 0.5, 0.5]
    listed = site.twin(site.node("kpoints_list"))["panels"][0]
    assert listed["total"] == 4
    assert [p["label"] for p in listed["points"]] == ["GAMMA", "", "X", "W"]

    arrays = site.twin(site.node("array"))["panels"][0]
    shapes = {a["name"]: a["shape"] for a in arrays["arrays"]}
    assert shapes == {"energies": [3], "forces": [4, 3], "steps": [3]}
    forces = next(a for a in arrays["arrays"] if a["name"] == "forces")
    assert len(forces["table"]) == 4 and forces["plot"] is None

    xy = site.twin(site.node("xy"))["panels"][0]["xy"]
    assert xy["x_name"] == "energy" and xy["x_units"] == "eV" and len(xy["x"]) == 21
    assert [(s["name"], s["units"]) for s in xy["series"]] == [
        ("dos_up", "states/eV"),
        ("dos_down", "states/eV"),
    ]
    trajectory = site.twin(site.node("trajectory"))["panels"][0]
    assert trajectory["viewer"]["frames"] == 4
    assert trajectory["viewer"]["text"].startswith("2\nLattice=")


def test_dict_value_and_code_panels(site: Site) -> None:
    rows = site.twin(site.node("dict"))["panels"][0]["rows"]
    assert {"key": "SYSTEM.ecutwfc", "type": "number", "value": "30.0", "cut": False} in rows
    value = site.twin(site.node("str"))["panels"][0]
    assert value["value"]["entries"][0]["value"].startswith("hello AiiDA")
    code = site.twin(site.node("code_installed"))["panels"][0]
    assert (
        code["executable"] == "/usr/bin/pw.x" and code["computer"]["label"] == "localhost-fixture"
    )
    remote = site.twin(site.node("remote"))["panels"][0]
    assert remote["remote_path"].startswith("/scratch/fixture/")


def test_calcjob(site: Site) -> None:
    url = site.node("calcjob")
    body = site.twin(url)
    calcjob, process = body["panels"]
    assert calcjob["scheduler"]["job_id"] == "4242"
    assert calcjob["scheduler"]["scheduler_state"] == "done"
    options = {r["key"]: r["value"] for r in calcjob["options"]["rows"]}
    assert options["resources.num_machines"] == "1" and options["withmpi"] == "true"
    retrieved = [f["name"] for f in calcjob["retrieved"]["files"]["children"]]
    assert "aiida.out" in retrieved
    out = next(f for f in calcjob["retrieved"]["files"]["children"] if f["name"] == "aiida.out")
    assert "JOB DONE" in out["preview"]["text"]
    assert process["state"] == "finished" and process["exit_status"] == 0
    assert body["logs"][0]["level"] == "WARNING"
    assert {link["link_label"] for link in body["inputs"]["links"]} == {
        "code",
        "structure",
        "parameters",
        "kpoints",
    }
    html = site.page(url)
    assert "Output files" in html and "aiida.in" in html


def test_processes(site: Site) -> None:
    inner = site.twin(site.node("workfunction_inner"))["panels"][0]
    tree = inner["call_tree"]
    assert tree["uuid"] == site.manifest["nodes"]["workfunction_outer"]["uuid"]
    assert tree["children"][0]["current"] and len(tree["children"][0]["children"]) == 2
    assert inner["caller"]["uuid"] == tree["uuid"]

    failed = site.twin(site.node("calcfunction_failed"))
    assert failed["node"]["exit_status"] == 400
    assert "the value is negative" in site.page(site.node("calcfunction_failed"))
    excepted = site.twin(site.node("calcfunction_excepted"))["panels"][0]
    assert excepted["state"] == "excepted" and "ZeroDivisionError" in excepted["exception"]


def test_file_downloads(site: Site) -> None:
    notes = site.client.get(f"{site.node('singlefile')}/files/notes.txt")
    assert notes.status_code == 200 and "Ångström" in notes.text
    assert notes.headers["content-disposition"].startswith('attachment; filename="notes.txt"')
    assert notes.headers["content-type"].startswith("text/plain")
    assert "sandbox" in notes.headers["content-security-policy"]
    folder = site.node("folder")
    deep = site.client.get(f"{folder}/files/sub/deeper/deep.txt")
    assert deep.status_code == 200 and deep.headers["content-type"] == "text/plain; charset=utf-8"
    binary = site.client.get(f"{folder}/files/sub/binary.bin")
    assert binary.headers["content-type"] == "application/octet-stream"
    assert len(binary.content) == int(binary.headers["content-length"])
    cached = site.client.get(
        f"{folder}/files/readme.txt",
        headers={"if-none-match": site.client.get(f"{folder}/files/readme.txt").headers["etag"]},
    )
    assert cached.status_code == 304
    for bad in ("sub", "sub/", "%2e%2e/readme.txt", "sub/%2e%2e/readme.txt", "notes.txt"):
        assert site.client.get(f"{folder}/files/{bad}").status_code == 404, bad


def test_paths_resolve_only_inside_the_node() -> None:
    """The file route names objects only through the node's own tree, part by part."""
    tree = {"o": {"sub": {"o": {"a.txt": {"k": "1" * 64}}}, "b.txt": {"k": "2" * 64}}}
    assert find_object(tree, "sub/a.txt") == "1" * 64 and find_object(tree, "b.txt") == "2" * 64
    for bad in ("sub", "sub/", "../b.txt", "sub/../b.txt", "/b.txt", "sub//a.txt", "", "c.txt"):
        with pytest.raises(NotFound):
            find_object(tree, bad)
    with pytest.raises(NotFound):
        find_object({"o": {"x": "not a folder"}}, "x/y")


def test_graph(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    workchain = site.manifest["nodes"]["workchain"]["uuid"]
    body = site.client.get(f"/explore/{site.archive}/graph/{workchain}.json").json()
    assert body["centre"] == workchain and body["more"] == []
    assert len(body["nodes"]) == 7 and len(body["edges"]) == 6
    kinds = {n["label"]: n["kind"] for n in body["nodes"]}
    assert kinds["scale and describe Ni3Al"] == "workflow" and kinds["Ni3Al L1_2"] == "data"
    assert kinds["scale_structure"] == "calculation"
    labels = {(e["label"], e["type"]) for e in body["edges"]}
    assert ("structure", "input_work") in labels and ("CALL", "call_calc") in labels
    assert all(e["source"] == workchain or e["target"] == workchain for e in body["edges"])

    monkeypatch.setattr("matcloud.explore.nodes.NEIGHBOURS", 2)
    scale = site.manifest["nodes"]["scale"]["uuid"]
    capped = site.client.get(f"/explore/{site.archive}/graph/{scale}.json").json()
    assert len(capped["edges"]) == 2
    assert capped["more"] == [
        {
            "id": f"more-out-{scale}",
            "kind": "more",
            "direction": "out",
            "count": 5,
            "label": "+5 more outputs",
            "of": scale,
            "url": f"/explore/{site.archive}/nodes/{scale}#outputs",
        }
    ]
    assert "Showing 2 of 7" in site.page(site.node("scale"))


def test_small_archive(site: Site) -> None:
    calc = site.manifest["nodes"]["small_calcfunction"]["uuid"]
    body = site.twin(f"/explore/{site.small}/nodes/{calc}")
    assert {link["link_label"] for link in body["inputs"]["links"]} == {"x", "y"}
    assert body["outputs"]["links"][0]["uuid"] == site.manifest["nodes"]["small_sum"]["uuid"]
    overview = site.twin(f"/explore/{site.small}")
    assert overview["groups"] == [] and overview["search"]["total"] == 4


# -- a hostile archive ---------------------------------------------------------------------------

MISSING_KEY = "f" * 64
HOSTILE_NODES: dict[int, tuple[str, str, str, str]] = {
    # pk: (node_type, label, attributes, repository_metadata)
    100: ("data.someplugin.custom.Custom.", "custom", '{"a": 1, "n": {"b": [1, 2]}}', "{}"),
    101: ("data.core.structure.StructureData.", "broken", '{"cell": "oops", "sites": 3}', "{}"),
    102: ("data.core.dict.Dict.", "not json", "not json at all {", "{}"),
    103: ("data.core.dict.Dict.", "nan", '{"x": NaN, "y": Infinity, "z": [-Infinity]}', "{}"),
    104: ("process.workflow.workchain.WorkChainNode.", "garbled", "garbage{", "{}"),
    105: (
        "data.core.folder.FolderData.",
        "odd files",
        "{}",
        json.dumps(
            {
                "o": {
                    "../../etc/passwd": {"k": MISSING_KEY},
                    "<img src=x onerror=alert(1)>.txt": {"k": MISSING_KEY},
                    "not-a-key.txt": {"k": "../../db.sqlite3"},
                    "dir": {"o": {}},
                    "weird": 5,
                }
            }
        ),
    ),
    106: (
        "data.core.array.bands.BandsData.",
        "no bands file",
        '{"array|bands": [100000000, 10], "labels": ["G"], "label_numbers": [0]}',
        "{}",
    ),
    107: ("data.core.list.List.", "deep", '{"list": ' + "[" * 5000 + "]" * 5000 + "}", "{}"),
    108: (
        "data.core.array.ArrayData.",
        "huge",
        '{"array|huge": [100000000], "array|w": "x"}',
        "{}",
    ),
    109: ("process.calculation.calcjob.CalcJobNode.", "lonely job", "{}", "null"),
}


@pytest.fixture
def hostile(app: FastAPI, manifest: dict[str, Any]) -> Iterator[Site]:
    """The rich archive with nodes no honest AiiDA would write added to its index."""
    with_explore_pages(app)
    rich = app.state.explore.index_local(FIXTURES / "rich.aiida")
    database = app.state.explore.root / rich["id"] / "index.sqlite3"
    database.chmod(0o644)
    connection = sqlite3.connect(database)
    with connection:
        for pk, (node_type, label, attributes, repository) in HOSTILE_NODES.items():
            connection.execute(
                "INSERT INTO db_dbnode (id, uuid, node_type, process_type, label, description,"
                " ctime, mtime, attributes, extras, repository_metadata, dbcomputer_id, user_id)"
                " VALUES (?, ?, ?, NULL, ?, '', '2024-01-01 00:00:00', 'bad time', ?, ?, ?, ?, 1)",
                (pk, f"00000000-0000-0000-0000-{pk:012d}", node_type, label, attributes,
                 attributes, repository, 999 if pk == 109 else None),
            )  # fmt: skip
        connection.execute(
            "INSERT INTO db_dblink (id, input_id, output_id, label, type) VALUES"
            " (1000, 104, 100, '<b>out</b>', 'return'), (1001, 100, 104, 'x', 'input_work')"
        )
    connection.close()
    database.chmod(0o444)
    with TestClient(app, base_url="http://testserver") as client:
        yield Site(client, rich["id"], "", manifest)


def test_hostile_nodes_are_shown(hostile: Site) -> None:
    """Whatever the archive holds, the pages answer (strict JSON twins, escaped HTML)."""
    base = f"/explore/{hostile.archive}"
    for pk in HOSTILE_NODES:
        url = f"{base}/nodes/00000000-0000-0000-0000-{pk:012d}"
        html = hostile.page(url)
        assert "<img src=x" not in html and "<b>out</b>" not in html, pk
        hostile.twin(url)
        graph = hostile.client.get(f"{base}/graph/00000000-0000-0000-0000-{pk:012d}.json")
        assert graph.status_code == 200, pk
    node = f"{base}/nodes/00000000-0000-0000-0000-"
    assert hostile.twin(node + "000000000100")["panels"] == []  # unknown type: generic
    broken = hostile.twin(node + "000000000101")["panels"][0]
    assert broken["error"] == "the cell is not three vectors"
    assert hostile.client.get(node + "000000000101/structure.cif").status_code == 404
    nan = hostile.twin(node + "000000000103")["attributes"]["entries"]
    assert [e["value"] for e in nan] == ["NaN", "Infinity", '["-Infinity"]']
    files = hostile.twin(node + "000000000105")["files"]["children"]
    names = [f["name"] for f in files]
    assert names == ["dir", "<img src=x onerror=alert(1)>.txt", "not-a-key.txt"]
    assert all(f["size"] is None for f in files if not f["dir"])
    assert hostile.client.get(node + "000000000105/files/not-a-key.txt").status_code == 404
    assert "too large" in hostile.twin(node + "000000000106")["panels"][0]["note"]
    assert hostile.twin(node + "000000000108")["panels"][0]["arrays"][0]["plot"] is None
    garbled = hostile.twin(node + "000000000104")
    assert garbled["outputs"]["links"][0]["link_label"] == "<b>out</b>"
    assert garbled["panels"][0]["state"] is None
    job = hostile.twin(node + "000000000109")
    assert job["panels"][0]["retrieved"] is None and job["node"]["computer"] is None
    found = hostile.client.get(base + ".json", params={"label": "odd"}).json()["search"]
    assert [hit["label"] for hit in found["hits"]] == ["odd files"]


# -- the parts of pages, alone -------------------------------------------------------------------


def test_json_tree_is_bounded() -> None:
    value = {
        "short": [1, 2, 3],
        "numbers": list(range(100_000)),
        "text": "x" * 10_000,
        "nested": {f"k{i}": {"deep": [{"a": i}] * 3} for i in range(5_000)},
    }
    tree = json_tree(value)
    entries = {e["key"]: e for e in tree["entries"]}
    assert entries["short"] == {"key": "short", "type": "array", "cut": False, "count": 3,
                                "value": "[1, 2, 3]"}  # fmt: skip
    assert entries["numbers"]["cut"] and len(entries["numbers"]["value"]) < 500
    assert entries["text"]["cut"] and entries["text"]["length"] == 10_000
    assert entries["nested"]["more"] > 4_000 and tree["cut"]
    assert len(json.dumps(tree)) < 200_000
    assert bounded_json({"a": [1] * 10**6}, 20) == ('{"a": [1, 1, 1, 1, 1', False)
    assert bounded_json({"a": float("nan")}, 20) == ('{"a": "nan"}', True)


def test_flatten() -> None:
    flat = flatten({"A": {"b": 1, "c": {"d": "x"}}, "e": [1, {"f": 2}], "g": {}}, limit=3)
    assert [(r["key"], r["value"]) for r in flat["rows"]] == [
        ("A.b", "1"),
        ("A.c.d", "x"),
        ("e", '[1, {"f": 2}]'),
    ]
    assert flat["total"] == 4 and flat["more"] == 1


def test_band_path_jumps_and_labels() -> None:
    cell = [[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]]
    kpoints = np.array([[0, 0, 0], [0.25, 0, 0], [0.5, 0, 0], [0, 0.5, 0], [0, 0.5, 0.5]])
    x, ticks, title = band_path(kpoints, cell, 5, ["GAMMA", "X", "Y", "Z"], [0, 2, 3, 4])
    step = 2 * math.pi * 0.5
    # X -> Y is a jump (both labelled), as in AiiDA's plots; Y -> Z too, however far apart
    assert x == pytest.approx([0, step / 2, step, step, step])
    assert ticks == [
        {"x": 0.0, "label": "Γ"},
        {"x": pytest.approx(step), "label": "X|Y|Z"},
    ]
    assert title == "k-path (1/Å)"
    x, ticks, title = band_path(None, None, 3, ["A"], [7])
    assert x == [0.0, 1.0, 2.0] and ticks == [] and title == "k-point index"


def test_failed_archive(app: FastAPI, tmp_path: Path) -> None:
    """An archive that could not be indexed says why, and nothing in it is browsable."""
    with_explore_pages(app)
    bad = tmp_path / "broken.aiida"
    bad.write_bytes(b"not a zip")
    archive = app.state.explore.index_local(bad)
    assert archive["status"] == "failed"
    with TestClient(app, base_url="http://testserver") as client:
        page = client.get(f"/explore/{archive['id']}")
        assert page.status_code == 200 and "could not be indexed" in page.text
        assert client.get(f"/explore/{archive['id']}.json").json()["search"] is None
        node = client.get(f"/explore/{archive['id']}/nodes/{'0' * 8}-0000-0000-0000-{'0' * 12}")
        assert node.status_code == 404
        assert client.get("/explore/archives.json").json()["total"] == 0


def test_records_holding_the_file(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each record is named by its title; one that cannot be read keeps its id."""
    service = site.client.app.state.explore  # type: ignore[attr-defined]
    real_get = service.get

    def get(archive_id: str) -> dict[str, Any]:
        body: dict[str, Any] = real_get(archive_id)
        body["records"] = [{"version": "gone1", "key": "run.aiida", "url": "/records/gone1"}]
        return body

    monkeypatch.setattr(service, "get", get)
    records = site.twin(f"/explore/{site.archive}")["records"]
    assert records == [
        {"version": "gone1", "key": "run.aiida", "url": "/records/gone1", "title": "gone1"}
    ]
    html = " ".join(site.page(f"/explore/{site.archive}").split())
    assert 'Published in <a href="/records/gone1">gone1</a>' in html


def test_a_damaged_file_is_named_and_the_rest_still_browses(
    app: FastAPI, manifest: dict[str, Any], tmp_path: Path
) -> None:
    """A file whose compressed bytes are corrupt inside an otherwise readable archive: its
    download is a 422 saying so, its node's page still shows, marking it damaged."""
    damaged = tmp_path / "damaged.aiida"
    shutil.copy(FIXTURES / "rich.aiida", damaged)
    with zipfile.ZipFile(damaged) as archive:
        member = next(
            info
            for info in archive.infolist()
            if info.filename.startswith("repo/")
            and archive.read(info).startswith(b"line 1: plain text\nline 2: \xc3\x85ngstr")
        )
        assert member.compress_type == zipfile.ZIP_DEFLATED
    with damaged.open("r+b") as handle:
        handle.seek(member.header_offset + 26)
        name_length, extra_length = struct.unpack("<HH", handle.read(4))
        middle = member.header_offset + 30 + name_length + extra_length + member.compress_size // 2
        handle.seek(middle)
        byte = handle.read(1)
        handle.seek(middle)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with_explore_pages(app)
    archive_id = app.state.explore.index_local(damaged)["id"]
    site = Site(TestClient(app, base_url="http://testserver"), archive_id, "", manifest)
    with site.client:
        answer = site.client.get(f"{site.node('singlefile')}/files/notes.txt")
        assert answer.status_code == 422, answer.text[:300]
        assert "is damaged inside the archive" in answer.text
        page = site.page(site.node("singlefile"))
        assert "Damaged inside the archive" in page
        twin = site.twin(site.node("singlefile"))
        assert twin["files"]["children"][0].get("damaged") is True
        assert site.client.get(f"{site.node('folder')}/files/readme.txt").status_code == 200
