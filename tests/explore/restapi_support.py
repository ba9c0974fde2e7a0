"""Shared by the REST API tests: our API on an indexed archive (a FastAPI app with only the
explore router), aiida-core's on the same archive, and a comparison of their answers.

What the comparison normalises, and why (nothing else):

- the host and the prefix: ours is ``http://testserver/explore/a1/api/v4``, aiida's
  ``http://127.0.0.1:<port>/api/v4``; both become ``<API>`` (in ``url``, ``url_root``, ``path``,
  ``API_prefix``, the ``Link`` header and ``available_endpoints``);
- the method list in ``available_endpoints``: Flask joins a *set* of methods, so its order
  changes from one process to the next (hash randomisation); we compare the sorted lists;
- trailing whitespace of header values: aiida ends ``Link`` with ", "; HTTP drops it on the
  wire (httpx does), the test client does not.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from matcloud.core.errors import NotFound
from matcloud.explore.aiida.index import ArchiveSource, build_index
from matcloud.explore.api import router

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "aiida"
ARCHIVE_ID = "a1"
OURS = f"http://testserver/explore/{ARCHIVE_ID}/api/v4"
COMPARED_HEADERS = (
    "x-total-count",
    "link",
    "access-control-expose-headers",
    "access-control-allow-origin",
    "content-disposition",
)


class OneArchive:
    """``app.state.explore`` for the tests: one indexed archive, ``NotFound`` for the rest."""

    def __init__(self, directory: Path) -> None:
        self.source_ = ArchiveSource.open(ARCHIVE_ID, directory)

    def source(self, archive_id: str) -> ArchiveSource:
        if archive_id != ARCHIVE_ID:
            raise NotFound(f"There is no browsable AiiDA archive {archive_id!r}.")
        return self.source_


def make_client(archive: Path, directory: Path) -> Iterator[TestClient]:
    build_index(archive, directory)
    app = FastAPI()
    app.include_router(router)
    app.state.explore = OneArchive(directory)
    with TestClient(app) as client:
        yield client
    app.state.explore.source_.close()


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: Any  # parsed JSON, or bytes

    def __str__(self) -> str:
        body = self.body if isinstance(self.body, bytes) else json.dumps(self.body, indent=1)
        return f"{self.status} {self.headers}\n{str(body)[:3000]}"


def _methods_sorted(line: str) -> str:
    endpoint, methods, route = line.split()
    return f"{endpoint} {','.join(sorted(methods.split(',')))} {route}"


def _normalise_json(body: Any) -> Any:
    for holder in (body, body.get("data") if isinstance(body, dict) else None):
        if isinstance(holder, dict) and isinstance(holder.get("available_endpoints"), list):
            holder["available_endpoints"] = sorted(
                _methods_sorted(line) for line in holder["available_endpoints"]
            )
    return body


def normalise(response: httpx.Response, base: str) -> Answer:
    root = base.rsplit("/api/v4", 1)[0].rsplit("/explore/", 1)[0] + "/"
    prefix = base[len(root) - 1 :]

    def clean(text: str) -> str:
        text = text.replace(base, "<API>").replace(base.replace("://", ":/", 1), "<API>")
        return text.replace(root, "<ROOT>/").replace(prefix, "<API>")

    headers = {
        name: clean(response.headers[name]).rstrip()
        for name in COMPARED_HEADERS
        if name in response.headers
    }
    media = response.headers.get("content-type", "")
    headers["content-type"] = media.split(";")[0].lower()
    if media.startswith("application/json"):
        return Answer(
            response.status_code, headers, _normalise_json(json.loads(clean(response.text)))
        )
    return Answer(response.status_code, headers, response.content)


@dataclass
class Pair:
    """The same archive behind both APIs."""

    ours: TestClient
    oracle: str

    def get(self, url: str) -> tuple[Answer, Answer]:
        theirs = httpx.get(self.oracle + url, timeout=60)
        mine = self.ours.get(OURS + url)
        return normalise(theirs, self.oracle), normalise(mine, OURS)

    def assert_same(self, url: str) -> Answer:
        theirs, mine = self.get(url)
        assert mine == theirs, f"{url}\n--- aiida ---\n{theirs}\n--- ours ---\n{mine}"
        return mine


def roles(manifest: dict[str, Any]) -> dict[str, str]:
    """role -> uuid, for building URLs (uuids change with every fixture build)."""
    return {role: entry["uuid"] for role, entry in manifest["nodes"].items()}


def require_fixtures() -> None:
    if not (FIXTURES / "manifest.json").exists():
        pytest.skip("AiiDA fixtures not built: run `make aiida-fixtures`")
