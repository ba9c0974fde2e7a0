"""The LEARN player in a real browser, on the demo lecture (its timings found in its video):
playing and seeking change the slide; a thumbnail seeks the video; ← / → step through the
slides; ``?slide=3`` opens at slide 3. And the timing editor: scrub, mark, save.

Set ``MATCLOUD_SCREENSHOTS=/some/dir`` to keep screenshots of the pages.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from learn_helpers import MISSING
from livesite import LiveSite, screenshot
from matcloud.core.instance import Instance
from matcloud.core.models import Role
from matcloud.learn.demo import load_demo_lecture
from matcloud.platform import Platform

pytestmark = pytest.mark.skipif(bool(MISSING), reason="needs Debian's ffmpeg and poppler-utils")


def add_demo(site: LiveSite) -> dict[str, Any]:
    instance = Instance.open(site.settings.model_copy(update={"job_queue": "immediate"}))
    try:
        platform = Platform.build(instance)
        lines = list(load_demo_lecture(platform.learn, instance.auth.first_admin()))
        assert "slide changes found" in lines[-1], lines
        slug = lines[-1].split()[2].rsplit("/", 1)[-1].rstrip(":")
        lecture = platform.learn.lecture(slug)
        platform.close()
    finally:
        instance.close()
    return lecture


def shown(page: Any) -> int:
    return int(page.locator("#learn-slide").get_attribute("data-slide") or 0)


def current_time(page: Any) -> float:
    return float(page.evaluate("document.getElementById('learn-video').currentTime"))


def test_the_slide_follows_the_video(live_site: LiveSite, browser_page: Any) -> None:
    lecture = add_demo(live_site)
    timings = lecture["timings"]
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_site.url}{lecture['url']}")
    page.wait_for_function(
        "document.getElementById('learn-player').dataset.ready === 'true'", timeout=30_000
    )
    assert shown(page) == timings[0][1] + 1
    # play: the time moves on
    page.evaluate("const v = document.getElementById('learn-video'); v.muted = true; v.play()")
    page.wait_for_function(
        "document.getElementById('learn-video').currentTime > 0.5", timeout=20_000
    )
    page.evaluate("document.getElementById('learn-video').pause()")
    # seek into the fourth segment: its slide is shown
    start, slide = timings[3]
    page.evaluate(f"document.getElementById('learn-video').currentTime = {start + 0.6}")
    page.wait_for_function(
        f"document.getElementById('learn-slide').dataset.slide === '{slide + 1}'"
    )
    screenshot(page, "learn-player", phone_too=True)
    # a thumbnail: the video jumps to the first time its slide is shown
    target_start, target = timings[2]
    page.click(f"button[data-slide='{target + 1}']")
    page.wait_for_function(
        f"Math.abs(document.getElementById('learn-video').currentTime - {target_start}) < 0.3"
    )
    assert shown(page) == target + 1
    assert page.locator(f"button[data-slide='{target + 1}']").get_attribute("aria-current")
    # the keys: next and previous segment
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        f"Math.abs(document.getElementById('learn-video').currentTime - {timings[3][0]}) < 0.3"
    )
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(
        f"Math.abs(document.getElementById('learn-video').currentTime - {target_start}) < 0.3"
    )
    assert "t=" in page.url  # the address follows, to share the moment
    # a slide never shown in the video cannot be chosen
    skipped = [s["number"] for s in lecture["slides"] if not s["starts"]]
    assert skipped and page.locator(f"button[data-slide='{skipped[0]}']").is_disabled()
    assert not errors, errors


def test_a_slide_link_opens_at_that_slide(live_site: LiveSite, browser_page: Any) -> None:
    lecture = add_demo(live_site)
    slide3 = next(s for s in lecture["slides"] if s["number"] == 3)
    assert slide3["starts"]
    page = browser_page
    page.goto(f"{live_site.url}{lecture['url']}?slide=3")
    page.wait_for_function(
        "document.getElementById('learn-player').dataset.ready === 'true'", timeout=30_000
    )
    assert shown(page) == 3
    assert abs(current_time(page) - slide3["starts"][0]) < 0.3
    assert "Slide 3 of 8" in page.locator("#learn-slide-label").inner_text()
    later = lecture["timings"][-1][0] + 1
    page.goto(f"{live_site.url}{lecture['url']}?t={later:.0f}")
    page.wait_for_function(
        "document.getElementById('learn-player').dataset.ready === 'true'", timeout=30_000
    )
    assert shown(page) == lecture["timings"][-1][1] + 1


def test_the_timing_editor(live_site: LiveSite, browser_page: Any) -> None:
    """Scrub the video, choose a slide, press "Slide starts here", save."""
    lecture = add_demo(live_site)
    instance = Instance.open(live_site.settings)
    try:
        instance.auth.create_user(
            None, "root@example.org", "Root", password=live_site.password, role=Role.ADMIN
        )
    finally:
        instance.close()
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live_site.url + "/signin")
    page.fill("#email", "root@example.org")
    page.fill("#password", live_site.password)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url("**/account")
    page.goto(f"{live_site.url}{lecture['url']}/timings")
    page.wait_for_function(
        "document.getElementById('learn-timings').dataset.ready === 'true'", timeout=30_000
    )
    rows = page.locator("#learn-rows tbody tr")
    assert rows.count() == len(lecture["timings"])
    page.wait_for_function("document.getElementById('learn-video').readyState >= 1")
    page.evaluate("document.getElementById('learn-video').currentTime = 31.4")
    page.wait_for_function(
        "Math.abs(document.getElementById('learn-video').currentTime - 31.4) < 0.05"
    )
    page.select_option("#learn-page", "7")  # slide 8
    page.click("#learn-mark")
    assert rows.count() == len(lecture["timings"]) + 1
    screenshot(page, "learn-timings")
    page.click("#learn-save")
    page.wait_for_function(
        "document.getElementById('learn-status').textContent.startsWith('Saved')"
    )
    saved = httpx.get(f"{live_site.url}/api/learn/lectures/{lecture['slug']}").json()
    assert [31.4, 7] in saved["timings"] and saved["timings_source"] == "edited"
    assert not errors, errors
