"""EXPLORE node pages in a real browser: a structure in 3D (WEAS), a band structure (plotly) and
the provenance graph (cytoscape: click a neighbour to expand it, double-click to open it).

Set ``MATCLOUD_SCREENSHOTS=/some/dir`` to keep screenshots of each page.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from livesite import free_port, screenshot
from matcloud.app import create_app
from matcloud.core.instance import init_instance
from matcloud.explore import views as explore_views
from matcloud.settings import Settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "aiida"


@dataclass
class ExploreSite:
    url: str
    archive: str
    manifest: dict[str, Any]

    def node(self, role: str) -> str:
        return f"{self.url}/explore/{self.archive}/nodes/{self.manifest['nodes'][role]['uuid']}"


@pytest.fixture
def explore_site(settings: Settings) -> Iterator[ExploreSite]:
    """A live server with the rich fixture archive indexed."""
    if not (FIXTURES / "manifest.json").exists():
        pytest.skip("AiiDA fixtures not built: run `make aiida-fixtures`")
    init_instance(settings)
    app = create_app(settings)
    if not any(getattr(r, "name", "") == "explore_graph" for r in app.router.routes):
        app.include_router(explore_views.router)
    archive = app.state.explore.index_local(FIXTURES / "rich.aiida")["id"]
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
    manifest = json.loads((FIXTURES / "manifest.json").read_text())
    yield ExploreSite(url, archive, manifest)
    server.should_exit = True
    thread.join(timeout=10)


def watch_errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_structure_in_3d(explore_site: ExploreSite, browser_page: Any) -> None:
    page = browser_page
    errors = watch_errors(page)
    page.goto(explore_site.node("structure_nacl"))
    assert page.locator("h1").inner_text() == "NaCl rocksalt"
    canvas = page.locator(".panel-structure .structure-viewer canvas").first
    canvas.wait_for(state="visible", timeout=20_000)
    box = canvas.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 200
    assert "8 atoms" in page.locator(".panel-structure .structure-status").inner_text()
    assert page.locator(".sites-table tbody tr").count() == 8
    downloads = page.locator(".panel-structure .downloads a")
    assert downloads.all_inner_texts() == ["CIF", "XSF", "POSCAR"]
    assert not errors, errors
    screenshot(page, "explore-structure")


def test_band_structure_plot(explore_site: ExploreSite, browser_page: Any) -> None:
    page = browser_page
    errors = watch_errors(page)
    page.goto(explore_site.node("bands"))
    plot = page.locator(".plot-bands.plot-ready")
    plot.wait_for(timeout=20_000)
    assert plot.locator(".scatterlayer .trace").count() == 6
    ticks = plot.locator(".xtick text").all_text_contents()
    assert ticks == ["Γ", "X"]
    assert plot.locator(".ytitle").text_content() == "Energy (eV)"
    assert not errors, errors
    screenshot(page, "explore-bands")


def graph_state(page: Any) -> dict[str, Any]:
    state: dict[str, Any] = page.evaluate(
        """() => {
            const cy = window.matcloudGraph;
            return {
                nodes: cy.nodes().map((n) => n.id()),
                expanded: cy.nodes(".expanded").map((n) => n.id()),
            };
        }"""
    )
    return state


def click_node(page: Any, uuid: str, clicks: int = 1) -> None:
    """Click a graph vertex where cytoscape drew it (the canvas has no DOM per node), once it
    has stopped moving: a click during the layout's animation lands beside the node."""
    where = "(id) => window.matcloudGraph.getElementById(id).renderedPosition()"
    point = page.evaluate(where, uuid)
    for _ in range(50):
        page.wait_for_timeout(100)
        now = page.evaluate(where, uuid)
        if abs(now["x"] - point["x"]) < 0.5 and abs(now["y"] - point["y"]) < 0.5:
            break
        point = now
    box = page.locator("#graph").bounding_box()
    x, y = box["x"] + point["x"], box["y"] + point["y"]
    if clicks == 2:
        page.mouse.dblclick(x, y)
    else:
        page.mouse.click(x, y)


def test_provenance_graph(explore_site: ExploreSite, browser_page: Any) -> None:
    page = browser_page
    errors = watch_errors(page)
    nodes = explore_site.manifest["nodes"]
    page.goto(explore_site.node("workchain"))
    page.locator("#graph[data-state='ready']").wait_for(timeout=20_000)
    state = graph_state(page)
    assert len(state["nodes"]) == 7 and state["expanded"] == [nodes["workchain"]["uuid"]]
    screenshot(page, "explore-graph")

    # a click on the input "scale factor" adds its own neighbours (the processes it fed)
    scale = nodes["scale"]["uuid"]
    page.locator("#graph").scroll_into_view_if_needed()
    click_node(page, scale)
    page.wait_for_function(
        "(id) => window.matcloudGraph.getElementById(id).hasClass('expanded')", arg=scale
    )
    page.locator("#graph[data-state='ready']").wait_for()
    grown = graph_state(page)
    assert len(grown["nodes"]) == 7 + 5 and scale in grown["expanded"]
    assert "scale factor" in page.locator("#graph-selected").inner_text()
    screenshot(page, "explore-graph-expanded")

    # a double click opens the neighbour's page
    click_node(page, scale, clicks=2)
    page.wait_for_url(f"**/nodes/{scale}")
    assert page.locator("h1").inner_text() == "scale factor"
    assert not errors, errors
