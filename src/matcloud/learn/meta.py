"""What describes a lecture, checked with a message per field; the WebVTT files LEARN reads
(captions) and writes (chapters from the slides' titles)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from matcloud.archive.licences import LICENCES
from matcloud.core.errors import FieldError, ValidationFailed

MAX_CAPTIONS_BYTES = 2 * 1024 * 1024
#: A WebVTT cue timing line: ``00:01.000 --> 00:04.000`` or ``01:02:03.000 --> ...``.
CUE = re.compile(r"^((?:\d+:)?\d{2}:\d{2}\.\d{3})\s+-->\s+((?:\d+:)?\d{2}:\d{2}\.\d{3})(\s.*)?$")


class Speaker(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    affiliation: str = Field(default="", max_length=300)


class LectureMeta(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=300)
    speakers: list[Speaker] = Field(min_length=1, max_length=50)
    date: date
    series: str = Field(default="", max_length=200)
    topics: list[str] = Field(default_factory=list, max_length=20)
    description: str = Field(default="", max_length=50_000)  # Markdown, sanitised when shown
    licence: str = "cc-by-4.0"

    @field_validator("topics")
    @classmethod
    def _topics(cls, value: list[str]) -> list[str]:
        cleaned: list[str] = []
        for topic in value:
            topic = " ".join(topic.split())
            if not topic or len(topic) > 80:
                raise ValueError("each topic has 1 to 80 characters")
            if topic.lower() not in (t.lower() for t in cleaned):
                cleaned.append(topic)
        return cleaned

    @field_validator("licence")
    @classmethod
    def _licence(cls, value: str) -> str:
        if value.lower() not in LICENCES:
            known = ", ".join(sorted(LICENCES)[:8])
            raise ValueError(f"{value!r} is not a licence id this site knows (e.g. {known})")
        return value.lower()


def speakers_from_lines(lines: Iterable[str]) -> list[dict[str, str]]:
    """Speakers written ``Name`` or ``Name; Affiliation``, one per line (the upload form's
    field, the CLI's ``--speaker`` options); blank lines skipped."""
    speakers = []
    for line in lines:
        name, _, affiliation = line.partition(";")
        if name.strip():
            speakers.append({"name": name.strip(), "affiliation": affiliation.strip()})
    return speakers


def parse_meta(data: dict[str, Any]) -> LectureMeta:
    """The lecture's description, checked: ValidationFailed names each wrong field."""
    try:
        return LectureMeta.model_validate(data)
    except ValidationError as exc:
        errors = [
            FieldError(".".join(str(p) for p in e["loc"]) or "lecture", _message(e))
            for e in exc.errors()
        ]
        raise ValidationFailed.listing("The lecture's description is wrong", errors) from None


def _message(error: Any) -> str:
    kind, message = error["type"], str(error["msg"])
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        return "unknown field"
    return message.removeprefix("Value error, ")


def slug_for(meta: LectureMeta) -> str:
    """``2026-11-26-band-structures-in-60-seconds``: the date and the title, ASCII."""
    ascii_title = unicodedata.normalize("NFKD", meta.title).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:80].rstrip("-")
    return f"{meta.date.isoformat()}-{words or 'lecture'}"


def check_captions(data: bytes) -> str:
    """The captions' text if they are WebVTT with at least one cue, else ValidationFailed."""
    if len(data) > MAX_CAPTIONS_BYTES:
        raise _captions(f"the file is over {MAX_CAPTIONS_BYTES // 1024 // 1024} MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _captions("it is not UTF-8 text") from None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not lines[0].startswith("WEBVTT"):
        raise _captions("the first line must be WEBVTT")
    cues = 0
    for number, line in enumerate(lines, 1):
        if "-->" in line:
            if not CUE.match(line.strip()):
                raise _captions(f"line {number} is not a cue timing (00:01.000 --> 00:04.000)")
            cues += 1
    if not cues:
        raise _captions("it has no cues")
    return text


def _captions(why: str) -> ValidationFailed:
    return ValidationFailed(
        f"The captions are not usable WebVTT: {why}.", [FieldError("captions", why)]
    )


def vtt_time(seconds: float) -> str:
    millis = round(max(seconds, 0.0) * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def chapters_vtt(timings: list[list[float]], titles: list[str], duration: float) -> str:
    """A WebVTT chapters track: one cue per segment of the timings, named by its slide's title
    (``Slide 4`` when the page has no text)."""
    lines = ["WEBVTT", "", "NOTE chapters made from the slides' titles and timings", ""]
    for i, (start, page) in enumerate(timings):
        end = timings[i + 1][0] if i + 1 < len(timings) else duration
        if end <= start:
            continue
        index = int(page)
        title = (titles[index] if index < len(titles) else "") or f"Slide {index + 1}"
        title = title.replace("-->", "→")
        lines += [f"slide-{index + 1}-{i + 1}", f"{vtt_time(start)} --> {vtt_time(end)}", title, ""]
    return "\n".join(lines)


def check_timings(timings: Any, pages: int, duration: float) -> list[list[float]]:
    """Edited timings, checked: a list of ``[start, page]`` (page 0-based)."""
    errors: list[FieldError] = []
    if not isinstance(timings, list) or not timings:
        raise ValidationFailed(
            "The timings must be a non-empty list of [start, page].",
            [FieldError("timings", "not a list")],
        )
    checked: list[list[float]] = []
    for i, item in enumerate(timings):
        ok = (
            isinstance(item, list | tuple)
            and len(item) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in item)
        )
        if not ok:
            errors.append(FieldError(f"timings[{i}]", "must be [start seconds, page]"))
            continue
        start, page = float(item[0]), item[1]
        if page != int(page) or not 0 <= int(page) < pages:
            errors.append(FieldError(f"timings[{i}]", f"page {page} does not exist ({pages})"))
        elif not 0 <= start < duration:
            errors.append(FieldError(f"timings[{i}]", f"{start} s is outside the video"))
        elif checked and start <= checked[-1][0]:
            errors.append(FieldError(f"timings[{i}]", "starts must increase"))
        else:
            checked.append([round(start, 3), int(page)])
    if not errors and checked[0][0] != 0:
        errors.append(FieldError("timings[0]", "the first slide starts at 0"))
    if errors:
        raise ValidationFailed.listing("The timings are wrong", errors)
    return checked


__all__ = [
    "LectureMeta",
    "check_timings",
    "check_captions",
    "chapters_vtt",
    "parse_meta",
    "slug_for",
    "speakers_from_lines",
    "vtt_time",
]
