"""The shell's own pages: home, one index page per section, and site search."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request

from matcloud import __version__
from matcloud.core.errors import NotFound
from matcloud.web import security
from matcloud.web.rendering import Page, page
from matcloud.web.sections import Section

router = APIRouter()


def _sections(request: Request) -> list[Section]:
    sections: list[Section] = request.app.state.sections
    return sections


@page(router, "/")
def home(request: Request) -> Page:
    instance = request.app.state.instance
    return Page(
        "home.html",
        {
            "site": instance.settings.site_name,
            "version": __version__,
            "sections": [s.summary() for s in _sections(request)],
        },
    )


def _section_page(request: Request, slug: str) -> Page:
    for section in _sections(request):
        if section.slug == slug:
            return Page(
                "sections/index.html",
                section.summary(),
                title=section.title,
            )
    raise NotFound(f"There is no section '{slug}'.")


def _section_handler(slug: str) -> Callable[[Request], Page]:
    def section_index(request: Request) -> Page:
        return _section_page(request, slug)

    section_index.__name__ = slug
    return section_index


for _slug in ("learn", "work", "discover", "explore", "archive"):
    page(router, f"/{_slug}")(_section_handler(_slug))


@page(router, "/search")
def search(request: Request, q: str = "") -> Page:
    """Search what the site holds: the sections' descriptions, the archive's records (the
    first 20; the archive's own search page has all of them, with facets) and the lectures
    (the first 10, by their slides' text too; LEARN's list has all of them)."""
    terms = [t for t in q.lower().split() if t][:20]
    hits = []
    if terms:
        for section in _sections(request):
            text = " ".join([section.title, section.tagline, section.description, *section.offers])
            haystack = text.lower()
            if all(term in haystack for term in terms):
                hits.append(
                    {
                        "kind": "section",
                        "title": section.title,
                        "summary": section.description,
                        "url": f"/{section.slug}",
                    }
                )
    records_total = 0
    if q.strip():
        found = request.app.state.archive.records.search(
            security.current_identity(request), q=q, size=20
        )
        records_total = found["hits"]["total"]
        for record in found["hits"]["hits"]:
            meta = record["metadata"]
            names = [c["person_or_org"].get("name", "") for c in meta.get("creators", [])]
            hits.append(
                {
                    "kind": "record",
                    "title": meta.get("title", record["id"]),
                    "summary": "; ".join(names[:5])
                    + (" et al." if len(names) > 5 else "")
                    + f" ({meta.get('publication_date', '')[:4]})",
                    "url": f"/records/{record['id']}",
                }
            )
        lectures = request.app.state.learn.lectures(q=q)
        for lecture in lectures["lectures"][:10]:
            slides = lecture["slides_found"]
            where = f"?slide={slides[0]['slide']}" if slides else ""
            said = f"slide {slides[0]['slide']}: {slides[0]['snippet']}" if slides else ""
            speakers = ", ".join(s["name"] for s in lecture["speakers"])
            hits.append(
                {
                    "kind": "lecture",
                    "title": lecture["title"],
                    "summary": f"{speakers} ({lecture['date'][:4]})"
                    + (f" — {said}" if said else ""),
                    "url": lecture["url"] + where,
                }
            )
    return Page(
        "search.html",
        {"q": q, "count": len(hits), "hits": hits, "records_total": records_total},
        title=f"Search: {q}" if q else "",
    )
