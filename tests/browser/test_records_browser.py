"""ARCHIVE pages in a real browser: a landing page with a 3D structure, search with facets, and
the review request page a moderator works from.

Set ``MATCLOUD_SCREENSHOTS=/some/dir`` to keep screenshots of each page (desktop and 390 px).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from archive_helpers import CHECKLIST, metadata, upload
from livesite import LiveSite, screenshot
from matcloud.core.instance import Instance
from matcloud.core.models import Role
from matcloud.settings import Settings

PASSWORD = "correct horse battery staple"
SI_CIF = b"""data_Si
_symmetry_space_group_name_H-M   'P 1'
_symmetry_Int_Tables_number      1
_cell_length_a    5.431
_cell_length_b    5.431
_cell_length_c    5.431
_cell_angle_alpha 90.0
_cell_angle_beta  90.0
_cell_angle_gamma 90.0
loop_
_symmetry_equiv_pos_as_xyz
  'x, y, z'
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
Si1 Si 0.00 0.00 0.00
Si2 Si 0.00 0.50 0.50
Si3 Si 0.50 0.00 0.50
Si4 Si 0.50 0.50 0.00
Si5 Si 0.25 0.25 0.25
Si6 Si 0.25 0.75 0.75
Si7 Si 0.75 0.25 0.75
Si8 Si 0.75 0.75 0.25
"""
README = b"Silicon in the diamond structure.\nColumns: <none>; see Si.cif.\n"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Jobs (DOI registration) run at once: the server of these tests has no worker."""
    return settings.model_copy(update={"job_queue": "immediate"})


@dataclass
class Archive:
    site: LiveSite
    api: httpx.Client
    owner: dict[str, str]
    moderator: dict[str, str]

    def draft(self, files: dict[str, bytes], **meta: Any) -> str:
        response = self.api.post(
            "/api/records", json={"metadata": metadata(**meta)}, headers=self.owner
        )
        assert response.status_code == 201, response.text
        record_id: str = response.json()["id"]
        for key, data in files.items():
            upload(self.api, self.owner, record_id, key, data)  # type: ignore[arg-type]
        return record_id

    def submit(self, record_id: str) -> str:
        response = self.api.post(
            f"/api/records/{record_id}/draft/actions/submit-review",
            json={"checklist": CHECKLIST, "comment": "Please have a **look**."},
            headers=self.owner,
        )
        assert response.status_code == 202, response.text
        request_id: str = response.json()["id"]
        return request_id

    def publish(self, files: dict[str, bytes], **meta: Any) -> dict[str, Any]:
        record_id = self.draft(files, **meta)
        request_id = self.submit(record_id)
        accepted = self.api.post(
            f"/api/requests/{request_id}/actions/accept", json={}, headers=self.moderator
        )
        assert accepted.status_code == 200, accepted.text
        body: dict[str, Any] = self.api.get(f"/api/records/{record_id}").json()
        return body


@pytest.fixture
def archive(live_site: LiveSite) -> Iterator[Archive]:
    instance = Instance.open(live_site.settings)
    try:
        tokens = {}
        for email, name, role in [
            ("owner@example.org", "Olga Owner", Role.USER),
            ("mod@example.org", "Mo Derator", Role.MODERATOR),
        ]:
            instance.auth.create_user(None, email, name, password=PASSWORD, role=role)
            tokens[email] = instance.auth.create_token(None, email, "tests").secret
    finally:
        instance.close()
    with httpx.Client(base_url=live_site.url, timeout=30) as api:
        yield Archive(
            live_site,
            api,
            {"Authorization": f"Bearer {tokens['owner@example.org']}"},
            {"Authorization": f"Bearer {tokens['mod@example.org']}"},
        )


def no_horizontal_scroll(page: Any) -> bool:
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(200)
    fits = bool(page.evaluate("document.documentElement.scrollWidth <= 390"))
    page.set_viewport_size({"width": 1280, "height": 900})
    return fits


