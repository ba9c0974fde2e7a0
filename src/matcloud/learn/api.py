"""The LEARN JSON API and the lecture files.

- ``GET /api/learn/lectures?q=&series=&topic=&page=``: the lectures (with the slides whose text
  matches ``q``) and the series and topics to filter by.
- ``POST /api/learn/lectures`` (administrators; multipart): ``video`` (MP4/H.264) and/or
  ``webm``, ``slides`` (PDF), optional ``timings`` (CSV ``slide,start``; without it the timings
  are found in the video) and ``captions`` (WebVTT), and the description: ``title``,
  ``speakers`` (one per line, ``Name; Affiliation``), ``date``, ``series``, ``topics``
  (comma-separated), ``description`` (Markdown), ``licence``. 201 with the lecture.
- ``GET /api/learn/lectures/{slug}``: a lecture with its files, slides and timings.
- ``PUT /api/learn/lectures/{slug}/timings`` (administrators): ``{"timings": [[start, page]]}``.
- ``/learn/lectures/{slug}/files/{mp4|webm|pdf|vtt}``, ``/slides/{n}.png``, ``/thumbs/{n}.png``,
  ``/chapters.vtt``: the files (``Range`` for seeking in the video).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from matcloud.core.errors import FieldError, ValidationFailed
from matcloud.learn.meta import speakers_from_lines
from matcloud.learn.service import LearnService, Stored
from matcloud.web.fastjson import FastJSONResponse
from matcloud.web.fileresponse import blob_response
from matcloud.web.security import current_identity

router = APIRouter(tags=["learn"])
#: The largest video (the ARCHIVE's file limit) and the largest PDF or side file.
MAX_VIDEO_BYTES = 5 * 1024**3
MAX_SLIDES_BYTES = 200 * 1024**2
MAX_SIDE_BYTES = 2 * 1024**2
#: Files whose bytes never change under a URL: content-addressed blobs.
IMMUTABLE = "public, max-age=31536000, immutable"


def service_of(request: Request) -> LearnService:
    service: LearnService = request.app.state.learn
    return service


def meta_from_form(form: FormData) -> dict[str, Any]:
    """The lecture's description from the form's fields (the service checks it)."""

    def text(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    meta: dict[str, Any] = {
        "title": text("title"),
        "speakers": speakers_from_lines(text("speakers").splitlines()),
        "date": text("date") or None,
        "series": text("series"),
        "topics": [t.strip() for t in text("topics").split(",") if t.strip()],
        "description": text("description"),
        "licence": text("licence") or "cc-by-4.0",
    }
    return {k: v for k, v in meta.items() if v is not None}


async def save_upload(upload: UploadFile, folder: Path, limit: int, field: str) -> Path:
    """The upload as a file in ``folder``, refused when over ``limit`` bytes."""
    name = Path(upload.filename or field).name or field
    target = folder / f"{field}-{name}"
    size = 0
    with target.open("wb") as out:
        while chunk := await upload.read(1024 * 1024):
            size += len(chunk)
            if size > limit:
                raise ValidationFailed(
                    f"{name} is over {limit:,} bytes, the limit for {field}.",
                    [FieldError(field, "too large")],
                )
            out.write(chunk)
    if size == 0:
        raise ValidationFailed(f"{name} is empty.", [FieldError(field, "empty")])
    return target


async def add_from_form(request: Request, form: FormData) -> dict[str, Any]:
    """Save the form's files, then add the lecture (shared by the API and the upload page)."""
    identity = current_identity(request)
    service = service_of(request)
    service.tmp_dir.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=service.tmp_dir))
    try:
        videos = []
        for field in ("video", "webm"):
            upload = form.get(field)
            if isinstance(upload, UploadFile) and upload.filename:
                path = await save_upload(upload, folder, MAX_VIDEO_BYTES, field)
                videos.append((path, Path(upload.filename).name))
        slides = form.get("slides")
        if not (isinstance(slides, UploadFile) and slides.filename):
            raise ValidationFailed(
                "A lecture needs its slides (PDF).", [FieldError("slides", "required")]
            )
        pdf = await save_upload(slides, folder, MAX_SLIDES_BYTES, "slides")
        side: dict[str, bytes | None] = {"timings": None, "captions": None}
        for field in side:
            upload = form.get(field)
            if isinstance(upload, UploadFile) and upload.filename:
                side[field] = (
                    await save_upload(upload, folder, MAX_SIDE_BYTES, field)
                ).read_bytes()
        timings = side["timings"]
        if timings is not None:
            try:
                timings_text: str | None = timings.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise ValidationFailed(
                    "The timings file is not UTF-8 text.", [FieldError("timings", "not text")]
                ) from None
        else:
            timings_text = None
        result: dict[str, Any] = await run_in_threadpool(
            lambda: service.add(
                identity,
                meta_from_form(form),
                videos=videos,
                slides=(pdf, Path(slides.filename or "slides.pdf").name),
                timings_csv=timings_text,
                captions=side["captions"],
            )
        )
        return result
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@router.get("/api/learn/lectures")
def lectures(
    request: Request, q: str = "", series: str = "", topic: str = "", page: int = 1
) -> Response:
    found = service_of(request).lectures(q=q, series=series, topic=topic, page=page)
    return FastJSONResponse(found)


