"""Helpers that make accounts and sign in through the real pages (no shortcuts into the app)."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from matcloud.core.auth import Identity
from matcloud.core.models import Role

PASSWORD = "correct horse battery staple"


def make_user(
    app: FastAPI, email: str = "ada@example.org", role: Role = Role.USER, name: str = "Ada"
) -> Identity:
    auth = app.state.instance.auth
    return auth.create_user(None, email, name, password=PASSWORD, role=role)  # type: ignore[no-any-return]


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', html)
    assert match, "no CSRF token in the form"
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> None:
    form = client.get("/signin")
    response = client.post(
        "/signin",
        data={"email": email, "password": password, "csrf_token": csrf_from(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
