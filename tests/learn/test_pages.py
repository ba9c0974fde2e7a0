"""The LEARN pages over HTTP: the list (series, topics, search through the slides' text), the
player, the upload page and the timing editor, with their JSON twins."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from factories import csrf_from, make_user, sign_in
from learn_helpers import META, SLUG, post_lecture
from matcloud.core.models import Role
from matcloud.learn.demo_media import DemoLecture


def test_the_list_filters_and_searches_the_slides(
    client: TestClient, lecture: dict[str, Any], demo_lecture: DemoLecture
) -> None:
    html = client.get("/learn/lectures").text
    assert "Band structures in 60 seconds" in html and "Summer school 2026" in html
    twin = client.get("/learn/lectures.json").json()
    assert twin["total"] == 1 and twin["facets"]["series"] == [["Summer school 2026", 1]]
    assert ["DFT", 1] in twin["facets"]["topics"]
    word = "Brillouin"  # on the demo's slides, not in the lecture's description
    assert word not in META["description"]
    found = client.get("/learn/lectures.json", params={"q": word.lower()}).json()
    assert found["total"] == 1
    hits = found["lectures"][0]["slides_found"]
    assert hits and all(word.lower() in h["snippet"].lower() for h in hits)
    page = client.get("/learn/lectures", params={"q": word}).text
    assert f'href="/learn/lectures/{SLUG}?slide={hits[0]["slide"]}"' in page
    assert client.get("/learn/lectures.json", params={"q": "zzzqqq"}).json()["total"] == 0
    by_topic = client.get("/learn/lectures.json", params={"topic": "dft"}).json()
    assert by_topic["total"] == 1
    other = client.get("/learn/lectures.json", params={"series": "Other"}).json()
    assert other["total"] == 0


def test_the_player_page(client: TestClient, lecture: dict[str, Any]) -> None:
    html = client.get(f"/learn/lectures/{SLUG}").text
    assert f'<source src="/learn/lectures/{SLUG}/files/mp4" type="video/mp4">' in html
    assert f'<track kind="chapters" src="/learn/lectures/{SLUG}/chapters.vtt"' in html
    assert html.count('class="learn-thumb-button"') == 8
    assert "<em>short</em>" in html  # the description's Markdown
    assert 'id="learn-data"' in html and "Edit the slide timings" not in html
    twin = client.get(f"/learn/lectures/{SLUG}.json").json()
    assert twin["slug"] == SLUG and len(twin["slides"]) == 8
    assert client.get("/learn/lectures/nothing-here").status_code == 404


def test_the_description_is_sanitised(
    client: TestClient, admin: dict[str, str], demo_lecture: DemoLecture
) -> None:
    hostile = "Hi <script>alert(1)</script> <img src=x onerror=alert(2)>"
    answer = post_lecture(client, admin, demo_lecture, fields={"description": hostile})
    assert answer.status_code == 201, answer.text
    html = client.get(answer.json()["url"]).text
    assert "<script>alert(1)" not in html and "onerror" not in html


def test_an_admin_uploads_through_the_page(
    client: TestClient, app: FastAPI, demo_lecture: DemoLecture
) -> None:
    make_user(app, "root@example.org", Role.ADMIN)
    sign_in(client, "root@example.org")
    form = client.get("/learn/new")
    assert form.status_code == 200 and 'name="slides"' in form.text
    token = csrf_from(form.text)
    files = {
        "video": (demo_lecture.video.name, demo_lecture.video.read_bytes(), "video/mp4"),
        "slides": ("slides.pdf", b"not a pdf", "application/pdf"),
    }
    refused = client.post("/learn/new", data=META | {"csrf_token": token}, files=files)
    assert refused.status_code == 400 and "slides.pdf" in refused.text
    assert "Band structures in 60 seconds" in refused.text  # the form keeps what was typed
    assert client.get("/learn/lectures.json").json()["total"] == 0
    files["slides"] = ("slides.pdf", demo_lecture.pdf.read_bytes(), "application/pdf")
    no_token = client.post("/learn/new", data=META, files=files, follow_redirects=False)
    assert no_token.status_code == 403
    added = client.post(
        "/learn/new", data=META | {"csrf_token": token}, files=files, follow_redirects=False
    )
    assert added.status_code == 303 and added.headers["location"] == f"/learn/lectures/{SLUG}"
    player = client.get(f"/learn/lectures/{SLUG}").text
    assert "Edit the slide timings" in player
    editor = client.get(f"/learn/lectures/{SLUG}/timings")
    assert editor.status_code == 200 and 'id="learn-mark"' in editor.text
    saved = client.put(
        f"/api/learn/lectures/{SLUG}/timings",
        json={"timings": [[0, 0], [5, 1]]},
        headers={"x-csrf-token": csrf_from(editor.text)},
    )
    assert saved.status_code == 200, saved.text
    learn = client.get("/learn").text
    assert "/learn/lectures" in learn and "/learn/new" in learn


def test_the_upload_page_is_for_administrators(client: TestClient, app: FastAPI) -> None:
    make_user(app, "user@example.org", Role.USER)
    sign_in(client, "user@example.org")
    assert client.get("/learn/new").status_code == 403


def test_the_site_search_finds_lectures_by_their_slides(
    client: TestClient, lecture: dict[str, Any]
) -> None:
    found = client.get("/search.json", params={"q": "reciprocal lattice"}).json()
    hits = [h for h in found["hits"] if h["kind"] == "lecture"]
    assert len(hits) == 1 and hits[0]["url"].startswith(f"/learn/lectures/{SLUG}?slide=")
    assert "reciprocal" in hits[0]["summary"].lower()
    assert not [
        h for h in client.get("/search.json", params={"q": "zzzqqq"}).json()["hits"]
        if h["kind"] == "lecture"
    ]  # fmt: skip
