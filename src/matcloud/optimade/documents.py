"""The JSON:API documents of OPTIMADE responses: ``meta``, ``links``, resources and errors.

Built as plain dicts (a page of 1,000 structures through pydantic models costs more than the
query); the tests validate every kind of document against the ``optimade`` package's response
models, and the validator does the same over HTTP.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import optimade  # type: ignore[import-untyped]
from matcloud import __version__
from matcloud.optimade.errors import OptimadeError, QueryWarning, parameter_of
from optimade import __api_version__

API_VERSION = __api_version__  # the newest the optimade package (and so we) speak
MAJOR = API_VERSION.split(".")[0]
SCHEMA = f"https://schemas.optimade.org/openapi/v{API_VERSION.rsplit('.', 1)[0]}/optimade.json"
INDEX_SCHEMA = SCHEMA.replace("optimade.json", "optimade_index.json")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")


@dataclass(frozen=True)
class RequestInfo:
    """Where a request came in: the base URL serving it and the rest of the URL."""

    base_url: str  # absolute, no trailing slash: .../optimade/v1 (or the unversioned one)
    path: str  # after the base URL: /structures
    query_string: str
    items: list[tuple[str, str]]
    index: bool = False
    versioned: bool = True

    @property
    def representation(self) -> str:
        return self.path + (f"?{self.query_string}" if self.query_string else "")

    def url(self, path: str, params: list[tuple[str, str]] | None = None) -> str:
        return self.base_url + path + (f"?{urlencode(params)}" if params else "")

    def page_url(self, replace: dict[str, str]) -> str:
        """This request's URL with its paging parameters replaced."""
        kept = [(k, v) for k, v in self.items if not k.startswith("page_")]
        return self.url(self.path, kept + list(replace.items()))


@dataclass(frozen=True)
class Provider:
    prefix: str
    name: str
    description: str
    homepage: str
    site_url: str
    maintainer: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "prefix": self.prefix,
            "homepage": self.homepage,
        }

    def implementation(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "name": "matcloud",
            "version": __version__,
            "homepage": self.site_url,
        }
        if self.maintainer and EMAIL.fullmatch(self.maintainer):
            found["maintainer"] = {"email": self.maintainer}
        return found


def known_provider_prefixes() -> frozenset[str]:
    """The registered provider prefixes, from the list shipped in the optimade package (used
    only to decide whether another provider's property deserves a warning)."""
    path = Path(optimade.__file__).parent / "server" / "data" / "providers.json"
    try:
        providers = json.loads(path.read_text())
    except (OSError, ValueError):
        return frozenset()
    return frozenset(str(p.get("id")) for p in providers.get("data", []))


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def meta(
    provider: Provider,
    info: RequestInfo,
    *,
    more: bool = False,
    returned: int | None = None,
    available: int | None = None,
    warnings: list[QueryWarning] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "query": {"representation": info.representation},
        "api_version": API_VERSION,
        "more_data_available": more,
        "schema": INDEX_SCHEMA if info.index else SCHEMA,
        "time_stamp": now(),
        "provider": provider.as_dict(),
        "implementation": provider.implementation(),
    }
    if returned is not None:
        body["data_returned"] = returned
    if available is not None:
        body["data_available"] = available
    if warnings:
        unique = list(dict.fromkeys(warnings))
        body["warnings"] = [w.as_dict() for w in unique]
    return body


def resource_url(info: RequestInfo, entry_type: str, entry_id: str) -> str:
    return f"{info.base_url}/{entry_type}/{quote(entry_id, safe='')}"


def error_document(
    provider: Provider, info: RequestInfo, error: OptimadeError
) -> tuple[int, dict[str, Any]]:
    item: dict[str, Any] = {
        "status": str(error.status_code),
        "title": error.title,
        "detail": error.detail or error.title,
    }
    parameter = parameter_of(error)
    if parameter:
        item["source"] = {"parameter": parameter}
    return error.status_code, {"errors": [item], "meta": meta(provider, info)}


__all__ = [
    "API_VERSION",
    "MAJOR",
    "Provider",
    "RequestInfo",
    "error_document",
    "known_provider_prefixes",
    "meta",
    "now",
    "resource_url",
]