def test_landing_page_shows_files_previews_and_the_structure_in_3d(
    archive: Archive, browser_page: Any
) -> None:
    record = archive.publish(
        {"Si.cif": SI_CIF, "README.txt": README},
        title="Diamond silicon reference structure",
        subjects=[{"subject": "silicon"}, {"subject": "crystal structure"}],
    )
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{archive.site.url}/records/{record['id']}")

    assert page.locator("h1").inner_text() == "Diamond silicon reference structure"
    assert "Lovelace, Ada" in page.locator(".creators").inner_text()
    assert page.locator(".orcid").get_attribute("href") == "https://orcid.org/0000-0002-1825-0097"
    doi = record["pids"]["doi"]["identifier"]
    badge = page.locator(".record-ids .doi-badge").first
    assert badge.get_attribute("href") == f"/doi/{doi}" and doi in badge.inner_text()

    rows = page.locator(".files-table tbody tr")
    assert rows.count() == 2
    assert "Si.cif" in rows.nth(1).inner_text() and "README.txt" in rows.nth(0).inner_text()
    text = page.locator(".text-file-preview pre").inner_text()
    assert "Columns: <none>" in text  # escaped, shown as text

    viewer = page.locator(".structure-preview .structure-viewer canvas").first
    viewer.wait_for(state="visible", timeout=20_000)
    box = viewer.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 200
    assert "8 atoms" in page.locator(".structure-status").inner_text()
    assert not errors, errors
    assert no_horizontal_scroll(page)
    screenshot(page, "records-landing", phone_too=True)

    # the DOI badge resolves back to this landing page (at the configured base URL)
    resolved = archive.api.get(f"/doi/{doi}", follow_redirects=False)
    assert resolved.status_code == 302
    assert resolved.headers["location"].endswith(f"/records/{record['id']}")

    # removed: the same address is a tombstone, without files
    removed = archive.api.post(
        f"/api/records/{record['id']}/delete",
        json={"reason": "Superseded by a corrected structure."},
        headers=archive.moderator,
    )
    assert removed.status_code == 200, removed.text
    response = page.goto(f"{archive.site.url}/records/{record['id']}")
    assert response is not None and response.status == 410
    assert "Superseded by a corrected structure." in page.locator(".notice-removed").inner_text()
    assert page.locator(".files-table").count() == 0
    screenshot(page, "records-tombstone", phone_too=True)


def test_search_finds_records_by_word_and_doi_and_facets_narrow(
    archive: Archive, browser_page: Any
) -> None:
    silicon = archive.publish(
        {"Si.cif": SI_CIF},
        title="Diamond silicon reference structure",
        subjects=[{"subject": "silicon"}],
    )
    archive.publish(
        {"table.csv": b"a,b\n1,2\n"},
        title="Phonons of germanium and silicon",
        subjects=[{"subject": "phonons"}],
    )
    page = browser_page
    page.goto(f"{archive.site.url}/records")
    assert page.locator(".record-card").count() == 2

    page.fill("#records-q", "diamond")
    page.click(".records-search button[type=submit]")
    page.wait_for_url("**/records?q=diamond*")
    cards = page.locator(".record-card h3")
    assert cards.all_inner_texts() == ["Diamond silicon reference structure"]

    doi = silicon["pids"]["doi"]["identifier"]
    page.fill("#records-q", doi)
    page.click(".records-search button[type=submit]")
    assert page.locator(".record-card h3").all_inner_texts() == [
        "Diamond silicon reference structure"
    ]

    page.fill("#records-q", "silicon")
    page.click(".records-search button[type=submit]")
    assert page.locator(".record-card").count() == 2
    option = page.locator('.facet-option[data-facet="keywords"][data-key="phonons"]')
    assert "1" in option.locator(".facet-count").inner_text()
    option.click()
    page.wait_for_url("**keywords=phonons*")
    assert page.locator(".record-card h3").all_inner_texts() == ["Phonons of germanium and silicon"]
    selected = page.locator('.facet-option[data-key="phonons"]')
    assert selected.get_attribute("aria-checked") == "true"
    assert no_horizontal_scroll(page)
    screenshot(page, "records-search", phone_too=True)

    page.fill("#records-q", 'silicon "unclosed (bracket] / title:')
    page.click(".records-search button[type=submit]")
    assert page.locator("#search-notice").is_visible()


