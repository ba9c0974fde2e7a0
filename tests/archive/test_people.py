"""Who is behind an ORCID iD: people this instance knows, and ORCID's API (faked: unreachable)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from archive_helpers import bearer, draft_with_file, publish_via_review
from matcloud.archive.people import OrcidPublicDirectory
from matcloud.core.models import Role

ORCID = "0000-0002-1825-0097"


def test_creators_of_published_records_are_found(app: FastAPI, client: TestClient) -> None:
    ada = bearer(app, "ada@example.org")
    mod = bearer(app, "mod@example.org", Role.MODERATOR)
    lookup = f"/api/people/orcid/{ORCID}"
    assert client.get(lookup, headers=ada).status_code == 404  # nobody yet (drafts don't count)
    publish_via_review(client, ada, mod, draft_with_file(client, ada))
    found = client.get(lookup, headers=ada).json()
    assert found == {
        "orcid": ORCID,
        "given_name": "Ada",
        "family_name": "Lovelace",
        "affiliations": [{"id": "02s376052", "name": "EPFL"}],
        "source": "record",
    }
    assert client.get(f"/api/people/orcid/https://orcid.org/{ORCID}").json()["family_name"]


def test_accounts_with_an_orcid_are_found(app: FastAPI, client: TestClient) -> None:
    app.state.instance.auth.create_user(
        None, "grace@example.org", "Grace Brewster Hopper", password="long enough pw", orcid=ORCID
    )
    found = client.get(f"/api/people/orcid/{ORCID}").json()
    assert (found["given_name"], found["family_name"], found["source"]) == (
        "Grace Brewster",
        "Hopper",
        "account",
    )


def test_bad_ids_are_refused(client: TestClient) -> None:
    bad = client.get("/api/people/orcid/0000-0002-1825-0098")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "orcid"
    assert client.get("/api/people/orcid/not-an-id").status_code == 400


def orcid_api(request: httpx.Request) -> httpx.Response:
    """ORCID's public API v3.0 ``/person`` answer, as documented (the service is unreachable
    from here, so this is the one fake)."""
    if request.url.path.endswith(f"/{ORCID}/person"):
        return httpx.Response(
            200,
            json={
                "name": {
                    "given-names": {"value": "Josiah"},
                    "family-name": {"value": "Carberry"},
                }
            },
        )
    return httpx.Response(404, json={"error-code": 9016})


def test_orcid_public_api_directory() -> None:
    directory = OrcidPublicDirectory(
        "https://pub.orcid.org/v3.0", transport=httpx.MockTransport(orcid_api)
    )
    person = directory.lookup(ORCID)
    assert person is not None and (person.given_name, person.family_name) == ("Josiah", "Carberry")
    assert person.source == "orcid.org"
    assert directory.lookup("0000-0001-5109-3700") is None

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no network")

    offline = OrcidPublicDirectory(
        "https://pub.orcid.org/v3.0", transport=httpx.MockTransport(down)
    )
    assert offline.lookup(ORCID) is None
