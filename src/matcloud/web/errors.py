"""One place that turns errors into responses: problem details (RFC 9457) for API paths and
JSON twins, an HTML page for people."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from matcloud.core.errors import Gone, MatcloudError, RateLimited, ValidationFailed
from matcloud.web.rendering import shell_context, wants_json

log = logging.getLogger(__name__)

API_PREFIXES = ("/api/", "/optimade/", "/oai2d", "/healthz", "/metrics")
TITLES = {
    400: "Invalid input",
    401: "Sign-in required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


def is_api_request(request: Request) -> bool:
    path = request.url.path
    return path.startswith(API_PREFIXES) or "/api/v4/" in path or wants_json(request)


def form_error(error: ValidationFailed) -> dict[str, Any]:
    """What a form page shows when its input is refused: the detail and each field's problem."""
    return {"detail": str(error), "fields": [e.as_dict() for e in error.errors]}


def problem(
    request: Request,
    status: int,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    title = TITLES.get(status, "Error")
    if is_api_request(request):
        body: dict[str, Any] = {
            "type": "about:blank",
            "title": title,
            "status": status,
            "detail": detail,
            "instance": request.url.path,
        }
        if errors:
            body["errors"] = errors
        body.update(extra or {})
        return JSONResponse(
            body, status_code=status, media_type="application/problem+json", headers=headers
        )
    template = f"errors/{status}.html" if status in (403, 404, 500) else "errors/error.html"
    context = {
        "title": title,
        "status": status,
        "detail": detail,
        "errors": errors or [],
        "json_url": "",
        "page": {},
    }
    try:
        context.update(shell_context(request))
    except Exception:  # the shell itself may be what failed (database down): render bare
        log.exception("error page without the shell")
        context.update(
            request=request,
            static_url="/static/",
            site_name="matcloud",
            sections=[],
            identity=None,
            csrf_token="",
            current_section="",
            query="",
        )
    response: Response = request.app.state.templates.TemplateResponse(
        request, template, context, status_code=status, headers=headers
    )
    return response


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MatcloudError)
    errors = [e.as_dict() for e in exc.errors] if isinstance(exc, ValidationFailed) else None
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    if exc.status == 401 and is_api_request(request):
        headers = {"WWW-Authenticate": 'Bearer realm="matcloud"'}
    extra = {"tombstone": exc.tombstone} if isinstance(exc, Gone) else None
    return problem(request, exc.status, exc.detail, errors=errors, headers=headers, extra=extra)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "")
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"There is nothing at {request.url.path}."
    return problem(request, exc.status_code, detail, headers=dict(exc.headers or {}))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "field": ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query")),
            "message": str(e.get("msg", "is invalid")),
        }
        for e in exc.errors()
    ]
    return problem(request, 400, "The request is not valid.", errors=errors)


async def _client_gone(request: Request, exc: Exception) -> Response:
    """The client hung up mid-body (an interrupted upload): nothing was recorded; no alarm."""
    log.info("client disconnected", extra={"path": request.url.path})
    return problem(request, 400, "The request body was cut short; nothing was stored.")


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", extra={"path": request.url.path})
    return problem(request, 500, "Something went wrong on our side; it has been logged.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(MatcloudError, _domain_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ClientDisconnect, _client_gone)
    app.add_exception_handler(Exception, _unexpected)


__all__ = ["install_error_handlers", "is_api_request", "problem"]
