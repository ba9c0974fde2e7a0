"""Who may do what: drafts are private, only moderators publish, strangers learn nothing."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from archive_helpers import CHECKLIST, bearer, draft_with_file, metadata
from matcloud.core.models import Role


def test_a_stranger_cannot_read_a_draft_or_its_files(app: FastAPI, client: TestClient) -> None:
    ada = bearer(app, "ada@example.org")
    eve = bearer(app, "eve@example.org")
    record_id = draft_with_file(client, ada)
    for headers in ({}, eve):
        assert client.get(f"/api/records/{record_id}/draft", headers=headers).status_code in (
            401,
            404,
        )
        assert client.get(f"/api/records/{record_id}", headers=headers).status_code == 404
        content = client.get(
            f"/api/records/{record_id}/draft/files/data.csv/content",
            headers=headers,
            follow_redirects=False,
        )
        assert content.status_code == 404
        assert (
            client.get(f"/api/records/{record_id}/files-archive", headers=headers).status_code
            == 404
        )
    # the owner can read and download
    own = client.get(f"/api/records/{record_id}/draft/files/data.csv/content", headers=ada)
    assert own.status_code == 200 and own.content == b"a,b\n1,2\n"


def test_strangers_cannot_change_a_draft(app: FastAPI, client: TestClient) -> None:
    ada = bearer(app, "ada@example.org")
    eve = bearer(app, "eve@example.org")
    record_id = draft_with_file(client, ada)
    base = f"/api/records/{record_id}/draft"
    assert client.put(base, json={"metadata": metadata()}, headers=eve).status_code == 404
    assert client.delete(base, headers=eve).status_code == 404
    assert client.post(f"{base}/files", json=[{"key": "x.txt"}], headers=eve).status_code == 404
    assert client.delete(f"{base}/files/data.csv", headers=eve).status_code == 404
    submit = client.post(
        f"{base}/actions/submit-review", json={"checklist": CHECKLIST}, headers=eve
    )
    assert submit.status_code == 404
    assert client.post("/api/records", json={"metadata": metadata()}).status_code == 401


def test_only_moderators_publish(app: FastAPI, client: TestClient) -> None:
    ada = bearer(app, "ada@example.org")
    mod = bearer(app, "mod@example.org", Role.MODERATOR)
    record_id = draft_with_file(client, ada)
    publish = f"/api/records/{record_id}/draft/actions/publish"
    assert client.post(publish, headers=ada).status_code == 403
    assert client.post(publish).status_code == 401
    moderator_reads = client.get(f"/api/records/{record_id}/draft", headers=mod)
    assert moderator_reads.status_code == 200
    published = client.post(publish, headers=mod)
    assert published.status_code == 202 and published.json()["status"] == "published"
    assert client.post(publish, headers=mod).status_code == 409
    # published files and metadata are frozen
    assert (
        client.delete(f"/api/records/{record_id}/draft/files/data.csv", headers=ada).status_code
        == 409
    )
    assert client.delete(f"/api/records/{record_id}/draft", headers=ada).status_code == 409


def test_depositors_cannot_accept_their_own_request(app: FastAPI, client: TestClient) -> None:
    ada = bearer(app, "ada@example.org")
    eve = bearer(app, "eve@example.org")
    record_id = draft_with_file(client, ada)
    request_id = client.post(
        f"/api/records/{record_id}/draft/actions/submit-review",
        json={"checklist": CHECKLIST},
        headers=ada,
    ).json()["id"]
    assert client.post(f"/api/requests/{request_id}/actions/accept", headers=ada).status_code == 403
    assert client.get(f"/api/requests/{request_id}", headers=eve).status_code == 404
    assert (
        client.post(
            f"/api/requests/{request_id}/comments", json={"payload": {"content": "hi"}}, headers=eve
        ).status_code
        == 404
    )
    assert client.get("/api/requests", headers=eve).json()["hits"]["total"] == 0
    assert client.get("/api/requests", headers=ada).json()["hits"]["total"] == 1


def test_submission_needs_metadata_files_and_the_checklist(
    app: FastAPI, client: TestClient
) -> None:
    ada = bearer(app, "ada@example.org")
    record_id = client.post(
        "/api/records", json={"metadata": metadata(related_identifiers=[])}, headers=ada
    ).json()["id"]
    submit = f"/api/records/{record_id}/draft/actions/submit-review"
    unticked = client.post(submit, json={"checklist": {"scope": True}}, headers=ada)
    assert unticked.status_code == 400
    assert {e["field"] for e in unticked.json()["errors"]} == {
        "checklist.paper",
        "checklist.formats",
        "checklist.reuse",
        "checklist.rights",
    }
    incomplete = client.post(submit, json={"checklist": CHECKLIST}, headers=ada)
    assert incomplete.status_code == 400
    fields = {e["field"] for e in incomplete.json()["errors"]}
    assert fields == {"metadata.related_identifiers", "files"}


def test_invalid_metadata_names_each_field(app: FastAPI, client: TestClient) -> None:
    ada = bearer(app, "ada@example.org")
    bad = metadata(
        publication_date="2026-02-30",
        rights=[{"id": "beerware"}],
        creators=[
            {
                "person_or_org": {
                    "type": "personal",
                    "family_name": "Lovelace",
                    "identifiers": [{"scheme": "orcid", "identifier": "0000-0002-1825-0098"}],
                },
                "affiliations": [{"id": "not-a-ror"}],
            }
        ],
        colour="blue",
    )
    response = client.post("/api/records", json={"metadata": bad}, headers=ada)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {
        "metadata.publication_date",
        "metadata.rights.0.id",
        "metadata.creators.0.person_or_org.identifiers.0",
        "metadata.creators.0.affiliations.0",
        "metadata.colour",
    }
    not_json = client.post(
        "/api/records", content=b"{nope", headers={**ada, "Content-Type": "application/json"}
    )
    assert not_json.status_code == 400
