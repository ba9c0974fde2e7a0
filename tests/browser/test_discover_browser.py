"""The demo sections in a real browser. The 70,000-row one: the plot draws every point, a
filter narrows plot and table together, a click on a point opens that material's ID card, the
table sorts on the server. The ID-card one: a filter, a click on a point, the card's structure,
bands and phonons, a provenance link into EXPLORE.

Set ``MATCLOUD_SCREENSHOTS=/some/dir`` to keep screenshots of the pages.
"""

from __future__ import annotations

import io
from typing import Any

import httpx

from archive_helpers import metadata
from discover_helpers import PHONON_EXAMPLES, PHONON_SPEC
from livesite import LiveSite, screenshot
from matcloud.core.instance import Instance
from matcloud.core.models import Role
from matcloud.discover.demo import load_demo_sections
from matcloud.platform import Platform
from work_data import SI

SLUG = "demo-frameworks"


def build_demo(site: LiveSite) -> None:
    instance = Instance.open(site.settings.model_copy(update={"job_queue": "immediate"}))
    try:
        platform = Platform.build(instance)
        auth = instance.auth
        auth.create_user(None, "dep@example.org", "Dep", password="x" * 12, role=Role.USER)
        auth.create_user(None, "mod@example.org", "Mod", password="x" * 12, role=Role.MODERATOR)
        depositor, moderator = auth.get_user("dep@example.org"), auth.get_user("mod@example.org")
        list(load_demo_sections(platform.archive, platform.discover, depositor, moderator,
                                auth.first_admin()))  # fmt: skip
        platform.close()
    finally:
        instance.close()


def _points(page: Any) -> int:
    return int(page.locator("#discover-plot").get_attribute("data-points") or -1)


def test_filter_the_plot_and_open_a_card(live_site: LiveSite, browser_page: Any) -> None:
    build_demo(live_site)
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_site.url}/discover/{SLUG}")
    page.wait_for_function(
        "document.getElementById('discover-plot').dataset.ready === 'true'", timeout=60_000
    )
    assert _points(page) == 70_000
    assert "70,000 of 70,000" in page.locator("#discover-status").inner_text()
    screenshot(page, "discover-section", phone_too=True)

    page.fill("input[name=min_void_fraction]", "0.9")
    page.fill("input[name=max_density]", "0.15")
    page.wait_for_function(
        "Number(document.getElementById('discover-plot').dataset.points) < 70000"
    )
    expected = httpx.get(
        f"{live_site.url}/api/discover/{SLUG}/rows",
        params={"min_void_fraction": 0.9, "max_density": 0.15, "size": 1},
    ).json()["matched"]
    page.wait_for_function(
        f"document.getElementById('discover-plot').dataset.points === '{expected}'"
    )
    assert 0 < expected < 70_000
    assert "min_void_fraction=0.9" in page.url  # the view is in the URL
    first = page.locator("#discover-rows tbody tr").first.inner_text()

    page.click("button.sort[data-sort=deliverable_capacity]")
    page.click("button.sort[data-sort=deliverable_capacity]")  # again: descending
    page.wait_for_function(
        "document.querySelector('th[aria-sort=descending] button[data-sort=deliverable_capacity]')"
    )
    top = httpx.get(
        f"{live_site.url}/api/discover/{SLUG}/rows",
        params={"min_void_fraction": 0.9, "max_density": 0.15, "size": 1,
                "sort": "-deliverable_capacity"},
    ).json()["rows"][0]["key"]  # fmt: skip
    page.wait_for_function(
        f"document.querySelector('#discover-rows tbody tr').innerText.includes('{top}')"
    )
    assert page.locator("#discover-rows tbody tr").first.inner_text() != first or top in first

    point = page.evaluate(
        """() => {
          const gd = document.getElementById("discover-plot");
          const trace = gd._fullData[0];
          const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
          const box = gd.querySelector(".nsewdrag").getBoundingClientRect();
          return { x: box.left + xa.d2p(trace.x[0]), y: box.top + ya.d2p(trace.y[0]),
                   key: trace.customdata[0] };
        }"""
    )
    page.mouse.move(point["x"], point["y"])
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url(f"**/discover/{SLUG}/demo-cof-*", timeout=15_000)
    assert page.locator("h1").inner_text().startswith("demo-cof-")
    assert "Deliverable capacity" in page.locator("[data-testid=properties]").inner_text()
    screenshot(page, "discover-card")
    assert not errors, errors


