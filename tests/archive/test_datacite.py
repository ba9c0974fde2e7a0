"""DOI registration with DataCite, against a local server that behaves as DataCite documents.

Publishing, correcting and retracting only write the outbox; the registration job then talks to
"DataCite" (``fake_datacite``): a draft on reservation, the ``publish`` event with metadata that
validates against kernel-4.7, updates on corrections, ``hide`` on retraction. When DataCite is
down, publishing goes on and the DOI waits, retried, visible to moderators, who can retry it.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError

from archive_helpers import PASSWORD, bearer, draft_with_file, publish_via_review
from factories import csrf_from, sign_in
from fake_datacite import FakeDataCite, kernel_47
from matcloud.archive.datacite import DataCiteClient, DataCiteProvider
from matcloud.archive.pids import REGISTERED, PidError, PidSync
from matcloud.archive.registration import SYNC_RETRIES
from matcloud.core.models import JobRun, JobStatus, Role
from matcloud.settings import Settings
from shared_schemas import SHARED


@pytest.fixture
def fake() -> Iterator[FakeDataCite]:
    xsd = kernel_47(SHARED) if (SHARED / "schemas" / "datacite").exists() else None
    datacite = FakeDataCite(xsd=xsd)
    server, url = datacite.serve()
    datacite.url = url  # type: ignore[attr-defined]
    yield datacite
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings(settings: Settings, fake: FakeDataCite) -> Settings:
    return settings.model_copy(
        update={
            "pid_provider": "datacite",
            "datacite_url": fake.url,  # type: ignore[attr-defined]
            "datacite_username": fake.username,
            "datacite_password": SecretStr(fake.password),
            "datacite_timeout": 2.0,
        }
    )


def people(app: FastAPI) -> tuple[dict[str, str], dict[str, str]]:
    return bearer(app, "ada@example.org"), bearer(app, "mod@example.org", Role.MODERATOR)


def dois_of(record: dict[str, Any]) -> tuple[str, str]:
    return record["pids"]["doi"]["identifier"], record["parent"]["pids"]["doi"]["identifier"]


def registration(client: TestClient, mod: dict[str, str], doi: str) -> dict[str, Any]:
    response = client.get(f"/api/dois/{doi}", headers=mod)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def calls(fake: FakeDataCite, doi: str) -> list[tuple[str, str | None]]:
    """(method, event) of every request about ``doi`` that DataCite answered."""
    found = []
    for method, path, body in fake.requests:
        attributes = (body or {}).get("data", {}).get("attributes", {})
        if path == f"/dois/{doi}" or attributes.get("doi") == doi:
            found.append((method, attributes.get("event")))
    return found


def test_publication_drafts_then_publishes_both_dois_with_valid_metadata(
    app: FastAPI, client: TestClient, fake: FakeDataCite
) -> None:
    ada, mod = people(app)
    record = publish_via_review(client, ada, mod, draft_with_file(client, ada))
    doi, concept = dois_of(record)

    held = fake.dois[doi.lower()]
    assert held["state"] == "findable"
    assert held["url"] == f"http://testserver/records/{record['id']}"
    assert calls(fake, doi) == [("POST", None), ("PUT", "publish")]
    attributes = held["attributes"]
    assert attributes["titles"] == [{"title": "Phonons of silicon from DFPT"}]
    assert attributes["creators"][0]["nameIdentifiers"][0]["nameIdentifier"].endswith(
        "0000-0002-1825-0097"
    )
    assert attributes["types"]["resourceTypeGeneral"] == "Dataset"
    assert '<identifier identifierType="DOI">' in held["xml"] and doi in held["xml"]
    assert {"relatedIdentifier": concept, "relatedIdentifierType": "DOI",
            "relationType": "IsVersionOf"} in attributes["relatedIdentifiers"]  # fmt: skip

    held_concept = fake.dois[concept.lower()]
    assert held_concept["state"] == "findable"
    assert held_concept["url"] == f"http://testserver/records/{record['parent']['id']}"
    has_version = {
        "relatedIdentifier": doi,
        "relatedIdentifierType": "DOI",
        "relationType": "HasVersion",
    }
    assert has_version in held_concept["attributes"]["relatedIdentifiers"]

    for each in (doi, concept):
        state = registration(client, mod, each)
        assert (state["state"], state["remote_state"], state["error"]) == (
            "registered",
            "findable",
            None,
        )
    listed = client.get("/api/dois", headers=mod).json()
    assert listed["counts"] == {"pending": 0, "registered": 2, "failed": 0}
    assert listed["provider"] == "datacite"


@pytest.mark.skipif(not (SHARED / "schemas").exists(), reason="../shared/schemas is not here")
def test_the_fake_refuses_xml_that_is_not_kernel_47(fake: FakeDataCite) -> None:
    client = DataCiteClient(fake.url, fake.username, fake.password)  # type: ignore[attr-defined]
    provider = DataCiteProvider("10.99999", client)
    bad = (
        '<resource xmlns="http://datacite.org/schema/kernel-4">'
        '<identifier identifierType="DOI">10.99999/x</identifier></resource>'
    )
    request = PidSync(
        doi="10.99999/x",
        status=REGISTERED,
        url="https://example.org/x",
        attributes={"titles": [{"title": "x"}]},
        xml=bad,
    )
    with pytest.raises(PidError) as refused:
        provider.sync(request)
    assert refused.value.permanent and "not valid against the schema" in str(refused.value)
    assert request.remote_state == "draft"  # the draft was made; publishing it was refused


def test_registration_only_for_moderators(
    app: FastAPI, client: TestClient, fake: FakeDataCite
) -> None:
    ada, mod = people(app)
    record = publish_via_review(client, ada, mod, draft_with_file(client, ada))
    doi, _ = dois_of(record)
    assert client.get("/api/dois", headers=ada).status_code == 403
    assert client.get(f"/api/dois/{doi}", headers=ada).status_code == 403
    assert client.post(f"/api/dois/{doi}/actions/retry", headers=ada).status_code == 403
    assert client.get("/api/dois").status_code in (401, 403)
    assert client.get("/dois").status_code in (401, 403)
    assert client.get("/api/dois?state=lost", headers=mod).status_code == 400
    assert client.get("/api/dois/10.99999/unknown", headers=mod).status_code == 404
    assert client.post(f"/api/dois/{doi}/actions/retry", headers=mod).status_code == 409


def test_a_correction_updates_the_metadata_without_an_event(
    app: FastAPI, client: TestClient, fake: FakeDataCite
) -> None:
    ada, mod = people(app)
    record_id = draft_with_file(client, ada)
    before = publish_via_review(client, ada, mod, record_id)
    doi, concept = dois_of(before)
    client.post(f"/api/records/{record_id}/draft", headers=ada)
    corrected = {**before["metadata"], "title": "Phonons of silicon (corrected)"}
    client.put(f"/api/records/{record_id}/draft", json={"metadata": corrected}, headers=ada)
    publish_via_review(client, ada, mod, record_id)

    for each in (doi, concept):
        held = fake.dois[each.lower()]
        assert held["attributes"]["titles"] == [{"title": "Phonons of silicon (corrected)"}]
        assert held["state"] == "findable"
        assert calls(fake, each)[-1] == ("PUT", None)
        assert "Phonons of silicon (corrected)" in held["xml"]


def test_a_new_version_gets_its_doi_and_the_concept_lists_both(
    app: FastAPI, client: TestClient, fake: FakeDataCite
) -> None:
    ada, mod = people(app)
    first = publish_via_review(client, ada, mod, draft_with_file(client, ada))
    new = client.post(f"/api/records/{first['id']}/versions", headers=ada)
    assert new.status_code == 201, new.text
    second = publish_via_review(client, ada, mod, new.json()["id"])
    v1, concept = dois_of(first)
    v2, _ = dois_of(second)
    related = fake.dois[concept.lower()]["attributes"]["relatedIdentifiers"]
    versions = {r["relatedIdentifier"] for r in related if r["relationType"] == "HasVersion"}
    assert versions == {v1, v2}
    assert fake.dois[v2.lower()]["state"] == "findable"
    assert "version" not in fake.dois[concept.lower()]["attributes"]  # it stands for all


def test_retraction_hides_the_dois_which_keep_resolving_to_the_tombstone(
    app: FastAPI, client: TestClient, fake: FakeDataCite
) -> None:
    ada, mod = people(app)
    record = publish_via_review(client, ada, mod, draft_with_file(client, ada))
    doi, concept = dois_of(record)
    removed = client.post(
        f"/api/records/{record['parent']['id']}/delete",
        json={"reason": "The authors found an error in the data."},
        headers=mod,
    )
    assert removed.status_code == 200
    for each, target in ((doi, record["id"]), (concept, record["parent"]["id"])):
        held = fake.dois[each.lower()]
        assert held["state"] == "registered"  # resolves, but is no longer findable
        assert held["url"] == f"http://testserver/records/{target}"
        assert calls(fake, each)[-1] == ("PUT", "hide")
        assert registration(client, mod, each)["status"] == "tombstone"
    assert client.get(f"/records/{record['id']}").status_code == 410


def test_datacite_down_never_blocks_publishing_and_a_moderator_retries(
    app: FastAPI, client: TestClient, fake: FakeDataCite
) -> None:
    ada, mod = people(app)
    fake.fail_next = 10_000
    record = publish_via_review(client, ada, mod, draft_with_file(client, ada))
    doi, concept = dois_of(record)
    assert record["is_published"]
    assert client.get(f"/records/{record['id']}").status_code == 200
    assert client.get(f"/doi/{doi}", follow_redirects=False).status_code == 302
    assert fake.dois == {}

    state = registration(client, mod, doi)
    assert (state["state"], state["attempts"]) == ("failed", SYNC_RETRIES + 1)
    assert "DataCite failed the creation" in state["error"] and "503" in state["error"]
    with app.state.instance.db.read() as session:
        jobs = session.query(JobRun).filter(JobRun.name == "archive.sync_doi").all()
        assert {job.status for job in jobs} == {JobStatus.FAILED}

    sign_in(client, "mod@example.org", PASSWORD)
    page = client.get("/dois?state=failed")
    assert page.status_code == 200
    assert doi in page.text and "Service unavailable" in page.text
    landing = client.get(f"/records/{record['id']}")
    assert "DOI registration" in landing.text and "status-failed" in landing.text

    fake.fail_next = 0
    retried = client.post(
        f"/dois/{doi}/retry", data={"csrf_token": csrf_from(page.text)}, follow_redirects=False
    )
    assert retried.status_code == 303
    assert registration(client, mod, doi)["state"] == "registered"
    assert fake.dois[doi.lower()]["state"] == "findable"
    assert client.post(f"/api/dois/{concept}/actions/retry", headers=mod).status_code == 202
    assert client.get("/api/dois", headers=mod).json()["counts"]["registered"] == 2
    assert client.post(f"/dois/{doi}/retry", data={}).status_code == 403  # no CSRF token


def test_a_short_outage_is_ridden_out_by_the_retries(
    app: FastAPI, client: TestClient, fake: FakeDataCite
) -> None:
    ada, mod = people(app)
    fake.fail_next = 3
    record = publish_via_review(client, ada, mod, draft_with_file(client, ada))
    for each in dois_of(record):
        state = registration(client, mod, each)
        assert (state["state"], state["attempts"], state["error"]) == ("registered", 0, None)
        assert fake.dois[each.lower()]["state"] == "findable"


def test_a_lost_answer_does_not_make_a_second_doi(
    app: FastAPI, client: TestClient, fake: FakeDataCite
) -> None:
    ada, mod = people(app)
    fake.drop_next = 1  # DataCite makes the draft, the answer never arrives
    record = publish_via_review(client, ada, mod, draft_with_file(client, ada))
    doi, _ = dois_of(record)
    assert calls(fake, doi)[:3] == [("POST", None), ("POST", None), ("GET", None)]
    assert fake.dois[doi.lower()]["state"] == "findable"
    assert registration(client, mod, doi)["state"] == "registered"


def test_refused_credentials_fail_at_once_with_a_clear_error(
    app: FastAPI, client: TestClient, fake: FakeDataCite
) -> None:
    ada, mod = people(app)
    fake.password = "rotated"
    record = publish_via_review(client, ada, mod, draft_with_file(client, ada))
    doi, _ = dois_of(record)
    state = registration(client, mod, doi)
    assert (state["state"], state["attempts"]) == ("failed", 1)
    assert "refused" in state["error"] and "datacite_password" in state["error"]
    assert len(fake.requests) == 0  # nothing got past authentication
    with app.state.instance.db.read() as session:
        job = session.query(JobRun).filter(JobRun.name == "archive.sync_doi").first()
        assert job is not None and (job.status, job.attempts) == (JobStatus.FAILED, 1)


def test_a_prefix_of_another_repository_is_refused(
    app: FastAPI, client: TestClient, fake: FakeDataCite
) -> None:
    ada, mod = people(app)
    fake.prefixes = ("10.5555",)
    record = publish_via_review(client, ada, mod, draft_with_file(client, ada))
    state = registration(client, mod, dois_of(record)[0])
    assert state["state"] == "failed" and "403" in state["error"]


def test_client_errors_are_explicit(fake: FakeDataCite) -> None:
    url = fake.url  # type: ignore[attr-defined]
    client = DataCiteClient(url, fake.username, fake.password, timeout=0.3)
    provider = DataCiteProvider("10.99999", client)

    incomplete = PidSync(doi="10.99999/a", status=REGISTERED, url="https://example.org/a")
    with pytest.raises(PidError) as refused:
        provider.sync(incomplete)
    assert refused.value.permanent and "can't be blank" in str(refused.value)

    fake.garbage_next = 1
    with pytest.raises(PidError) as garbage:
        client.get("10.99999/a")
    assert not garbage.value.permanent and "not JSON:API" in str(garbage.value)

    fake.delay = 1.0
    with pytest.raises(PidError) as slow:
        client.get("10.99999/a")
    assert not slow.value.permanent and "in time" in str(slow.value)
    fake.delay = 0

    unreachable = DataCiteClient("http://127.0.0.1:9", "x", "y", timeout=0.5)
    with pytest.raises(PidError) as down:
        unreachable.get("10.99999/a")
    assert not down.value.permanent and "could not be reached" in str(down.value)

    assert client.get("10.99999/never") is None
    payload = fake.requests[-1]
    assert payload[0] == "GET"


def test_the_payload_is_json_api_with_base64_xml(
    app: FastAPI, client: TestClient, fake: FakeDataCite
) -> None:
    ada, mod = people(app)
    record = publish_via_review(client, ada, mod, draft_with_file(client, ada))
    doi, _ = dois_of(record)
    publish = next(
        body for method, path, body in fake.requests if method == "PUT" and path == f"/dois/{doi}"
    )
    assert publish is not None
    data = publish["data"]
    assert (data["type"], data["id"]) == ("dois", doi)
    xml = base64.b64decode(data["attributes"]["xml"]).decode()
    assert xml.startswith("<?xml") or xml.startswith("<resource")
    assert data["attributes"]["url"] == f"http://testserver/records/{record['id']}"
    assert "doi" not in data["attributes"] and data["attributes"]["event"] == "publish"


def test_settings_refuse_datacite_without_credentials(tmp_path: Any) -> None:
    with pytest.raises(ValidationError, match="datacite_password"):
        Settings(data_dir=tmp_path, pid_provider="datacite", datacite_username="X.Y")
    with pytest.raises(ValidationError, match="datacite_url"):
        Settings(
            data_dir=tmp_path,
            pid_provider="datacite",
            datacite_username="X.Y",
            datacite_password=SecretStr("p"),
            datacite_url="ftp://x",
        )
