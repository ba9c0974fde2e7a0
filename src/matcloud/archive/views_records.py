"""ARCHIVE pages for readers and moderators: search, landing pages (with file previews, versions
and a citation), tombstones, and the review requests with their timeline and actions.

Every page has its JSON twin (``.json``); the review forms post here (CSRF-checked app-wide) and
come back to the request page with a 303.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from matcloud.archive.exports import exported, json_ld_script, signposts
from matcloud.archive.licences import LICENCES
from matcloud.archive.markdown import render_markdown
from matcloud.archive.previews import (
    image_file,
    preview_kind,
    record_details,
    structure_format,
    text_previews,
)
from matcloud.archive.search_query import FACETS, MAX_RESULT_WINDOW, SORTS
from matcloud.archive.serializers import dublincore, negotiate
from matcloud.archive.service import ArchiveService
from matcloud.core.auth import Identity
from matcloud.core.errors import Conflict, Gone, NotFound, ValidationFailed
from matcloud.core.models import Role
from matcloud.web.fileresponse import blob_response
from matcloud.web.rendering import Page, page, render
from matcloud.web.security import current_identity

router = APIRouter(tags=["archive pages"])

FACET_LABELS = {
    "keywords": "Keywords",
    "licence": "Licence",
    "year": "Year",
    "has_aiida": "AiiDA database",
    "file_type": "File type",
}
SORT_LABELS = {"relevance": "Best match", "newest": "Newest", "oldest": "Oldest", "title": "Title"}


def _archive(request: Request) -> ArchiveService:
    archive: ArchiveService = request.app.state.archive
    return archive


def _is_moderator(who: Identity) -> bool:
    return who.has_role(Role.MODERATOR)


# -- search ------------------------------------------------------------------------------------


@page(router, "/records")
def search_records(
    request: Request,
    q: str = "",
    sort: str = "",
    page_number: Annotated[int, Query(alias="page")] = 1,
    size: int = 10,
) -> Page:
    filters = {f: request.query_params.getlist(f) for f in FACETS if f in request.query_params}
    result = _archive(request).records.search(
        current_identity(request),
        q=q,
        sort=sort or None,
        page=page_number,
        size=size,
        filters=filters,
    )
    base: list[tuple[str, str]] = [("q", q)] if q else []
    base += [("sort", sort)] if sort else []
    base += [("size", str(size))] if size != 10 else []
    chosen = [(f, v) for f, values in filters.items() for v in values if v.strip()]

    def href(params: list[tuple[str, str]], number: int = 1) -> str:
        return "/records?" + urlencode(params + ([("page", str(number))] if number > 1 else []))

    facets = []
    for facet in FACETS:
        buckets = result["aggregations"].get(facet, {}).get("buckets", [])
        keys = [b["key"] for b in buckets]
        extra = [{"key": v, "doc_count": 0} for f, v in chosen if f == facet and v not in keys]
        entries = []
        for bucket in [*buckets, *extra]:
            pair = (facet, str(bucket["key"]))
            selected = pair in chosen
            toggled = [c for c in chosen if c != pair] if selected else [*chosen, pair]
            entries.append(
                {
                    **bucket,
                    "label": _facet_label(*pair),
                    "selected": selected,
                    "href": href(base + toggled),
                }
            )
        if entries:
            facets.append({"name": facet, "label": FACET_LABELS[facet], "buckets": entries})
    total = result["hits"]["total"]
    size = result["size"]
    last = max(1, min(math.ceil(total / size), MAX_RESULT_WINDOW // size))
    number = result["page"]
    params = base + chosen
    return Page(
        "archive/search.html",
        {
            **result,
            "filters": filters,
            "facets": facets,
            "sorts": [{"id": s, "label": SORT_LABELS[s]} for s in SORTS],
            "cards": [_card(hit) for hit in result["hits"]["hits"]],
            "pagination": {
                "page": number,
                "pages": last,
                "previous": href(params, number - 1) if number > 1 else None,
                "next": href(params, number + 1) if number < last else None,
            },
            "clear_filters": href(base) if chosen else None,
        },
        title=f"Records: {q}" if q else "Records",
    )


def _facet_label(facet: str, key: str) -> str:
    if facet == "licence" and key.startswith("cc"):
        name, _, number = key.rpartition("-")
        return f"{name.upper().replace('CC-', 'CC ')} {number}"
    if facet == "licence":
        return LICENCES[key].title if key in LICENCES else key
    if facet == "has_aiida":
        return {"true": "Contains an AiiDA database", "false": "No AiiDA database"}.get(key, key)
    if facet == "file_type":
        return "." + key.lstrip(".")
    return key


def _card(hit: dict[str, Any]) -> dict[str, Any]:
    meta = hit.get("metadata", {})
    summary = str(render_markdown(meta.get("description", "")).striptags())
    return {
        "id": hit["id"],
        "url": f"/records/{hit['id']}",
        "title": meta.get("title") or hit["id"],
        "creators": [c["person_or_org"].get("name", "") for c in meta.get("creators", [])],
        "date": meta.get("publication_date", ""),
        "keywords": [s["subject"] for s in meta.get("subjects", [])],
        "doi": hit.get("pids", {}).get("doi", {}).get("identifier"),
        "summary": summary[:280] + ("…" if len(summary) > 280 else ""),
        "is_demo": hit.get("is_demo", False),
    }


# -- landing pages -----------------------------------------------------------------------------


@page(router, "/records/{record_id}")
def record_landing(request: Request, record_id: str) -> Page | Response:
    record_id = record_id.removesuffix(".json")
    archive, who = _archive(request), current_identity(request)
    try:
        record = archive.records.get(who, record_id)
    except Gone as gone:
        title = str(gone.tombstone.get("title") or record_id)
        return Page("archive/tombstone.html", gone.tombstone, title=title, status=410)
    serializer = negotiate(request.headers.get("accept", ""))
    if serializer is not None and record["is_published"]:
        return exported(record, serializer, download=False)
    try:
        versions = archive.records.versions(who, record["parent"]["id"])["hits"]["hits"]
    except NotFound:  # a moderator's view of a first draft: no version is listed yet
        versions = []
    if record["id"] not in {v["id"] for v in versions}:  # a draft the list leaves out
        versions = [record, *versions]
    files = [_file(record, f) for f in record["files"]["entries"]]
    explore = getattr(request.app.state, "explore", None)  # another section, if installed
    states = explore.for_version(record["id"]) if explore and record["is_published"] else {}
    for f in files:
        f["explore"] = states.get(f["key"])
    links = {f["key"]: f["download"] for f in files}
    previews = [
        {**p.as_dict(), "download": links.get(p.key)}
        for p in text_previews(archive, who, record["id"])
    ]
    meta = record["metadata"]
    return Page(
        "archive/landing.html",
        {
            "record": record,
            "description_html": render_markdown(meta.get("description", "")),
            **record_details(archive, record),
            "files": files,
            "images": [f for f in files if f["kind"] == "image"],
            "files_archive": f"/api/records/{record['id']}/files-archive",
            "previews": previews,
            "versions": [_version(v, record["id"]) for v in versions],
            "request_url": f"/requests/{record['review']['id']}" if "review" in record else None,
            "dc_meta": dublincore.meta_tags(record) if record["is_published"] else [],
            "json_ld": json_ld_script(record) if record["is_published"] else "",
            "registration": _registration(archive, who, record),
        },
        title=meta.get("title") or record["id"],
        headers={"Link": signposts(record)} if record["is_published"] else {},
    )


def _registration(
    archive: ArchiveService, who: Identity, record: dict[str, Any]
) -> list[dict[str, Any]]:
    """For moderators: whether the registry has this version's DOI and the concept DOI yet."""
    if not _is_moderator(who):
        return []
    dois = [
        (record.get("pids") or {}).get("doi", {}).get("identifier"),
        (record["parent"].get("pids") or {}).get("doi", {}).get("identifier"),
    ]
    found = []
    for doi in dois:
        if doi:
            try:
                found.append(archive.registrar.get(who, doi))
            except NotFound:
                continue
    return found


