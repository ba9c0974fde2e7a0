"""Sign-in, sign-out and the account page (with personal API tokens)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from matcloud.core.auth import require_authenticated
from matcloud.core.errors import NotAuthenticated, RateLimited
from matcloud.web import security
from matcloud.web.rendering import Page, page, render

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect a person off the site after sign-in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/account"


@page(router, "/signin")
def signin_form(request: Request, next: str = "/account") -> Page:
    return Page("auth/signin.html", {"next": safe_next(next), "error": None}, title="Sign in")


@router.post("/signin", name="signin")
def signin(
    request: Request,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)],
    next: Annotated[str, Form(max_length=2000)] = "/account",
) -> Response:
    auth = request.app.state.instance.auth
    try:
        new = auth.sign_in(
            email,
            password,
            address=security.client_address(request),
            user_agent=request.headers.get("user-agent", ""),
        )
    except (NotAuthenticated, RateLimited) as error:
        headers = {"Retry-After": str(error.retry_after)} if isinstance(error, RateLimited) else {}
        return render(
            request,
            Page(
                "auth/signin.html",
                {"next": safe_next(next), "error": error.detail, "email": email},
                title="Sign in",
                status=error.status,
                headers=headers,
            ),
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    security.set_session_cookie(request, response, new.secret, new.max_age)
    return response


@router.post("/signout", name="signout")
def signout(request: Request) -> Response:
    secret = security.session_secret(request)
    if secret:
        request.app.state.instance.auth.sign_out(secret)
    response = RedirectResponse("/", status_code=303)
    security.clear_session_cookie(request, response)
    return response


@page(router, "/account")
def account(request: Request) -> Page:
    identity = security.current_identity(request)
    require_authenticated(identity)
    tokens = request.app.state.instance.auth.list_tokens(identity)
    return Page(
        "auth/account.html",
        {
            "user": identity.as_dict(),
            "tokens": [t.__dict__ for t in tokens],
            "new_token": None,
        },
        title="Your account",
    )


@router.post("/account/tokens", name="create_token")
def create_token(request: Request, name: Annotated[str, Form(max_length=100)] = "api") -> Response:
    identity = security.current_identity(request)
    require_authenticated(identity)
    auth = request.app.state.instance.auth
    new = auth.create_token(identity, identity.email, name)
    tokens = auth.list_tokens(identity)
    return render(
        request,
        Page(
            "auth/account.html",
            {
                "user": identity.as_dict(),
                "tokens": [t.__dict__ for t in tokens],
                "new_token": {"id": new.id, "name": new.name, "secret": new.secret},
            },
            title="Your account",
            status=201,
            headers={"Cache-Control": "no-store"},
        ),
    )


@router.post("/account/tokens/{token_id}/revoke", name="revoke_token")
def revoke_token(request: Request, token_id: int) -> Response:
    identity = security.current_identity(request)
    request.app.state.instance.auth.revoke_token(identity, token_id)
    return RedirectResponse("/account", status_code=303)


@router.get("/api/me", name="api_me")
def me(request: Request) -> dict[str, object]:
    """Who the API thinks you are (check a token with this)."""
    return security.current_identity(request).as_dict()
