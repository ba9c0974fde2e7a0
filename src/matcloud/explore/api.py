"""aiida-core's REST API (v4) for each browsable archive, at ``/explore/{archive}/api/v4/...``.

A thin adapter: the request's path, raw query string and root URL go to
:func:`matcloud.explore.restapi.handle`, its answer comes back as it is. Only GET (and HEAD)
are served; the API is read-only and public like the archive pages, so there is nothing for
CSRF or a session to protect. ``X-Content-Type-Options: nosniff`` keeps a browser from reading
an archive's file (or a JSON answer holding one's HTML label) as a page of this site.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from matcloud.explore.restapi import RestRequest, handle

router = APIRouter()

API_PREFIX = "/explore/{archive}/api/v4"


def _answer(request: Request, archive: str) -> Response:
    source = request.app.state.explore.source(archive)  # NotFound for an unknown archive
    root = request.scope.get("root_path", "")
    path = request.scope["path"]
    if root and not path.startswith(root):  # Starlette versions differ on this
        path = root + path
    marker = f"/explore/{archive}/api/v4"
    rest = RestRequest(
        path=path,
        prefix=path[: path.index(marker) + len(marker)],
        query_string=request.scope.get("query_string", b"").decode("latin-1"),
        url_root=str(request.base_url),
        method=request.method,
    )
    answer = handle(source, rest)
    headers = dict(answer.headers)
    headers["X-Content-Type-Options"] = "nosniff"
    return Response(answer.body, answer.status, headers=headers, media_type=answer.media_type)


#: Parts of the API that read repository files (possibly large, from a zip on disk): these run in
#: a worker thread. Everything else is a few indexed SQLite reads of an immutable file, done in
#: well under a millisecond, where the hop to a thread and back would cost more than the work.
FILE_READING = ("/download", "/repo/", "/input_files", "/output_files")


@router.api_route(API_PREFIX, methods=["GET", "HEAD"], include_in_schema=False)
async def api_root(request: Request, archive: str) -> Response:
    """``/api/v4`` alone: aiida answers it with the list of endpoints."""
    return _answer(request, archive)


@router.api_route(API_PREFIX + "/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
async def api_path(request: Request, archive: str, path: str) -> Response:
    """Everything below ``/api/v4``."""
    if any(part in "/" + path for part in FILE_READING):
        return await run_in_threadpool(_answer, request, archive)
    return _answer(request, archive)
