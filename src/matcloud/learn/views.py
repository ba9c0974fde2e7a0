"""The LEARN pages (each with its ``.json`` twin).

- ``/learn/lectures``: the lectures, by series and topic, with a search through every slide's
  text (a hit links to the slide in the player).
- ``/learn/lectures/<slug>``: the player: video and current slide side by side (stacked on small
  screens), a strip of thumbnails that seek, keys for the previous/next slide, ``?t=`` and
  ``?slide=`` deep links, chapters from the slides' titles, captions when there are some.
- ``/learn/lectures/<slug>/timings`` (administrators): the timing editor.
- ``/learn/new`` (administrators): upload a lecture.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from matcloud.archive.licences import LICENCES
from matcloud.archive.markdown import render_markdown
from matcloud.core.auth import require_role
from matcloud.core.errors import ValidationFailed
from matcloud.core.models import Role
from matcloud.learn.api import add_from_form, meta_from_form, service_of
from matcloud.web.errors import form_error
from matcloud.web.rendering import Page, page, render
from matcloud.web.security import current_identity

router = APIRouter(tags=["learn pages"])


@page(router, "/learn/lectures")
def lectures_page(
    request: Request, q: str = "", series: str = "", topic: str = "", page: int = 1
) -> Page:
    found = service_of(request).lectures(q=q, series=series, topic=topic, page=page)
    return Page("learn/lectures.html", found, title="Lectures")


def _new_page(
    form: dict[str, Any] | None = None, error: ValidationFailed | None = None, status: int = 200
) -> Page:
    data = {
        "form": form or {},
        "licences": [{"id": lic.id, "title": lic.title} for lic in LICENCES.values()],
        "error": None if error is None else form_error(error),
    }
    return Page("learn/new.html", data, title="Add a lecture", status=status)


# before "/learn/lectures/{slug}"-style routes; "new" is not a lecture
@page(router, "/learn/new")
def new_lecture(request: Request) -> Page:
    require_role(current_identity(request), Role.ADMIN)
    return _new_page()


@router.post("/learn/new", include_in_schema=False)
async def add_lecture(request: Request) -> Response:
    require_role(current_identity(request), Role.ADMIN)
    form = await request.form(max_files=6, max_fields=20)  # parsed already by the CSRF check
    try:
        lecture = await add_from_form(request, form)
    except ValidationFailed as error:
        kept = meta_from_form(form) | {
            "speakers_text": form.get("speakers") if isinstance(form.get("speakers"), str) else ""
        }
        return render(request, _new_page(kept, error, status=400))
    finally:
        await form.close()
    return RedirectResponse(str(lecture["url"]), status_code=303)


@page(router, "/learn/lectures/{slug}")
def player_page(request: Request, slug: str) -> Page:
    lecture = service_of(request).lecture(slug)
    identity = current_identity(request)
    lecture["can_edit"] = identity.has_role(Role.ADMIN)
    lecture["licence_title"] = getattr(LICENCES.get(lecture["licence"]), "title", "")
    shown = Page("learn/player.html", lecture, title=lecture["title"])
    shown.data["description_html"] = str(render_markdown(lecture["description"]))
    return shown


@page(router, "/learn/lectures/{slug}/timings")
def timings_page(request: Request, slug: str) -> Page:
    require_role(current_identity(request), Role.ADMIN)
    lecture = service_of(request).lecture(slug)
    return Page("learn/timings.html", lecture, title=f"Timings — {lecture['title']}")


__all__ = ["router"]
