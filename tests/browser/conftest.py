"""Browser tests: a real server on a free port, driven by Debian's chromium through Playwright.

Skipped (with the reason) where chromium is not installed; ``make test`` installs it when it
can (root).
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from livesite import LiveSite, free_port
from matcloud.app import create_app
from matcloud.core.instance import init_instance
from matcloud.core.models import Role
from matcloud.settings import Settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
PASSWORD = "correct horse battery staple"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.path):
            item.add_marker(pytest.mark.browser)
            if not Path(CHROMIUM).exists():
                item.add_marker(pytest.mark.skip(reason=f"{CHROMIUM} is not installed"))


@pytest.fixture
def live_site(settings: Settings) -> Iterator[LiveSite]:
    """A migrated instance with one user, served by uvicorn in a thread."""
    init_instance(settings)
    app = create_app(settings)
    app.state.instance.auth.create_user(
        None, "ada@example.org", "Ada Lovelace", password=PASSWORD, role=Role.USER
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        raise RuntimeError("the test server did not start")
    yield LiveSite(url, settings, "ada@example.org", PASSWORD)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[object]:
    """A fresh chromium (own user-data dir) and one page; a screenshot is kept on failure."""
    from playwright.sync_api import sync_playwright

    profile = tmp_path / "chromium-profile"
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        page = context.pages[0] if context.pages else context.new_page()
        try:
            yield page
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)
