"""The ID-card demo section, built from its committed AiiDA archive (real pw.x and ph.x runs by
scripts/demo_idcards.py): every value links to an existing EXPLORE node, the band structures
and phonon dispersions are BandsData nodes made by the calculations, and the numbers are
physically sensible for LDA."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from discover_helpers import add, publish
from matcloud.discover.demo import DATA

ARCHIVE = DATA / "demo-idcards.aiida"
SPEC = (DATA / "demo-idcards.yaml").read_text()


@pytest.fixture
def idcards(client: TestClient, app: FastAPI, admin: dict[str, str]) -> dict[str, Any]:
    record = publish(client, app, {"demo-idcards.aiida": ARCHIVE.read_bytes()})
    built = add(client, admin, SPEC.replace("RECORD", record["id"]))
    assert built.status_code == 201, built.text
    body: dict[str, Any] = built.json()
    body["record"] = record
    return body


def _cards(client: TestClient) -> dict[str, dict[str, Any]]:
    rows = client.get("/api/discover/demo-idcards/rows").json()["rows"]
    cards = {}
    for row in rows:
        card = client.get(f"/api/discover/demo-idcards/rows/{row['key']}").json()
        cards[card["title"]] = card | {"values": {p["name"]: p for p in card["properties"]}}
    return cards


def test_every_value_links_to_the_node_that_holds_it(
    client: TestClient, idcards: dict[str, Any]
) -> None:
    assert idcards["rows"] == 5 and idcards["optimade_structures"] == 5
    cards = _cards(client)
    assert set(cards) == {
        "Silicon", "Diamond", "Aluminium arsenide", "Magnesium oxide", "Aluminium",
    }  # fmt: skip
    checked = set()
    for card in cards.values():
        for prop in card["properties"]:
            if prop["value"] is None:
                assert prop["provenance"] is None
                continue
            link = prop["provenance"]
            assert link and link.startswith(f"/explore/{idcards['archive']}/nodes/"), prop
            if link not in checked:
                node = client.get(f"{link}.json")
                assert node.status_code == 200, link
                checked.add(link)
    silicon = cards["Silicon"]["values"]
    gap = client.get(silicon["band_gap"]["provenance"] + ".json").json()
    assert gap["node"]["type"] == "Dict"
    attributes = client.get(gap["attributes"]["raw"]).json()
    assert attributes["band_gap"] == silicon["band_gap"]["value"]


def test_bands_and_phonons_come_from_the_calculations(
    client: TestClient, idcards: dict[str, Any]
) -> None:
    cards = _cards(client)
    for name, card in cards.items():
        bands = client.get(card["bands"]["url"] + ".json").json()
        assert bands["node"]["type"] == "BandsData", name
        [panel] = [p for p in bands["panels"] if p["kind"] == "bands"]
        assert panel["units"] == "eV" and len(panel["plot"]["series"]) >= 8
        assert {t["label"] for t in panel["plot"]["ticks"]} >= {"Γ", "X"}
        creator = [link for link in bands["inputs"]["links"] if link["link_type"] == "create"]
        assert [c["process"] for c in creator] == ["pw_bands"], name
        if name == "Magnesium oxide":
            assert card.get("phonons") is None  # a row without phonons has no panel
            assert card["values"]["max_phonon"]["value"] is None
            continue
        phonons = client.get(card["phonons"]["url"] + ".json").json()
        [panel] = [p for p in phonons["panels"] if p["kind"] == "bands"]
        assert panel["units"] == "THz" and len(panel["plot"]["series"]) == 3 * (
            1 if name == "Aluminium" else 2
        )
        highest = max(max(s["y"]) for s in panel["plot"]["series"])
        assert highest == pytest.approx(card["values"]["max_phonon"]["value"], rel=1e-9)
        acoustic = min(s["y"][0] for s in panel["plot"]["series"])  # at Γ
        assert abs(acoustic) < 0.05, name  # the acoustic sum rule
    values = {name: card["values"] for name, card in cards.items()}
    assert 0.3 < values["Silicon"]["band_gap"]["value"] < 0.8  # LDA: ~0.5 eV
    assert values["Diamond"]["band_gap"]["value"] > 3.5
    assert values["Aluminium"]["band_gap"]["value"] == 0
    assert 14 < values["Silicon"]["max_phonon"]["value"] < 17  # optical Γ: 15.5 THz measured
    assert values["Diamond"]["max_phonon"]["value"] > 37
    assert values["Silicon"]["space_group_number"]["value"] == 227
    assert values["Aluminium arsenide"]["space_group"]["value"] == "F-43m"
    for name in ("Silicon", "Aluminium"):  # the bands' zero: the VBM, or the Fermi energy
        zero = cards[name]["bands"]["zero"]
        assert zero["value"] == values[name]["energy_zero"]["value"]
        assert zero["title"] == "VBM or Fermi energy"
    bands = client.get(cards["Silicon"]["bands"]["url"] + ".json").json()
    [panel] = [p for p in bands["panels"] if p["kind"] == "bands"]
    valence = max(max(s["y"]) for s in panel["plot"]["series"][:4])  # 8 electrons: 4 bands
    assert valence == pytest.approx(values["Silicon"]["energy_zero"]["value"], abs=1e-6)
    html = client.get(cards["Silicon"]["url"]).text
    assert 'id="card-phonons"' in html and 'id="card-bands"' in html
    assert 'id="card-phonons"' not in client.get(cards["Magnesium oxide"]["url"]).text


def test_a_phonons_column_must_name_bands(
    client: TestClient, idcards: dict[str, Any], admin: dict[str, str]
) -> None:
    wrong = SPEC.replace("RECORD", idcards["record"]["id"]).replace(
        "from: outputs.phonon_bands}", "from: outputs.phonon_parameters}"
    )
    answer = add(client, admin, wrong)
    assert answer.status_code == 400 and "is a Dict, not a BandsData" in answer.text
    assert client.get("/api/discover/demo-idcards").json()["rows"] == 5  # the old one stays
