"""Who is asking, and is this write really theirs.

Identity: ``Authorization: Bearer <token>`` (personal API token) or the ``mc_session`` cookie,
an itsdangerous-signed random session id (HttpOnly, SameSite=Lax, Secure when configured).

CSRF: every unsafe request (POST/PUT/PATCH/DELETE) made with ambient browser credentials (the
session cookie), and every form post (sign-in included, against login CSRF), must carry a token,
in the ``csrf_token`` form field or the ``X-CSRF-Token`` header, equal to an HMAC of the
``mc_csrf`` cookie under the instance's secret key ("signed double submit"). A request that
authenticates with a bearer token carries no ambient credential and needs none. The check runs
as an app-wide dependency, so no write route can forget it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request
from fastapi.responses import Response
from itsdangerous import BadSignature, URLSafeSerializer

from matcloud.core.auth import ANONYMOUS, Identity
from matcloud.core.errors import NotAuthenticated, PermissionDenied

SESSION_COOKIE = "mc_session"
CSRF_COOKIE = "mc_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _secret(request: Request) -> str:
    key: str = request.app.state.instance.secret_key
    return key


def _session_signer(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(_secret(request), salt="matcloud.session")


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def current_identity(request: Request) -> Identity:
    """Resolve (once per request) who is acting. A bad bearer token is an error, not anonymity."""
    cached = getattr(request.state, "identity", None)
    if isinstance(cached, Identity):
        return cached
    auth = request.app.state.instance.auth
    identity = ANONYMOUS
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, credential = header.partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            raise NotAuthenticated("Use 'Authorization: Bearer <token>'.")
        found = auth.identity_from_token(credential.strip())
        if found is None:
            raise NotAuthenticated("The API token is unknown, revoked or expired.")
        identity = found
    else:
        secret = session_secret(request)
        if secret:
            identity = auth.identity_from_session(secret)
    request.state.identity = identity
    return identity


def session_secret(request: Request) -> str | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        value = _session_signer(request).loads(cookie)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def set_session_cookie(request: Request, response: Response, secret: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        _session_signer(request).dumps(secret),
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=request.app.state.instance.settings.secure_cookies,
        path="/",
    )
    rotate_csrf(request, response)


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
    rotate_csrf(request, response)


# -- CSRF ------------------------------------------------------------------------------------


def _csrf_for(request: Request, cookie_value: str) -> str:
    return hmac.new(_secret(request).encode(), cookie_value.encode(), hashlib.sha256).hexdigest()


def _csrf_cookie_value(request: Request) -> str:
    """The CSRF cookie of this request, or the fresh one this response will set."""
    value = getattr(request.state, "new_csrf_cookie", None) or request.cookies.get(CSRF_COOKIE)
    if not value:
        value = secrets.token_urlsafe(32)
        request.state.new_csrf_cookie = value
    return str(value)


def csrf_token(request: Request) -> str:
    """The token a form on this page must send back."""
    return _csrf_for(request, _csrf_cookie_value(request))


def rotate_csrf(request: Request, response: Response) -> None:
    request.state.new_csrf_cookie = secrets.token_urlsafe(32)
    ensure_csrf_cookie(request, response)


def ensure_csrf_cookie(request: Request, response: Response) -> None:
    value = getattr(request.state, "new_csrf_cookie", None)
    if value:
        response.set_cookie(
            CSRF_COOKIE,
            value,
            httponly=True,
            samesite="lax",
            secure=request.app.state.instance.settings.secure_cookies,
            path="/",
        )


async def verify_csrf(request: Request) -> None:
    """App-wide dependency: refuse an unsafe request without a valid CSRF token."""
    if request.method not in UNSAFE_METHODS:
        return
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return
    if request.url.path in request.app.state.csrf_exempt:
        return
    is_form = request.headers.get("content-type", "").startswith(FORM_TYPES)
    if SESSION_COOKIE not in request.cookies and not is_form:
        return  # no ambient credential to abuse (an API call without a token is anonymous)
    cookie = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    form = None
    if sent is None and is_form:
        form = await request.form()
        field = form.get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    if not cookie or not sent or not hmac.compare_digest(sent, _csrf_for(request, cookie)):
        if form is not None:
            await form.close()  # the handler that would have closed its uploads never runs
        raise PermissionDenied(
            "The form's security token (CSRF) is missing or invalid. Reload the page and retry."
        )


__all__ = [
    "CSRF_COOKIE",
    "SESSION_COOKIE",
    "clear_session_cookie",
    "client_address",
    "csrf_token",
    "current_identity",
    "ensure_csrf_cookie",
    "session_secret",
    "set_session_cookie",
    "verify_csrf",
]
