"""The shell: home, section pages with JSON twins, errors as pages and as problem details."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from factories import make_user, sign_in
from matcloud.core.models import Role

NAV = ["LEARN", "WORK", "DISCOVER", "EXPLORE", "ARCHIVE"]


def test_home_presents_the_five_sections_in_navigation_order(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    nav = re.search(r'<nav class="site-nav".*?</nav>', response.text, re.S)
    assert nav is not None
    assert re.findall(r">([A-Z]+)</a>", nav.group(0)) == NAV
    assert 'role="search"' in response.text
    assert 'href="/signin' in response.text


def test_home_json_twin_has_the_same_sections(client: TestClient) -> None:
    data = client.get("/index.json").json()
    assert [s["title"].upper() for s in data["sections"]] == NAV
    installed = {s["slug"]: s["installed"] for s in data["sections"]}
    assert installed == {
        "learn": True,
        "work": True,
        "discover": True,
        "explore": True,
        "archive": True,
    }
    archive = data["sections"][-1]
    assert {s["label"]: s["value"] for s in archive["stats"]} == {
        "records": 0,
        "files": 0,
        "MB of data": 0,
    }
    negotiated = client.get("/", headers={"Accept": "application/json"})
    assert negotiated.json() == data


def test_each_section_page_says_honestly_what_is_there(client: TestClient) -> None:
    learn = client.get("/learn")
    assert learn.status_code == 200 and 'aria-current="page"' in learn.text
    assert "Nothing is published here yet" in learn.text and 'href="/learn/lectures"' in learn.text
    twin = client.get("/learn.json").json()
    assert twin["slug"] == "learn" and twin["installed"] is True and twin["offers"]
    discover = client.get("/discover")
    assert "Not yet available" not in discover.text
    assert "Nothing is published here yet" in discover.text
    assert client.get("/discover.json").json()["stats"] == []
    archive = client.get("/archive")
    assert "Not yet available" not in archive.text and "Deposit data" in archive.text
    work = client.get("/work")
    assert "Not yet available" not in work.text and 'href="/work/seekpath"' in work.text
    explore = client.get("/explore.json").json()
    assert explore["installed"] and {s["label"]: s["value"] for s in explore["stats"]} == {
        "AiiDA archives": 0,
        "provenance nodes": 0,
    }


def test_unknown_page_is_a_404_page_for_people(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "There is nothing at /no/such/page" in response.text
    assert 'action="/search"' in response.text


def test_unknown_api_path_is_problem_json(client: TestClient) -> None:
    for path in ["/api/nothing", "/nothing.json"]:
        response = client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["status"] == 404 and body["title"] == "Not found"
        assert body["instance"] == path


def test_forbidden_page_and_problem(app: FastAPI, client: TestClient) -> None:
    make_user(app)
    sign_in(client, "ada@example.org")
    page = client.get("/admin")
    assert page.status_code == 403 and "which\n   may not do this" in page.text
    problem = client.get("/admin.json")
    assert problem.status_code == 403
    assert problem.headers["content-type"] == "application/problem+json"
    assert problem.json()["detail"] == "This needs the admin role."


def test_anonymous_account_page_asks_to_sign_in(client: TestClient) -> None:
    response = client.get("/account.json")
    assert response.status_code == 401
    assert response.json()["title"] == "Sign-in required"


def test_admin_sees_the_admin_page(app: FastAPI, client: TestClient) -> None:
    make_user(app, "root@example.org", Role.ADMIN)
    sign_in(client, "root@example.org")
    data = client.get("/admin.json").json()
    assert data["users"] == 2  # the instance's first admin and this one
    assert data["failures"] == []
    assert "Administration" in client.get("/admin").text


def test_internal_error_is_a_500_page_and_problem(app: FastAPI) -> None:
    def explode() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/explode", explode)
    app.add_api_route("/api/explode", explode)
    with TestClient(app, raise_server_exceptions=False) as client:
        page = client.get("/explode")
        assert page.status_code == 500 and "has been logged" in page.text
        assert "boom" not in page.text  # no internals leak to the reader
        problem = client.get("/api/explode")
        assert problem.status_code == 500
        assert problem.headers["content-type"] == "application/problem+json"


def test_invalid_query_is_a_400_with_the_field(app: FastAPI) -> None:
    def numbers(n: int) -> dict[str, int]:
        return {"n": n}

    app.add_api_route("/api/numbers", numbers)
    with TestClient(app) as client:
        response = client.get("/api/numbers", params={"n": "three"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "n"


def test_security_headers_and_request_id(client: TestClient) -> None:
    response = client.get("/", headers={"X-Request-ID": "abc123"})
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-request-id"] == "abc123"


def test_no_external_resources_on_the_page(client: TestClient) -> None:
    html = client.get("/").text
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_static_css_is_served(client: TestClient) -> None:
    response = client.get("/static/css/matcloud.css")
    assert response.status_code == 200 and "--learn" in response.text


def test_search_finds_sections(client: TestClient) -> None:
    data = client.get("/search.json", params={"q": "provenance graph"}).json()
    assert [h["url"] for h in data["hits"]] == ["/explore"]
    assert client.get("/search.json", params={"q": "zzzz"}).json()["count"] == 0
    page = client.get("/search", params={"q": "<script>alert(1)</script>"})
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;" in page.text
