"""ARCHIVE pages over HTTP: landing pages and their twins, drafts, tombstones, file previews,
search with facets, and the review requests (queue, page, actions)."""

from __future__ import annotations

import re
import struct
import zlib
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from archive_helpers import (
    CHECKLIST,
    PASSWORD,
    bearer,
    draft_with_file,
    metadata,
    publish_via_review,
    upload,
)
from factories import csrf_from, sign_in
from matcloud.core.models import Role


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


class People:
    def __init__(self, app: FastAPI) -> None:
        self.ada = bearer(app, "ada@example.org", name="Ada Lovelace")
        self.eve = bearer(app, "eve@example.org", name="Eve Stranger")
        self.mod = bearer(app, "mod@example.org", Role.MODERATOR, name="Mo Derator")


@pytest.fixture
def people(app: FastAPI) -> People:
    return People(app)


def submit(client: TestClient, owner: dict[str, str], record_id: str, comment: str = "") -> str:
    response = client.post(
        f"/api/records/{record_id}/draft/actions/submit-review",
        json={"checklist": CHECKLIST, "comment": comment},
        headers=owner,
    )
    assert response.status_code == 202, response.text
    request_id: str = response.json()["id"]
    return request_id


def published(client: TestClient, people: People, **meta: Any) -> dict[str, Any]:
    record_id = draft_with_file(client, people.ada, **meta)
    return publish_via_review(client, people.ada, people.mod, record_id)


def main_of(html: str) -> str:
    return html.split('<main id="main"', 1)[1].split("</main>", 1)[0]


# -- landing pages -----------------------------------------------------------------------------


def test_anyone_reads_a_published_landing_page(client: TestClient, people: People) -> None:
    record = published(
        client,
        people,
        funding=[
            {"funder": {"name": "SNSF"}, "award": {"number": "51NF40", "title": {"en": "MARVEL"}}}
        ],
    )
    record_id, doi = record["id"], record["pids"]["doi"]["identifier"]
    concept = record["parent"]["pids"]["doi"]["identifier"]
    page = client.get(f"/records/{record_id}")
    assert page.status_code == 200
    html = main_of(page.text)
    assert '<h1 id="record-title">Phonons of silicon from DFPT</h1>' in html
    assert "Lovelace, Ada" in html and 'href="https://orcid.org/0000-0002-1825-0097"' in html
    assert 'href="https://ror.org/02s376052"' in html and "EPFL" in html
    assert f'href="/doi/{doi}"' in html and f'href="/doi/{concept}"' in html
    assert "Cite all versions" in html
    assert "Phonon dispersions of bulk silicon" in html
    assert 'href="https://creativecommons.org/licenses/by/4.0/"' in html
    assert 'href="/records?keywords=phonons"' in html
    assert 'href="https://doi.org/10.1038/s41597-020-00637-5"' in html
    assert "SNSF" in html and "51NF40" in html and "MARVEL" in html
    assert f'href="/api/records/{record_id}/files/data.csv/content"' in html
    assert f'href="/api/records/{record_id}/files-archive"' in html
    assert "8 Bytes" in html and "e5ebd4c02c" in html  # size and truncated md5
    assert 'data-copy="e5ebd4c02cefbe7955977c67ada242b7"' in html
    assert "Lovelace, A. (20" in html and "[Data set]. matcloud." in html
    assert "@dataset{lovelace" in html and f"doi       = {{{doi}}}" in html
    assert "Draft — not public" not in html and "Demo record" not in html
    assert '<meta name="citation_doi" content="' + doi + '">' in page.text
    # the download link works for anyone
    download = client.get(f"/api/records/{record_id}/files/data.csv/content")
    assert download.status_code == 200 and download.content == b"a,b\n1,2\n"


