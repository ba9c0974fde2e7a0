"""Helpers for ARCHIVE tests: accounts with tokens, valid metadata, a draft with files."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from matcloud.core.models import Role

PASSWORD = "correct horse battery staple"
CHECKLIST = {k: True for k in ["scope", "paper", "formats", "reuse", "rights"]}


def bearer(app: FastAPI, email: str, role: Role = Role.USER, name: str = "") -> dict[str, str]:
    auth = app.state.instance.auth
    auth.create_user(None, email, name or email.split("@")[0].title(), password=PASSWORD, role=role)
    token = auth.create_token(None, email, "tests").secret
    return {"Authorization": f"Bearer {token}"}


def metadata(**overrides: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "resource_type": {"id": "dataset"},
        "title": "Phonons of silicon from DFPT",
        "creators": [
            {
                "person_or_org": {
                    "type": "personal",
                    "given_name": "Ada",
                    "family_name": "Lovelace",
                    "identifiers": [{"scheme": "orcid", "identifier": "0000-0002-1825-0097"}],
                },
                "affiliations": [{"id": "02s376052", "name": "EPFL"}],
            }
        ],
        "description": "Phonon dispersions of bulk silicon computed with DFPT in Quantum ESPRESSO.",
        "rights": [{"id": "cc-by-4.0"}],
        "subjects": [{"subject": "phonons"}, {"subject": "DFT"}],
        "related_identifiers": [
            {
                "identifier": "10.1038/s41597-020-00637-5",
                "scheme": "doi",
                "relation_type": {"id": "issupplementto"},
            }
        ],
    }
    meta.update(overrides)
    return meta


def upload(
    client: TestClient, headers: dict[str, str], record_id: str, key: str, data: bytes
) -> dict[str, Any]:
    init = client.post(
        f"/api/records/{record_id}/draft/files", json=[{"key": key}], headers=headers
    )
    assert init.status_code == 201, init.text
    put = client.put(
        f"/api/records/{record_id}/draft/files/{key}/content",
        content=data,
        headers={**headers, "Content-Type": "application/octet-stream"},
    )
    assert put.status_code == 200, put.text
    commit = client.post(f"/api/records/{record_id}/draft/files/{key}/commit", headers=headers)
    assert commit.status_code == 200, commit.text
    assert commit.json()["sha256"] == hashlib.sha256(data).hexdigest()
    body: dict[str, Any] = commit.json()
    return body


def draft_with_file(
    client: TestClient, headers: dict[str, str], data: bytes = b"a,b\n1,2\n", **meta: Any
) -> str:
    response = client.post("/api/records", json={"metadata": metadata(**meta)}, headers=headers)
    assert response.status_code == 201, response.text
    record_id: str = response.json()["id"]
    upload(client, headers, record_id, "data.csv", data)
    return record_id


def publish_via_review(
    client: TestClient, owner: dict[str, str], moderator: dict[str, str], record_id: str
) -> dict[str, Any]:
    submitted = client.post(
        f"/api/records/{record_id}/draft/actions/submit-review",
        json={"checklist": CHECKLIST},
        headers=owner,
    )
    assert submitted.status_code == 202, submitted.text
    request_id = submitted.json()["id"]
    accepted = client.post(f"/api/requests/{request_id}/actions/accept", json={}, headers=moderator)
    assert accepted.status_code == 200, accepted.text
    body: dict[str, Any] = client.get(f"/api/records/{record_id}").json()
    return body