@router.post("/api/learn/lectures", status_code=201)
async def add(request: Request) -> Response:
    form = await request.form(max_files=6, max_fields=20)
    try:
        lecture = await add_from_form(request, form)
    finally:
        await form.close()
    return FastJSONResponse(lecture, status_code=201)


@router.get("/api/learn/lectures/{slug}")
def lecture(request: Request, slug: str) -> Response:
    return FastJSONResponse(service_of(request).lecture(slug))


@router.put("/api/learn/lectures/{slug}/timings")
async def timings(request: Request, slug: str) -> Response:
    try:
        body = await request.json()
    except ValueError:
        raise ValidationFailed(
            'The body must be JSON: {"timings": [[start, page], ...]}.',
            [FieldError("timings", "not JSON")],
        ) from None
    given = body.get("timings") if isinstance(body, dict) else None
    identity = current_identity(request)
    return FastJSONResponse(service_of(request).set_timings(identity, slug, given))


def _serve(request: Request, stored: Stored, cache: str = "public, max-age=300") -> Response:
    return blob_response(
        request,
        service_of(request).blobs,
        blob_id=stored.blob_id,
        size=stored.size,
        sha256=stored.sha256,
        filename=stored.filename,
        media_type=stored.media_type,
        inline=True,
        cache_control=cache,
    )


@router.api_route(
    "/learn/lectures/{slug}/files/{kind}", methods=["GET", "HEAD"], include_in_schema=False
)
def lecture_file(request: Request, slug: str, kind: str) -> Response:
    return _serve(request, service_of(request).file(slug, kind))


@router.api_route(
    "/learn/lectures/{slug}/slides/{number}.png", methods=["GET", "HEAD"], include_in_schema=False
)
def slide_image(request: Request, slug: str, number: int) -> Response:
    return _serve(request, service_of(request).slide_image(slug, number), IMMUTABLE)


@router.api_route(
    "/learn/lectures/{slug}/thumbs/{number}.png", methods=["GET", "HEAD"], include_in_schema=False
)
def slide_thumb(request: Request, slug: str, number: int) -> Response:
    return _serve(request, service_of(request).slide_image(slug, number, thumb=True), IMMUTABLE)


@router.get("/learn/lectures/{slug}/chapters.vtt", include_in_schema=False)
def chapters(request: Request, slug: str) -> Response:
    text = service_of(request).chapters(slug)
    return Response(text, media_type="text/vtt; charset=utf-8")


__all__ = ["add_from_form", "router", "service_of"]
