"""The depositor's pages over HTTP: "My uploads", the deposit form, and their JSON twins."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from archive_helpers import CHECKLIST, bearer, draft_with_file, metadata, publish_via_review
from factories import sign_in
from matcloud.core.models import Role
from matcloud.core.storage import format_size


def signed_in(
    app: FastAPI, client: TestClient, email: str, role: Role = Role.USER
) -> dict[str, str]:
    """An account with a token (for API calls) whose browser session is ``client``."""
    headers = bearer(app, email, role)
    sign_in(client, email)
    return headers


def page_data(html: str) -> dict[str, Any]:
    match = re.search(
        r'<script type="application/json" id="deposit-data">(.*?)</script>', html, re.S
    )
    assert match, "no page data in the form"
    data: dict[str, Any] = json.loads(match.group(1))
    return data


class Controls(HTMLParser):
    """Inputs and the labels that name them (an accessibility check without a browser)."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.in_template = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "label" and attributes.get("for"):
            self.label_for.add(str(attributes["for"]))
        if tag in ("input", "select", "textarea") and attributes.get("type") not in ("hidden",):
            self.controls.append(attributes)


def unlabelled(html: str) -> list[str]:
    parser = Controls()
    parser.feed(html)
    missing = []
    for control in parser.controls:
        if control.get("aria-label") or control.get("type") == "radio":
            continue  # radios sit inside their <label>
        if control.get("id") not in parser.label_for:
            missing.append(str(control.get("id") or control))
    return missing


