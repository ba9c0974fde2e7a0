"""The DISCOVER pages (each with its ``.json`` twin).

- ``/discover/<slug>``: the section: description, authors, sources and citation; the scatter
  plot (axes and colour chosen from the columns, presets), range filters and search that
  update plot and table together; the table (server-side sort and pages). Without JavaScript
  the first page of the table is there, with links to every card.
- ``/discover/<slug>/<key>``: a material's ID card: every property with its unit and a link
  to the node it came from, the structure in 3D with downloads, a "cite" box, and hand-over
  links to the WORK tools.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request

from matcloud.archive.markdown import render_markdown
from matcloud.discover.api import row_query, service_of
from matcloud.web.rendering import Page, page

router = APIRouter(tags=["discover pages"])


def _citation(head: dict[str, Any]) -> str:
    """The section's text citation: authors, title, the source records' DOIs."""
    names = [a["name"] for a in head["authors"]]
    authors = ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]
    year = head["built"][:4]
    dois = [s["doi"] for s in head["sources"] if s.get("doi")]
    where = "; ".join(f"https://doi.org/{d}" for d in dois)
    return f"{authors} ({year}). {head['title']}. Materials data{': ' + where if where else ''}."


@page(router, "/discover/{slug}")
def section_page(request: Request, slug: str) -> Page:
    service = service_of(request)
    head = service.section(slug)
    query = row_query(request.query_params.multi_items())
    rows = service.rows(slug, query)
    data = head | {
        "table": rows,
        "citation": _citation(head),
        "query": dict(request.query_params),
        "api": {
            "rows": f"/api/discover/{slug}/rows",
            "points": f"/api/discover/{slug}/points",
            "section": f"/api/discover/{slug}",
        },
    }
    page_ = Page("discover/section.html", data, title=head["title"])
    page_.data["description_html"] = str(render_markdown(head["description"]))
    return page_


@page(router, "/discover/{slug}/{key:path}")
def card_page(request: Request, slug: str, key: str) -> Page:
    service = service_of(request)
    head = service.section(slug)
    card = service.card(slug, key)
    structure = card.get("structure")
    tools: list[dict[str, str]] = []
    if structure:
        if "node" in structure:
            given = f"archive={structure['archive']}&node={quote(structure['node'])}"
        else:
            given = f"record={head['versions'][0]}&file={quote(structure['file'])}"
        tools = [
            {"title": "Open in SeeK-path", "url": f"/work/seekpath/open?{given}"},
            {"title": "Inspect the structure", "url": f"/work/inspect/open?{given}"},
        ]
    data = card | {
        "section_title": head["title"],
        "demo": head["demo"],
        "sources": head["sources"],
        "citation": _citation(head),
        "tools": tools,
        "structure_api": f"/api/discover/{slug}/structures/{quote(key, safe='')}"
        if structure
        else None,
    }
    return Page("discover/card.html", data, title=f"{card['title']} — {head['title']}")


__all__ = ["router"]
