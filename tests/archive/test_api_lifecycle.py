"""The whole life of a record over the REST API: deposit, review, publish, versions, removal."""

from __future__ import annotations

import hashlib

from fastapi import FastAPI
from fastapi.testclient import TestClient

from archive_helpers import CHECKLIST, bearer, draft_with_file, metadata, publish_via_review, upload
from matcloud.core.models import Role


def test_deposit_review_publish_and_new_version(app: FastAPI, client: TestClient) -> None:
    ada = bearer(app, "ada@example.org")
    mod = bearer(app, "mod@example.org", Role.MODERATOR)

    created = client.post("/api/records", json={"metadata": {"title": "Half done"}}, headers=ada)
    assert created.status_code == 201
    draft = created.json()
    record_id = draft["id"]
    assert record_id.endswith("v1") and draft["status"] == "draft" and draft["is_draft"]
    assert {e["field"] for e in draft["errors"]} >= {
        "metadata.creators",
        "metadata.related_identifiers",
    }

    updated = client.put(
        f"/api/records/{record_id}/draft", json={"metadata": metadata()}, headers=ada
    )
    assert updated.status_code == 200
    assert updated.json()["errors"] == [
        {"field": "files", "messages": ["a record needs at least one file"]}
    ]
    data = b"temperature,energy\n0,-10.5\n300,-10.2\n"
    upload(client, ada, record_id, "data.csv", data)

    submitted = client.post(
        f"/api/records/{record_id}/draft/actions/submit-review",
        json={"checklist": CHECKLIST, "comment": "Please review."},
        headers=ada,
    )
    assert submitted.status_code == 202
    request_id = submitted.json()["id"]
    assert submitted.json()["status"] == "submitted"

    # while in review the depositor cannot change the draft
    locked = client.put(
        f"/api/records/{record_id}/draft", json={"metadata": metadata()}, headers=ada
    )
    assert locked.status_code == 409

    changes = client.post(
        f"/api/requests/{request_id}/actions/request-changes",
        json={"payload": {"content": "Add the k-point grid to the description."}},
        headers=mod,
    )
    assert changes.status_code == 200 and changes.json()["status"] == "changes_requested"
    fixed = metadata(description="Phonons of silicon from DFPT with an 8x8x8 k-point grid.")
    assert (
        client.put(
            f"/api/records/{record_id}/draft", json={"metadata": fixed}, headers=ada
        ).status_code
        == 200
    )
    resubmitted = client.post(
        f"/api/records/{record_id}/draft/actions/submit-review",
        json={"checklist": CHECKLIST},
        headers=ada,
    )
    assert resubmitted.json()["id"] == request_id  # the same request goes back

    accepted = client.post(f"/api/requests/{request_id}/actions/accept", json={}, headers=mod)
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    timeline = [
        e["type"] for e in client.get(f"/api/requests/{request_id}", headers=ada).json()["timeline"]
    ]
    assert timeline == ["submitted", "changes_requested", "resubmitted", "accepted"]

    concept = record_id.removesuffix("v1")
    public = client.get(f"/api/records/{concept}").json()  # anonymous reader
    assert public["id"] == record_id and public["status"] == "published"
    doi = public["pids"]["doi"]["identifier"]
    concept_doi = public["parent"]["pids"]["doi"]["identifier"]
    assert doi == f"10.99999/matcloud.{record_id}" and concept_doi == f"10.99999/matcloud.{concept}"
    assert public["metadata"]["publication_date"]
    resolved = client.get(f"/doi/{doi}", follow_redirects=False)
    assert resolved.status_code == 302 and resolved.headers["location"].endswith(record_id)

    # a new version carries the files over without re-upload and gets its own DOI
    new = client.post(f"/api/records/{concept}/versions", headers=ada)
    assert new.status_code == 201
    v2 = new.json()
    assert (
        v2["id"] == f"{concept}v2"
        and v2["files"]["entries"][0]["sha256"] == hashlib.sha256(data).hexdigest()
    )
    assert "publication_date" not in v2["metadata"]
    again = client.post(f"/api/records/{concept}/versions", headers=ada)
    assert again.json()["id"] == v2["id"]  # one new-version draft at a time
    upload(client, ada, v2["id"], "extra.txt", b"more data")
    published = publish_via_review(client, ada, mod, v2["id"])
    assert published["pids"]["doi"]["identifier"] == f"10.99999/matcloud.{concept}v2"
    latest = client.get(f"/api/records/{concept}").json()
    assert latest["id"] == f"{concept}v2" and latest["versions"]["is_latest"]
    old = client.get(f"/api/records/{record_id}").json()
    assert old["versions"]["is_latest"] is False and old["files"]["count"] == 1
    versions = client.get(f"/api/records/{concept}/versions").json()
    assert [h["id"] for h in versions["hits"]["hits"]] == [f"{concept}v2", record_id]
    concept_target = client.get(f"/doi/{concept_doi}", follow_redirects=False)
    assert concept_target.headers["location"].endswith(f"/records/{concept}")


def test_moderators_get_mail_and_depositors_hear_back(app: FastAPI, client: TestClient) -> None:
    ada = bearer(app, "ada@example.org")
    mod = bearer(app, "mod@example.org", Role.MODERATOR)
    record_id = draft_with_file(client, ada)
    publish_via_review(client, ada, mod, record_id)
    mail = app.state.instance.mail.recent()
    to_mod = [m for m in mail if m.to == "mod@example.org"]
    to_ada = [m for m in mail if m.to == "ada@example.org"]
    assert to_mod and "Review requested" in to_mod[-1].subject
    assert to_ada and "Accepted" in to_ada[0].subject
    assert all(m.delivery == "logged" and m.sent_at for m in mail)  # no SMTP configured


