"""The DISCOVER pages (each with its ``.json`` twin).

- ``/discover/<slug>``: the section: description, authors, sources and citation; the scatter
  plot (axes and colour chosen from the columns, presets), range filters and search that
  update plot and table together; the table (server-side sort and pages). Without JavaScript
  the first page of the table is there, with links to every card.
- ``/discover/<slug>/<key>``: a material's ID card: every property with its unit and a link
  to the node it came from, the structure in 3D with downloads, a "cite" box, and hand-over
  links to the WORK tools.
- ``/discover/new`` (administrators): paste or upload a spec; it is checked, built and
  published (the same as ``matcloud discover add`` and ``POST /api/discover``); what is wrong
  is listed field by field, with the spec kept in the form.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from matcloud.archive.markdown import render_markdown
from matcloud.core.auth import require_role
from matcloud.core.errors import FieldError, ValidationFailed
from matcloud.core.models import Role
from matcloud.discover.api import MAX_SPEC_UPLOAD, row_query, service_of
from matcloud.web.errors import form_error
from matcloud.web.rendering import Page, page, render
from matcloud.web.security import current_identity

router = APIRouter(tags=["discover pages"])


def _citation(head: dict[str, Any]) -> str:
    """The section's text citation: authors, title, the source records' DOIs."""
    names = [a["name"] for a in head["authors"]]
    authors = ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]
    year = head["built"][:4]
    dois = [s["doi"] for s in head["sources"] if s.get("doi")]
    where = "; ".join(f"https://doi.org/{d}" for d in dois)
    return f"{authors} ({year}). {head['title']}. Materials data{': ' + where if where else ''}."


def _new_page(
    request: Request, spec: str = "", error: ValidationFailed | None = None, status: int = 200
) -> Page:
    data = {
        "spec": spec,
        "error": None if error is None else form_error(error),
        "sections": service_of(request).sections()["sections"],
        "limit": MAX_SPEC_UPLOAD,
    }
    return Page("discover/new.html", data, title="Add a DISCOVER section", status=status)


# before "/discover/{slug}", which would take "new" for a slug
@page(router, "/discover/new")
def new_section(request: Request) -> Page:
    require_role(current_identity(request), Role.ADMIN)
    return _new_page(request)


@router.post("/discover/new", include_in_schema=False)
async def add_section(request: Request) -> Response:
    identity = current_identity(request)
    require_role(identity, Role.ADMIN)
    form = await request.form(max_files=1, max_fields=10)  # parsed already by the CSRF check
    try:
        upload = form.get("file")
        text = str(form.get("spec") or "")
        if isinstance(upload, UploadFile) and upload.filename:
            text = (await upload.read(MAX_SPEC_UPLOAD + 1)).decode("utf-8", errors="replace")
    finally:
        await form.close()
    try:
        if not text.strip():
            raise ValidationFailed(
                "Give the spec: paste its YAML or upload the file.", [FieldError("spec", "empty")]
            )
        if len(text.encode()) > MAX_SPEC_UPLOAD:
            raise ValidationFailed(
                f"The spec is over {MAX_SPEC_UPLOAD:,} bytes.", [FieldError("spec", "too large")]
            )
        built = await run_in_threadpool(service_of(request).add, identity, text)
    except ValidationFailed as error:
        return render(request, _new_page(request, text[:MAX_SPEC_UPLOAD], error, status=400))
    return RedirectResponse(str(built["url"]), status_code=303)


@page(router, "/discover/{slug}")
def section_page(request: Request, slug: str) -> Page:
    service = service_of(request)
    head = service.section(slug)
    query = row_query(request.query_params.multi_items())
    rows = service.rows(slug, query)
    data = head | {
        "table": rows,
        "citation": _citation(head),
        "query": dict(request.query_params),
        "api": {
            "rows": f"/api/discover/{slug}/rows",
            "points": f"/api/discover/{slug}/points",
            "section": f"/api/discover/{slug}",
        },
    }
    page_ = Page("discover/section.html", data, title=head["title"])
    page_.data["description_html"] = str(render_markdown(head["description"]))
    return page_


@page(router, "/discover/{slug}/{key:path}")
def card_page(request: Request, slug: str, key: str) -> Page:
    service = service_of(request)
    head = service.section(slug)
    card = service.card(slug, key)
    structure = card.get("structure")
    tools: list[dict[str, str]] = []
    if structure:
        if "node" in structure:
            given = f"archive={structure['archive']}&node={quote(structure['node'])}"
        else:
            given = f"record={structure['version']}&file={quote(structure['file'])}"
        tools = [
            {"title": "Open in SeeK-path", "url": f"/work/seekpath/open?{given}"},
            {"title": "Inspect the structure", "url": f"/work/inspect/open?{given}"},
        ]
    phonons = card.get("phonons")
    if phonons and "file" in phonons:  # phonopy's band.yaml: the visualiser animates the modes
        given = f"record={phonons['version']}&file={quote(phonons['file'])}"
        phonons["open"] = f"/work/phonons/open?{given}"
        phonons["api"] = f"/api/discover/{slug}/phonons/{quote(key, safe='')}"
    data = card | {
        "section_title": head["title"],
        "demo": head["demo"],
        "sources": head["sources"],
        "citation": _citation(head),
        "tools": tools,
        "structure_api": f"/api/discover/{slug}/structures/{quote(key, safe='')}"
        if structure
        else None,
    }
    return Page("discover/card.html", data, title=f"{card['title']} — {head['title']}")


__all__ = ["router"]
