"""The shell in a real browser: what a person sees and does."""

from __future__ import annotations

from typing import Any

from livesite import LiveSite

NAV = ["LEARN", "WORK", "DISCOVER", "EXPLORE", "ARCHIVE"]


def sign_in(page: Any, site: LiveSite, password: str | None = None) -> None:
    page.goto(site.url + "/signin")
    page.fill("#email", site.user_email)
    page.fill("#password", password or site.password)
    page.click("form.stacked button[type=submit]")


def test_home_page_renders_the_five_sections(live_site: LiveSite, browser_page: Any) -> None:
    page = browser_page
    page.goto(live_site.url + "/")
    assert page.locator(".site-nav a").all_inner_texts() == NAV
    cards = page.locator(".section-card")
    assert cards.count() == 5
    assert page.locator(".section-card .card-kicker").all_inner_texts() == NAV
    for card in cards.all():
        assert card.is_visible()
        box = card.bounding_box()
        assert box is not None and box["width"] > 150 and box["height"] > 100
    # the stylesheet really applied (served by us, no CDN)
    color = page.evaluate("getComputedStyle(document.querySelector('.card-learn')).borderTopColor")
    assert color == "rgb(123, 63, 160)"
    page.click("text=LEARN")
    assert page.url.endswith("/learn")
    assert page.locator("text=Nothing is published here yet").is_visible()
    page.click("text=Browse lectures")
    assert page.url.endswith("/learn/lectures")
    page.click("text=EXPLORE")
    assert page.url.endswith("/explore")
    page.click("text=Browse AiiDA archives")
    assert page.url.endswith("/explore/archives")


def test_sign_in_and_sign_out(live_site: LiveSite, browser_page: Any) -> None:
    page = browser_page
    sign_in(page, live_site)
    page.wait_for_url("**/account")
    assert page.locator("h1").inner_text() == "Your account"
    assert page.locator(".account-menu summary").inner_text().startswith("Ada Lovelace")
    page.click(".account-menu summary")
    page.click("#signout")
    page.wait_for_url(live_site.url + "/")
    assert page.locator(".account-menu a", has_text="Sign in").is_visible()
    page.goto(live_site.url + "/account")
    assert page.locator("h1").inner_text() == "Sign-in required"


def test_a_forged_csrf_token_is_rejected(live_site: LiveSite, browser_page: Any) -> None:
    page = browser_page
    page.goto(live_site.url + "/signin")
    page.eval_on_selector("input[name=csrf_token]", "el => el.value = '0'.repeat(64)")
    page.fill("#email", live_site.user_email)
    page.fill("#password", live_site.password)
    page.click("form.stacked button[type=submit]")
    assert page.locator(".error-code").inner_text() == "403"
    assert "CSRF" in page.locator("main").inner_text()
    page.goto(live_site.url + "/account")
    assert page.locator("h1").inner_text() == "Sign-in required"


def test_five_wrong_passwords_trigger_the_rate_limit(
    live_site: LiveSite, browser_page: Any
) -> None:
    page = browser_page
    for _ in range(5):
        sign_in(page, live_site, password="not the password")
        assert "is wrong" in page.locator("#signin-error").inner_text()
    sign_in(page, live_site)  # the right password, too late
    assert "Too many failed sign-ins" in page.locator("#signin-error").inner_text()
    assert page.url.endswith("/signin")


def test_create_an_api_token(live_site: LiveSite, browser_page: Any) -> None:
    page = browser_page
    sign_in(page, live_site)
    page.wait_for_url("**/account")
    page.fill("#token-name", "laptop")
    page.click("text=Create token")
    secret = page.locator("#new-token").inner_text()
    assert secret.startswith("mct_")
    page.goto(live_site.url + "/account")
    assert page.locator("#new-token").count() == 0
    assert "laptop" in page.locator("table").inner_text()


def test_small_screens_get_a_usable_layout(live_site: LiveSite, browser_page: Any) -> None:
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_site.url + "/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    cards = page.locator(".section-card").all()
    boxes = [c.bounding_box() for c in cards]
    assert all(b is not None and b["width"] > 300 for b in boxes)  # one column
    assert page.locator("#site-search-q").is_visible()