def test_depositor_cancels_and_moderator_declines(app: FastAPI, client: TestClient) -> None:
    ada = bearer(app, "ada@example.org")
    mod = bearer(app, "mod@example.org", Role.MODERATOR)
    record_id = draft_with_file(client, ada)
    submit = f"/api/records/{record_id}/draft/actions/submit-review"
    first = client.post(submit, json={"checklist": CHECKLIST}, headers=ada).json()["id"]
    assert client.post(f"/api/requests/{first}/actions/cancel", headers=ada).status_code == 200
    assert client.get(f"/api/records/{record_id}/draft", headers=ada).json()["status"] == "draft"
    second = client.post(submit, json={"checklist": CHECKLIST}, headers=ada).json()["id"]
    assert second != first
    no_reason = client.post(f"/api/requests/{second}/actions/decline", json={}, headers=mod)
    assert no_reason.status_code == 400
    declined = client.post(
        f"/api/requests/{second}/actions/decline",
        json={"payload": {"content": "Out of scope for this archive."}},
        headers=mod,
    )
    assert declined.json()["status"] == "declined"
    assert client.post(f"/api/requests/{second}/actions/accept", headers=mod).status_code == 409
    queue = client.get("/api/requests", headers=mod).json()
    assert queue["hits"]["total"] == 0
    closed = client.get("/api/requests?is_open=false", headers=mod).json()
    assert closed["hits"]["total"] == 2


def test_published_metadata_can_be_corrected_without_a_new_doi(
    app: FastAPI, client: TestClient
) -> None:
    ada = bearer(app, "ada@example.org")
    mod = bearer(app, "mod@example.org", Role.MODERATOR)
    record_id = draft_with_file(client, ada)
    before = publish_via_review(client, ada, mod, record_id)
    opened = client.post(f"/api/records/{record_id}/draft", headers=ada)
    assert opened.status_code == 201 and opened.json()["pending_correction"]
    wrong = client.put(
        f"/api/records/{record_id}/draft",
        json={"metadata": {**before["metadata"], "rights": [{"id": "mit"}]}},
        headers=ada,
    )
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["field"] == "metadata.rights"
    corrected = {**before["metadata"], "title": "Phonons of silicon (corrected title)"}
    assert (
        client.put(
            f"/api/records/{record_id}/draft", json={"metadata": corrected}, headers=ada
        ).status_code
        == 200
    )
    assert (
        client.get(f"/api/records/{record_id}").json()["metadata"]["title"]
        == before["metadata"]["title"]
    )  # readers see the published metadata until a moderator accepts
    request = client.post(
        f"/api/records/{record_id}/draft/actions/submit-review",
        json={"checklist": CHECKLIST},
        headers=ada,
    ).json()
    assert request["type"] == "metadata-correction"
    client.post(f"/api/requests/{request['id']}/actions/accept", json={}, headers=mod)
    after = client.get(f"/api/records/{record_id}").json()
    assert after["metadata"]["title"] == "Phonons of silicon (corrected title)"
    assert after["pids"] == before["pids"] and after["revision_id"] > before["revision_id"]


def test_retraction_leaves_a_tombstone(app: FastAPI, client: TestClient) -> None:
    ada = bearer(app, "ada@example.org")
    mod = bearer(app, "mod@example.org", Role.MODERATOR)
    record_id = draft_with_file(client, ada)
    published = publish_via_review(client, ada, mod, record_id)
    download = client.get(
        f"/api/records/{record_id}/files/data.csv/content", follow_redirects=False
    ).headers["location"]
    assert (
        client.post(
            f"/api/records/{record_id}/delete", json={"reason": "Data was wrong"}, headers=ada
        ).status_code
        == 403
    )
    removed = client.post(
        f"/api/records/{record_id.removesuffix('v1')}/delete",
        json={"reason": "The authors found an error in the data."},
        headers=mod,
    )
    assert removed.status_code == 200
    gone = client.get(f"/api/records/{record_id}")
    assert gone.status_code == 410
    assert client.get(download).status_code == 410
    doi = published["pids"]["doi"]["identifier"]
    assert client.get(f"/doi/{doi}", follow_redirects=False).status_code == 302
    hits = client.get("/api/records", params={"q": "silicon"}).json()["hits"]
    assert hits["total"] == 0


def test_site_search_and_record_search_find_published_records(
    app: FastAPI, client: TestClient
) -> None:
    ada = bearer(app, "ada@example.org")
    mod = bearer(app, "mod@example.org", Role.MODERATOR)
    draft_id = draft_with_file(client, ada, title="Draft about graphene that is not public")
    record_id = draft_with_file(client, ada)
    published = publish_via_review(client, ada, mod, record_id)
    site = client.get("/search.json", params={"q": "silicon"}).json()
    assert [h["url"] for h in site["hits"] if h["kind"] == "record"] == [f"/records/{record_id}"]
    assert client.get("/search.json", params={"q": "graphene"}).json()["count"] == 0
    by_doi = client.get("/api/records", params={"q": published["pids"]["doi"]["identifier"]})
    assert [h["id"] for h in by_doi.json()["hits"]["hits"]] == [record_id]
    facets = client.get("/api/records", params={"keywords": "phonons"}).json()
    assert facets["hits"]["total"] == 1
    buckets = {b["key"]: b["doc_count"] for b in facets["aggregations"]["keywords"]["buckets"]}
    assert buckets == {"phonons": 1, "DFT": 1}
    for hostile in ['"unbalanced', "(10.1038/s41597", "title:", "NEAR(", "a OR", "*"]:
        assert client.get("/api/records", params={"q": hostile}).status_code == 200
    assert client.get("/api/records", params={"sort": "sideways"}).status_code == 400
    assert draft_id not in client.get("/api/records").text
