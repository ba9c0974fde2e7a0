"""The OPTIMADE routes: the database at ``/optimade`` and its index meta-database at
``/optimade/index``.

Both are served under the versioned base URLs (``/v1``, and ``/v1.2``, ``/v1.2.0``) and the
unversioned one; ``/versions`` only unversioned. A path under ``/optimade`` naming another
version (``/optimade/v2/info``) is 553 Version Not Supported; anything else unknown is an
OPTIMADE 404. Every response, errors included, is a JSON:API document with
``Access-Control-Allow-Origin: *`` (the specification asks for it, for in-browser clients).
Handlers only build the request description and call the service.
"""

from __future__ import annotations

import html
import logging
import re
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from fastapi.routing import APIRoute

from matcloud.optimade.documents import MAJOR, RequestInfo, error_document
from matcloud.optimade.errors import NotFound, OptimadeError, VersionNotSupported
from matcloud.optimade.service import ENTRY_TYPES, OptimadeService
from matcloud.web.fastjson import FastJSONResponse

log = logging.getLogger(__name__)

JSONAPI = "application/vnd.api+json"
CORS = {"Access-Control-Allow-Origin": "*"}
VERSIONS = (f"v{MAJOR}", "v1.2", "v1.2.0")
VERSION_SEGMENT = re.compile(r"v\d+.*")
_LOCK = threading.Lock()


def service_of(request: Request) -> OptimadeService:
    """The app's OPTIMADE service, made on first use from the instance's settings and db."""
    state = request.app.state
    service = getattr(state, "optimade", None)
    if service is None:
        with _LOCK:
            service = getattr(state, "optimade", None)
            if service is None:
                instance = state.instance
                service = OptimadeService(instance.settings, instance.db)
                state.optimade = service
    assert isinstance(service, OptimadeService)
    return service


def request_info(request: Request) -> RequestInfo:
    """Split the URL into the base URL that serves it and the rest."""
    service = service_of(request)
    path = request.url.path
    segments = path.removeprefix("/optimade").lstrip("/").split("/")
    index = segments[0] == "index"
    if index:
        segments = segments[1:]
    versioned = bool(segments) and segments[0] in VERSIONS
    prefix_parts = (["index"] if index else []) + (segments[:1] if versioned else [])
    rest = segments[1:] if versioned else segments
    base = "/".join([service.root, *prefix_parts])
    return RequestInfo(
        base_url=base,
        path="/" + "/".join(rest),
        query_string=request.url.query,
        items=request.query_params.multi_items(),
        index=index,
        versioned=versioned,
    )


