"""Sign-in and sign-out pages, CSRF, the rate limit, API tokens over HTTP."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from factories import PASSWORD, csrf_from, make_user, sign_in
from matcloud.core.models import Role
from matcloud.web.security import CSRF_COOKIE, SESSION_COOKIE


def test_sign_in_sets_a_signed_httponly_samesite_cookie(app: FastAPI, client: TestClient) -> None:
    make_user(app)
    form = client.get("/signin")
    response = client.post(
        "/signin",
        data={
            "email": "ADA@example.org ",
            "password": PASSWORD,
            "csrf_token": csrf_from(form.text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/account"
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in session and "SameSite=lax" in session and "Max-Age=" in session
    me = client.get("/api/me").json()
    assert me == {
        "id": me["id"],
        "email": "ada@example.org",
        "name": "Ada",
        "role": "user",
        "authenticated": True,
    }


def test_a_tampered_session_cookie_is_anonymous(app: FastAPI, client: TestClient) -> None:
    make_user(app)
    sign_in(client, "ada@example.org")
    value = client.cookies[SESSION_COOKIE]
    assert client.get("/api/me").json()["authenticated"] is True
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, value[:-2] + ("aa" if not value.endswith("aa") else "bb"))
    assert client.get("/api/me").json()["authenticated"] is False


def test_sign_out_ends_the_session_for_good(app: FastAPI, client: TestClient) -> None:
    make_user(app)
    sign_in(client, "ada@example.org")
    stolen = client.cookies[SESSION_COOKIE]
    page = client.get("/account")
    response = client.post(
        "/signout", data={"csrf_token": csrf_from(page.text)}, follow_redirects=False
    )
    assert response.status_code == 303
    assert client.get("/api/me").json()["authenticated"] is False
    client.cookies.set(SESSION_COOKIE, stolen)  # replaying the old cookie does not help
    assert client.get("/api/me").json()["authenticated"] is False


def test_wrong_password_says_so_without_telling_which(app: FastAPI, client: TestClient) -> None:
    make_user(app)
    token = csrf_from(client.get("/signin").text)
    wrong = client.post(
        "/signin", data={"email": "ada@example.org", "password": "nope", "csrf_token": token}
    )
    unknown = client.post(
        "/signin", data={"email": "bob@example.org", "password": "nope", "csrf_token": token}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert "The e-mail address or the password is wrong." in wrong.text
    assert "The e-mail address or the password is wrong." in unknown.text


def test_five_wrong_passwords_trigger_the_rate_limit(app: FastAPI, client: TestClient) -> None:
    make_user(app)
    token = csrf_from(client.get("/signin").text)
    for _ in range(5):
        response = client.post(
            "/signin", data={"email": "ada@example.org", "password": "bad", "csrf_token": token}
        )
        assert response.status_code == 401
    blocked = client.post(
        "/signin", data={"email": "ada@example.org", "password": PASSWORD, "csrf_token": token}
    )
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert "Too many failed sign-ins" in blocked.text
    assert client.get("/api/me").json()["authenticated"] is False


def test_missing_or_forged_csrf_token_is_refused(app: FastAPI, client: TestClient) -> None:
    make_user(app)
    client.get("/signin")  # gets the CSRF cookie
    data = {"email": "ada@example.org", "password": PASSWORD}
    missing = client.post("/signin", data=data)
    assert missing.status_code == 403 and "CSRF" in missing.text
    forged = client.post("/signin", data={**data, "csrf_token": "0" * 64})
    assert forged.status_code == 403
    assert client.get("/api/me").json()["authenticated"] is False


def test_csrf_token_of_another_browser_is_refused(app: FastAPI) -> None:
    make_user(app)
    with TestClient(app) as attacker, TestClient(app) as victim:
        attacker_token = csrf_from(attacker.get("/signin").text)
        victim.get("/signin")
        sign_in(victim, "ada@example.org")
        response = victim.post(
            "/account/tokens", data={"name": "evil", "csrf_token": attacker_token}
        )
        assert response.status_code == 403
        assert victim.get("/account.json").json()["tokens"] == []


def test_csrf_header_works_for_scripts_in_the_page(app: FastAPI, client: TestClient) -> None:
    make_user(app)
    sign_in(client, "ada@example.org")
    token = csrf_from(client.get("/account").text)
    response = client.post(
        "/account/tokens", data={"name": "from-js"}, headers={"X-CSRF-Token": token}
    )
    assert response.status_code == 201


def test_no_csrf_cookie_means_refused(app: FastAPI, client: TestClient) -> None:
    make_user(app)
    token = csrf_from(client.get("/signin").text)
    client.cookies.delete(CSRF_COOKIE)
    response = client.post(
        "/signin", data={"email": "ada@example.org", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 403


def test_token_is_shown_once_and_works_as_bearer(app: FastAPI, client: TestClient) -> None:
    make_user(app)
    sign_in(client, "ada@example.org")
    token = csrf_from(client.get("/account").text)
    created = client.post("/account/tokens.json", data={"name": "laptop", "csrf_token": token})
    # the form posts to /account/tokens; the JSON twin of the result comes by Accept
    assert created.status_code == 404
    created = client.post(
        "/account/tokens",
        data={"name": "laptop", "csrf_token": token},
        headers={"Accept": "application/json"},
    )
    assert created.status_code == 201 and created.headers["cache-control"] == "no-store"
    secret = created.json()["new_token"]["secret"]
    listed = client.get("/account.json").json()["tokens"]
    assert [t["name"] for t in listed] == ["laptop"]
    assert secret not in client.get("/account").text
    with TestClient(app) as script:
        me = script.get("/api/me", headers={"Authorization": f"Bearer {secret}"}).json()
        assert me["email"] == "ada@example.org"
        # bearer requests carry no ambient credential: no CSRF token needed
        made = script.post(
            "/account/tokens",
            data={"name": "second"},
            headers={"Authorization": f"Bearer {secret}", "Accept": "application/json"},
        )
        assert made.status_code == 201


def test_bad_bearer_token_is_a_401_problem(client: TestClient) -> None:
    for header in ["Bearer mct_nope", "Bearer ", "Basic abc"]:
        response = client.get("/api/me", headers={"Authorization": header})
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_revoked_token_stops_working(app: FastAPI, client: TestClient) -> None:
    make_user(app)
    new = app.state.instance.auth.create_token(None, "ada@example.org", "t")
    headers = {"Authorization": f"Bearer {new.secret}"}
    assert client.get("/api/me", headers=headers).status_code == 200
    sign_in(client, "ada@example.org")
    token = csrf_from(client.get("/account").text)
    client.post(f"/account/tokens/{new.id}/revoke", data={"csrf_token": token})
    client.cookies.clear()
    assert client.get("/api/me", headers=headers).status_code == 401


def test_cannot_revoke_someone_elses_token(app: FastAPI, client: TestClient) -> None:
    make_user(app)
    make_user(app, "eve@example.org", Role.USER, "Eve")
    ada_token = app.state.instance.auth.create_token(None, "ada@example.org", "t")
    sign_in(client, "eve@example.org")
    token = csrf_from(client.get("/account").text)
    response = client.post(f"/account/tokens/{ada_token.id}/revoke", data={"csrf_token": token})
    assert response.status_code == 404
    headers = {"Authorization": f"Bearer {ada_token.secret}"}
    assert client.get("/api/me", headers=headers).status_code == 200


def test_next_parameter_never_leaves_the_site(app: FastAPI, client: TestClient) -> None:
    make_user(app)
    for target, expected in [
        ("/archive", "/archive"),
        ("//evil.example/", "/account"),
        ("https://evil.example/", "/account"),
        ("/\\evil.example", "/account"),
    ]:
        client.cookies.clear()
        token = csrf_from(client.get("/signin").text)
        response = client.post(
            "/signin",
            data={
                "email": "ada@example.org",
                "password": PASSWORD,
                "csrf_token": token,
                "next": target,
            },
            follow_redirects=False,
        )
        assert response.headers["location"] == expected
