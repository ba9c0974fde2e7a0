"""OAI-PMH 2.0: every verb and error, valid against the official XSDs, and harvests that
collect every record exactly once across resumption tokens."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from lxml import etree

from archive_helpers import bearer, draft_with_file, publish_via_review
from matcloud.core.models import Role
from matcloud.settings import Settings
from shared_schemas import oai_schema

NS = {"o": "http://www.openarchives.org/OAI/2.0/"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"base_url": "https://data.example.org"})


@pytest.fixture(scope="module")
def schema() -> Any:
    return oai_schema()


class Oai:
    def __init__(self, client: TestClient, schema: Any) -> None:
        self.client = client
        self.schema = schema

    def __call__(self, method: str = "GET", **args: str) -> etree._Element:
        if method == "POST":
            response = self.client.post("/oai2d", data=args)
        else:
            response = self.client.get("/oai2d", params=args)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/xml")
        doc = etree.fromstring(response.content)
        assert self.schema.validate(doc), [e.message for e in self.schema.error_log]
        return doc

    def error(self, **args: str) -> str:
        doc = self(**args)
        errors = doc.xpath("//o:error/@code", namespaces=NS)
        assert len(errors) == 1, etree.tostring(doc)
        code: str = errors[0]
        return code


@pytest.fixture
def oai(client: TestClient, schema: Any) -> Oai:
    return Oai(client, schema)


def publish_many(app: FastAPI, client: TestClient, count: int) -> list[str]:
    ada = bearer(app, f"ada{count}@example.org")
    mod = bearer(app, f"mod{count}@example.org", Role.MODERATOR)
    return [
        publish_via_review(client, ada, mod, draft_with_file(client, ada))["id"]
        for _ in range(count)
    ]


def test_identify_formats_and_sets(oai: Oai) -> None:
    doc = oai(verb="Identify")
    assert doc.findtext(".//o:baseURL", namespaces=NS) == "https://data.example.org/oai2d"
    assert doc.findtext(".//o:deletedRecord", namespaces=NS) == "persistent"
    assert doc.findtext(".//o:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    assert "oai:data.example.org:" in etree.tostring(doc).decode()
    prefixes = oai(verb="ListMetadataFormats").xpath("//o:metadataPrefix/text()", namespaces=NS)
    assert prefixes == ["oai_dc", "oai_datacite"]
    sets = oai(verb="ListSets").xpath("//o:setSpec/text()", namespaces=NS)
    assert sets == ["published", "aiida"]


def test_records_in_both_formats_and_get_record(app: FastAPI, client: TestClient, oai: Oai) -> None:
    [record_id] = publish_many(app, client, 1)
    identifier = f"oai:data.example.org:{record_id}"
    for prefix in ["oai_dc", "oai_datacite"]:
        doc = oai(verb="ListRecords", metadataPrefix=prefix)
        assert doc.xpath("//o:header/o:identifier/text()", namespaces=NS) == [identifier]
        one = oai(verb="GetRecord", identifier=identifier, metadataPrefix=prefix)
        assert one.xpath("//o:metadata/*", namespaces=NS)
    dc = oai(verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc")
    titles = dc.xpath("//*[local-name()='title']/text()")
    assert titles == ["Phonons of silicon from DFPT"]
    posted = oai(method="POST", verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc")
    assert posted.xpath("//o:metadata", namespaces=NS)


def test_every_error_code(app: FastAPI, client: TestClient, oai: Oai) -> None:
    assert oai.error() == "badVerb"
    assert oai.error(verb="Harvest") == "badVerb"
    assert oai.error(verb="Identify", extra="1") == "badArgument"
    assert oai.error(verb="ListRecords") == "badArgument"  # metadataPrefix missing
    assert oai.error(verb="ListRecords", metadataPrefix="oai_dc", resumptionToken="x") == (
        "badArgument"
    )
    assert oai.error(verb="ListRecords", metadataPrefix="oai_dc", **{"from": "2026-13-01"}) == (
        "badArgument"
    )
    assert (
        oai.error(
            verb="ListRecords",
            metadataPrefix="oai_dc",
            until="2026-01-01",
            **{"from": "2026-02-01"},
        )
        == "badArgument"
    )
    assert (
        oai.error(
            verb="ListRecords",
            metadataPrefix="oai_dc",
            until="2026-01-01T00:00:00Z",
            **{"from": "2025-01-01"},
        )
        == "badArgument"
    )  # mixed granularities
    assert oai.error(verb="ListRecords", metadataPrefix="oai_dc", set="nope") == "badArgument"
    assert oai.error(verb="ListRecords", metadataPrefix="marc21") == "cannotDisseminateFormat"
    assert oai.error(verb="ListRecords", metadataPrefix="oai_dc") == "noRecordsMatch"
    assert oai.error(verb="ListIdentifiers", resumptionToken="forged") == "badResumptionToken"
    assert oai.error(verb="ListSets", resumptionToken="x") == "badResumptionToken"
    assert (
        oai.error(
            verb="GetRecord", identifier="oai:data.example.org:1999.1v1", metadataPrefix="oai_dc"
        )
        == "idDoesNotExist"
    )
    assert oai.error(verb="ListMetadataFormats", identifier="nope") == "idDoesNotExist"
    repeated = client.get("/oai2d?verb=Identify&verb=Identify")
    assert b'code="badVerb"' in repeated.content or b'code="badArgument"' in repeated.content


def harvest(oai: Oai, verb: str = "ListIdentifiers", **args: str) -> Iterator[etree._Element]:
    doc = oai(verb=verb, metadataPrefix="oai_dc", **args)
    cursor = 0
    while True:
        headers = doc.xpath("//o:header", namespaces=NS)
        yield from headers
        token = doc.find(".//o:resumptionToken", namespaces=NS)
        if token is None or not (token.text or "").strip():
            return
        assert int(token.get("cursor")) == cursor
        cursor += len(headers)
        doc = oai(verb=verb, resumptionToken=token.text)


def test_resumption_tokens_survive_a_restart_and_new_records(
    app: FastAPI, client: TestClient, oai: Oai, instance_settings: Settings, schema: Any
) -> None:
    ids = publish_many(app, client, 7)
    app.state.archive.oai.page_size = 3
    first = oai(verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = first.find(".//o:resumptionToken", namespaces=NS)
    assert token is not None and token.get("completeListSize") == "7"
    seen = [
        h.findtext("o:identifier", namespaces=NS) for h in first.xpath("//o:header", namespaces=NS)
    ]
    publish_many(app, client, 2)  # arrive mid-harvest: belong to the next harvest
    from matcloud.app import create_app

    restarted = create_app(
        instance_settings.model_copy(
            update={"base_url": "https://data.example.org", "job_queue": "immediate"}
        )
    )
    restarted.state.archive.oai.page_size = 3
    with TestClient(restarted) as other:
        resumed = Oai(other, schema)
        doc = resumed(verb="ListIdentifiers", resumptionToken=token.text)
        while True:
            seen += doc.xpath("//o:header/o:identifier/text()", namespaces=NS)
            token = doc.find(".//o:resumptionToken", namespaces=NS)
            if token is None or not (token.text or "").strip():
                break
            doc = resumed(verb="ListIdentifiers", resumptionToken=token.text)
    restarted.state.instance.close()
    assert seen == [f"oai:data.example.org:{i}" for i in ids]  # each once, in order
    everything = [h.findtext("o:identifier", namespaces=NS) for h in harvest(oai)]
    assert len(everything) == 9 and len(set(everything)) == 9


def test_selective_harvest_and_deleted_records(app: FastAPI, client: TestClient, oai: Oai) -> None:
    ids = publish_many(app, client, 2)
    mod = bearer(app, "boss@example.org", Role.MODERATOR)
    client.post(f"/api/records/{ids[0]}/delete", json={"reason": "Wrong data."}, headers=mod)
    doc = oai(verb="ListRecords", metadataPrefix="oai_datacite")
    deleted = doc.xpath("//o:header[@status='deleted']/o:identifier/text()", namespaces=NS)
    assert deleted == [f"oai:data.example.org:{ids[0]}"]
    assert len(doc.xpath("//o:record/o:metadata", namespaces=NS)) == 1  # none for the deleted
    assert oai.error(verb="ListRecords", metadataPrefix="oai_dc", until="2000-01-01") == (
        "noRecordsMatch"
    )
    today = oai(verb="Identify").findtext(".//o:responseDate", namespaces=NS)[:10]
    assert len(list(harvest(oai, **{"from": today}))) == 2
    assert len(list(harvest(oai, until=today))) == 2


def test_a_third_party_harvester_collects_everything_once(
    app: FastAPI, client: TestClient, instance_settings: Settings
) -> None:
    """sickle (PyPI) against a real server: 7 records in pages of 3, two more mid-harvest."""
    import threading
    import time

    import uvicorn
    from sickle import Sickle

    from livesite import free_port

    ids = publish_many(app, client, 7)
    app.state.archive.oai.page_size = 3
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        harvester = Sickle(f"http://127.0.0.1:{port}/oai2d", max_retries=0)
        records = harvester.ListRecords(metadataPrefix="oai_dc")
        got = [next(records).header.identifier for _ in range(4)]
        publish_many(app, client, 2)
        got += [r.header.identifier for r in records]
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert got == [f"oai:data.example.org:{i}" for i in ids]
