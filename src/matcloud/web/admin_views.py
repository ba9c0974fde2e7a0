"""The operator's pages: background job outcomes (failures are retried from here)."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from matcloud.core.auth import require_role
from matcloud.core.models import Role
from matcloud.web import security
from matcloud.web.rendering import Page, page

router = APIRouter()


@page(router, "/admin")
def admin_home(request: Request) -> Page:
    require_role(security.current_identity(request), Role.ADMIN)
    instance = request.app.state.instance
    return Page(
        "admin/index.html",
        {
            "users": instance.auth.count_users(),
            "jobs": instance.jobs.counts(),
            "pending": instance.jobs.pending_count(),
            "failures": [asdict(f) for f in instance.jobs.failures(limit=100)],
            "mail": [asdict(m) for m in instance.mail.recent(limit=50)],
        },
        title="Administration",
    )


@router.post("/admin/jobs/{job_id}/retry", name="retry_job")
def retry_job(request: Request, job_id: str) -> Response:
    require_role(security.current_identity(request), Role.ADMIN)
    request.app.state.instance.jobs.retry_failed(job_id)
    return RedirectResponse("/admin", status_code=303)
