"""The deposit form in a real browser: fill, save, upload (single and multipart), resume, submit."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from livesite import LiveSite
from matcloud.settings import Settings

MIB = 1024 * 1024
ORCID = "0000-0002-1825-0097"
DOI = "10.1038/s41597-020-00637-5"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A smaller limit per record, so that a file over it is quick to make."""
    return settings.model_copy(update={"max_record_bytes": 64 * MIB})


def sign_in(page: Any, site: LiveSite) -> None:
    page.goto(site.url + "/signin")
    page.fill("#email", site.user_email)
    page.fill("#password", site.password)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url("**/account")


def new_draft(page: Any, site: LiveSite, title: str) -> str:
    """Open the empty form, type a title, save: the draft is created and the URL names it."""
    page.goto(site.url + "/uploads/new")
    page.fill("#title", title)
    page.click("#save-draft")
    page.wait_for_url(re.compile(r"/uploads/\d{4}\.\d+v1$"))
    record_id: str = page.url.rsplit("/", 1)[1]
    return record_id


def part_puts(page: Any) -> list[str]:
    """Part numbers of every multipart PUT the page sends from now on (retries included)."""
    seen: list[str] = []

    def note(request: Any) -> None:
        match = re.search(r"/content/(\d+)$", request.url)
        if request.method == "PUT" and match:
            seen.append(match.group(1))

    page.on("request", note)
    return seen


def expect_completed(page: Any, key: str) -> Any:
    from playwright.sync_api import expect

    row = page.locator(f'#files-list li.file[data-key="{key}"]')
    expect(row).to_have_attribute("data-status", "completed", timeout=90_000)
    expect(row.locator("progress.file-progress")).to_have_attribute("value", "100")
    expect(row.locator(".file-percent")).to_have_text("100%")
    return row


