"""Depositor -> moderator -> reader, in one browser: the ARCHIVE as people use it.

Deposit with a file, submit; the moderator asks for changes; the depositor fixes and resubmits;
the moderator accepts; a reader (signed out) finds the record by search and downloads the file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from livesite import LiveSite
from matcloud.core.auth import AuthService
from matcloud.core.db import Database
from matcloud.core.models import Role

MODERATOR = "moderator@example.org"


def sign_in(page: Any, site: LiveSite, email: str) -> None:
    page.goto(site.url + "/signin")
    page.fill("#email", email)
    page.fill("#password", site.password)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url("**/account")


def sign_out(page: Any) -> None:
    page.click(".account-menu summary")
    page.click("#signout")
    page.wait_for_url("**/")


def tick_and_submit(page: Any) -> None:
    from playwright.sync_api import expect

    boxes = page.locator("#criteria input[type=checkbox]")
    expect(boxes).to_have_count(5)
    for box in boxes.all():
        box.check()
    page.click("#submit-review")
    expect(page.locator("#deposit-badge")).to_have_text("In review")


def test_depositor_moderator_reader(live_site: LiveSite, browser_page: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    db = Database(live_site.settings.resolved_database_url)
    try:
        AuthService(db).create_user(
            None, MODERATOR, "Mo Derator", password=live_site.password, role=Role.MODERATOR
        )
    finally:
        db.dispose()
    page = browser_page
    data = tmp_path / "energies.csv"
    data.write_text("strain,energy_eV\n0.00,-10.85\n0.01,-10.84\n")

    # the depositor deposits
    sign_in(page, live_site, live_site.user_email)
    page.goto(live_site.url + "/uploads/new")
    page.fill("#title", "Strain energies of tellurium nanowires")
    creator = page.locator("#creators-list > li").first
    creator.locator("[data-key=given_name]").fill("Ada")
    creator.locator("[data-key=family_name]").fill("Lovelace")
    page.fill("#description", "Total energies of Te nanowires under uniaxial strain (PBE).")
    page.fill("#keyword-input", "tellurium")
    page.press("#keyword-input", "Enter")
    page.locator("#references-list > li").first.locator("[data-key=identifier]").fill(
        "10.1038/s41597-020-00637-5"
    )
    page.click("#save-draft")
    page.wait_for_url(re.compile(r"/uploads/\d{4}\.\d+v1$"))
    record_id = page.url.rsplit("/", 1)[1]
    page.set_input_files("#file-input", [str(data)])
    row = page.locator('#files-list li.file[data-key="energies.csv"]')
    expect(row).to_have_attribute("data-status", "completed", timeout=30_000)
    tick_and_submit(page)
    request_url = page.locator("#request-link").get_attribute("href")
    assert request_url and request_url.startswith("/requests/")
    sign_out(page)

    # the moderator asks for changes
    sign_in(page, live_site, MODERATOR)
    page.goto(live_site.url + "/requests")
    page.click("text=Strain energies of tellurium nanowires")
    page.wait_for_url(f"**{request_url}")
    page.fill("#comment-content", "Please name the **functional** and the code in the description.")
    page.click("#changes-button")
    page.wait_for_url(f"**{request_url}")
    expect(page.locator(".request-status")).to_contain_text("hanges requested")
    sign_out(page)

    # the depositor sees the comment, fixes the description and resubmits
    sign_in(page, live_site, live_site.user_email)
    page.goto(live_site.url + request_url)
    expect(page.locator(".event-body strong").last).to_have_text("functional")
    page.goto(f"{live_site.url}/uploads/{record_id}")
    page.fill(
        "#description",
        "Total energies of Te nanowires under uniaxial strain, PBE functional, Quantum ESPRESSO.",
    )
    page.click("#save-draft")
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")
    tick_and_submit(page)
    sign_out(page)

    # the moderator accepts
    sign_in(page, live_site, MODERATOR)
    page.goto(live_site.url + request_url)
    page.click("#accept-button")
    page.wait_for_url(f"**{request_url}")
    expect(page.locator(".request-status")).to_contain_text("Accepted")
    sign_out(page)

    # a reader finds the record and downloads the file
    page.goto(live_site.url + "/records")
    page.fill(".records-search input[name=q]", "tellurium nanowires")
    page.click(".records-search button[type=submit]")
    cards = page.locator(".record-card h3")
    expect(cards).to_have_text(["Strain energies of tellurium nanowires"])
    cards.first.locator("a").click()
    page.wait_for_url(re.compile(r"/records/\d{4}\.\d+"))
    expect(page.locator(".record-description")).to_contain_text("Quantum ESPRESSO")
    expect(page.locator(".record-ids .doi-badge").first).to_be_visible()
    with page.expect_download() as info:
        page.locator(".files-table td.file-get a").first.click()
    download = info.value
    saved = tmp_path / "downloaded.csv"
    download.save_as(saved)
    assert saved.read_bytes() == data.read_bytes()
    assert download.suggested_filename == "energies.csv"


def test_an_orcid_fills_in_the_creator(live_site: LiveSite, browser_page: Any) -> None:
    from playwright.sync_api import expect

    db = Database(live_site.settings.resolved_database_url)
    try:
        AuthService(db).create_user(
            None,
            "grace@example.org",
            "Grace Hopper",
            password=live_site.password,
            orcid="0000-0002-1825-0097",
        )
    finally:
        db.dispose()
    page = browser_page
    sign_in(page, live_site, live_site.user_email)
    page.goto(live_site.url + "/uploads/new")
    creator = page.locator("#creators-list > li").first
    creator.locator("[data-key=orcid]").fill("https://orcid.org/0000-0002-1825-0097")
    creator.locator("[data-key=orcid]").press("Tab")
    expect(creator.locator("[data-key=given_name]")).to_have_value("Grace")
    expect(creator.locator("[data-key=family_name]")).to_have_value("Hopper")
    expect(creator.locator(".orcid-found")).to_contain_text("Found Grace Hopper")
