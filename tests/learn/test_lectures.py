"""Adding lectures over the API: the files are checked, the slides rendered, the timings found
in the video (or read from a CSV); what is wrong is refused, naming the file, with nothing
stored; the files are served (the video with Range); only administrators add or edit."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from archive_helpers import bearer
from learn_helpers import SLUG, post_lecture
from matcloud.app import create_app
from matcloud.core.instance import init_instance
from matcloud.core.models import Role
from matcloud.learn.demo_media import DemoLecture
from matcloud.learn.pdfwrite import Text, write_pdf
from matcloud.settings import Settings


def test_a_lecture_is_added_with_its_timings_found(
    client: TestClient, lecture: dict[str, Any], demo_lecture: DemoLecture
) -> None:
    assert lecture["slug"] == SLUG and lecture["url"] == f"/learn/lectures/{SLUG}"
    assert lecture["slide_count"] == 8 and lecture["timings_source"] == "auto"
    assert lecture["speakers"] == [
        {"name": "Ada Lovelace", "affiliation": "EPFL"},
        {"name": "Alan Turing", "affiliation": ""},
    ]
    assert lecture["topics"] == ["band structure", "DFT"]
    found = lecture["timings"]
    truth = demo_lecture.truth
    assert [page for _, page in found] == [t.slide for t in truth]
    errors = [abs(start - t.start) for (start, _), t in zip(found, truth, strict=True)]
    assert max(errors) < 1.0, errors
    titles = [s["title"] for s in lecture["slides"]]
    assert titles == demo_lecture.titles
    shown = {t.slide for t in truth}
    for slide in lecture["slides"]:
        assert bool(slide["starts"]) == (slide["number"] - 1 in shown)
    assert abs(lecture["duration"] - lecture["files"]["mp4"]["duration"]) < 1e-6
    assert lecture["files"]["mp4"]["codec"] == "h264"
    assert lecture["files"]["pdf"]["pages"] == 8
    again = client.get(f"/api/learn/lectures/{SLUG}").json()
    assert again["timings"] == found


def test_the_files_are_served(
    client: TestClient, lecture: dict[str, Any], demo_lecture: DemoLecture
) -> None:
    video = lecture["files"]["mp4"]["url"]
    whole = demo_lecture.video.read_bytes()
    part = client.get(video, headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206 and part.content == whole[1000:2000]
    assert part.headers["content-range"] == f"bytes 1000-1999/{len(whole)}"
    assert part.headers["content-type"] == "video/mp4"
    assert client.head(video).headers["accept-ranges"] == "bytes"
    image = client.get(lecture["slides"][2]["image"])
    assert image.status_code == 200 and image.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert "immutable" in image.headers["cache-control"]
    thumb = client.get(lecture["slides"][2]["thumb"])
    assert thumb.status_code == 200 and len(thumb.content) < len(image.content)
    assert client.get(f"/learn/lectures/{SLUG}/slides/9.png").status_code == 404
    pdf = client.get(lecture["files"]["pdf"]["url"])
    assert pdf.content == demo_lecture.pdf.read_bytes()
    chapters = client.get(lecture["chapters"])
    assert chapters.headers["content-type"].startswith("text/vtt")
    text = chapters.text
    assert text.startswith("WEBVTT") and text.count(" --> ") == len(lecture["timings"])
    first = demo_lecture.titles[lecture["timings"][0][1]]
    assert "00:00:00.000 --> " in text and first in text


def test_timings_from_a_file_and_captions(
    client: TestClient, admin: dict[str, str], demo_lecture: DemoLecture
) -> None:
    csv = "slide,start\n1,0\n2,0:12.5\n3,25\n"
    vtt = "WEBVTT\n\n00:00.000 --> 00:04.000\nHello.\n"
    answer = post_lecture(
        client,
        admin,
        demo_lecture,
        files={
            "timings": ("t.csv", csv.encode(), "text/csv"),
            "captions": ("c.vtt", vtt.encode(), "text/vtt"),
        },
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["timings_source"] == "file"
    assert body["timings"] == [[0, 0], [12.5, 1], [25, 2]]
    captions = client.get(body["files"]["vtt"]["url"])
    assert captions.text == vtt and captions.headers["content-type"].startswith("text/vtt")


def _nothing_stored(client: TestClient) -> None:
    assert client.get("/api/learn/lectures").json()["total"] == 0


@pytest.mark.parametrize(
    ("files", "field", "words"),
    [
        ({"video": ("talk.mp4", b"\x00\x01garbage" * 500, "video/mp4")}, "video", "talk.mp4"),
        ({"slides": ("s.pdf", b"%PDF-1.4\nbroken", "application/pdf")}, "slides", "s.pdf"),
        ({"slides": ("s.pdf", b"", "application/pdf")}, "slides", "needs its slides"),
        ({"video": ("v.mp4", b"", "video/mp4")}, "video", "needs its video"),
        ({"timings": ("t.csv", b"slide,start\n1,0\n12,5\n", "text/csv")}, "timings", "line 3"),
        ({"timings": ("t.csv", b"slide,start\n1,0\n2,900\n", "text/csv")}, "timings", "line 3"),
        ({"captions": ("c.vtt", b"Hello\n", "text/vtt")}, "captions", "WEBVTT"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(
    client: TestClient,
    admin: dict[str, str],
    demo_lecture: DemoLecture,
    files: dict[str, tuple[str, bytes, str]],
    field: str,
    words: str,
) -> None:
    answer = post_lecture(client, admin, demo_lecture, files=files)
    assert answer.status_code == 400, answer.text
    problem = answer.json()
    assert words in problem["detail"], problem
    assert field in [e["field"] for e in problem["errors"]], problem
    _nothing_stored(client)


def test_a_truncated_video_is_refused(
    client: TestClient, admin: dict[str, str], demo_lecture: DemoLecture
) -> None:
    half = demo_lecture.video.read_bytes()[: demo_lecture.video.stat().st_size // 2]
    answer = post_lecture(client, admin, demo_lecture, files={"video": ("cut.mp4", half, "")})
    assert answer.status_code == 400 and "cut.mp4" in answer.json()["detail"]
    _nothing_stored(client)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": ""}, "title"),
        ({"speakers": ""}, "speakers"),
        ({"date": "yesterday"}, "date"),
        ({"licence": "all-rights-mine"}, "licence"),
    ],
)
def test_a_wrong_description_names_its_field(
    client: TestClient,
    admin: dict[str, str],
    demo_lecture: DemoLecture,
    fields: dict[str, str],
    field: str,
) -> None:
    answer = post_lecture(client, admin, demo_lecture, fields=fields)
    assert answer.status_code == 400
    assert field in [e["field"] for e in answer.json()["errors"]], answer.json()
    _nothing_stored(client)


def test_a_process_failing_mid_write_stores_no_lecture(
    client: TestClient,
    app: FastAPI,
    admin: dict[str, str],
    demo_lecture: DemoLecture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    blobs = app.state.learn.blobs
    real = blobs.put
    calls = {"n": 0}

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 5:  # after the video, the PDF and some slides
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(blobs, "put", failing)
    with pytest.raises(OSError, match="disk full"):
        post_lecture(client, admin, demo_lecture)
    _nothing_stored(client)
    monkeypatch.setattr(blobs, "put", real)
    assert post_lecture(client, admin, demo_lecture).status_code == 201  # tried again: whole


def test_only_administrators_add_and_edit(
    client: TestClient, app: FastAPI, demo_lecture: DemoLecture, lecture: dict[str, Any]
) -> None:
    user = bearer(app, "user@example.org", Role.USER)
    assert post_lecture(client, user, demo_lecture).status_code == 403
    assert post_lecture(client, {}, demo_lecture).status_code in (401, 403)
    url = f"/api/learn/lectures/{SLUG}/timings"
    assert client.put(url, json={"timings": [[0, 0]]}, headers=user).status_code == 403
    assert client.get(f"/learn/lectures/{SLUG}/timings", headers=user).status_code == 403


def test_the_timings_are_edited(
    client: TestClient, admin: dict[str, str], lecture: dict[str, Any]
) -> None:
    url = f"/api/learn/lectures/{SLUG}/timings"
    edited = client.put(url, json={"timings": [[0, 0], [10.25, 3], [20, 0]]}, headers=admin)
    assert edited.status_code == 200, edited.text
    assert edited.json()["timings"] == [[0, 0], [10.25, 3], [20, 0]]
    assert edited.json()["timings_source"] == "edited"
    for wrong, words in [
        ([[0, 0], [5, 8]], "page 8 does not exist"),
        ([[0, 0], [5, 1], [4, 2]], "starts must increase"),
        ([[1, 0]], "starts at 0"),
        ([[0, 0], [999, 1]], "outside the video"),
        ("0,0", "non-empty list"),
        ([[0, "x"]], "[start seconds, page]"),
    ]:
        answer = client.put(url, json={"timings": wrong}, headers=admin)
        assert answer.status_code == 400 and words in answer.text, (wrong, answer.text)
    assert client.get(f"/api/learn/lectures/{SLUG}").json()["timings"][1] == [10.25, 3]
    assert client.put(url, content=b"nope", headers=admin).status_code == 400


def test_a_second_lecture_with_the_same_date_and_title_conflicts(
    client: TestClient, admin: dict[str, str], demo_lecture: DemoLecture, lecture: dict[str, Any]
) -> None:
    assert post_lecture(client, admin, demo_lecture).status_code == 409


def test_the_timings_are_found_by_a_worker(
    settings: Settings, demo_lecture: DemoLecture, tmp_path: Path
) -> None:
    """With a job queue (no immediate jobs), an upload answers at once, its timings pending;
    a worker finds them; slides that no frame shows leave them "failed", for the editor."""
    queued = settings.model_copy(update={"job_queue": "sqlite"})
    init_instance(queued)
    app = create_app(queued)
    try:
        with TestClient(app, base_url="http://testserver") as client:
            admin = bearer(app, "admin@example.org", Role.ADMIN)
            answer = post_lecture(client, admin, demo_lecture)
            assert answer.status_code == 201, answer.text
            pending = answer.json()
            assert pending["timings_source"] == "pending" and pending["timings"] == [[0, 0]]
            assert "being found in the video" in client.get(pending["url"]).text
            other = tmp_path / "other.pdf"  # pages that the video never shows
            other.write_bytes(write_pdf([[Text(80, 300, 40, "Nothing like it")], []]))
            unrelated = post_lecture(
                client,
                admin,
                demo_lecture,
                fields={"title": "Unrelated slides"},
                files={"slides": ("other.pdf", other.read_bytes(), "application/pdf")},
            ).json()
            jobs = app.state.instance.jobs
            jobs.start_worker(threads=1)
            try:
                deadline = time.monotonic() + 120
                while jobs.pending_count() and time.monotonic() < deadline:
                    time.sleep(0.5)
            finally:
                jobs.stop_worker()
            found = client.get(f"/api/learn/lectures/{SLUG}").json()
            assert found["timings_source"] == "auto"
            assert [p for _, p in found["timings"]] == [t.slide for t in demo_lecture.truth]
            failed = client.get(f"/api/learn/lectures/{unrelated['slug']}").json()
            assert failed["timings_source"] == "failed", failed["timings"]
            assert failed["timings"] == [[0, 0]]
            assert "could not be recognised" in client.get(failed["url"]).text
    finally:
        app.state.instance.close()
