"""Helpers of the LEARN tests: the form of a lecture, posting it with the demo files."""

from __future__ import annotations

import shutil
from typing import Any

from fastapi.testclient import TestClient

from matcloud.learn.demo_media import DemoLecture

TOOLS = ("ffmpeg", "ffprobe", "pdftoppm", "pdfinfo", "pdftotext")
MISSING = [t for t in TOOLS if shutil.which(t) is None]

META = {
    "title": "Band structures in 60 seconds",
    "speakers": "Ada Lovelace; EPFL\nAlan Turing",
    "date": "2026-11-20",
    "series": "Summer school 2026",
    "topics": "band structure, DFT",
    "description": "A *short* lecture.",
    "licence": "cc-by-4.0",
}
SLUG = "2026-11-20-band-structures-in-60-seconds"


def post_lecture(
    client: TestClient,
    headers: dict[str, str],
    lecture: DemoLecture,
    *,
    fields: dict[str, str] | None = None,
    files: dict[str, tuple[str, bytes, str]] | None = None,
) -> Any:
    """POST the demo lecture's files (``files`` replaces or adds some; an entry with empty
    bytes leaves that file out) with :data:`META` (``fields`` replaces some)."""
    given = {
        "video": (lecture.video.name, lecture.video.read_bytes(), "video/mp4"),
        "slides": (lecture.pdf.name, lecture.pdf.read_bytes(), "application/pdf"),
    }
    given.update(files or {})
    given = {k: v for k, v in given.items() if v[1]}
    return client.post(
        "/api/learn/lectures", data=META | (fields or {}), files=given, headers=headers
    )