def test_filter_click_a_point_and_follow_the_provenance(
    live_site: LiveSite, browser_page: Any
) -> None:
    """The ID-card demo (real pw.x and ph.x runs by AiiDA): filter, click a point, see the
    card's structure, bands and phonons drawn, follow a value's provenance into EXPLORE."""
    build_demo(live_site)
    slug = "demo-idcards"
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_site.url}/discover/{slug}")
    page.wait_for_function(
        "document.getElementById('discover-plot').dataset.ready === 'true'", timeout=60_000
    )
    assert _points(page) == 5
    page.fill("input[name=min_band_gap]", "1")
    page.wait_for_function("document.getElementById('discover-plot').dataset.points === '3'")
    diamond = httpx.get(
        f"{live_site.url}/api/discover/{slug}/rows", params={"q": "Diamond"}
    ).json()["rows"][0]["key"]
    point = page.evaluate(
        """(key) => {
          const gd = document.getElementById("discover-plot");
          const trace = gd._fullData[0];
          const i = trace.customdata.indexOf(key);
          const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
          const box = gd.querySelector(".nsewdrag").getBoundingClientRect();
          return { x: box.left + xa.d2p(trace.x[i]), y: box.top + ya.d2p(trace.y[i]), i };
        }""",
        diamond,
    )
    assert point["i"] >= 0  # diamond (LDA gap 4.1 eV) passes the filter
    page.mouse.move(point["x"], point["y"])
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url(f"**/discover/{slug}/{diamond}", timeout=15_000)
    assert page.locator("h1").inner_text() == "Diamond"
    page.wait_for_function(
        "document.getElementById('card-structure').dataset.atoms === '2'", timeout=30_000
    )
    for box in ("card-bands", "card-phonons"):
        page.wait_for_function(
            f"document.getElementById('{box}').dataset.ready === 'true'", timeout=30_000
        )
    assert "branches along" in page.locator("#phonons-status").inner_text()
    assert "Frequency (THz)" in page.locator("#card-phonons").inner_text()
    screenshot(page, "discover-card-idcards")
    link = page.locator("tr:has(th:text('Band gap')) a.provenance")
    target = link.get_attribute("href")
    link.click()
    page.wait_for_url(f"**{target}")
    assert "/explore/" in page.url and "/nodes/" in page.url
    main = page.locator("main").inner_text()
    assert "Dict" in main and "band_gap" in main and "pw_bands" in main
    assert not errors, errors


def test_a_phonon_file_is_drawn_on_its_card(live_site: LiveSite, browser_page: Any) -> None:
    """A table section whose rows name phonopy band.yaml files: the card draws the dispersion
    read from the file, and hands the file to the phonon visualiser."""
    band = (PHONON_EXAMPLES / "si-phonopy-band.yaml").read_bytes()
    files = {
        "phonons.csv": b"name,structure,phonons\nsilicon,Si.vasp,si-band.yaml\n",
        "Si.vasp": SI,
        "si-band.yaml": band,
    }
    instance = Instance.open(live_site.settings.model_copy(update={"job_queue": "immediate"}))
    try:
        platform = Platform.build(instance)
        auth = instance.auth
        auth.create_user(None, "dep@example.org", "Dep", password="x" * 12, role=Role.USER)
        auth.create_user(None, "mod@example.org", "Mod", password="x" * 12, role=Role.MODERATOR)
        depositor, moderator = auth.get_user("dep@example.org"), auth.get_user("mod@example.org")
        archive = platform.archive
        draft = archive.drafts.create(depositor, {"metadata": metadata()})
        for key, data in files.items():
            archive.files.init(depositor, draft["id"], [{"key": key}])
            archive.files.put_content(depositor, draft["id"], key, io.BytesIO(data), None)
            archive.files.commit(depositor, draft["id"], key)
        published = archive.publisher.publish(moderator, draft["id"])
        platform.discover.add(auth.first_admin(), PHONON_SPEC.replace("RECORD", published["id"]))
        platform.close()
    finally:
        instance.close()
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_site.url}/discover/phonon-files/silicon")
    page.wait_for_function(
        "document.getElementById('card-phonons').dataset.ready === 'true'", timeout=30_000
    )
    assert "6 branches along Γ" in page.locator("#phonons-status").inner_text()
    screenshot(page, "discover-card-phonon-file")
    page.click("text=Animate the modes")
    page.wait_for_url("**/work/phonons/results/**", timeout=30_000)
    assert not errors, errors
