"""Monitoring endpoints: ``/healthz`` (are the backends answering) and ``/metrics``."""

from __future__ import annotations

import time
from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

router = APIRouter()


def _timed(check: Callable[[], None]) -> dict[str, object]:
    started = time.perf_counter()
    try:
        check()
    except Exception as error:  # a health check reports every failure, whatever its kind
        return {
            "ok": False,
            "error": f"{type(error).__name__}: {error}"[:300],
            "ms": round((time.perf_counter() - started) * 1000, 2),
        }
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 2)}


@router.get("/healthz", name="healthz")
def healthz(request: Request) -> Response:
    instance = request.app.state.instance
    checks = {
        "database": _timed(instance.db.ping),
        "blob_store": _timed(instance.blobs.check),
        "job_queue": _timed(instance.jobs.check),
    }
    healthy = all(c["ok"] for c in checks.values())
    return JSONResponse(
        {"status": "ok" if healthy else "fail", "checks": checks},
        status_code=200 if healthy else 503,
        headers={"Cache-Control": "no-store"},
    )


@router.get("/metrics", name="metrics")
def metrics(request: Request) -> Response:
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
