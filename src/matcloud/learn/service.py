"""LEARN: adding lectures (administrators), listing and searching them, the player's data, the
timing editor's writes, and the files the pages serve.

Adding a lecture reads every file first (:func:`matcloud.learn.ingest.prepare`), so a corrupt
video, PDF, captions file or timings CSV is refused before anything is stored. Without a timings
CSV, a background job (:data:`TIMINGS_JOB`) finds them in the video afterwards; until then the
lecture's timings are "pending" (the first slide throughout). The files then go
to the content-addressed blob store and the lecture's rows into the database in one
transaction: a failure or a killed process leaves no lecture, at most blobs no row names (the
same bytes are reused when the upload is tried again).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcloud.core.auth import Identity, require_role
from matcloud.core.db import Database, utcnow
from matcloud.core.errors import Conflict, NotFound
from matcloud.core.jobs import JobQueue
from matcloud.core.models import Role
from matcloud.core.storage import BlobStore
from matcloud.learn.catalogue import search_lectures, summary
from matcloud.learn.ingest import PENDING, Prepared, find_timings, prepare
from matcloud.learn.media import MediaError
from matcloud.learn.meta import chapters_vtt, check_timings, parse_meta, slug_for
from matcloud.learn.models import Lecture, LectureFile, Slide

log = logging.getLogger(__name__)
TIMINGS_JOB = "learn.find_timings"
MEDIA_TYPES = {"mp4": "video/mp4", "webm": "video/webm", "pdf": "application/pdf"}
PNG = "image/png"


@dataclass(frozen=True)
class Stored:
    """A blob to serve: what ``blob_response`` needs."""

    blob_id: str
    size: int
    sha256: str
    filename: str
    media_type: str


class LearnService:
    def __init__(self, db: Database, blobs: BlobStore, jobs: JobQueue, tmp_dir: Path) -> None:
        self.db = db
        self.blobs = blobs
        self.jobs = jobs
        self.tmp_dir = tmp_dir
        jobs.register(TIMINGS_JOB, self.find_timings, retries=1, retry_delay=60)

    # -- adding ------------------------------------------------------------------------------

    def add(
        self,
        identity: Identity,
        meta: dict[str, Any],
        *,
        videos: list[tuple[Path, str]],
        slides: tuple[Path, str],
        timings_csv: str | None = None,
        captions: bytes | None = None,
        is_demo: bool = False,
    ) -> dict[str, Any]:
        """Check, store and publish a lecture; its page's data."""
        require_role(identity, Role.ADMIN)
        checked = parse_meta(meta)
        slug = slug_for(checked)
        if self.exists(slug):
            raise Conflict(f"There is already a lecture {slug} (the same date and title).")
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="lecture-", dir=self.tmp_dir) as tmp:
            ready = prepare(
                Path(tmp), videos=videos, slides=slides, timings_csv=timings_csv, captions=captions
            )
            lecture = Lecture(
                slug=slug,
                title=checked.title,
                speakers=[s.model_dump() for s in checked.speakers],
                held_on=checked.date,
                series=checked.series,
                topics=checked.topics,
                description=checked.description,
                licence=checked.licence,
                duration=round(ready.duration, 3),
                slide_count=len(ready.pages),
                timings=ready.timings,
                timings_source=ready.timings_source,
                is_demo=is_demo,
                created_by=identity.user_id,
            )
            files, slides_rows = self._store(ready)
        with self.db.unit_of_work() as uow:
            uow.session.add(lecture)
            uow.session.flush()
            for file in files:
                file.lecture_id = lecture.id
            for slide in slides_rows:
                slide.lecture_id = lecture.id
            uow.session.add_all([*files, *slides_rows])
            if lecture.timings_source == PENDING:
                self.jobs.enqueue_after_commit(uow, TIMINGS_JOB, lecture.id)
        return self.lecture(slug)

    # -- the timings job ---------------------------------------------------------------------

    def find_timings(self, lecture_id: int) -> None:
        """Find a lecture's timings in its video (the job queued by :meth:`add`); unless an
        administrator set them meanwhile. A video where no page is recognised leaves the
        first slide shown throughout, marked "failed" for the editor."""
        with self.db.read() as session:
            lecture = session.get(Lecture, lecture_id)
            if lecture is None or lecture.timings_source != PENDING:
                return
            files = {
                f.kind: f
                for f in session.scalars(
                    select(LectureFile).where(LectureFile.lecture_id == lecture_id)
                )
            }
            video = files.get("mp4") or files.get("webm")
            pdf = files["pdf"]
            assert video is not None
            video_blob, video_kind, pdf_blob = video.blob_id, video.kind, pdf.blob_id
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="timings-", dir=self.tmp_dir) as tmp:
            work = Path(tmp)
            video_path, pdf_path = work / f"video.{video_kind}", work / "slides.pdf"
            for blob, path in ((video_blob, video_path), (pdf_blob, pdf_path)):
                with self.blobs.open(blob) as stream, path.open("wb") as out:
                    shutil.copyfileobj(stream, out, 1024 * 1024)
            try:
                found, source = find_timings(video_path, pdf_path, work), "auto"
            except MediaError as exc:
                log.info("no timings found for lecture %s: %s", lecture_id, exc)
                found, source = [[0.0, 0]], "failed"
        with self.db.unit_of_work() as uow:
            lecture = uow.session.get(Lecture, lecture_id)
            if lecture is not None and lecture.timings_source == PENDING:
                lecture.timings, lecture.timings_source = found, source
                lecture.updated_at = utcnow()

    def _put(self, path: Path) -> tuple[str, int, str]:
        with path.open("rb") as stream:
            info = self.blobs.put(stream)
        return info.id, info.size, info.sha256

    def _store(self, ready: Prepared) -> tuple[list[LectureFile], list[Slide]]:
        files = []
        for video in ready.videos:
            blob, size, sha = self._put(video.path)
            info = video.info
            details = {
                "codec": info.codec,
                "width": info.width,
                "height": info.height,
                "duration": info.duration,
                "audio": info.has_audio,
            }
            kind = info.container
            files.append(
                LectureFile(
                    kind=kind,
                    filename=video.filename,
                    media_type=MEDIA_TYPES[kind],
                    blob_id=blob,
                    size=size,
                    sha256=sha,
                    details=details,
                )
            )
        blob, size, sha = self._put(ready.slides_path)
        files.append(
            LectureFile(
                kind="pdf",
                filename=ready.slides_filename,
                media_type=MEDIA_TYPES["pdf"],
                blob_id=blob,
                size=size,
                sha256=sha,
                details={"pages": len(ready.pages)},
            )
        )
        if ready.captions is not None:
            captions = self.blobs.put([ready.captions.encode()])
            files.append(
                LectureFile(
                    kind="vtt",
                    filename="captions.vtt",
                    media_type="text/vtt",
                    blob_id=captions.id,
                    size=captions.size,
                    sha256=captions.sha256,
                    details={},
                )
            )
        slides = []
        for page in ready.pages:
            image, image_size, image_sha = self._put(page.image)
            thumb, thumb_size, thumb_sha = self._put(page.thumb)
            slides.append(
                Slide(
                    page=page.index,
                    title=page.title[:200],
                    text=page.text,
                    image_blob=image,
                    image_size=image_size,
                    image_sha256=image_sha,
                    thumb_blob=thumb,
                    thumb_size=thumb_size,
                    thumb_sha256=thumb_sha,
                )
            )
        return files, slides

    # -- editing the timings -----------------------------------------------------------------

    def set_timings(self, identity: Identity, slug: str, timings: Any) -> dict[str, Any]:
        """Replace the timings (the editor's "save"): ``[[start, page], ...]`` with 0-based
        pages, starts increasing from 0 and within the video."""
        require_role(identity, Role.ADMIN)
        with self.db.unit_of_work() as uow:
            lecture = self._get(uow.session, slug)
            lecture.timings = check_timings(timings, lecture.slide_count, lecture.duration)
            lecture.timings_source = "edited"
            lecture.updated_at = utcnow()
        return self.lecture(slug)

    # -- reading -----------------------------------------------------------------------------

    def lectures(
        self, *, q: str = "", series: str = "", topic: str = "", page: int = 1
    ) -> dict[str, Any]:
        """The lectures, newest first, filtered and searched (see :func:`search_lectures`)."""
        with self.db.read() as session:
            return search_lectures(session, q=q, series=series, topic=topic, page=page)

    def lecture(self, slug: str) -> dict[str, Any]:
        """The player's data: the lecture, its files, slides (with titles) and timings."""
        with self.db.read() as session:
            lecture = self._get(session, slug)
            files = session.scalars(
                select(LectureFile).where(LectureFile.lecture_id == lecture.id)
            ).all()
            slides = session.scalars(
                select(Slide).where(Slide.lecture_id == lecture.id).order_by(Slide.page)
            ).all()
            base = f"/learn/lectures/{slug}"
            body = summary(lecture) | {
                "description": lecture.description,
                "timings": lecture.timings,
                "timings_source": lecture.timings_source,
                "files": {
                    f.kind: {
                        "filename": f.filename,
                        "size": f.size,
                        "media_type": f.media_type,
                        "url": f"{base}/files/{f.kind}",
                        **f.details,
                    }
                    for f in files
                },
                "slides": [
                    {
                        "number": s.page + 1,
                        "title": s.title,
                        "text": s.text,
                        "image": f"{base}/slides/{s.page + 1}.png",
                        "thumb": f"{base}/thumbs/{s.page + 1}.png",
                        "starts": [t for t, p in lecture.timings if int(p) == s.page],
                    }
                    for s in slides
                ],
                "chapters": f"{base}/chapters.vtt",
            }
        return body

    def chapters(self, slug: str) -> str:
        with self.db.read() as session:
            lecture = self._get(session, slug)
            titles = session.scalars(
                select(Slide.title).where(Slide.lecture_id == lecture.id).order_by(Slide.page)
            ).all()
            return chapters_vtt(lecture.timings, list(titles), lecture.duration)

    def file(self, slug: str, kind: str) -> Stored:
        with self.db.read() as session:
            lecture = self._get(session, slug)
            found = session.scalar(
                select(LectureFile).where(
                    LectureFile.lecture_id == lecture.id, LectureFile.kind == kind
                )
            )
            if found is None:
                raise NotFound(f"Lecture {slug} has no {kind} file.")
            return Stored(found.blob_id, found.size, found.sha256, found.filename, found.media_type)

    def slide_image(self, slug: str, number: int, *, thumb: bool = False) -> Stored:
        with self.db.read() as session:
            lecture = self._get(session, slug)
            slide = session.scalar(
                select(Slide).where(Slide.lecture_id == lecture.id, Slide.page == number - 1)
            )
            if slide is None:
                raise NotFound(f"Lecture {slug} has no slide {number}.")
            name = f"{slug}-{'thumb' if thumb else 'slide'}-{number}.png"
            if thumb:
                return Stored(
                    slide.thumb_blob, slide.thumb_size, slide.thumb_sha256, name, "image/png"
                )
            return Stored(slide.image_blob, slide.image_size, slide.image_sha256, name, "image/png")

    def stats(self) -> dict[str, int]:
        with self.db.read() as session:
            lectures = session.scalar(select(func.count(Lecture.id))) or 0
            slides = session.scalar(select(func.count(Slide.id))) or 0
        return {"lectures": lectures, "slides": slides}

    def exists(self, slug: str) -> bool:
        with self.db.read() as session:
            return session.scalar(select(Lecture.id).where(Lecture.slug == slug)) is not None

    @staticmethod
    def _get(session: Session, slug: str) -> Lecture:
        found = session.scalar(select(Lecture).where(Lecture.slug == slug))
        if found is None:
            raise NotFound(f"There is no lecture {slug!r}.")
        return found


__all__ = ["LearnService", "Stored"]
