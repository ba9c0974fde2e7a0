"""Request metrics (Prometheus), one structured log line per request, a request id, and the
security headers every response carries. A plain ASGI middleware: no per-request task or
body buffering, so streamed downloads stay streamed."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from matcloud.core.jobs import JobQueue

log = logging.getLogger("matcloud.request")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
        b"script-src 'self' 'unsafe-eval'; worker-src 'self' blob:; frame-ancestors 'self'; "
        b"form-action 'self'; base-uri 'self'",
    ),
]


class JobCollector(Collector):
    """Job counts by status, read from the job table when Prometheus scrapes."""

    def __init__(self, jobs: JobQueue) -> None:
        self.jobs = jobs

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily("matcloud_jobs", "Background jobs by status", labels=["status"])
        try:
            counts = self.jobs.counts()
        except Exception:  # the scrape still answers with request metrics
            log.exception("job counts unavailable")
            counts = {}
        for status, count in sorted(counts.items()):
            family.add_metric([status], count)
        family_pending = GaugeMetricFamily("matcloud_jobs_pending", "Jobs waiting in the queue")
        try:
            family_pending.add_metric([], self.jobs.pending_count())
        except Exception:
            log.exception("queue length unavailable")
        yield family
        yield family_pending


class Metrics:
    """The registry of one app (not the process-global default registry)."""

    def __init__(self, jobs: JobQueue) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "matcloud_http_requests",
            "HTTP requests by method, route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "matcloud_http_request_duration_seconds",
            "Time to the end of the response, by route",
            ["method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self.registry.register(JobCollector(jobs))


class ObserveMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _header(scope, b"x-request-id") or uuid.uuid4().hex[:16]
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in SECURITY_HEADERS if h[0] not in present)
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or (
                "/static" if scope["path"].startswith("/static/") else "<unmatched>"
            )
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(elapsed)
            identity: Any = getattr(scope.get("state", {}).get("identity"), "user_id", None)
            log.info(
                "%s %s %s",
                method,
                scope["path"],
                status,
                extra={
                    "method": method,
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "request_id": request_id,
                    "user_id": identity,
                },
            )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            text = value.decode("latin-1")
            return text[:64] if text.isprintable() else None
    return None


__all__ = ["Metrics", "ObserveMiddleware"]
