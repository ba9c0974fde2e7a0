"""DISCOVER: the 70,000-row demo section — table/filter API latency, and the section page's
time to interactive in chromium.

    .venv/bin/python bench/discover_section.py [--requests 60] [--loads 5]

1. A fresh instance (SQLite, uvicorn in a thread: ``livesite.bench_site``) gets the demo
   section ``demo-frameworks`` exactly as ``make run`` builds it (70,000 generated rows from
   a published demo record); the build is timed.
2. **API** (``/api/discover/demo-frameworks/rows`` and ``/points``), sequential requests over
   one connection, values drawn per request from a seeded RNG: the first page, range filters
   on two columns, a text search, a descending sort on a random column, page 100, and the
   plot's points for a filter. The first request after start (which loads the section into
   memory) is reported apart.
3. **Anchor**: the same filtered, sorted page (and its count) as SQL over the rows table
   (``json_extract`` on SQLite), the obvious way to serve a table stored as JSON rows, timed
   in the same process on the same database.
4. **Time to interactive**: chromium (Debian's, through Playwright) loads the section page
   ``--loads`` times (fresh browser context each time); the figure is the time from
   navigation start until the plot has drawn all 70,000 points (``data-ready`` on the plot,
   set after plotly renders), and plotly's own draw time is logged apart. Its anchor: the same
   page with the full plotly.js bundle (4.8 MB) served in place of the page's partial one
   (core + ``scattergl``, 1.5 MB, built by ``make vendor``), loads interleaved.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT / "tests"))

from livesite import bench_site  # noqa: E402
from matcloud.core.models import Role  # noqa: E402
from matcloud.discover.demo import load_demo_sections  # noqa: E402

SLUG = "demo-frameworks"
NUMERIC = ["density", "void_fraction", "surface_area", "pore_diameter", "heat_of_adsorption",
           "deliverable_capacity", "natoms"]  # fmt: skip
RANGES = {"void_fraction": (0.3, 0.95), "density": (0.05, 1.2), "surface_area": (500, 6000)}
WORDS = ["hcb", "dia", "2d", "3d", "demo-cof-01", "srs", "cof-4"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def queries(rng: random.Random) -> dict[str, dict[str, Any]]:
    (a, (a_lo, a_hi)), (b, (b_lo, b_hi)) = rng.sample(sorted(RANGES.items()), 2)
    return {
        "first page": {},
        "two range filters": {
            f"min_{a}": round(rng.uniform(a_lo, (a_lo + a_hi) / 2), 3),
            f"max_{b}": round(rng.uniform((b_lo + b_hi) / 2, b_hi), 3),
        },
        "text search": {"q": rng.choice(WORDS)},
        "sort descending": {"sort": "-" + rng.choice(NUMERIC)},
        "page 100": {"page": 100, "sort": rng.choice(NUMERIC)},
        "filter + sort + page 3": {
            f"min_{a}": round(rng.uniform(a_lo, (a_lo + a_hi) / 2), 3),
            "sort": "-" + rng.choice(NUMERIC),
            "page": 3,
        },
    }


def anchor_sql(params: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """The page and its count as SQL over the JSON rows (the anchor)."""
    where = ["section_slug = :slug"]
    bind: dict[str, Any] = {"slug": SLUG}
    for i, (name, value) in enumerate(sorted(params.items())):
        if name.startswith(("min_", "max_")):
            op = ">=" if name.startswith("min_") else "<="
            where.append(f"json_extract(\"values\", '$.{name[4:]}') {op} :v{i}")
            bind[f"v{i}"] = value
        elif name == "q":
            where.append(
                "lower(coalesce(json_extract(\"values\", '$.name'), '') || ' ' || "
                "coalesce(json_extract(\"values\", '$.topology'), '') || ' ' || "
                "coalesce(json_extract(\"values\", '$.dimensionality'), '')) LIKE :q"
            )
            bind["q"] = f"%{str(value).lower()}%"
    sort = params.get("sort")
    order = "position"
    if sort:
        column = sort.lstrip("-")
        order = (
            f"json_extract(\"values\", '$.{column}') IS NULL, "
            f"json_extract(\"values\", '$.{column}') {'DESC' if sort.startswith('-') else 'ASC'}, "
            "position"
        )
    page = int(params.get("page", 1))
    clause = " AND ".join(where)
    rows = (
        f'SELECT key, "values" FROM discover_rows WHERE {clause} ORDER BY {order} '  # noqa: S608
        f"LIMIT 25 OFFSET {(page - 1) * 25}"
    )
    count = f"SELECT count(*) FROM discover_rows WHERE {clause}"  # noqa: S608
    return rows, count, bind


#: The full plotly.js bundle, served in place of the page's scattergl-only one for the anchor.
FULL_PLOTLY = ROOT / "src" / "matcloud" / "web" / "static" / "vendor" / "plotly.min.js"
PARTIAL_PLOTLY = "**/vendor/plotly-scattergl.min.js"


def browser_loads(url: str, loads: int) -> dict[str, list[dict[str, float]]]:
    """``loads`` page loads with the page's own partial plotly bundle ("ours") and as many with
    the full bundle served in its place ("anchor"), interleaved, a fresh context each."""
    from playwright.sync_api import Route, sync_playwright

    def full(route: Route) -> None:
        route.fulfill(path=FULL_PLOTLY, content_type="application/javascript")

    found: dict[str, list[dict[str, float]]] = {"ours": [], "anchor": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for i in range(loads):
            for variant in ("ours", "anchor") if i % 2 == 0 else ("anchor", "ours"):
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                if variant == "anchor":
                    context.route(PARTIAL_PLOTLY, full)
                page = context.new_page()
                page.goto(url)
                page.wait_for_function(
                    "document.getElementById('discover-plot').dataset.ready === 'true'",
                    timeout=60_000,
                )
                timing = page.evaluate(
                    """() => {
                      const mark = (name) => performance.getEntriesByName(name)[0]?.startTime ?? -1;
                      return {
                        ready: mark("discover-drawn"),
                        dom: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
                        fetched: mark("discover-points"),
                        plotly: mark("discover-plotly"),
                        points: Number(document.getElementById('discover-plot').dataset.points),
                        traces: Object.keys(window.Plotly.PlotSchema.get().traces).length,
                      };
                    }"""
                )
                assert timing["points"] == 70_000, timing
                found[variant].append(timing)
                context.close()
        browser.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--browser-only", action="store_true", help="skip the API timings")
    args = parser.parse_args()
    settings, app, server = bench_site("discover-bench-")
    platform = app.state.platform
    auth = app.state.instance.auth
    for email, role in (("dep@bench.invalid", Role.USER), ("mod@bench.invalid", Role.MODERATOR)):
        auth.create_user(None, email, email.split("@")[0], password="x" * 16, role=role)
    started = time.perf_counter()
    for line in load_demo_sections(
        platform.archive,
        platform.discover,
        auth.get_user("dep@bench.invalid"),
        auth.get_user("mod@bench.invalid"),
        auth.first_admin(),
    ):
        print(line)
    print(f"publish + build: {time.perf_counter() - started:.1f} s")
    base = settings.base_url
    rng = random.Random(args.seed)
    with httpx.Client(base_url=base, timeout=60) as client:
        t0 = time.perf_counter()
        first = client.get(f"/api/discover/{SLUG}/rows")
        assert first.status_code == 200, first.text
        print(f"first request (loads the section into memory): "
              f"{(time.perf_counter() - t0) * 1000:.0f} ms")  # fmt: skip
        if args.browser_only:
            args.requests = 0
        ours: dict[str, list[float]] = {}
        anchor: dict[str, list[float]] = {}
        engine = app.state.instance.db.engine
        for _ in range(args.requests):
            for name, params in queries(rng).items():
                t = time.perf_counter()
                answer = client.get(f"/api/discover/{SLUG}/rows", params=params)
                ours.setdefault(name, []).append((time.perf_counter() - t) * 1000)
                assert answer.status_code == 200, answer.text
                sql, count, bind = anchor_sql(params)
                t = time.perf_counter()
                with engine.connect() as connection:
                    rows = connection.execute(text(sql), bind).all()
                    matched = connection.execute(text(count), bind).scalar_one()
                anchor.setdefault(name, []).append((time.perf_counter() - t) * 1000)
                body = answer.json()
                if "q" not in params:  # (the anchor's LIKE matches substrings across columns)
                    assert matched == body["matched"], (name, params, matched, body["matched"])
                    if not params.get("sort"):
                        assert [r[0] for r in rows] == [r["key"] for r in body["rows"]]
            params = {"axes": "void_fraction,deliverable_capacity,heat_of_adsorption"}
            if rng.random() < 0.5:
                params["min_void_fraction"] = str(round(rng.uniform(0.3, 0.8), 3))
            t = time.perf_counter()
            answer = client.get(f"/api/discover/{SLUG}/points", params=params)
            ours.setdefault("plot points (3 columns)", []).append((time.perf_counter() - t) * 1000)
            assert answer.status_code == 200
    print(f"\n{args.requests} requests per query; values drawn per request (seed {args.seed})\n")
    print("| query | ours p50 ms | ours p95 ms | anchor (SQL json_extract) p50 ms | p95 ms |")
    print("|---|---:|---:|---:|---:|")
    for name, times in ours.items():
        other = anchor.get(name)
        tail = (
            f"{statistics.median(other):.1f} | {percentile(other, 0.95):.1f}" if other else "- | -"
        )
        print(
            f"| {name} | {statistics.median(times):.1f} | {percentile(times, 0.95):.1f} | {tail} |"
        )
    timings = browser_loads(f"{base}/discover/{SLUG}", args.loads)
    for variant, label in (
        ("ours", "ours (plotly core + scattergl, 1.5 MB)"),
        ("anchor", "anchor (the full plotly.js bundle, 4.8 MB)"),
    ):
        found = timings[variant]
        ready = [t["ready"] for t in found]
        each = ", ".join(f"{r:.0f}" for r in ready)
        marks = ", ".join(
            f"{name} {statistics.median(t[name] for t in found):.0f}"
            for name in ("dom", "fetched", "plotly")
        )
        print(
            f"\n{label}: {found[0]['traces']} trace types; time to interactive (70,000 points "
            f"drawn), {args.loads} loads: median {statistics.median(ready):.0f} ms (each: {each}); "
            f"medians: DOMContentLoaded, points fetched, module start: {marks} ms"
        )
    server.should_exit = True


if __name__ == "__main__":
    main()
