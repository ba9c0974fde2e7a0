"""What a browser test gets: the address of a running site and an account on it."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcloud.settings import Settings


@dataclass
class LiveSite:
    url: str
    settings: Settings
    user_email: str
    password: str


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def screenshot(page: Any, name: str, *, phone_too: bool = False) -> None:
    """Keep a full-page screenshot in ``$MATCLOUD_SCREENSHOTS`` (when set); with
    ``phone_too``, one at desktop width and one at a phone's (``name-desktop.png``, ...)."""
    folder = os.environ.get("MATCLOUD_SCREENSHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    if not phone_too:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
        return
    for width, label in [(1280, "desktop"), (390, "mobile")]:
        page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})
        page.wait_for_timeout(300)
        page.screenshot(path=str(Path(folder) / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def bench_site(prefix: str) -> tuple[Any, Any, Any]:
    """A fresh instance served by uvicorn in a thread, for benchmarks: (settings, app,
    server); ``server.should_exit = True`` stops it."""
    import tempfile
    import threading
    import time

    import uvicorn

    from matcloud.app import create_app
    from matcloud.core.instance import init_instance

    port = free_port()
    settings = Settings(
        data_dir=Path(tempfile.mkdtemp(prefix=prefix)) / "data",
        base_url=f"http://127.0.0.1:{port}",
        secret_key="bench-secret-key-" + "x" * 32,
        log_level="WARNING",
    )
    init_instance(settings)
    app = create_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return settings, app, server