def test_moderator_reviews_a_request_in_the_browser(archive: Archive, browser_page: Any) -> None:
    record_id = archive.draft({"Si.cif": SI_CIF}, title="Silicon awaiting review")
    request_id = archive.submit(record_id)
    page = browser_page
    page.goto(f"{archive.site.url}/signin")
    page.fill("#email", "mod@example.org")
    page.fill("#password", PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url("**/account")

    page.goto(f"{archive.site.url}/requests")
    assert "Silicon awaiting review" in page.locator(".requests-table").inner_text()
    screenshot(page, "records-requests", phone_too=True)
    page.click("text=Silicon awaiting review")
    page.wait_for_url(f"**/requests/{request_id}")
    assert page.locator(".event-body strong").inner_text() == "look"
    assert page.locator("#accept-button").is_visible()
    assert no_horizontal_scroll(page)
    screenshot(page, "records-request", phone_too=True)

    page.click("#decline-button")  # without a comment: refused, with the reason shown
    assert "is required" in page.locator("#request-error").inner_text()
    page.fill("#comment-content", "Looks *good*.")
    page.click("#comment-button")
    page.wait_for_url(f"**/requests/{request_id}")
    assert page.locator(".event-body em").last.inner_text() == "good"
    page.click("text=Open the draft preview")
    page.wait_for_url(f"**/records/{record_id}")
    assert "Draft — not public" in page.locator(".banner-draft").inner_text()
    page.locator(".structure-viewer canvas").wait_for(state="visible", timeout=20_000)
    screenshot(page, "records-draft", phone_too=True)
    page.go_back()
    page.click("#accept-button")
    page.wait_for_url(f"**/requests/{request_id}")
    assert "Accepted" in page.locator(".request-status").inner_text()
    page.click("text=Open the record")
    assert page.locator(".banner-draft").count() == 0
    assert page.locator(".record-ids .doi-badge").first.is_visible()


MOS2_POSCAR = b"""MoS2 monolayer
1.0
   3.19  0.0     0.0
  -1.595 2.76261 0.0
   0.0   0.0    20.0
Mo S
1 2
Direct
  0.0        0.0        0.5
  0.3333333  0.6666667  0.5782
  0.3333333  0.6666667  0.4218
"""
WATER_XYZ = b"""3
water
O 0.000 0.000 0.117
H 0.000 0.757 -0.469
H 0.000 -0.757 -0.469
"""


def test_poscar_and_xyz_are_shown_in_3d_and_a_broken_file_falls_back_to_text(
    archive: Archive, browser_page: Any
) -> None:
    record = archive.publish(
        {"MoS2.vasp": MOS2_POSCAR, "water.xyz": WATER_XYZ, "broken.cif": b"not a CIF at all\n"},
        title="Three structure files",
    )
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{archive.site.url}/records/{record['id']}")
    for key, atoms in [("MoS2.vasp", "3 atoms"), ("water.xyz", "3 atoms")]:
        figure = page.locator(f'.structure-preview[data-key="{key}"]')
        figure.locator("canvas").first.wait_for(state="visible", timeout=20_000)
        assert atoms in figure.locator(".structure-status").inner_text()
    broken = page.locator('.structure-preview[data-key="broken.cif"]')
    broken.locator(".structure-status", has_text="not available").wait_for(timeout=20_000)
    assert broken.locator(".structure-viewer").is_hidden()
    assert broken.locator("pre").inner_text().strip() == "not a CIF at all"
    assert not errors, errors
