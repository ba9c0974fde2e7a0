"""The WORK tools' JSON API.

- ``GET /api/work/tools``: the tools, their options, formats and examples.
- ``POST /api/work/{tool}``: run a tool. The body is the structure file itself (any content
  type but a form: ``curl --data-binary @Si.cif -H 'Content-Type: chemical/x-cif'
  '.../api/work/seekpath?filename=Si.cif'``; ``format=`` and the tool's options as query
  parameters), or JSON ``{"text": ..., "filename": ..., "format": ..., "example": ...,
  "options": {...}, "companion": {"text": ..., "filename": ...}}`` (the second file of the
  tools that take one: the pw.x file of a matdyn.modes). The answer holds the result, its id
  and its shareable links.
- ``GET /api/work/{tool}/results/{id}``: a stored result again (until it expires).
- ``GET /api/work/phonons/results/{id}/modes/{q}/{mode}``: one phonon mode's displacements
  (``mode``: the file's index at q-point ``q``; a result's ``order`` maps branches to them).

Bad input is a problem document with the tool's status (400, 413, 422) and a message for a
person. Nothing here touches an account, so there is no session state for CSRF to protect:
a form post (which browsers send across sites) is what the pages take, with a CSRF token.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from matcloud.work.downloads import files
from matcloud.work.inputs import FORMAT_NAMES, MAX_INPUT_BYTES, ToolInput
from matcloud.work.service import Outcome, WorkService
from matcloud.work.tools import TOOLS
from matcloud.work.tools.base import ToolError

router = APIRouter(prefix="/api/work", tags=["work"])
#: Reserved query parameters of the raw-body form (the rest are the tool's options).
RESERVED = {"filename", "format", "example"}


def service_of(request: Request) -> WorkService:
    service: WorkService = request.app.state.work
    return service


def document(outcome: Outcome, base: str = "") -> dict[str, Any]:
    slug = outcome.tool.slug
    html = f"{base}/work/{slug}/results/{outcome.id}"
    links: dict[str, Any] = {
        "self": f"{base}/api/work/{slug}/results/{outcome.id}",
        "html": html,
        "files": {name: f"{html}/files/{name}" for name in files(outcome)},
    }
    if slug == "phonons":
        links["modes"] = f"{base}/api/work/{slug}/results/{outcome.id}/modes/{{q}}/{{mode}}"
    return {
        "id": outcome.id,
        "tool": slug,
        "input": {
            "filename": outcome.filename,
            "format": outcome.fmt,
            "options": outcome.options,
            "companion": outcome.companion_name or None,
        },
        "seconds": round(outcome.seconds, 4),
        "links": links,
        "result": outcome.result,
    }


@router.get("/tools")
def list_tools() -> dict[str, Any]:
    return {
        "tools": [
            {**tool.describe(), "formats": dict(tool.formats or FORMAT_NAMES)}
            for tool in TOOLS.values()
        ],
        "formats": FORMAT_NAMES,
    }


async def _body(request: Request, limit: int) -> bytes:
    size = int(request.headers.get("content-length") or 0)
    if size > limit:
        raise ToolError(f"The input is {size:,} bytes; this tool accepts up to {limit:,}.", 413)
    chunks, total = [], 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise ToolError(
                f"The input is more than {limit:,} bytes; this tool accepts up to {limit:,}.",
                413,
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _from_json(service: WorkService, tool: str, body: bytes) -> tuple[ToolInput, dict[str, Any]]:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise ToolError("The JSON body is not valid JSON.", 400) from None
    if not isinstance(data, dict):
        raise ToolError("The JSON body must be an object.", 400)
    options = data.get("options") or {}
    if not isinstance(options, dict):
        raise ToolError('"options" must be an object.', 400, "options")
    fmt = data.get("format") or None
    if data.get("example"):
        given = service.example(tool, str(data["example"]))
        return given, options
    text = data.get("text")
    if not isinstance(text, str):
        raise ToolError('Give the input as "text" (or an "example" name).', 400, "text")
    companion = data.get("companion") or {}
    if not isinstance(companion, dict) or not isinstance(companion.get("text", ""), str):
        raise ToolError('"companion" must be {"text": ..., "filename": ...}.', 400, "companion")
    return ToolInput(
        text.encode(),
        str(data.get("filename") or ""),
        fmt,
        str(companion.get("text") or "").encode(),
        str(companion.get("filename") or ""),
    ), options


@router.post("/{tool}")
async def run_tool(request: Request, tool: str) -> JSONResponse:
    service = service_of(request)
    found = service.tool(tool)  # 404 before reading a body
    # a JSON body may carry a second file as large as the first
    body = await _body(request, 2 * (found.max_bytes or MAX_INPUT_BYTES) + 4096)
    query = dict(request.query_params)
    if request.headers.get("content-type", "").startswith("application/json"):
        given, options = _from_json(service, tool, body)
    elif query.get("example"):
        given, options = service.example(tool, query["example"]), query
    else:
        if len(body) > (found.max_bytes or MAX_INPUT_BYTES):
            raise ToolError(f"The input is {len(body):,} bytes: too large for this tool.", 413)
        given = ToolInput(body, query.get("filename", ""), query.get("format") or None)
        options = {k: v for k, v in query.items() if k not in RESERVED}
    outcome: Outcome = await run_in_threadpool(service.submit, tool, given, options)
    return JSONResponse(document(outcome), status_code=201)


@router.get("/phonons/results/{ident}/modes/{iq}/{mode}")
async def phonon_mode(request: Request, ident: str, iq: int, mode: int) -> dict[str, Any]:
    found: dict[str, Any] = await run_in_threadpool(
        service_of(request).phonon_mode, ident, iq, mode
    )
    return found


@router.get("/{tool}/results/{ident}")
async def get_result(request: Request, tool: str, ident: str) -> dict[str, Any]:
    outcome: Outcome = await run_in_threadpool(service_of(request).result, tool, ident)
    return document(outcome)


__all__ = ["document", "router"]
