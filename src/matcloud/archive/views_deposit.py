"""Depositor pages: "My uploads" and the deposit form (new draft, existing draft, correction).

The form itself talks to the REST API (``deposit.js``); these handlers only load what the page
shows: the user's uploads, or one draft, plus the vocabularies and limits the form needs.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from matcloud.archive.licences import LICENCES
from matcloud.archive.metadata import CORRECTABLE, PAPER_RELATIONS, RELATION_TYPES, RESOURCE_TYPES
from matcloud.archive.service import ArchiveService
from matcloud.core.auth import Identity, require_authenticated
from matcloud.core.storage import format_size
from matcloud.web.rendering import Page, page
from matcloud.web.security import current_identity

router = APIRouter()

MIB = 1024 * 1024
#: Files up to this size go in one PUT; larger ones in parts (the form's transfer settings).
UPLOAD = {
    "single_max_bytes": 32 * MIB,
    "part_size": 16 * MIB,
    "parallel_parts": 3,
    "part_retries": 3,
}
PAGE_SIZE = 25

STATUS_LABELS = {
    "draft": "Draft",
    "in_review": "In review",
    "changes_requested": "Changes requested",
    "published": "Published",
    "retracted": "Removed",
}
FIELD_LABELS = {
    "metadata.title": "Title",
    "metadata.creators": "Creators",
    "metadata.description": "Description",
    "metadata.rights": "Licence",
    "metadata.related_identifiers": "References",
    "metadata.subjects": "Keywords",
    "metadata.funding": "Funding",
    "files": "Files",
}
RELATION_LABELS = {
    "issupplementto": "supplements (the paper's data)",
    "isdocumentedby": "is documented by",
    "isreferencedby": "is referenced by",
    "isdescribedby": "is described by",
    "references": "references",
    "cites": "cites",
    "iscitedby": "is cited by",
    "isderivedfrom": "is derived from",
    "issourceof": "is the source of",
    "describes": "describes",
    "isnewversionof": "is a new version of",
    "ispreviousversionof": "is a previous version of",
    "ispartof": "is part of",
    "haspart": "has part",
    "iscompiledby": "is compiled by",
    "compiles": "compiles",
    "isidenticalto": "is identical to",
    "requires": "requires",
    "isrequiredby": "is required by",
}
SCHEMES = [
    {"id": "doi", "label": "DOI"},
    {"id": "arxiv", "label": "arXiv"},
    {"id": "url", "label": "URL"},
]


def _archive(request: Request) -> ArchiveService:
    service: ArchiveService = request.app.state.archive
    return service


def _signed_in(request: Request) -> Identity:
    identity = current_identity(request)
    require_authenticated(identity)
    return identity


# -- what the form needs besides the draft -------------------------------------------------


def licence_options() -> list[dict[str, str]]:
    """Every licence, data licences first (the order of ``licences.py`` within each kind)."""
    ordered = sorted(LICENCES.values(), key=lambda lic: lic.kind != "data")
    return [{"id": lic.id, "title": lic.title, "url": lic.url, "kind": lic.kind} for lic in ordered]


def form_settings(request: Request) -> dict[str, Any]:
    settings = request.app.state.instance.settings
    return {
        "max_record_bytes": settings.max_record_bytes,
        "max_record_human": format_size(settings.max_record_bytes),
        "max_aiida_record_bytes": settings.max_aiida_record_bytes,
        "max_aiida_record_human": format_size(settings.max_aiida_record_bytes),
        "max_files_per_record": settings.max_files_per_record,
        "upload": dict(UPLOAD),
    }


def vocabularies() -> dict[str, Any]:
    return {
        "resource_types": [{"id": t, "label": t.capitalize()} for t in RESOURCE_TYPES],
        "relation_types": [{"id": r, "label": RELATION_LABELS.get(r, r)} for r in RELATION_TYPES],
        "paper_relations": sorted(PAPER_RELATIONS),
        "schemes": SCHEMES,
        "field_labels": FIELD_LABELS,
    }


def form_mode(draft: dict[str, Any] | None) -> str:
    """new, draft, changes_requested, in_review, correction, correction_in_review, published
    (``form_page`` adds view: someone else's draft, read by a moderator)."""
    if draft is None:
        return "new"
    review = draft.get("review") or {}
    submitted = review.get("status") == "submitted"
    if draft["status"] == "published":
        if "pending_correction" not in draft:
            return "published"
        return "correction_in_review" if submitted else "correction"
    if draft["status"] == "in_review" or submitted:
        return "in_review"
    if review.get("status") == "changes_requested":
        return "changes_requested"
    return "draft"


def form_page(request: Request, draft: dict[str, Any] | None, identity: Identity) -> Page:
    mode = form_mode(draft)
    if draft is not None and draft["parent"]["access"]["owned_by"]["user"] != identity.user_id:
        mode = "view"  # a moderator looking at someone else's draft
    editable: list[str] | str = sorted(CORRECTABLE) if mode == "correction" else "all"
    if mode in ("in_review", "correction_in_review", "published", "view"):
        editable = []
    review = (draft or {}).get("review")
    data = {
        "draft": draft,
        "mode": mode,
        "editable": editable,
        "request_url": f"/requests/{review['id']}" if review else None,
        "licences": licence_options(),
        "settings": form_settings(request),
        "vocabularies": vocabularies(),
    }
    if draft is None:
        title = "New upload"
    else:
        title = f"Edit {draft['id']}: {draft['metadata'].get('title') or 'untitled'}"
    return Page("archive/deposit.html", data, title=title)


# -- the dashboard ---------------------------------------------------------------------------


def upload_row(hit: dict[str, Any]) -> dict[str, Any]:
    """One line of "My uploads": what state it is in, what is missing, where to go."""
    review = hit.get("review") or {}
    mode = form_mode(hit)
    status = {"correction": "published", "correction_in_review": "published"}.get(mode, mode)
    published = hit["status"] == "published"
    correction = "pending_correction" in hit
    metadata = hit.get("pending_correction") or hit["metadata"]
    files = hit["files"]
    errors = [  # the service lists metadata gaps and file problems alike
        {
            "field": e["field"],
            "label": FIELD_LABELS.get(e["field"], e["field"].removeprefix("files.")),
            "message": m,
        }
        for e in hit.get("errors", [])
        for m in e["messages"]
    ]
    return {
        "id": hit["id"],
        "record_id": hit["parent"]["id"],
        "version": hit["versions"]["index"],
        "title": metadata.get("title") or "",
        "status": status,
        "status_label": STATUS_LABELS.get(status, status),
        "correction": (
            None if not correction else ("in_review" if mode == "correction_in_review" else "draft")
        ),
        "doi": (hit.get("pids") or {}).get("doi", {}).get("identifier"),
        "updated": hit["updated"],
        "file_count": files["count"],
        "size": files["total_bytes"],
        "size_human": format_size(files["total_bytes"]),
        "errors": [] if mode in ("published", "in_review") else errors,
        "links": {
            "edit": None if mode == "published" else f"/uploads/{hit['id']}",
            "request": f"/requests/{review['id']}" if review else None,
            "landing": f"/records/{hit['id']}" if published else None,
        },
    }


@page(router, "/uploads")
def my_uploads(
    request: Request, page_number: Annotated[int, Query(alias="page", ge=1, le=10_000)] = 1
) -> Page:
    identity = current_identity(request)
    result = _archive(request).records.user_records(identity, page=page_number, size=PAGE_SIZE)
    total = result["hits"]["total"]
    pages = max(1, -(-total // PAGE_SIZE))
    return Page(
        "archive/uploads.html",
        {
            "total": total,
            "page": page_number,
            "pages": pages,
            "size": PAGE_SIZE,
            "uploads": [upload_row(hit) for hit in result["hits"]["hits"]],
        },
        title="My uploads",
    )


# -- the deposit form ------------------------------------------------------------------------


@page(router, "/uploads/new")
def new_upload(request: Request) -> Page:
    return form_page(request, None, _signed_in(request))


@page(router, "/uploads/{record_id}")
def edit_upload(request: Request, record_id: str) -> Page:
    identity = _signed_in(request)
    if request.url.path.endswith(".json"):  # the HTML route also matches ``<id>.json``
        record_id = record_id.removesuffix(".json")
    return form_page(request, _archive(request).drafts.get(identity, record_id), identity)


__all__ = ["form_mode", "licence_options", "router", "upload_row"]
