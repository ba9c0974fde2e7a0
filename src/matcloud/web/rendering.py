"""Pages with JSON twins.

A page handler returns a :class:`Page`: a template name and the data the template shows. The
same data is the page's JSON twin, served at the page's path with ``.json`` appended (``/`` has
``/index.json``) or when the client asks for ``application/json``. So what a person sees and
what a script reads come from one service call and cannot drift apart.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from fastapi import APIRouter, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.templating import Jinja2Templates

from matcloud.web import security

TEMPLATE_DIR = Path(__file__).parent / "templates"


@dataclass
class Page:
    template: str
    data: dict[str, Any]
    title: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def json_path(path: str) -> str:
    return "/index.json" if path == "/" else path.rstrip("/") + ".json"


def wants_json(request: Request) -> bool:
    if request.url.path.endswith(".json"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def make_templates(extra_dirs: list[Path] | None = None) -> Jinja2Templates:
    loader = jinja2.FileSystemLoader([TEMPLATE_DIR, *(extra_dirs or [])])
    env = jinja2.Environment(
        loader=loader,
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tojson_pretty"] = lambda value: json.dumps(value, indent=2, default=str)
    return Jinja2Templates(env=env)


def render(request: Request, page: Page | Response) -> Response:
    """The page as HTML, or its data as JSON when the client asked for the twin. A handler may
    also answer with a ready response (another format the client negotiated)."""
    if isinstance(page, Response):
        return page
    if wants_json(request):
        return JSONResponse(
            jsonable_encoder(page.data), status_code=page.status, headers=page.headers
        )
    templates: Jinja2Templates = request.app.state.templates
    context = {
        "page": page.data,
        "title": page.title,
        "json_url": json_path(request.url.path),
        **shell_context(request),
    }
    response = templates.TemplateResponse(
        request, page.template, context, status_code=page.status, headers=page.headers
    )
    security.ensure_csrf_cookie(request, response)
    return response


def shell_context(request: Request) -> dict[str, Any]:
    """What base.html needs on every page: site, navigation, identity, CSRF token."""
    state = request.app.state
    identity = security.current_identity(request)
    return {
        "request": request,
        "static_url": request.scope.get("root_path", "") + "/static/",
        "site_name": state.instance.settings.site_name,
        "sections": state.sections,
        "identity": identity,
        "csrf_token": security.csrf_token(request),
        "current_section": request.url.path.strip("/").split("/")[0].removesuffix(".json"),
        "query": request.query_params.get("q", ""),
    }


F = TypeVar("F", bound=Callable[..., Any])


def page(router: APIRouter, path: str, *, name: str | None = None) -> Callable[[F], F]:
    """Register a GET page at ``path`` and its JSON twin; the handler returns a Page."""

    def decorate(handler: F) -> F:
        if inspect.iscoroutinefunction(handler):

            @functools.wraps(handler)
            async def async_endpoint(request: Request, *args: Any, **kwargs: Any) -> Response:
                return render(request, await handler(request, *args, **kwargs))

            endpoint: Callable[..., Any] = async_endpoint
        else:

            @functools.wraps(handler)
            def sync_endpoint(request: Request, *args: Any, **kwargs: Any) -> Response:
                return render(request, handler(request, *args, **kwargs))

            endpoint = sync_endpoint
        route_name = name or handler.__name__
        # the twin first: "/x/{id}" would otherwise also match "/x/abc.json"
        router.add_api_route(
            json_path(path),
            endpoint,
            methods=["GET"],
            response_class=JSONResponse,
            response_model=None,
            name=route_name + "_json",
        )
        router.add_api_route(
            path,
            endpoint,
            methods=["GET"],
            response_class=HTMLResponse,
            response_model=None,
            name=route_name,
        )
        return handler

    return decorate


__all__ = ["Page", "json_path", "make_templates", "page", "render", "shell_context", "wants_json"]
