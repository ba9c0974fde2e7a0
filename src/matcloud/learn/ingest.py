"""Everything a lecture's files give before anything is stored: the videos probed, the PDF's
pages rendered (an image and a thumbnail each) with their text, the captions checked, and the
timings read from a CSV or found in the video. A file that cannot be used stops it here, with a
message naming the file; nothing has been written to the blob store or the database yet.
Finding the timings in the video takes minutes for a long lecture: :func:`find_timings` runs
in a background job once the lecture is stored."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from matcloud.core.errors import FieldError, ValidationFailed
from matcloud.learn.media import (
    MediaError,
    VideoInfo,
    pdf_page_count,
    pdf_texts,
    probe_video,
    read_pgm,
    render_pdf,
    slide_title,
)
from matcloud.learn.meta import check_captions
from matcloud.learn.timing import Timing, auto_timings, parse_timings_csv

IMAGE_WIDTH = 1280
THUMB_WIDTH = 240
#: Slides are matched to the video at this width (the timing code scales further down).
MATCH_WIDTH = 320
#: The timings of a lecture whose timings a background job is finding in its video.
PENDING = "pending"
#: The MP4 and the WebM of one lecture are the same recording: their durations agree to this.
DURATION_TOLERANCE = 2.0


@dataclass(frozen=True)
class Video:
    path: Path
    filename: str
    info: VideoInfo


@dataclass(frozen=True)
class Page:
    index: int
    title: str
    text: str
    image: Path
    thumb: Path


@dataclass(frozen=True)
class Prepared:
    videos: list[Video]
    slides_path: Path
    slides_filename: str
    pages: list[Page]
    timings: list[list[float]]
    timings_source: str
    captions: str | None

    @property
    def duration(self) -> float:
        return self.videos[0].info.duration


def _refused(field: str, name: str, exc: MediaError) -> ValidationFailed:
    return ValidationFailed(f"{name}: {exc}", [FieldError(field, str(exc))])


def probe_videos(videos: list[tuple[Path, str]]) -> list[Video]:
    """Each video checked; at most one MP4 (H.264) and one WebM, of the same length."""
    if not videos:
        raise ValidationFailed("A lecture needs its video.", [FieldError("video", "required")])
    found: list[Video] = []
    for path, name in videos:
        try:
            info = probe_video(path)
        except MediaError as exc:
            raise _refused("video", name, exc) from None
        if any(v.info.container == info.container for v in found):
            raise ValidationFailed(
                f"Two {info.container.upper()} videos: give one MP4 and/or one WebM.",
                [FieldError("video", f"two {info.container} files")],
            )
        if found and abs(found[0].info.duration - info.duration) > DURATION_TOLERANCE:
            raise ValidationFailed(
                f"{name} lasts {info.duration:.1f} s but {found[0].filename} "
                f"{found[0].info.duration:.1f} s: they are not the same recording.",
                [FieldError("video", "durations differ")],
            )
        found.append(Video(path, name, info))
    return found


def find_timings(video: Path, pdf: Path, work: Path) -> list[list[float]]:
    """The timings found by matching the video's frames to the PDF's pages (MediaError when
    none of the pages is recognised)."""
    small = render_pdf(pdf, work / "match", width=MATCH_WIDTH, fmt="pgm")
    found = auto_timings(video, [read_pgm(p) for p in small])
    return [[round(t.start, 3), t.slide] for t in found]


def prepare(
    work: Path,
    *,
    videos: list[tuple[Path, str]],
    slides: tuple[Path, str],
    timings_csv: str | None = None,
    captions: bytes | None = None,
) -> Prepared:
    """Check and read every file into ``work`` (a fresh, empty folder)."""
    checked = probe_videos(videos)
    duration = checked[0].info.duration
    pdf, pdf_name = slides
    try:
        count = pdf_page_count(pdf)
        images = render_pdf(pdf, work / "pages", width=IMAGE_WIDTH)
        thumbs = render_pdf(pdf, work / "thumbs", width=THUMB_WIDTH)
        texts = pdf_texts(pdf)
    except MediaError as exc:
        raise _refused("slides", pdf_name, exc) from None
    if not (len(images) == len(thumbs) == len(texts) == count):
        raise ValidationFailed(
            f"{pdf_name}: its {count} pages could not all be rendered.",
            [FieldError("slides", "pages missing")],
        )
    text = check_captions(captions) if captions is not None else None
    if timings_csv is not None:
        try:
            found = parse_timings_csv(timings_csv, pages=count, duration=duration)
        except MediaError as exc:
            raise ValidationFailed(
                f"The timings: {exc}", [FieldError("timings", str(exc))]
            ) from None
        source = "file"
    else:  # found in the video by a background job (minutes for a long lecture)
        found = [Timing(0.0, 0)]
        source = PENDING
    pages = [Page(i, slide_title(texts[i]), texts[i], images[i], thumbs[i]) for i in range(count)]
    return Prepared(
        videos=checked,
        slides_path=pdf,
        slides_filename=pdf_name,
        pages=pages,
        timings=[[round(t.start, 3), t.slide] for t in found],
        timings_source=source,
        captions=text,
    )


__all__ = ["PENDING", "Page", "Prepared", "Video", "find_timings", "prepare", "probe_videos"]