@router.get("/records/{record_id}/preview/{key:path}", name="record_image_preview")
def record_image_preview(request: Request, record_id: str, key: str) -> Response:
    """A raster image of the record, shown in place (downloads are always attachments)."""
    file = image_file(_archive(request), current_identity(request), record_id, key)
    return blob_response(
        request,
        _archive(request).ctx.blobs,
        blob_id=file.blob_id,
        size=file.size,
        sha256=file.sha256,
        filename=file.filename,
        media_type=file.mimetype,
        inline=True,
    )


def _file(record: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    key = quote(entry["key"], safe="")
    files = "files" if record["is_published"] else "draft/files"
    kind = preview_kind(entry["key"], entry.get("mimetype"))
    return {
        "key": entry["key"],
        "size": entry.get("size") or 0,
        "status": entry.get("status"),
        "md5": (entry.get("checksum") or "").removeprefix("md5:") or None,
        "sha256": entry.get("sha256"),
        "download": f"/api/records/{record['id']}/{files}/{key}/content",
        "kind": kind,
        "format": structure_format(entry["key"]),
        "preview": f"/records/{record['id']}/preview/{key}" if kind == "image" else None,
    }


def _version(version: dict[str, Any], current: str) -> dict[str, Any]:
    return {
        "id": version["id"],
        "index": version.get("versions", {}).get("index"),
        "status": version.get("status"),
        "date": version.get("metadata", {}).get("publication_date"),
        "doi": version.get("pids", {}).get("doi", {}).get("identifier"),
        "current": version["id"] == current,
        "url": f"/records/{version['id']}",
    }


# -- review requests ---------------------------------------------------------------------------


@page(router, "/requests")
def review_requests(
    request: Request, closed: bool = False, page_number: Annotated[int, Query(alias="page")] = 1
) -> Page:
    who = current_identity(request)
    result = _archive(request).review.list(who, open_only=not closed, page=page_number, size=25)
    hits = [{**hit, "age": _age(hit["created"])} for hit in result["hits"]["hits"]]
    pages = max(1, math.ceil(result["hits"]["total"] / 25))
    suffix = "&closed=true" if closed else ""
    return Page(
        "archive/requests.html",
        {
            "hits": {"total": result["hits"]["total"], "hits": hits},
            "closed": closed,
            "is_moderator": _is_moderator(who),
            "page": page_number,
            "pages": pages,
            "previous": f"/requests?page={page_number - 1}{suffix}" if page_number > 1 else None,
            "next": f"/requests?page={page_number + 1}{suffix}" if page_number < pages else None,
        },
        title="Moderation queue" if _is_moderator(who) else "Your review requests",
    )


@page(router, "/requests/{request_id}")
def review_request(request: Request, request_id: str) -> Page:
    return _request_page(request, request_id.removesuffix(".json"))


def _request_page(
    request: Request,
    request_id: str,
    *,
    error: ValidationFailed | Conflict | None = None,
    draft: str = "",
) -> Page:
    who = current_identity(request)
    body = _archive(request).review.get(who, request_id)
    moderator, mine = _is_moderator(who), body["created_by"]["user"] == who.user_id
    actions = ["comment"]
    if body["status"] == "submitted" and moderator:
        actions += ["accept", "request-changes", "decline"]
    elif body["is_open"] and moderator:
        actions += ["decline"]
    if body["is_open"] and mine:
        actions += ["cancel"]
    timeline = [
        {
            **event,
            "content_html": render_markdown(event["payload"]["content"] or ""),
            "age": _age(event["created"]),
        }
        for event in body.get("timeline", [])
    ]
    return Page(
        "archive/request.html",
        {
            **body,
            "timeline": timeline,
            "actions": actions,
            "record_url": f"/records/{body['topic']['record']}",
            "record": _summary(_archive(request), who, body["topic"]["record"]),
            "age": _age(body["created"]),
            "error": None
            if error is None
            else {
                "detail": error.detail,
                "errors": [e.as_dict() for e in getattr(error, "errors", [])],
            },
            "draft": draft,
        },
        title=f"Review: {body['title']}",
        status=200 if error is None else error.status,
    )


@router.post("/requests/{request_id}/{action}", name="review_request_action")
def review_request_action(
    request: Request,
    request_id: str,
    action: str,
    content: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    who, review = current_identity(request), _archive(request).review
    try:
        if action == "comment":
            review.comment(who, request_id, content)
        elif action == "accept":
            review.accept(who, request_id, content)
        elif action == "request-changes":
            review.request_changes(who, request_id, content)
        elif action == "decline":
            review.decline(who, request_id, content)
        elif action == "cancel":
            review.cancel(who, request_id)
        else:
            raise NotFound(f"There is no action {action!r} on requests.")
    except (ValidationFailed, Conflict) as error:
        return render(request, _request_page(request, request_id, error=error, draft=content))
    return RedirectResponse(f"/requests/{quote(request_id)}", status_code=303)


def _summary(archive: ArchiveService, who: Identity, version_id: str) -> dict[str, Any] | None:
    """The reviewed record at a glance (and which fields a correction changes)."""
    try:
        record = archive.records.get(who, version_id)
    except (NotFound, Gone):
        return None
    pending = record.get("pending_correction") or {}
    meta = record["metadata"]
    return {
        **_card(record),
        "files": record["files"]["count"],
        "bytes": record["files"]["total_bytes"],
        "changed": sorted(
            k for k in {*pending, *meta} if pending and pending.get(k) != meta.get(k)
        ),
    }


def _age(iso: str) -> str:
    """How long ago ``iso`` was, in words a person reads at a glance."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return ""
    seconds = datetime.now(UTC) - (moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    value = max(0, int(seconds.total_seconds()))
    for unit, span in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if value >= span:
            count = value // span
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"


__all__ = ["router"]
