"""The WORK pages: each tool's form, its result page (shareable), and the result's files.

- ``/work/<tool>`` (+ ``.json``): the form: upload a file, paste text or pick an example;
  the format (detected unless chosen) and the tool's options.
- ``POST /work/<tool>``: runs the tool and redirects (303) to the result's own URL; a bad
  input re-shows the form with the message (and the pasted text), with the error's status.
- ``/work/<tool>/results/<id>`` (+ ``.json``): the result; the link can be shared until the
  input expires.
- ``/work/<tool>/results/<id>/files/<name>``: the result's files (cells, k-point blocks).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from matcloud.structures.writers import write_structure
from matcloud.web.rendering import Page, page, render
from matcloud.web.security import current_identity
from matcloud.work.api import document
from matcloud.work.downloads import file
from matcloud.work.inputs import FORMAT_NAMES, MAX_ATOMS, MAX_INPUT_BYTES, ToolInput
from matcloud.work.service import Outcome, WorkService
from matcloud.work.tools.base import Tool, ToolError
from matcloud.work.tools.seekpath_tool import structure_of

router = APIRouter(tags=["work pages"])
#: A form may carry this much besides the file (fields, multipart framing).
FORM_OVERHEAD = 64 * 1024


def service_of(request: Request) -> WorkService:
    service: WorkService = request.app.state.work
    return service


def _form_page(
    tool: Tool, *, error: ToolError | None = None, text: str = "", fmt: str = "", status: int = 200
) -> Page:
    data: dict[str, Any] = {
        "tool": tool.describe(),
        "formats": [{"value": k, "name": v} for k, v in (tool.formats or FORMAT_NAMES).items()],
        "limits": {"bytes": _limit(tool), "atoms": _atoms(tool)},
        "error": None
        if error is None
        else {"message": error.message, "field": error.field, "status": error.status},
        "text": text,
        "format": fmt,
        "api": f"/api/work/{tool.slug}",
    }
    return Page("work/tool.html", data, title=tool.title, status=status)


def _limit(tool: Tool) -> int:
    return tool.max_bytes or MAX_INPUT_BYTES


def _atoms(tool: Tool) -> int:
    return tool.max_atoms or MAX_ATOMS


@page(router, "/work/{tool}")
def tool_form(request: Request, tool: str) -> Page:
    return _form_page(service_of(request).tool(tool))


@router.post("/work/{tool}", include_in_schema=False)
async def run_form(request: Request, tool: str) -> Response:
    service = service_of(request)
    found = service.tool(tool)
    form = await request.form(max_files=1, max_fields=40)  # parsed already by the CSRF check
    try:
        length = int(request.headers.get("content-length") or 0)
        files = 2 if found.companion else 1
        if length > files * _limit(found) + FORM_OVERHEAD:
            error = ToolError(
                f"The upload is {length:,} bytes; this tool accepts up to "
                f"{_limit(found):,} bytes per file.",
                413,
                "file",
            )
            return render(request, _form_page(found, error=error, status=413))
        text = str(form.get("text") or "")
        fmt = str(form.get("format") or "") or None
        try:
            given = await _given(service, found, form, text, fmt)
            options = {k: v for k, v in form.items() if isinstance(v, str)}
            outcome = await run_in_threadpool(service.submit, tool, given, options)
        except ToolError as error:
            shown = _form_page(
                found, error=error, text=text[:200_000], fmt=fmt or "", status=error.status
            )
            return render(request, shown)
    finally:
        await form.close()
    return RedirectResponse(f"/work/{tool}/results/{outcome.id}", status_code=303)


async def _given(
    service: WorkService, tool: Tool, form: FormData, text: str, fmt: str | None
) -> ToolInput:
    upload = form.get("file")
    example = str(form.get("example") or "")
    second = form.get("companion")
    companion, companion_name = b"", ""
    if isinstance(second, UploadFile) and second.filename:
        companion, companion_name = await second.read(_limit(tool) + 1), second.filename
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(_limit(tool) + 1)
        return ToolInput(data, upload.filename, fmt, companion, companion_name)
    if text.strip():
        return ToolInput(text.encode(), "", fmt, companion, companion_name)
    if example:
        return service.example(tool.slug, example)
    what = "a structure" if tool.read is None else "an input"
    raise ToolError(f"Give {what}: upload a file, paste its text or pick an example.", 400)


@router.get("/work/{tool}/open", include_in_schema=False)
def open_from(
    request: Request,
    tool: str,
    record: str = "",
    file: str = "",
    optimade: str = "",
    archive: str = "",
    node: str = "",
) -> Response:
    """A structure shown elsewhere, handed to a tool: ``?record=&file=`` (a record's file),
    ``?optimade=`` (an OPTIMADE entry), ``?archive=&node=`` (an AiiDA StructureData node).
    Runs the tool on it and redirects to the result (the same structure, the same URL). A
    tool that reads its own files (the phonon visualiser) takes only a record's file."""
    service = service_of(request)
    found = service.tool(tool)
    sources = service.sources
    try:
        if found.read is not None and not (record and file):
            raise ToolError(f"The {found.title} takes a record's file: ?record=&file=.", 400)
        if sources is None:
            raise ToolError("This instance cannot hand structures over to its tools.", 400)
        if record and file:
            identity = current_identity(request)
            given = sources.record_file(identity, record, file, _limit(found))
        elif optimade:
            given = sources.optimade_entry(optimade)
        elif archive and node:
            given = sources.aiida_node(archive, node)
        else:
            raise ToolError(
                "Say which structure: ?record=&file=, ?optimade= or ?archive=&node=.", 400
            )
        outcome = service.submit(tool, given, {})
    except ToolError as error:
        return render(request, _form_page(found, error=error, status=error.status))
    return RedirectResponse(f"/work/{tool}/results/{outcome.id}", status_code=303)


def _viewer(outcome: Outcome) -> list[dict[str, str]]:
    """Cells for the 3D views (POSCAR text, read by structure-preview.js)."""
    if outcome.tool.slug == "phonons":  # its page animates the modes itself
        return []
    if outcome.tool.slug == "seekpath":
        return [
            {
                "title": f"Standardised {name} cell",
                "text": write_structure(structure_of(outcome.result[name], name), "poscar"),
                "name": name,
            }
            for name in ("primitive", "conventional")
        ]
    if outcome.structure.is_ordered and outcome.structure.lattice is not None:
        return [
            {
                "title": "Structure",
                "text": write_structure(outcome.structure, "poscar"),
                "name": "structure",
            }
        ]
    if outcome.structure.is_ordered:
        return [
            {
                "title": "Molecule",
                "text": write_structure(outcome.structure, "extxyz"),
                "name": "xyz",
            }
        ]
    return []


@page(router, "/work/{tool}/results/{ident}")
def tool_result(request: Request, tool: str, ident: str) -> Page:
    outcome = service_of(request).result(tool, ident)
    data = document(outcome)
    data["share_url"] = str(request.base_url).rstrip("/") + data["links"]["html"]
    data["title"] = outcome.tool.title
    data["viewers"] = _viewer(outcome)
    return Page(outcome.tool.template, data, title=f"{outcome.tool.title}: result")


@router.get("/work/{tool}/results/{ident}/files/{name}", include_in_schema=False)
def result_file(request: Request, tool: str, ident: str, name: str) -> Response:
    outcome = service_of(request).result(tool, ident)
    text, media_type = file(outcome, name)
    return Response(
        text,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


__all__ = ["router"]
