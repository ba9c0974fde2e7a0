"""The structure search page in a real browser: the periodic table writes the filter, the filter
box writes the table back, results show, a row opens in 3D (WEAS), and a bad filter puts the
caret where the parser stopped.

Set ``MATCLOUD_SCREENSHOTS=/some/dir`` to keep screenshots of each page (desktop and 390 px).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from archive_helpers import PASSWORD, metadata, publish_via_review, upload
from livesite import LiveSite, screenshot
from matcloud.core.instance import Instance
from matcloud.core.models import Role
from matcloud.settings import Settings

DEMO = Path(__file__).resolve().parents[2] / "src" / "matcloud" / "archive" / "demo_files"
#: Idealised beta-cristobalite: the one structure here with both Si and O.
SIO2 = b"""SiO2 cristobalite (idealised)
1.0
 7.16 0 0
 0 7.16 0
 0 0 7.16
Si O
8 16
Direct
0 0 0
0 0.5 0.5
0.5 0 0.5
0.5 0.5 0
0.25 0.25 0.25
0.25 0.75 0.75
0.75 0.25 0.75
0.75 0.75 0.25
0.125 0.125 0.125
0.125 0.625 0.625
0.625 0.125 0.625
0.625 0.625 0.125
0.875 0.875 0.875
0.875 0.375 0.375
0.375 0.875 0.375
0.375 0.375 0.875
0.375 0.125 0.875
0.125 0.375 0.875
0.875 0.625 0.375
0.625 0.875 0.375
0.125 0.875 0.375
0.875 0.125 0.375
0.625 0.375 0.875
0.375 0.625 0.875
"""


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Indexing runs at once: the server of these tests has no worker."""
    return settings.model_copy(update={"job_queue": "immediate"})


@pytest.fixture
def structures(live_site: LiveSite) -> Iterator[LiveSite]:
    """The live site with Si, MoS2 (one record) and SiO2 (another) published."""
    instance = Instance.open(live_site.settings)
    tokens = {}
    try:
        for email, role in [("owner@example.org", Role.USER), ("mod@example.org", Role.MODERATOR)]:
            instance.auth.create_user(
                None, email, email.split("@")[0], password=PASSWORD, role=role
            )
            tokens[email] = {
                "Authorization": f"Bearer {instance.auth.create_token(None, email, 'tests').secret}"
            }
    finally:
        instance.close()
    owner, moderator = tokens["owner@example.org"], tokens["mod@example.org"]
    with httpx.Client(base_url=live_site.url, timeout=30) as api:
        for title, files in [
            ("Silicon and MoS2", {n: (DEMO / n).read_bytes() for n in ("Si.cif", "MoS2.vasp")}),
            ("Cristobalite", {"SiO2.vasp": SIO2}),
        ]:
            created = api.post(
                "/api/records", json={"metadata": metadata(title=title)}, headers=owner
            )
            record_id = created.json()["id"]
            for key, data in files.items():
                upload(api, owner, record_id, key, data)  # type: ignore[arg-type]
            publish_via_review(api, owner, moderator, record_id)  # type: ignore[arg-type]
    yield live_site


def test_pick_elements_search_and_open_a_structure_in_3d(
    structures: LiveSite, browser_page: Any
) -> None:
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{structures.url}/optimade/search")
    assert page.locator(".structure-row").count() == 3

    page.click('.pt-el[value="Si"]')
    page.click('.pt-el[value="O"]')
    box = page.locator("#optimade-filter")
    assert box.input_value() == 'elements HAS ALL "O","Si"'
    assert page.locator('.pt-el[value="O"]').get_attribute("aria-pressed") == "true"
    assert page.locator("#picker-selected").inner_text() == "Chosen: O, Si"

    page.click(".filter-submit")
    page.wait_for_url("**/optimade/search?filter=elements+HAS+ALL*")
    assert "previous=" not in page.url and "mode=" not in page.url  # the plain URL
    rows = page.locator(".structure-row")
    assert rows.count() == 1
    assert "O2Si" in rows.first.locator(".formula").inner_text().replace("\n", "")
    assert rows.first.locator(".source a").inner_text() == "Cristobalite"
    assert page.locator('.pt-el[value="Si"]').get_attribute("aria-pressed") == "true"

    # 3D: fetched from the API on demand, one preview at a time
    button = rows.first.locator(".preview-button")
    assert button.is_visible()
    button.click()
    canvas = page.locator(".preview-row .structure-viewer canvas").first
    canvas.wait_for(state="visible", timeout=20_000)
    box_size = canvas.bounding_box()
    assert box_size is not None and box_size["width"] > 200 and box_size["height"] > 200
    assert "24 atoms" in page.locator(".preview-row .structure-status").inner_text()
    assert button.get_attribute("aria-expanded") == "true"
    screenshot(page, "optimade-results", phone_too=True)
    button.click()
    assert page.locator(".preview-row").count() == 0
    assert not errors, errors


def test_the_filter_box_and_the_table_follow_each_other(
    structures: LiveSite, browser_page: Any
) -> None:
    page = browser_page
    page.goto(f"{structures.url}/optimade/search")
    box = page.locator("#optimade-filter")

    box.fill('elements HAS ANY "Mo","S" AND nsites<=3')
    assert page.locator('.pt-el[value="Mo"]').get_attribute("aria-pressed") == "true"
    assert page.locator('input[name="mode"][value="any"]').is_checked()
    assert page.locator('input[name="nsites_max"]').input_value() == "3"
    assert page.locator("#picker-note").is_hidden()

    box.fill('chemical_formula_reduced STARTS WITH "Mo"')
    assert page.locator("#picker-note").is_visible()  # the table cannot say that

    # the keyboard: one tab stop, arrows move as the table is laid out, Space toggles
    page.locator('.pt-el[value="Si"]').focus()
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.value") == "P"
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.value") == "N"
    page.keyboard.press("Space")
    assert box.input_value() == 'elements HAS ALL "N"'
    page.keyboard.press("Enter")  # an element button: toggles again, does not submit
    assert box.input_value() == ""
    assert page.locator('.pt-el[tabindex="0"]').count() == 1

    # sort by sites, through the select (it submits on change)
    page.select_option("#structure-sort", "-nsites")
    page.wait_for_url("**sort=-nsites*")
    sites = page.locator(".structure-row td.num-col").all_inner_texts()
    assert sites == ["24", "8", "3"]


def test_a_bad_filter_shows_the_message_and_puts_the_caret_there(
    structures: LiveSite, browser_page: Any
) -> None:
    page = browser_page
    response = page.goto(f'{structures.url}/optimade/search?filter=elements has all "Si"')
    assert response is not None and response.status == 400
    alert = page.locator("#filter-error")
    assert alert.is_visible()
    assert "character 10" in alert.inner_text()
    assert page.evaluate("document.activeElement.id") == "optimade-filter"
    assert page.evaluate("document.activeElement.selectionStart") == 9
    screenshot(page, "optimade-error", phone_too=True)
    page.click(".filter-fixes a")
    page.wait_for_url("**filter=elements+HAS+ALL*")
    assert page.locator(".structure-row").count() == 2
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