def document(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return FastJSONResponse(body, status_code=status, media_type=JSONAPI, headers=CORS)


def not_acceptable(request: Request) -> bool:
    """JSON:API: 406 when every JSON:API media type in Accept carries parameters."""
    offered = [part.strip() for part in request.headers.get("accept", "").split(",")]
    ours = [part for part in offered if part.split(";")[0].strip() == JSONAPI]
    return bool(ours) and all(
        any(p.split("=")[0].strip() != "q" for p in part.split(";")[1:]) for part in ours
    )


class OptimadeRoute(APIRoute):
    """Turns OPTIMADE errors (and anything unexpected) into error documents."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                if not_acceptable(request):
                    return PlainTextResponse(
                        "Accept: application/vnd.api+json without media type parameters.",
                        status_code=406,
                        headers=CORS,
                    )
                return await handler(request)
            except OptimadeError as error:
                return error_response(request, error)
            except Exception:
                log.exception("OPTIMADE request failed", extra={"path": request.url.path})
                from optimade.exceptions import (  # type: ignore[import-untyped]
                    InternalServerError,
                )

                return error_response(
                    request, InternalServerError("Something went wrong on our side; logged.")
                )

        return route


def error_response(request: Request, error: OptimadeError) -> JSONResponse:
    service = service_of(request)
    status, body = error_document(service.provider, request_info(request), error)
    return document(body, status)


router = APIRouter(route_class=OptimadeRoute, tags=["optimade"])


def _database_routes(prefix: str, *, documented: bool) -> None:
    kw: dict[str, Any] = {"include_in_schema": documented}

    @router.get(f"{prefix}/info", **kw)
    def info(request: Request) -> JSONResponse:
        service, where = service_of(request), request_info(request)
        return document(service.info(where))

    @router.get(f"{prefix}/info/{{entry_type}}", **kw)
    def entry_info(request: Request, entry_type: str) -> JSONResponse:
        service, where = service_of(request), request_info(request)
        return document(service.entry_info(entry_type, where))

    @router.get(f"{prefix}/links", **kw)
    def links(request: Request) -> JSONResponse:
        service, where = service_of(request), request_info(request)
        return document(service.links(where))

    for entry_type in ENTRY_TYPES:
        _entry_routes(prefix, entry_type, kw)

    @router.get(f"{prefix}/", response_class=HTMLResponse, include_in_schema=False)
    def landing(request: Request) -> HTMLResponse:
        return base_page(request_info(request), service_of(request))


def _entry_routes(prefix: str, entry_type: str, kw: dict[str, Any]) -> None:
    @router.get(f"{prefix}/{entry_type}", name=f"optimade_{entry_type}{prefix}", **kw)
    def listing(request: Request) -> JSONResponse:
        service, where = service_of(request), request_info(request)
        return document(service.entries(entry_type, where))

    @router.get(
        f"{prefix}/{entry_type}/{{entry_id:path}}", name=f"optimade_{entry_type}_one{prefix}", **kw
    )
    def single(request: Request, entry_id: str) -> JSONResponse:
        service, where = service_of(request), request_info(request)
        return document(service.entry(entry_type, entry_id, where))


def _index_routes(prefix: str, *, documented: bool) -> None:
    kw: dict[str, Any] = {"include_in_schema": documented}

    @router.get(f"{prefix}/info", **kw)
    def index_info(request: Request) -> JSONResponse:
        service, where = service_of(request), request_info(request)
        return document(service.index_info(where))

    @router.get(f"{prefix}/links", **kw)
    def index_links(request: Request) -> JSONResponse:
        service, where = service_of(request), request_info(request)
        return document(service.links(where))

    @router.get(f"{prefix}/", response_class=HTMLResponse, include_in_schema=False)
    def index_landing(request: Request) -> HTMLResponse:
        return base_page(request_info(request), service_of(request))


@router.get("/optimade/versions")
@router.get("/optimade/index/versions", include_in_schema=False)
def versions() -> Response:
    """The major versions served, in order of preference (CSV, as the specification wants)."""
    return Response(
        OptimadeService.versions(),
        media_type="text/csv; header=present",
        headers=CORS,
    )


for _version in VERSIONS:
    _database_routes(f"/optimade/{_version}", documented=_version == f"v{MAJOR}")
    _index_routes(f"/optimade/index/{_version}", documented=False)
_database_routes("/optimade", documented=False)
_index_routes("/optimade/index", documented=False)


@router.get("/optimade", include_in_schema=False)
def optimade_root(request: Request) -> HTMLResponse:
    return base_page(request_info(request), service_of(request))


@router.get("/optimade/{rest:path}", include_in_schema=False)
def elsewhere(request: Request, rest: str) -> Response:
    """Nothing else is here: 553 for another version's base URL, else 404."""
    segments = rest.strip("/").split("/")
    if segments and segments[0] == "index":
        segments = segments[1:]
    if segments and VERSION_SEGMENT.fullmatch(segments[0]) and segments[0] not in VERSIONS:
        raise VersionNotSupported(
            f"This server serves OPTIMADE v{MAJOR} (at /optimade/v{MAJOR}), not "
            f"{segments[0]}; /optimade/versions lists the versions served.",
        )
    raise NotFound(
        f"There is no OPTIMADE endpoint at {request.url.path}: the database is at "
        f"/optimade/v{MAJOR} (info, links, structures, references), its index at "
        f"/optimade/index/v{MAJOR}.",
    )


def base_page(info: RequestInfo, service: OptimadeService) -> HTMLResponse:
    """What a person sees at a base URL: what it is and where to go."""
    base = html.escape(info.base_url)
    what = "index meta-database" if info.index else "database"
    endpoints = ["info", "links"] + ([] if info.index else list(ENTRY_TYPES))
    items = "".join(f'<li><a href="{base}/{name}">{base}/{name}</a></li>' for name in endpoints)
    page = (
        f"<!doctype html><html lang=en><meta charset=utf-8><title>OPTIMADE {what} - "
        f"{html.escape(service.provider.name)}</title><h1>OPTIMADE {what}</h1>"
        f"<p>This is the base URL of an <a href=https://www.optimade.org>OPTIMADE</a> API: it "
        f"is meant to be queried by an OPTIMADE client (or by hand).</p><ul>{items}</ul>"
        f'<p>Versions: <a href="{html.escape(service.root)}/versions">versions</a>.</p>'
    )
    return HTMLResponse(page, headers=CORS)


__all__ = ["router", "service_of"]
