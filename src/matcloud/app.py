"""``create_app(settings)``: the whole site and API for one instance. Nothing is built at import
time, so one process (a test, say) can build several apps with different settings."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from matcloud import __version__
from matcloud.archive import api as archive_api
from matcloud.archive import views_deposit as archive_views_deposit
from matcloud.archive import views_dois as archive_views_dois
from matcloud.archive import views_records as archive_views_records
from matcloud.core.instance import Instance
from matcloud.discover import api as discover_api
from matcloud.discover import views as discover_views
from matcloud.explore import api as explore_api
from matcloud.explore import download_views as explore_downloads
from matcloud.explore import views as explore_views
from matcloud.explore.service import ExploreService
from matcloud.learn import api as learn_api
from matcloud.learn import views as learn_views
from matcloud.learn.service import LearnService
from matcloud.optimade import api as optimade_api
from matcloud.optimade import views as optimade_views
from matcloud.platform import Platform
from matcloud.settings import Settings
from matcloud.web import account_views, admin_views, ops, views
from matcloud.web.errors import install_error_handlers
from matcloud.web.observe import Metrics, ObserveMiddleware
from matcloud.web.rendering import make_templates
from matcloud.web.sections import Section, Stat, default_sections
from matcloud.web.security import verify_csrf
from matcloud.work import api as work_api
from matcloud.work import views as work_views
from matcloud.work.tools import TOOLS

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "web" / "static"
EXPLORE_DIR = Path(__file__).parent / "explore"


def create_app(settings: Settings, *, run_worker: bool = False) -> FastAPI:
    """Build the app. ``run_worker`` starts the in-process job worker with the app (serve)."""
    instance = Instance.open(settings)
    platform = Platform.build(instance)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if run_worker:
            instance.jobs.start_worker(settings.worker_threads)
        log.info("matcloud started", extra={"data_dir": str(settings.data_dir)})
        try:
            yield
        finally:
            platform.close()
            instance.close()

    app = FastAPI(
        title=settings.site_name,
        version=__version__,
        lifespan=lifespan,
        dependencies=[Depends(verify_csrf)],
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.instance = instance
    app.state.platform = platform
    app.state.archive = platform.archive
    app.state.explore = platform.explore
    app.state.work = platform.work
    app.state.discover = platform.discover
    app.state.learn = platform.learn
    app.state.sections = default_sections()
    install_sections(app.state.sections, platform)
    app.state.templates = make_templates(
        [
            Path(archive_api.__file__).parent / "templates",
            EXPLORE_DIR / "templates",
            Path(optimade_views.__file__).parent / "templates",
            Path(work_views.__file__).parent / "templates",
            Path(discover_views.__file__).parent / "templates",
            Path(learn_views.__file__).parent / "templates",
        ]
    )
    app.state.metrics = Metrics(instance.jobs)
    app.state.csrf_exempt = {"/oai2d"}  # read-only protocol; harvesters POST forms

    install_error_handlers(app)
    app.add_middleware(ObserveMiddleware, metrics=app.state.metrics)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in (
        views.router,
        account_views.router,
        admin_views.router,
        ops.router,
        archive_api.router,
        archive_api.public,
        archive_views_records.router,
        archive_views_deposit.router,
        archive_views_dois.router,
        explore_downloads.router,
        explore_views.router,
        explore_api.router,
        optimade_views.router,  # before the API: its /optimade/{rest:path} catches the rest
        optimade_api.router,
        work_api.router,
        discover_api.router,
        discover_views.router,
        learn_api.router,
        learn_views.router,
        work_views.router,
    ):
        app.include_router(router)
    return app


def install_sections(sections: list[Section], platform: Platform) -> None:
    """Give each installed section its live counts and its links on the home page."""
    from matcloud.archive.records import archive_stats

    archive = next(s for s in sections if s.slug == "archive")
    archive.stats = lambda: [Stat(*row) for row in archive_stats(platform.archive.ctx)]
    archive.links = [
        ("Browse records", "/records"),
        ("Deposit data", "/uploads/new"),
        ("My uploads", "/uploads"),
    ]
    explore = next(s for s in sections if s.slug == "explore")
    explore.stats = lambda: explore_stats(platform.explore)
    explore.links = [("Browse AiiDA archives", "/explore/archives")]
    work = next(s for s in sections if s.slug == "work")
    work.stats = lambda: [Stat("tools", len(TOOLS), "/api/work/tools")]
    work.links = [(tool.title, f"/work/{tool.slug}") for tool in TOOLS.values()]
    discover = next(s for s in sections if s.slug == "discover")
    discover.stats = lambda: [
        Stat(item["title"] + (" (demo data)" if item["demo"] else ""), item["rows"], item["url"])
        for item in platform.discover.sections()["sections"]
    ]
    discover.links = [("Add a section (administrators)", "/discover/new")]
    learn = next(s for s in sections if s.slug == "learn")
    learn.stats = lambda: learn_stats(platform.learn)
    learn.links = [
        ("Browse lectures", "/learn/lectures"),
        ("Add a lecture (administrators)", "/learn/new"),
    ]


def learn_stats(service: LearnService) -> list[Stat]:
    counts = service.stats()
    if not counts["lectures"]:
        return []  # the page says nothing is published yet
    return [
        Stat("lectures", counts["lectures"], "/learn/lectures"),
        Stat("slides", counts["slides"], "/learn/lectures"),
    ]


def explore_stats(service: ExploreService) -> list[Stat]:
    hits = service.list()["hits"]["hits"]
    return [
        Stat("AiiDA archives", len(hits), "/explore/archives"),
        Stat("provenance nodes", sum(hit["nodes"] for hit in hits), "/explore/archives"),
    ]


__all__ = ["create_app"]
