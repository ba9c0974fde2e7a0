"""The demo lecture (``matcloud demo``): slides generated as a PDF, a short video made from them
with ffmpeg on a known schedule (some slides in a corner over a moving background, one slide
skipped, one shown again), and the timings found in that video, as for an upload without a
timings file. Labelled as demo content."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

from matcloud.core.auth import Identity
from matcloud.learn.demo_media import make_demo_lecture
from matcloud.learn.media import MediaError
from matcloud.learn.meta import LectureMeta, slug_for
from matcloud.learn.service import LearnService

META = {
    "title": "Band structures in 60 seconds (demo)",
    "speakers": [{"name": "matcloud demo generator", "affiliation": "demo content"}],
    "date": "2020-10-20",  # the Materials Cloud paper's publication date
    "series": "Demo lectures",
    "topics": ["band structure", "Brillouin zone", "demo"],
    "description": (
        "**Demo content.** A lecture made by matcloud's demo generator: its slides are a "
        "generated PDF and its video is made from those slides with ffmpeg, some shown full "
        "frame and some in a corner over a moving background, one slide skipped and one "
        "shown again. The slide timings were found automatically by matching the video's "
        "frames to the slides."
    ),
    "licence": "cc0-1.0",
}


def load_demo_lecture(learn: LearnService, admin: Identity) -> Iterator[str]:
    slug = slug_for(LectureMeta.model_validate(META))
    if learn.exists(slug):
        yield f"demo lecture /learn/lectures/{slug} exists"
        return
    with tempfile.TemporaryDirectory(prefix="demo-lecture-") as tmp:
        try:
            made = make_demo_lecture(Path(tmp))
        except MediaError as exc:  # no ffmpeg or poppler-utils on this machine
            yield f"demo lecture skipped: {exc}"
            return
        lecture = learn.add(
            admin,
            dict(META),
            videos=[(made.video, made.video.name)],
            slides=(made.pdf, made.pdf.name),
            is_demo=True,
        )
    found = (
        "its timings being found by the job worker"
        if lecture["timings_source"] == "pending"
        else f"{len(lecture['timings'])} slide changes found in the video"
    )
    yield f"demo lecture {lecture['url']}: {lecture['slide_count']} slides, {found}"


__all__ = ["META", "load_demo_lecture"]