def test_deposit_upload_and_submit_for_review(
    live_site: LiveSite, browser_page: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    sign_in(page, live_site)
    page.goto(live_site.url + "/uploads/new")
    expect(page.locator("h1")).to_have_text("New upload")
    expect(page.locator("#save-status")).to_have_text(re.compile("Not saved yet"))

    page.fill("#title", "Phonons of silicon from DFPT")
    creator = page.locator("#creators-list > li").first
    creator.locator("[data-key=given_name]").fill("Ada")
    creator.locator("[data-key=family_name]").fill("Lovelace")
    creator.locator("[data-key=orcid]").fill(ORCID)
    creator.locator("[data-subrow] [data-key=name]").fill("EPFL")
    creator.locator("[data-subrow] [data-key=id]").fill("02s376052")
    page.fill(
        "#description",
        "Phonon dispersions of bulk silicon computed with DFPT in Quantum ESPRESSO.",
    )
    assert page.input_value("#licence") == "cc-by-4.0"
    page.fill("#keyword-input", "phonons")
    page.press("#keyword-input", "Enter")
    expect(page.locator("#keywords-list .chip")).to_have_text(["phonons×"])
    reference = page.locator("#references-list > li").first
    assert reference.locator("[data-key=relation]").input_value() == "issupplementto"
    reference.locator("[data-key=identifier]").fill(DOI)

    page.click("#save-draft")
    page.wait_for_url(re.compile(r"/uploads/\d{4}\.\d+v1$"))
    record_id = page.url.rsplit("/", 1)[1]
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")
    expect(page.locator("h1")).to_have_text(f"Upload {record_id}")
    expect(page.locator("#missing")).to_contain_text("add at least one file")

    # two files: one small (one PUT), one of 40 MiB (three parts); part 2 fails once
    small = tmp_path / "README.txt"
    small.write_text("Phonons of silicon: band.dat holds the dispersion.\n")
    big = tmp_path / "band.dat"
    big.write_bytes(os.urandom(40 * MIB))
    parts = part_puts(page)
    failed: list[str] = []

    def fail_once(route: Any) -> None:
        if not failed:
            failed.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/draft/files/band.dat/content/2", fail_once)
    page.set_input_files("#file-input", [str(small), str(big)])
    expect_completed(page, "README.txt")
    row = expect_completed(page, "band.dat")
    expect(row.locator(".file-size")).to_have_text("40 MiB")
    assert sorted(parts) == ["1", "2", "2", "3"]  # the failed part, and only it, sent again
    expect(page.locator("#missing")).to_contain_text("Everything needed is there")

    # a wrong ORCID iD is caught while typing
    orcid = creator.locator("[data-key=orcid]")
    orcid.fill("0000-0002-1825-0098")
    orcid.press("Tab")
    error = creator.locator("[data-key=orcid] ~ .field-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("check digit")
    expect(orcid).to_have_attribute("aria-invalid", "true")
    orcid.fill(ORCID)
    expect(error).to_be_hidden()

    page.screenshot(path=str(tmp_path / "deposit-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "deposit-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    # the moderation checklist: every box, then submit
    boxes = page.locator("#criteria input[type=checkbox]")
    expect(boxes).to_have_count(5)
    page.click("#submit-review")
    expect(page.locator("#submit-status")).to_contain_text("Tick every box")
    for box in boxes.all():
        box.check()
    page.fill("#review-comment", "The k-point grid is in the README.")
    page.click("#submit-review")
    expect(page.locator("#review-state")).to_contain_text("in review")
    expect(page.locator("#deposit-badge")).to_have_text("In review")
    link = page.locator("#review-notice a#request-link")
    assert re.fullmatch(r"/requests/[0-9a-f]+", link.get_attribute("href") or "")
    assert page.locator("#title").is_disabled()

    twin = page.request.get(f"{live_site.url}/uploads/{record_id}.json").json()
    assert twin["mode"] == "in_review"
    meta = twin["draft"]["metadata"]
    person = meta["creators"][0]["person_or_org"]
    assert person["identifiers"] == [{"scheme": "orcid", "identifier": ORCID}]
    assert meta["creators"][0]["affiliations"] == [{"name": "EPFL", "id": "02s376052"}]
    assert meta["subjects"] == [{"subject": "phonons"}]
    assert meta["related_identifiers"][0]["identifier"] == DOI
    files = {f["key"]: f for f in twin["draft"]["files"]["entries"]}
    assert files["band.dat"]["sha256"] == hashlib.sha256(big.read_bytes()).hexdigest()
    assert files["README.txt"]["status"] == "completed"

    page.goto(live_site.url + "/uploads")
    card = page.locator(f'.upload-card[data-id="{record_id}"]')
    expect(card.locator(".badge")).to_have_text("In review")

    # withdrawing the request unlocks the form again
    card.locator("a", has_text="Open").click()
    page.click("#withdraw-review")
    expect(page.locator("#deposit-badge")).to_have_text("Draft")
    expect(page.locator("#title")).to_be_enabled()


def test_an_interrupted_upload_sends_only_the_missing_parts(
    live_site: LiveSite, browser_page: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    sign_in(page, live_site)
    record_id = new_draft(page, live_site, "Resumed upload")
    data = os.urandom(40 * MIB)
    big = tmp_path / "trajectory.bin"
    big.write_bytes(data)

    # an earlier session announced the file and sent parts 1 and 3, then died
    token = page.get_attribute('meta[name="csrf-token"]', "content")
    headers = {"X-CSRF-Token": token}
    base = f"{live_site.url}/api/records/{record_id}/draft/files"
    spec = {"key": big.name, "size": len(data), "transfer": {"type": "M", "parts": 3}}
    init = page.request.post(
        base, data=json.dumps([spec]), headers={**headers, "Content-Type": "application/json"}
    )
    assert init.status == 201, init.text()
    part_size = init.json()["entries"][0]["transfer"]["part_size"]
    for number in (1, 3):
        chunk = data[(number - 1) * part_size : number * part_size]
        sent = page.request.put(
            f"{base}/{big.name}/content/{number}",
            data=chunk,
            headers={**headers, "Content-Type": "application/octet-stream"},
        )
        assert sent.status == 200, sent.text()

    page.reload()
    row = page.locator(f'#files-list li.file[data-key="{big.name}"]')
    expect(row).to_have_attribute("data-status", "pending")
    expect(row.locator(".file-state")).to_contain_text("2 of 3 parts received")

    parts = part_puts(page)
    page.set_input_files("#file-input", str(big))
    expect_completed(page, big.name)
    assert parts == ["2"]
    entry = page.request.get(f"{base}/{big.name}").json()
    assert entry["status"] == "completed"
    assert entry["sha256"] == hashlib.sha256(data).hexdigest()


def test_form_keyboard_rows_and_server_errors(live_site: LiveSite, browser_page: Any) -> None:
    from playwright.sync_api import expect

    page = browser_page
    sign_in(page, live_site)
    page.goto(live_site.url + "/uploads/new")
    # two creators, reordered with the keyboard
    first = page.locator("#creators-list > li").nth(0)
    first.locator("[data-key=family_name]").fill("Lovelace")
    page.click("#add-creator")
    second = page.locator("#creators-list > li").nth(1)
    expect(second.locator("[data-key=given_name]")).to_be_focused()
    second.locator("[data-key=type][value=organizational]").check()
    expect(second.locator("[data-key=org_name]")).to_be_visible()
    expect(second.locator("[data-key=orcid]")).to_be_hidden()
    second.locator("[data-key=org_name]").fill("Materials Cloud")
    second.locator("[data-action=up]").focus()
    page.keyboard.press("Enter")
    names = page.locator("#creators-list > li [data-key=org_name]")
    expect(names.first).to_have_value("Materials Cloud")
    expect(page.locator("#creators-list > li").first.locator("legend")).to_have_text("Creator 1")

    # a date the server refuses: the message appears next to the field
    page.fill("#title", "Errors shown inline")
    page.fill("#publication-date", "2024-02-30")
    page.click("#save-draft")
    error = page.locator("#publication-date ~ .field-error")
    expect(error).to_contain_text("is not a date")
    expect(page.locator("#save-status")).to_have_attribute("data-state", "error")
    page.fill("#publication-date", "")
    page.click("#save-draft")
    page.wait_for_url(re.compile(r"/uploads/\d{4}\.\d+v1$"))
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")
    twin = page.request.get(page.url + ".json").json()
    creators = twin["draft"]["metadata"]["creators"]
    assert [c["person_or_org"]["name"] for c in creators] == ["Materials Cloud", "Lovelace"]
    # what is missing is shown in place after saving (not in red)
    missing = page.locator("#description ~ .field-error")
    expect(missing).to_contain_text("Description must describe the data")
    expect(missing).to_have_class(re.compile("is-missing"))
    # autosave after a change
    page.fill("#description", "A description that is long enough to pass.")
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved", timeout=10_000)
    twin = page.request.get(page.url + ".json").json()
    assert twin["draft"]["metadata"]["description"].startswith("A description")


def test_a_file_over_the_limit_is_refused_and_files_can_be_deleted(
    live_site: LiveSite, browser_page: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    page = browser_page
    sign_in(page, live_site)
    new_draft(page, live_site, "Limits")
    expect(page.locator("#limit-text")).to_have_text("64 MiB")
    inits: list[str] = []
    page.on(
        "request",
        lambda r: inits.append(r.url) if r.method == "POST" and r.url.endswith("/files") else None,
    )
    huge = tmp_path / "huge.tar"
    with huge.open("wb") as handle:
        handle.truncate(65 * MIB)  # sparse: quick to make
    page.set_input_files("#file-input", str(huge))
    row = page.locator('#files-list li.file[data-key="huge.tar"]')
    expect(row).to_have_attribute("data-status", "refused")
    expect(row.locator(".file-error")).to_contain_text("at most 64 MiB")
    assert inits == []  # refused before anything was sent

    notes = tmp_path / "notes.txt"
    notes.write_text("a small file\n")
    page.set_input_files("#file-input", str(notes))
    expect_completed(page, "notes.txt")
    assert len(inits) == 1
    page.on("dialog", lambda dialog: dialog.accept())
    page.click('#files-list li.file[data-key="notes.txt"] [data-action=delete-file]')
    expect(page.locator('#files-list li.file[data-key="notes.txt"]')).to_have_count(0)
    twin = page.request.get(page.url + ".json").json()
    assert twin["draft"]["files"]["entries"] == []
