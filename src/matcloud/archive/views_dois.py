"""The moderators' view of DOI registration: which DOIs the registry has, which wait, which
failed and why, with a button to try again (JSON twin: ``/dois.json``, API: ``/api/dois``)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from matcloud.archive.service import ArchiveService
from matcloud.web.rendering import Page, page
from matcloud.web.security import current_identity

router = APIRouter(tags=["archive pages"])
STATE_LABELS = {None: "All", "failed": "Failed", "pending": "Pending", "registered": "Registered"}


def _archive(request: Request) -> ArchiveService:
    archive: ArchiveService = request.app.state.archive
    return archive


@page(router, "/dois")
def doi_registration(
    request: Request,
    state: str | None = None,
    page_number: Annotated[int, Query(alias="page")] = 1,
) -> Page:
    state = state or None
    body = _archive(request).registrar.list(
        current_identity(request), state=state, page=page_number
    )
    suffix = f"&state={state}" if state else ""
    return Page(
        "archive/dois.html",
        {
            **body,
            "state": state,
            "filters": [
                {
                    "label": label,
                    "url": "/dois" + (f"?state={key}" if key else ""),
                    "count": body["counts"][key] if key else sum(body["counts"].values()),
                    "current": key == state,
                }
                for key, label in STATE_LABELS.items()
            ],
            "previous": f"/dois?page={page_number - 1}{suffix}" if page_number > 1 else None,
            "next": f"/dois?page={page_number + 1}{suffix}"
            if page_number < body["pages"]
            else None,
        },
        title="DOI registration",
    )


@router.post("/dois/{doi:path}/retry", name="doi_retry")
def doi_retry(request: Request, doi: str) -> Response:
    _archive(request).registrar.retry(current_identity(request), doi)
    return RedirectResponse(f"/dois?state=pending#{quote(doi)}", status_code=303)


__all__ = ["router"]
