"""Finding lectures: by series and topic, and by words in their titles, descriptions,
speakers, topics and the text of every slide (a hit names the slides it was found on)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matcloud.learn.models import Lecture, Slide

PAGE_SIZE = 24


def search_lectures(
    session: Session, *, q: str = "", series: str = "", topic: str = "", page: int = 1
) -> dict[str, Any]:
    """The lectures, newest first, filtered by series and topic and searched for every word of
    ``q``; with the counts of each series and topic (the facets)."""
    terms = [t for t in q.lower().split() if t][:10]
    every = session.scalars(select(Lecture).order_by(Lecture.held_on.desc())).all()
    series_counts: dict[str, int] = {}
    topic_counts: dict[str, int] = {}
    for lecture in every:
        if lecture.series:
            series_counts[lecture.series] = series_counts.get(lecture.series, 0) + 1
        for t in lecture.topics:
            topic_counts[t] = topic_counts.get(t, 0) + 1
    chosen = [
        lec
        for lec in every
        if (not series or lec.series == series)
        and (not topic or topic.lower() in (t.lower() for t in lec.topics))
    ]
    hits = _slide_hits(session, [lec.id for lec in chosen], terms) if terms else {}
    if terms:
        chosen = [lec for lec in chosen if lec.id in hits or _matches(lec, terms)]
    total = len(chosen)
    page = max(page, 1)
    shown = chosen[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return {
        "lectures": [summary(lec) | {"slides_found": hits.get(lec.id, [])} for lec in shown],
        "total": total,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "query": {"q": q, "series": series, "topic": topic},
        "facets": {
            "series": sorted(series_counts.items()),
            "topics": sorted(topic_counts.items(), key=lambda kv: (-kv[1], kv[0].lower())),
        },
    }


def _slide_hits(
    session: Session, lecture_ids: list[int], terms: list[str]
) -> dict[int, list[dict[str, Any]]]:
    """lecture id -> the slides whose text holds every term."""
    if not lecture_ids:
        return {}
    conditions = [func.lower(Slide.text).contains(t, autoescape=True) for t in terms]
    rows = session.execute(
        select(Slide.lecture_id, Slide.page, Slide.title, Slide.text)
        .where(Slide.lecture_id.in_(lecture_ids), *conditions)
        .order_by(Slide.lecture_id, Slide.page)
    ).all()
    found: dict[int, list[dict[str, Any]]] = {}
    for lecture_id, page, title, text in rows:
        found.setdefault(lecture_id, []).append(
            {"slide": page + 1, "title": title, "snippet": _snippet(text, terms)}
        )
    return found


def summary(lecture: Lecture) -> dict[str, Any]:
    """A lecture as the list shows it (the player's data starts from this)."""
    return {
        "slug": lecture.slug,
        "title": lecture.title,
        "speakers": lecture.speakers,
        "date": lecture.held_on.isoformat(),
        "series": lecture.series,
        "topics": lecture.topics,
        "licence": lecture.licence,
        "duration": lecture.duration,
        "slide_count": lecture.slide_count,
        "demo": lecture.is_demo,
        "url": f"/learn/lectures/{lecture.slug}",
        "thumb": f"/learn/lectures/{lecture.slug}/thumbs/1.png",
    }


def _matches(lecture: Lecture, terms: list[str]) -> bool:
    haystack = " ".join(
        [lecture.title, lecture.description, lecture.series, " ".join(lecture.topics)]
        + [s.get("name", "") for s in lecture.speakers]
    ).lower()
    return all(t in haystack for t in terms)


def _snippet(text: str, terms: list[str], width: int = 80) -> str:
    flat = " ".join(text.split())
    at = min((flat.lower().find(t) for t in terms if t in flat.lower()), default=0)
    start = max(at - width // 2, 0)
    return (
        ("…" if start else "")
        + flat[start : start + width]
        + ("…" if start + width < len(flat) else "")
    )


__all__ = ["PAGE_SIZE", "search_lectures", "summary"]