# -- anonymous and strangers -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/uploads", "/uploads/new", "/uploads/2026.1v1"])
def test_anonymous_gets_the_sign_in_page_and_a_problem(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 401
    assert page.headers["content-type"].startswith("text/html")
    assert "Sign-in required" in page.text
    twin = client.get(path + ".json")
    assert twin.status_code == 401
    assert twin.headers["content-type"] == "application/problem+json"
    assert twin.json()["status"] == 401


def test_a_stranger_cannot_open_someone_elses_draft(app: FastAPI, client: TestClient) -> None:
    ada = bearer(app, "ada@example.org")
    record_id = draft_with_file(client, ada)
    signed_in(app, client, "bob@example.org")
    page = client.get(f"/uploads/{record_id}")
    assert page.status_code == 404
    assert "Phonons of silicon" not in page.text
    twin = client.get(f"/uploads/{record_id}.json")
    assert twin.status_code == 404 and twin.headers["content-type"] == "application/problem+json"
    assert client.get("/uploads.json").json()["uploads"] == []


def test_a_moderator_sees_someone_elses_draft_read_only(app: FastAPI, client: TestClient) -> None:
    ada = bearer(app, "ada@example.org")
    record_id = draft_with_file(client, ada)
    signed_in(app, client, "mod@example.org", Role.MODERATOR)
    twin = client.get(f"/uploads/{record_id}.json").json()
    assert twin["mode"] == "view" and twin["editable"] == []
    assert "Someone else" in client.get(f"/uploads/{record_id}").text


# -- the deposit form --------------------------------------------------------------------------


def test_the_new_upload_form_and_its_twin(app: FastAPI, client: TestClient) -> None:
    signed_in(app, client, "ada@example.org")
    twin = client.get("/uploads/new.json")
    assert twin.status_code == 200
    data = twin.json()
    assert data["draft"] is None and data["mode"] == "new" and data["editable"] == "all"
    kinds = [lic["kind"] for lic in data["licences"]]
    assert kinds == sorted(kinds, key=lambda kind: kind != "data")  # data licences first
    assert data["licences"][0]["id"] == "cc-by-4.0"
    assert {"mit", "cc0-1.0"} <= {lic["id"] for lic in data["licences"]}
    settings = app.state.instance.settings
    assert data["settings"]["max_record_bytes"] == settings.max_record_bytes
    assert data["settings"]["max_aiida_record_bytes"] == settings.max_aiida_record_bytes
    assert data["settings"]["max_record_human"] == format_size(settings.max_record_bytes)
    assert data["settings"]["upload"]["single_max_bytes"] == 32 * 1024 * 1024
    assert data["settings"]["upload"]["part_size"] == 16 * 1024 * 1024
    relations = [r["id"] for r in data["vocabularies"]["relation_types"]]
    assert relations[0] == "issupplementto"
    assert [s["id"] for s in data["vocabularies"]["schemes"]] == ["doi", "arxiv", "url"]

    page = client.get("/uploads/new")
    assert page.status_code == 200
    html = page.text
    assert page_data(html) == data
    assert '<meta name="csrf-token"' in html
    assert "/static/js/deposit.js" in html and "/static/css/archive.css" in html
    assert "<script>" not in html  # CSP: no inline scripts, only the JSON data block
    for section in ["Basic information", "Creators", "Description", "Licence", "Keywords",
                    "References", "Funding", "Files", "Submit for review"]:  # fmt: skip
        assert f">{section}" in html, section
    assert "paper or preprint this data supports" in html
    assert 'aria-live="polite"' in html
    assert unlabelled(html) == []
    assert client.get("/static/js/deposit.js").status_code == 200
    assert client.get("/static/css/archive.css").status_code == 200


def test_the_owner_sees_the_draft_in_the_form(app: FastAPI, client: TestClient) -> None:
    ada = signed_in(app, client, "ada@example.org")
    record_id = draft_with_file(client, ada, title="Band structures of <b>MoS2</b>")
    twin = client.get(f"/uploads/{record_id}.json")
    assert twin.status_code == 200
    data = twin.json()
    assert data["draft"] == client.get(f"/api/records/{record_id}/draft", headers=ada).json()
    assert data["mode"] == "draft" and data["editable"] == "all" and data["request_url"] is None
    assert data["draft"]["metadata"]["title"] == "Band structures of <b>MoS2</b>"
    assert [f["key"] for f in data["draft"]["files"]["entries"]] == ["data.csv"]
    assert data["licences"] and data["settings"]["max_files_per_record"] == 100

    page = client.get(f"/uploads/{record_id}")
    assert page.status_code == 200
    assert "<b>MoS2</b>" not in page.text  # escaped, in the page and in the data block
    assert page_data(page.text)["draft"]["metadata"]["title"] == "Band structures of <b>MoS2</b>"
    assert f"Upload {record_id}" in page.text
    assert unlabelled(page.text) == []


def test_a_draft_in_review_is_locked_and_links_its_request(
    app: FastAPI, client: TestClient
) -> None:
    ada = signed_in(app, client, "ada@example.org")
    record_id = draft_with_file(client, ada)
    submitted = client.post(
        f"/api/records/{record_id}/draft/actions/submit-review",
        json={"checklist": CHECKLIST},
        headers=ada,
    )
    request_id = submitted.json()["id"]
    data = client.get(f"/uploads/{record_id}.json").json()
    assert data["mode"] == "in_review" and data["editable"] == []
    assert data["request_url"] == f"/requests/{request_id}"
    html = client.get(f"/uploads/{record_id}").text
    assert f'href="/requests/{request_id}"' in html
    assert "Withdraw the request" in html


def test_a_published_version_offers_a_correction_of_some_fields(
    app: FastAPI, client: TestClient
) -> None:
    ada = signed_in(app, client, "ada@example.org")
    moderator = bearer(app, "mod@example.org", Role.MODERATOR)
    record_id = draft_with_file(client, ada)
    publish_via_review(client, ada, moderator, record_id)

    published = client.get(f"/uploads/{record_id}.json").json()
    assert published["mode"] == "published" and published["editable"] == []
    html = client.get(f"/uploads/{record_id}").text
    assert 'data-uploads-action="correct"' in html and f'href="/records/{record_id}"' in html

    opened = client.post(f"/api/records/{record_id}/draft", headers=ada)
    assert opened.status_code == 201
    data = client.get(f"/uploads/{record_id}.json").json()
    assert data["mode"] == "correction"
    assert data["editable"] == ["description", "related_identifiers", "subjects", "title"]
    assert data["draft"]["pending_correction"]["title"] == "Phonons of silicon from DFPT"
    assert "Correct the metadata of" in client.get(f"/uploads/{record_id}").text


# -- my uploads --------------------------------------------------------------------------------


def test_my_uploads_shows_each_state_and_what_is_missing(app: FastAPI, client: TestClient) -> None:
    ada = signed_in(app, client, "ada@example.org")
    moderator = bearer(app, "mod@example.org", Role.MODERATOR)
    half = client.post(
        "/api/records", json={"metadata": {"title": "Half done"}}, headers=ada
    ).json()["id"]
    reviewed = draft_with_file(client, ada, title="In review")
    request_id = client.post(
        f"/api/records/{reviewed}/draft/actions/submit-review",
        json={"checklist": CHECKLIST},
        headers=ada,
    ).json()["id"]
    changes = draft_with_file(client, ada, title="Needs changes")
    changes_request = client.post(
        f"/api/records/{changes}/draft/actions/submit-review",
        json={"checklist": CHECKLIST},
        headers=ada,
    ).json()["id"]
    client.post(
        f"/api/requests/{changes_request}/actions/request-changes",
        json={"payload": {"content": "Add a README."}},
        headers=moderator,
    )
    published = draft_with_file(client, ada, title="Published")
    publish_via_review(client, ada, moderator, published)

    data = client.get("/uploads.json").json()
    assert data["total"] == 4 and data["page"] == 1 and data["pages"] == 1
    rows = {row["id"]: row for row in data["uploads"]}
    assert rows[half]["status"] == "draft" and rows[half]["title"] == "Half done"
    missing = {e["field"] for e in rows[half]["errors"]}
    assert missing == {
        "metadata.creators",
        "metadata.description",
        "metadata.related_identifiers",
        "files",
    }
    assert rows[half]["links"] == {"edit": f"/uploads/{half}", "request": None, "landing": None}
    assert rows[reviewed]["status"] == "in_review"
    assert rows[reviewed]["links"]["request"] == f"/requests/{request_id}"
    assert rows[changes]["status"] == "changes_requested" and rows[changes]["errors"] == []
    assert rows[published]["status"] == "published"
    assert rows[published]["links"]["landing"] == f"/records/{published}"
    assert rows[published]["links"]["edit"] is None and rows[published]["doi"]

    html = client.get("/uploads").text
    for label in ["Draft", "In review", "Changes requested", "Published"]:
        assert f">{label}</span>" in html
    assert "needs at least one creator" in html
    assert f'href="/requests/{request_id}"' in html
    assert f'href="/records/{published}"' in html
    assert f'href="/uploads/{half}"' in html
    assert 'href="/uploads/new"' in html


def test_my_uploads_pages_and_the_empty_state(app: FastAPI, client: TestClient) -> None:
    ada = signed_in(app, client, "ada@example.org")
    assert "No uploads yet" in client.get("/uploads").text
    for n in range(27):
        client.post("/api/records", json={"metadata": metadata(title=f"Draft {n}")}, headers=ada)
    first = client.get("/uploads.json").json()
    assert first["total"] == 27 and first["pages"] == 2 and len(first["uploads"]) == 25
    second = client.get("/uploads.json?page=2").json()
    assert [row["title"] for row in second["uploads"]] == ["Draft 1", "Draft 0"]
    assert 'rel="prev"' in client.get("/uploads?page=2").text
    assert client.get("/uploads.json?page=0").status_code == 400
