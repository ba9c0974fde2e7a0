"""The phonon visualiser in a real browser: run the silicon example, see the dispersion, see
the default mode animate, click another branch and see that mode's animation start; the AlAs
example uploaded as matdyn.modes + its pw.x input.

Set ``MATCLOUD_SCREENSHOTS=/some/dir`` to keep screenshots of the pages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from livesite import LiveSite, screenshot

EXAMPLES = Path(__file__).parents[2] / "src" / "matcloud" / "work" / "data" / "phonons"


def _frames(page: Any) -> int:
    return int(page.locator("#mode-viewer").get_attribute("data-frames") or 0)


def _click_branch(page: Any, branch: int, fraction: float) -> None:
    """Click branch ``branch`` (0-based) at ``fraction`` of the path, where plotly draws it."""
    point = page.evaluate(
        """([branch, fraction]) => {
          const gd = document.getElementById("dispersion-plot");
          const trace = gd._fullData[branch];
          const i = Math.floor(fraction * (trace.x.length - 1));
          const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
          const box = gd.querySelector(".nsewdrag").getBoundingClientRect();
          return { x: box.left + xa.d2p(trace.x[i]), y: box.top + ya.d2p(trace.y[i]) };
        }""",
        [branch, fraction],
    )
    page.mouse.click(point["x"], point["y"])


def test_click_a_branch_and_watch_its_mode(live_site: LiveSite, browser_page: Any) -> None:
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_site.url}/work/phonons")
    page.select_option("#tool-example", "si-phonopy")
    page.click(".work-examples button[type=submit]")
    page.wait_for_url("**/work/phonons/results/*")
    page.locator("#dispersion-plot .main-svg").first.wait_for(timeout=30_000)
    # the default mode animates at once
    page.wait_for_function(
        "Number(document.getElementById('mode-viewer').dataset.frames || 0) > 3", timeout=30_000
    )
    info = page.locator("[data-testid=mode-info]")
    first = info.inner_text()
    assert "Branch 6" in first and "THz" in first
    before = page.locator("#mode-viewer").get_attribute("data-mode")
    _click_branch(page, 0, 0.3)  # the lowest (acoustic) branch, a third along the path
    page.wait_for_function(
        "document.querySelector('[data-testid=mode-info]').dataset.branch === '0'",
        timeout=15_000,
    )
    assert "Branch 1" in info.inner_text()
    after = page.locator("#mode-viewer").get_attribute("data-mode")
    assert after != before
    counted = _frames(page)
    page.wait_for_function(
        f"Number(document.getElementById('mode-viewer').dataset.frames || 0) > {counted + 3}",
        timeout=15_000,
    )
    # units and controls
    page.check("input[name=unit][value='cm-1']")
    page.wait_for_function(
        "document.querySelector('#dispersion-plot .ytitle').textContent.includes('cm')"
    )
    viewer = page.locator("#mode-viewer")
    assert viewer.get_attribute("data-atoms") == str(2 * 3**3)  # 3x3x3 by default
    page.select_option("select[name=repeat]", "2")
    page.wait_for_function("document.getElementById('mode-viewer').dataset.atoms === '16'")
    page.locator("input[name=amplitude]").fill("2.5")
    page.locator("input[name=speed]").fill("10")
    page.uncheck("input[name=arrows]")
    page.wait_for_function("document.getElementById('mode-viewer').dataset.arrows === 'false'")
    assert viewer.get_attribute("data-amplitude") == "2.5"
    assert viewer.get_attribute("data-visible-arrows") == "0"
    assert viewer.get_attribute("data-frame-duration") == "22"
    screenshot(page, "phonons-si")
    assert not errors, errors


def test_matdyn_modes_with_its_pw_input(
    live_site: LiveSite, browser_page: Any, tmp_path: Path
) -> None:
    page = browser_page
    page.goto(f"{live_site.url}/work/phonons")
    page.set_input_files("#tool-file", str(EXAMPLES / "alas-matdyn.modes"))
    page.set_input_files("#tool-companion", str(EXAMPLES / "alas-scf.in"))
    page.click(".work-form button[type=submit]")
    page.wait_for_url("**/work/phonons/results/*")
    assert "AlAs" in page.locator(".work-summary").inner_text()
    page.wait_for_function(
        "Number(document.getElementById('mode-viewer').dataset.frames || 0) > 3", timeout=30_000
    )
    page.locator("#dispersion-plot .xtick").first.wait_for(timeout=30_000)
    ticks = page.locator("#dispersion-plot .xtick text").all_text_contents()
    assert "Γ" in ticks and "X" in ticks
    screenshot(page, "phonons-alas")
    # without the pw.x file: the form says what is missing
    page.goto(f"{live_site.url}/work/phonons")
    page.set_input_files("#tool-file", str(EXAMPLES / "alas-matdyn.modes"))
    page.click(".work-form button[type=submit]")
    assert "pw.x" in page.locator("#tool-error").inner_text()