def test_the_json_twin_holds_what_the_page_shows(client: TestClient, people: People) -> None:
    record = published(client, people)
    for response in (
        client.get(f"/records/{record['id']}.json"),
        client.get(f"/records/{record['id']}", headers={"Accept": "application/json"}),
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        body = response.json()
        assert body["record"]["id"] == record["id"] and body["record"]["is_demo"] is False
        assert body["creators"][0]["orcid"] == "0000-0002-1825-0097"
        assert body["previews"][0]["key"] == "data.csv"
        assert body["previews"][0]["text"] == "a,b\n1,2\n"
        assert body["citation"]["bibtex"].startswith("@dataset{")
        assert [v["id"] for v in body["versions"]] == [record["id"]]


def test_the_concept_id_shows_the_latest_version_and_lists_all(
    client: TestClient, people: People
) -> None:
    first = published(client, people)
    concept = first["parent"]["id"]
    new = client.post(f"/api/records/{first['id']}/versions", headers=people.ada)
    assert new.status_code == 201, new.text
    second = publish_via_review(client, people.ada, people.mod, new.json()["id"])
    body = client.get(f"/records/{concept}.json").json()
    assert body["record"]["id"] == second["id"]
    assert [(v["id"], v["current"]) for v in body["versions"]] == [
        (second["id"], True),
        (first["id"], False),
    ]
    old = client.get(f"/records/{first['id']}")
    assert "Not the latest version" in old.text
    assert f'href="/records/{second["id"]}"' in old.text

    # the first version removed: it is marked in the list, its page is a tombstone
    removed = client.post(
        f"/api/records/{first['id']}/delete", json={"reason": "Wrong k-points"}, headers=people.mod
    )
    assert removed.status_code == 200, removed.text
    body = client.get(f"/records/{concept}.json").json()
    assert [(v["id"], v["status"]) for v in body["versions"]] == [
        (second["id"], "published"),
        (first["id"], "retracted"),
    ]
    assert "removed" in main_of(client.get(f"/records/{concept}").text)
    assert client.get(f"/records/{first['id']}").status_code == 410


def test_drafts_are_previews_for_their_owner_and_moderators_only(
    client: TestClient, people: People
) -> None:
    record_id = draft_with_file(client, people.ada)
    for headers in (people.ada, people.mod):
        page = client.get(f"/records/{record_id}", headers=headers)
        assert page.status_code == 200
        assert "Draft — not public" in page.text
        assert f'href="/api/records/{record_id}/draft/files/data.csv/content"' in page.text
        assert client.get(f"/records/{record_id}.json", headers=headers).json()["record"][
            "is_draft"
        ]
    concept = record_id.split("v")[0]
    for headers in ({}, people.eve):
        for path in (f"/records/{record_id}", f"/records/{concept}", f"/records/{record_id}.json"):
            assert client.get(path, headers=headers).status_code == 404, (path, headers)
        preview = client.get(f"/records/{record_id}/preview/data.csv", headers=headers)
        assert preview.status_code == 404
    assert "Phonons of silicon" not in client.get(f"/records/{record_id}").text


def test_a_moderator_sees_a_draft_version_marked_in_the_list(
    client: TestClient, people: People
) -> None:
    first = published(client, people)
    new = client.post(f"/api/records/{first['id']}/versions", headers=people.ada)
    assert new.status_code == 201, new.text
    draft_id = new.json()["id"]
    body = client.get(f"/records/{draft_id}.json", headers=people.mod).json()
    assert [(v["id"], v["current"], v["status"]) for v in body["versions"]] == [
        (draft_id, True, "draft"),
        (first["id"], False, "published"),
    ]
    assert client.get(f"/records/{draft_id}", headers=people.eve).status_code == 404


def test_a_draft_in_review_links_to_its_request(client: TestClient, people: People) -> None:
    record_id = draft_with_file(client, people.ada)
    request_id = submit(client, people.ada, record_id)
    page = client.get(f"/records/{record_id}", headers=people.mod)
    assert f'href="/requests/{request_id}"' in page.text


def test_a_removed_record_is_a_tombstone(client: TestClient, people: People) -> None:
    record = published(client, people)
    record_id, doi = record["id"], record["pids"]["doi"]["identifier"]
    removed = client.post(
        f"/api/records/{record_id}/delete",
        json={"reason": "The files contained personal data."},
        headers=people.mod,
    )
    assert removed.status_code == 200, removed.text
    for path in (f"/records/{record_id}", f"/records/{record['parent']['id']}"):
        page = client.get(path)
        assert page.status_code == 410
        html = main_of(page.text)
        assert "This record has been removed" in html
        assert "Phonons of silicon from DFPT" in html and "Lovelace, Ada" in html
        assert doi in html and "The files contained personal data." in html
        assert "data.csv" not in html and "/files/" not in html
    twin = client.get(f"/records/{record_id}.json")
    assert twin.status_code == 410
    assert twin.json()["reason"] == "The files contained personal data."
    assert twin.json()["doi"] == doi
    # the DOI still resolves, to the tombstone
    resolved = client.get(f"/doi/{doi}", follow_redirects=False)
    assert resolved.status_code == 302 and resolved.headers["location"].endswith(record_id)


def test_demo_records_carry_a_banner(app: FastAPI, client: TestClient) -> None:
    auth, archive = app.state.instance.auth, app.state.archive
    ada = auth.create_user(None, "ada@example.org", "Ada", password=PASSWORD)
    mod = auth.create_user(None, "mod@example.org", "Mo", password=PASSWORD, role=Role.MODERATOR)
    draft = archive.drafts.create(ada, {"metadata": metadata()}, is_demo=True)
    archive.files.init(ada, draft["id"], [{"key": "data.csv"}])
    archive.files.put_content(ada, draft["id"], "data.csv", [b"a,b\n"], None)
    archive.files.commit(ada, draft["id"], "data.csv")
    archive.publisher.publish(mod, draft["id"])
    page = client.get(f"/records/{draft['id']}")
    assert page.status_code == 200 and "Demo record." in page.text
    assert client.get(f"/records/{draft['id']}.json").json()["record"]["is_demo"] is True


def test_unknown_records_are_not_found(client: TestClient) -> None:
    assert client.get("/records/2026.999").status_code == 404
    assert client.get("/records/2026.999v3").status_code == 404
    assert client.get("/records/nonsense.json").status_code == 404


# -- previews ----------------------------------------------------------------------------------


def test_text_previews_are_escaped(client: TestClient, people: People) -> None:
    record_id = draft_with_file(client, people.ada)
    payload = b"<script>alert('owned')</script>\n<img src=x onerror=alert(1)>\n"
    upload(client, people.ada, record_id, "notes.txt", payload)
    publish_via_review(client, people.ada, people.mod, record_id)
    html = client.get(f"/records/{record_id}").text
    assert "&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script>alert" not in html and "<img src=x" not in html


def test_long_and_binary_files_are_cut_or_not_shown(client: TestClient, people: People) -> None:
    record_id = draft_with_file(client, people.ada)
    upload(client, people.ada, record_id, "big.txt", b"x" * 70_000 + b"THE END")
    upload(client, people.ada, record_id, "blob.dat", b"\x00\x01\x02binary")
    upload(client, people.ada, record_id, "archive.zip", b"PK\x03\x04")
    previews = {
        p["key"]: p
        for p in client.get(f"/records/{record_id}.json", headers=people.ada).json()["previews"]
    }
    assert set(previews) == {"big.txt", "blob.dat", "data.csv"}
    assert previews["big.txt"]["truncated"] and len(previews["big.txt"]["text"]) == 65536
    assert "THE END" not in previews["big.txt"]["text"]
    assert previews["blob.dat"]["binary"] and previews["blob.dat"]["text"] == ""
    html = client.get(f"/records/{record_id}", headers=people.ada).text
    assert "first 64.0 KiB of 68.4 KiB" in html and "This file is not plain text" in html


def test_structure_files_get_a_3d_viewer_with_the_text_as_fallback(
    client: TestClient, people: People
) -> None:
    record_id = draft_with_file(client, people.ada)
    cif = b"data_x\n_cell_length_a 1\n"
    upload(client, people.ada, record_id, "Si.cif", cif)
    upload(client, people.ada, record_id, "POSCAR", b"Si\n1.0\n")
    html = client.get(f"/records/{record_id}", headers=people.ada).text
    assert 'data-format="cif"' in html and 'data-format="poscar"' in html
    assert html.count('class="structure-viewer"') == 2
    assert "data_x\n_cell_length_a 1" in html
    assert '<script type="module" src="/static/js/structure-preview.js"></script>' in html
    assert client.get("/static/js/structure-preview.js").status_code == 200
    assert client.get("/static/css/records.css").status_code == 200


def test_images_are_shown_inline_through_the_preview_route(
    client: TestClient, people: People
) -> None:
    record_id = draft_with_file(client, people.ada)
    png = tiny_png()
    upload(client, people.ada, record_id, "plot.png", png)
    upload(client, people.ada, record_id, "page.svg", b"<svg onload='alert(1)'/>")
    publish_via_review(client, people.ada, people.mod, record_id)
    html = client.get(f"/records/{record_id}").text
    assert f'<img src="/records/{record_id}/preview/plot.png"' in html
    assert "page.svg</code>" in html and "/preview/page.svg" not in html
    image = client.get(f"/records/{record_id}/preview/plot.png")
    assert image.status_code == 200 and image.content == png
    assert image.headers["content-type"] == "image/png"
    assert image.headers["content-disposition"].startswith("inline")
    assert image.headers["x-content-type-options"] == "nosniff"
    for key in ("page.svg", "data.csv", "missing.png"):
        assert client.get(f"/records/{record_id}/preview/{key}").status_code == 404


# -- search ------------------------------------------------------------------------------------


@pytest.fixture
def two_records(client: TestClient, people: People) -> list[dict[str, Any]]:
    return [
        published(client, people, title="Silicon phonons", subjects=[{"subject": "phonons"}]),
        published(
            client,
            people,
            title="Germanium and silicon bands",
            subjects=[{"subject": "bands"}],
            rights=[{"id": "cc0-1.0"}],
        ),
    ]


def test_the_search_page_lists_records_with_facets(
    client: TestClient, two_records: list[dict[str, Any]]
) -> None:
    page = client.get("/records")
    assert page.status_code == 200
    html = main_of(page.text)
    assert "2 records" in html
    assert "Silicon phonons" in html and "Germanium and silicon bands" in html
    assert f'href="/doi/{two_records[0]["pids"]["doi"]["identifier"]}"' in html
    assert 'href="/records?keywords=phonons"' in html and 'aria-checked="false"' in html
    assert "CC0 1.0" in html and "CC BY 4.0" in html
    twin = client.get("/records.json").json()
    assert twin["hits"]["total"] == 2
    assert {b["key"] for b in twin["aggregations"]["keywords"]["buckets"]} == {"phonons", "bands"}


def test_facets_and_words_narrow_the_results(
    client: TestClient, two_records: list[dict[str, Any]]
) -> None:
    narrowed = client.get("/records?q=silicon&keywords=bands")
    html = main_of(narrowed.text)
    assert re.search(r"\b1 record\s", html) and "Germanium and silicon bands" in html
    assert "Silicon phonons" not in html
    assert 'aria-checked="true"' in html
    assert 'href="/records?q=silicon"' in html  # unticking leaves the query
    assert client.get("/records.json?q=germanium").json()["hits"]["total"] == 1
    doi = two_records[0]["pids"]["doi"]["identifier"]
    by_doi = client.get("/records.json", params={"q": doi}).json()
    assert [h["id"] for h in by_doi["hits"]["hits"]] == [two_records[0]["id"]]
    licence = client.get("/records.json?licence=cc0-1.0").json()
    assert licence["hits"]["total"] == 1 and licence["filters"] == {"licence": ["cc0-1.0"]}


def test_pages_link_to_each_other(client: TestClient, two_records: list[dict[str, Any]]) -> None:
    first = client.get("/records.json?size=1&sort=title").json()
    assert first["pagination"] == {
        "page": 1,
        "pages": 2,
        "previous": None,
        "next": "/records?sort=title&size=1&page=2",
    }
    second = client.get("/records?sort=title&size=1&page=2")
    assert "Page 2 of 2" in second.text and "Silicon phonons" in second.text


HOSTILE = [
    "a/b",
    '"unclosed',
    "(silicon]",
    "title:",
    "NOT",
    "OR silicon OR",
    "10.99999/matcloud.2026.1v1",
    "doi:10.1/x",
    "*",
    "-",
    "\"'\\;--",
    "<script>alert(1)</script>",
    "x" * 2000,
]


def test_hostile_queries_never_fail(client: TestClient, two_records: list[dict[str, Any]]) -> None:
    for q in HOSTILE:
        page = client.get("/records", params={"q": q})
        assert page.status_code == 200, q
        assert "<script>alert(1)</script>" not in page.text
        assert client.get("/records.json", params={"q": q}).status_code == 200, q


def test_a_query_that_was_reinterpreted_says_so(
    client: TestClient, two_records: list[dict[str, Any]]
) -> None:
    page = client.get("/records", params={"q": 'silicon "unclosed (x]'})
    assert 'id="search-notice"' in page.text and "quote was not closed" in page.text
    assert "notice" not in client.get("/records.json?q=silicon").json()


BAD_PARAMETERS = [
    ("page=0", "page"),
    ("size=1000", "size"),
    ("sort=bogus", "sort"),
    ("page=abc", "page"),
    ("year=recent", "filters.year"),
    ("has_aiida=maybe", "filters.has_aiida"),
]


def test_bad_parameters_answer_400_naming_the_field(client: TestClient) -> None:
    for query, field in BAD_PARAMETERS:
        page = client.get(f"/records?{query}")
        assert page.status_code == 400, query
        assert f"<code>{field}</code>" in page.text, query
        twin = client.get(f"/records.json?{query}")
        assert twin.status_code == 400 and field in {e["field"] for e in twin.json()["errors"]}


# -- review requests ---------------------------------------------------------------------------


def test_moderators_see_the_queue_and_depositors_their_own(
    client: TestClient, people: People
) -> None:
    ada_record = draft_with_file(client, people.ada, title="Ada's silicon")
    eve_record = draft_with_file(client, people.eve, title="Eve's germanium")
    submit(client, people.ada, ada_record)
    submit(client, people.eve, eve_record)
    queue = client.get("/requests", headers=people.mod)
    assert queue.status_code == 200 and "Moderation queue" in queue.text
    assert "Ada&#39;s silicon" in queue.text and "Eve&#39;s germanium" in queue.text
    assert "Ada Lovelace" in queue.text and "just now" in queue.text
    own = client.get("/requests", headers=people.ada)
    assert "Your review requests" in own.text
    assert "Ada&#39;s silicon" in own.text and "Eve&#39;s germanium" not in own.text
    twin = client.get("/requests.json", headers=people.mod).json()
    assert twin["hits"]["total"] == 2 and twin["is_moderator"] is True
    assert client.get("/requests").status_code == 401


def test_closed_requests_show_on_request(client: TestClient, people: People) -> None:
    published(client, people, title="Accepted silicon")
    assert "Accepted silicon" not in client.get("/requests", headers=people.mod).text
    closed = client.get("/requests?closed=true", headers=people.mod)
    assert "Accepted silicon" in closed.text and "Accepted" in closed.text


def test_the_request_page_offers_each_side_its_actions(client: TestClient, people: People) -> None:
    record_id = draft_with_file(client, people.ada)
    request_id = submit(client, people.ada, record_id, "Please look at **this**.")
    moderator = client.get(f"/requests/{request_id}", headers=people.mod)
    assert moderator.status_code == 200
    html = main_of(moderator.text)
    for button in ("accept-button", "changes-button", "decline-button", "comment-button"):
        assert f'id="{button}"' in html
    assert 'id="cancel-button"' not in html
    assert "Please look at <strong>this</strong>." in html
    assert f'href="/records/{record_id}"' in html and "Ada Lovelace" in html
    assert html.count('class="confirmed"') == 5
    depositor = main_of(client.get(f"/requests/{request_id}", headers=people.ada).text)
    assert 'id="cancel-button"' in depositor and 'id="comment-button"' in depositor
    assert 'id="accept-button"' not in depositor and 'id="decline-button"' not in depositor
    twin = client.get(f"/requests/{request_id}.json", headers=people.ada).json()
    assert twin["actions"] == ["comment", "cancel"] and twin["timeline"][0]["type"] == "submitted"
    assert client.get(f"/requests/{request_id}", headers=people.eve).status_code == 404
    assert client.get(f"/requests/{request_id}").status_code == 401


def test_only_moderators_may_accept(client: TestClient, people: People) -> None:
    record_id = draft_with_file(client, people.ada)
    request_id = submit(client, people.ada, record_id)
    refused = client.post(f"/requests/{request_id}/accept", data={}, headers=people.ada)
    assert refused.status_code == 403
    assert client.post(f"/requests/{request_id}/accept", headers=people.eve).status_code == 403
    assert client.get(f"/records/{record_id}").status_code == 404  # still a draft
    accepted = client.post(
        f"/requests/{request_id}/accept", headers=people.mod, follow_redirects=False
    )
    assert accepted.status_code == 303
    assert accepted.headers["location"] == f"/requests/{request_id}"
    assert client.get(f"/records/{record_id}").status_code == 200


def test_a_moderator_works_through_a_request_with_forms(
    app: FastAPI, client: TestClient, people: People
) -> None:
    record_id = draft_with_file(client, people.ada)
    request_id = submit(client, people.ada, record_id)
    with TestClient(app, base_url="http://testserver") as browser:
        sign_in(browser, "mod@example.org")
        page = browser.get(f"/requests/{request_id}")
        token = csrf_from(page.text)

        forged = browser.post(f"/requests/{request_id}/comment", data={"content": "hi"})
        assert forged.status_code == 403  # no CSRF token

        comment = browser.post(
            f"/requests/{request_id}/comment",
            data={"csrf_token": token, "content": "Nice <script>alert(1)</script> *work*"},
            follow_redirects=False,
        )
        assert comment.status_code == 303
        html = browser.get(f"/requests/{request_id}").text
        assert "Nice  <em>work</em>" in html and "<script>alert(1)" not in html

        empty = browser.post(
            f"/requests/{request_id}/decline", data={"csrf_token": token, "content": "  "}
        )
        assert empty.status_code == 400
        assert "<code>payload.content</code> is required" in empty.text

        changes = browser.post(
            f"/requests/{request_id}/request-changes",
            data={"csrf_token": token, "content": "Add the k-point grid."},
            follow_redirects=False,
        )
        assert changes.status_code == 303
        after = browser.get(f"/requests/{request_id}.json").json()
        assert after["status"] == "changes_requested"
        assert after["actions"] == ["comment", "decline"]

        conflict = browser.post(
            f"/requests/{request_id}/accept", data={"csrf_token": token, "content": ""}
        )
        assert conflict.status_code == 409 and "changes_requested" in conflict.text

        unknown = browser.post(f"/requests/{request_id}/explode", data={"csrf_token": token})
        assert unknown.status_code == 404


def test_the_depositor_cancels_with_the_form(
    app: FastAPI, client: TestClient, people: People
) -> None:
    record_id = draft_with_file(client, people.ada)
    request_id = submit(client, people.ada, record_id)
    with TestClient(app, base_url="http://testserver") as browser:
        sign_in(browser, "ada@example.org")
        token = csrf_from(browser.get(f"/requests/{request_id}").text)
        cancelled = browser.post(
            f"/requests/{request_id}/cancel",
            data={"csrf_token": token},
            follow_redirects=False,
        )
        assert cancelled.status_code == 303
        page = browser.get(f"/requests/{request_id}")
        assert "Cancelled" in page.text and 'id="cancel-button"' not in page.text
        assert re.search(r"Ada Lovelace</strong>\s*cancelled the request", page.text)
