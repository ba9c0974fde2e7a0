"""The ARCHIVE REST API, in InvenioRDM's shape (Zenodo's scripts work with the base URL changed).

Handlers parse, call one service function, and serialise; uploads stream from the socket to the
blob store in a worker thread, never buffered whole.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any
from xml.sax.saxutils import escape

import anyio
from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from matcloud.archive.exports import exported
from matcloud.archive.records import sitemap_page
from matcloud.archive.serializers import SERIALIZERS, negotiate
from matcloud.archive.service import ArchiveService
from matcloud.archive.signposting import file_links
from matcloud.archive.zipstream import stream_zip, zip_size
from matcloud.core.auth import Identity
from matcloud.core.errors import FieldError, NotFound, ValidationFailed
from matcloud.web.fileresponse import blob_response
from matcloud.web.security import current_identity

router = APIRouter(prefix="/api", tags=["archive"])
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
FACETS = ("keywords", "licence", "year", "has_aiida", "file_type")
HANDOFF_BYTES = 1024 * 1024


def identity_of(request: Request) -> Identity:
    return current_identity(request)


def archive_of(request: Request) -> ArchiveService:
    service: ArchiveService = request.app.state.archive
    return service


Who = Annotated[Identity, Depends(identity_of)]
Archive = Annotated[ArchiveService, Depends(archive_of)]
JsonObject = Annotated[dict[str, Any], Body()]


def created(body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=201)


def content_length(request: Request) -> int | None:
    value = request.headers.get("content-length")
    if value is None:
        return None
    if not value.isdigit():
        raise ValidationFailed(
            "Bad Content-Length.", [FieldError("Content-Length", "not a number")]
        )
    return int(value)


def sync_chunks(stream: AsyncIterator[bytes]) -> Iterator[bytes]:
    """The request body as a sync iterator for a worker thread (pulls from the event loop)."""

    async def next_batch() -> bytes | None:
        """At least 1 MiB per hand-off between the event loop and the worker thread (uvicorn
        delivers the body in pieces of a few KiB; one hand-off each would cost more than the
        copy)."""
        pieces: list[bytes] = []
        size = 0
        async for piece in stream:
            pieces.append(piece)
            size += len(piece)
            if size >= HANDOFF_BYTES:
                break
        return b"".join(pieces) if pieces else None

    while True:
        batch = anyio.from_thread.run(next_batch)
        if batch is None:
            return
        yield batch


# -- records and drafts ------------------------------------------------------------------------


@router.post("/records", status_code=201)
def create_draft(who: Who, archive: Archive, data: JsonObject) -> JSONResponse:
    return created(archive.drafts.create(who, data))


@router.get("/records")
def search_records(
    request: Request,
    who: Who,
    archive: Archive,
    q: str = "",
    sort: str | None = None,
    page: int = 1,
    size: int = 10,
) -> dict[str, Any]:
    filters = {f: request.query_params.getlist(f) for f in FACETS if f in request.query_params}
    return archive.records.search(who, q=q, sort=sort, page=page, size=size, filters=filters)


@router.get("/user/records")
def my_records(who: Who, archive: Archive, page: int = 1, size: int = 25) -> dict[str, Any]:
    return archive.records.user_records(who, page=page, size=size)


@router.get("/records/{record_id}")
def get_record(request: Request, record_id: str, who: Who, archive: Archive) -> Any:
    """The record as JSON, or in the format the ``Accept`` header asks for (DataCite, JSON-LD,
    BibTeX, CSL, Dublin Core, a formatted citation)."""
    record = archive.records.get(who, record_id)
    serializer = negotiate(request.headers.get("accept", ""))
    if serializer is not None and record["is_published"]:
        return exported(record, serializer, download=False)
    return record


@router.get("/records/{record_id}/export/{fmt}")
def export_record(record_id: str, fmt: str, who: Who, archive: Archive) -> Response:
    """One metadata format (``datacite-xml``, ``json-ld``, ``bibtex``, ...) of a published
    version."""
    serializer = SERIALIZERS.get(fmt)
    if serializer is None:
        raise NotFound(f"There is no export format {fmt!r}; try one of {sorted(SERIALIZERS)}.")
    record = archive.records.get(who, record_id)
    if not record["is_published"]:
        raise NotFound(f"{record_id} is not published; drafts have no exports.")
    return exported(record, serializer, download=True)


@router.get("/records/{record_id}/draft")
def get_draft(record_id: str, who: Who, archive: Archive) -> dict[str, Any]:
    return archive.drafts.get(who, record_id)


@router.post("/records/{record_id}/draft", status_code=201)
def edit_published(record_id: str, who: Who, archive: Archive) -> JSONResponse:
    return created(archive.drafts.edit_published(who, record_id))


@router.put("/records/{record_id}/draft")
def update_draft(record_id: str, who: Who, archive: Archive, data: JsonObject) -> dict[str, Any]:
    return archive.drafts.update(who, record_id, data)


@router.delete("/records/{record_id}/draft", status_code=204)
def delete_draft(record_id: str, who: Who, archive: Archive) -> Response:
    archive.drafts.delete(who, record_id)
    return Response(status_code=204)


@router.post("/records/{record_id}/draft/actions/publish", status_code=202)
def publish(record_id: str, who: Who, archive: Archive) -> JSONResponse:
    return JSONResponse(archive.publisher.publish(who, record_id), status_code=202)


@router.post("/records/{record_id}/draft/actions/submit-review", status_code=202)
def submit_review(
    record_id: str,
    who: Who,
    archive: Archive,
    data: Annotated[dict[str, Any] | None, Body()] = None,
) -> JSONResponse:
    data = data or {}
    checklist = data.get("checklist") if isinstance(data.get("checklist"), dict) else {}
    comment = data.get("comment") or _content(data)
    return JSONResponse(
        archive.review.submit(who, record_id, checklist, str(comment)), status_code=202
    )


@router.get("/review/criteria")
@router.get("/records/{record_id}/review/criteria")
def review_criteria(archive: Archive, record_id: str = "") -> dict[str, Any]:
    """What moderators check (the depositor confirms each point when submitting)."""
    return {"criteria": archive.review.criteria()}


@router.get("/people/orcid/{orcid:path}")
def person_by_orcid(orcid: str, who: Who, archive: Archive) -> dict[str, Any]:
    """Name and affiliations behind an ORCID iD (fills a creator in the deposit form)."""
    return archive.people.by_orcid(orcid)


@router.post("/records/{record_id}/versions", status_code=201)
def new_version(record_id: str, who: Who, archive: Archive) -> JSONResponse:
    return created(archive.drafts.new_version(who, record_id))


@router.get("/records/{record_id}/versions")
def list_versions(record_id: str, who: Who, archive: Archive) -> dict[str, Any]:
    return archive.records.versions(who, record_id)


@router.post("/records/{record_id}/delete")
def retract(record_id: str, who: Who, archive: Archive, data: JsonObject) -> dict[str, Any]:
    return archive.publisher.retract(who, record_id, str(data.get("reason", "")))


@router.put("/records/{record_id}/quota")
def set_quota(record_id: str, who: Who, archive: Archive, data: JsonObject) -> dict[str, Any]:
    def number(key: str) -> int | None:
        value = data.get(key)
        if value is not None and not isinstance(value, int):
            raise ValidationFailed("Bad quota.", [FieldError(key, "must be a whole number")])
        return value

    return archive.records.set_quota(
        who, record_id, bytes_=number("quota_bytes"), files=number("quota_files")
    )


# -- draft files -------------------------------------------------------------------------------


@router.get("/records/{record_id}/draft/files")
def list_draft_files(record_id: str, who: Who, archive: Archive) -> dict[str, Any]:
    files: dict[str, Any] = archive.drafts.get(who, record_id)["files"]
    return files


@router.post("/records/{record_id}/draft/files", status_code=201)
def init_files(
    record_id: str, who: Who, archive: Archive, entries: Annotated[list[Any], Body()]
) -> JSONResponse:
    return created({"entries": archive.files.init(who, record_id, entries)})


def file_entry(version: dict[str, Any], key: str) -> dict[str, Any]:
    for entry in version["files"]["entries"]:
        if entry["key"] == key:
            return dict(entry)
    raise NotFound(f"{version['id']} has no file {key!r}.")


@router.get("/records/{record_id}/draft/files/{key}")
def get_draft_file(record_id: str, key: str, who: Who, archive: Archive) -> dict[str, Any]:
    return file_entry(archive.drafts.get(who, record_id), key)


@router.put("/records/{record_id}/draft/files/{key}/content")
async def put_content(
    record_id: str, key: str, request: Request, who: Who, archive: Archive
) -> dict[str, Any]:
    length = content_length(request)
    result: dict[str, Any] = await run_in_threadpool(
        archive.files.put_content, who, record_id, key, sync_chunks(request.stream()), length
    )
    return result


@router.put("/records/{record_id}/draft/files/{key}/content/{part}")
async def put_part(
    record_id: str, key: str, part: int, request: Request, who: Who, archive: Archive
) -> dict[str, Any]:
    length = content_length(request)
    result: dict[str, Any] = await run_in_threadpool(
        archive.files.put_part, who, record_id, key, part, sync_chunks(request.stream()), length
    )
    return result


@router.post("/records/{record_id}/draft/files/{key}/commit")
def commit_file(
    record_id: str,
    key: str,
    who: Who,
    archive: Archive,
    data: Annotated[dict[str, Any] | None, Body()] = None,
) -> dict[str, Any]:
    checksum = (data or {}).get("checksum")
    return archive.files.commit(
        who, record_id, key, checksum if isinstance(checksum, str) else None
    )


@router.delete("/records/{record_id}/draft/files/{key}", status_code=204)
def delete_file(record_id: str, key: str, who: Who, archive: Archive) -> Response:
    archive.files.delete(who, record_id, key)
    return Response(status_code=204)


@router.get("/records/{record_id}/draft/files/{key}/content")
def draft_file_content(record_id: str, key: str, who: Who, archive: Archive) -> Response:
    return RedirectResponse(archive.records.download_url(who, record_id, key), status_code=302)


# -- published files ---------------------------------------------------------------------------


@router.get("/records/{record_id}/files")
def list_files(record_id: str, who: Who, archive: Archive) -> dict[str, Any]:
    files: dict[str, Any] = archive.records.get(who, record_id)["files"]
    return files


@router.get("/records/{record_id}/files/{key}")
def get_file(record_id: str, key: str, who: Who, archive: Archive) -> dict[str, Any]:
    return file_entry(archive.records.get(who, record_id), key)


@router.get("/records/{record_id}/files/{key}/content")
def file_content(record_id: str, key: str, who: Who, archive: Archive) -> Response:
    """302 to a short-lived signed URL; the file itself is served at ``/dl/<token>``."""
    return RedirectResponse(archive.records.download_url(who, record_id, key), status_code=302)


@router.get("/records/{record_id}/files-archive")
def files_archive(record_id: str, who: Who, archive: Archive) -> Response:
    """All files as one zip, streamed (never built on disk)."""
    name, entries = archive.records.zip_entries(who, record_id)
    return StreamingResponse(
        stream_zip(entries),
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}.zip"',
            "Content-Length": str(zip_size(entries)),
        },
    )


# -- requests ----------------------------------------------------------------------------------


@router.get("/requests")
def list_requests(
    who: Who,
    archive: Archive,
    is_open: Annotated[bool, Query()] = True,
    page: int = 1,
    size: int = 25,
) -> dict[str, Any]:
    return archive.review.list(who, open_only=is_open, page=page, size=size)


@router.get("/requests/{request_id}")
def get_request(request_id: str, who: Who, archive: Archive) -> dict[str, Any]:
    return archive.review.get(who, request_id)


@router.get("/requests/{request_id}/timeline")
def request_timeline(request_id: str, who: Who, archive: Archive) -> dict[str, Any]:
    timeline = archive.review.get(who, request_id)["timeline"]
    return {"hits": {"total": len(timeline), "hits": timeline}}


def _content(data: dict[str, Any] | None) -> str:
    payload = (data or {}).get("payload") or {}
    return str(payload.get("content", "") if isinstance(payload, dict) else "")


@router.post("/requests/{request_id}/comments", status_code=201)
def comment(request_id: str, who: Who, archive: Archive, data: JsonObject) -> JSONResponse:
    return created(archive.review.comment(who, request_id, _content(data)))


@router.post("/requests/{request_id}/actions/{action}")
def request_action(
    request_id: str,
    action: str,
    who: Who,
    archive: Archive,
    data: Annotated[dict[str, Any] | None, Body()] = None,
) -> dict[str, Any]:
    text = _content(data)
    review = archive.review
    if action == "accept":
        return review.accept(who, request_id, text)
    if action == "decline":
        return review.decline(who, request_id, text)
    if action == "cancel":
        return review.cancel(who, request_id)
    if action == "request-changes":
        return review.request_changes(who, request_id, text)
    raise ValidationFailed(
        f"Unknown action {action!r}.",
        [FieldError("action", "must be accept, decline, cancel or request-changes")],
    )


# -- DOI registration (moderators) -------------------------------------------------------------


@router.get("/dois")
def list_dois(
    who: Who,
    archive: Archive,
    state: str | None = None,
    page: int = 1,
    size: int = 25,
) -> dict[str, Any]:
    """Every DOI with its registration state (pending / registered / failed, with the error)."""
    return archive.registrar.list(who, state=state, page=page, size=size)


@router.post("/dois/{doi:path}/actions/retry", status_code=202)
def retry_doi(doi: str, who: Who, archive: Archive) -> dict[str, Any]:
    return archive.registrar.retry(who, doi)


@router.get("/dois/{doi:path}")
def get_doi(doi: str, who: Who, archive: Archive) -> dict[str, Any]:
    return archive.registrar.get(who, doi)


# -- downloads and DOIs (outside /api) ---------------------------------------------------------

public = APIRouter(tags=["archive"])


@public.api_route("/dl/{token}", methods=["GET", "HEAD"], name="download")
def download(token: str, request: Request, archive: Archive) -> Response:
    file = archive.records.redeem(token)
    response = blob_response(
        request,
        archive.ctx.blobs,
        blob_id=file.blob_id,
        size=file.size,
        sha256=file.sha256,
        filename=file.filename,
        media_type=file.mimetype,
    )
    response.headers["Link"] = file_links(
        archive.ctx.url(f"/records/{file.version_id}"),
        archive.ctx.url(f"/api/records/{file.version_id}"),
        file.filename,
    )
    return response


@public.get("/doi/{doi:path}", name="resolve_doi")
def resolve_doi(doi: str, archive: Archive) -> Response:
    """The embedded DOI resolver: to the landing page (or its tombstone) on this site."""
    target = archive.records.resolve_doi(doi)
    return RedirectResponse(f"/records/{target['target']}", status_code=302)


@public.api_route("/oai2d", methods=["GET", "POST"], name="oai_pmh")
async def oai_pmh(request: Request, archive: Archive) -> Response:
    """OAI-PMH 2.0 (GET, or POST with a form body, as the protocol allows)."""
    args: dict[str, list[str]] = {}
    pairs = list(request.query_params.multi_items())
    if request.method == "POST":
        form = await request.form()
        pairs += [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
    for key, value in pairs:
        args.setdefault(key, []).append(value)
    body: bytes = await run_in_threadpool(archive.oai.handle, args)
    return Response(body, media_type="text/xml; charset=utf-8")


@public.get("/robots.txt", name="robots", include_in_schema=False)
def robots(request: Request, archive: Archive) -> Response:
    """Crawlers welcome on landing pages; not on drafts, accounts, uploads or downloads."""
    lines = [
        "User-agent: *",
        "Disallow: /uploads",
        "Disallow: /requests",
        "Disallow: /account",
        "Disallow: /admin",
        "Disallow: /signin",
        "Disallow: /dl/",
        "Disallow: /api/",
        "Allow: /",
        f"Sitemap: {archive.ctx.url('/sitemap.xml')}",
    ]
    return Response("\n".join(lines) + "\n", media_type="text/plain")


@public.get("/sitemap.xml", name="sitemap", include_in_schema=False)
def sitemap(archive: Archive, page: int | None = None) -> Response:
    """Every landing page (a sitemap index when there are more than 50,000)."""
    pages, entries = sitemap_page(archive.ctx, page or 1)
    if page is None and pages > 1:
        items = "".join(
            f"<sitemap><loc>{escape(archive.ctx.url(f'/sitemap.xml?page={n}'))}</loc></sitemap>"
            for n in range(1, pages + 1)
        )
        body = f'<sitemapindex xmlns="{SITEMAP_NS}">{items}</sitemapindex>'
    else:
        if page is not None and not 1 <= page <= pages:
            raise NotFound(f"The sitemap has pages 1 to {pages}.")
        items = "".join(
            f"<url><loc>{escape(archive.ctx.url(path))}</loc><lastmod>{stamp}</lastmod></url>"
            for path, stamp in entries
        )
        body = f'<urlset xmlns="{SITEMAP_NS}">{items}</urlset>'
    return Response('<?xml version="1.0" encoding="UTF-8"?>\n' + body, media_type="application/xml")


__all__ = ["public", "router"]
