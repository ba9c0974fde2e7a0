"""WORK tools in a real browser: upload a CIF to SeeK-path and see the Brillouin zone and the
path; convert a POSCAR to CIF and download it; a bad file shows its message in the form.

Set ``MATCLOUD_SCREENSHOTS=/some/dir`` to keep screenshots of the pages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from livesite import LiveSite, screenshot
from matcloud.structures import read_structures

SI_CIF = b"""data_Si
_symmetry_space_group_name_H-M 'F d -3 m'
_symmetry_Int_Tables_number 227
_cell_length_a 5.4307
_cell_length_b 5.4307
_cell_length_c 5.4307
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
loop_
_symmetry_equiv_pos_as_xyz
x,y,z
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
GAAS = b"""GaAs zinc blende
1.0
0 2.8265 2.8265
2.8265 0 2.8265
2.8265 2.8265 0
Ga As
1 1
Direct
0 0 0
0.25 0.25 0.25
"""


def test_seekpath_shows_the_zone_and_the_path(
    live_site: LiveSite, browser_page: Any, tmp_path: Path
) -> None:
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    cif = tmp_path / "Si.cif"
    cif.write_bytes(SI_CIF)
    page.goto(f"{live_site.url}/work/seekpath")
    page.set_input_files("#tool-file", str(cif))
    page.click(".work-form button[type=submit]")
    page.wait_for_url("**/work/seekpath/results/*")
    assert page.locator("[data-testid=path-text]").inner_text() == "Γ—X—U|K—Γ—L—W—X"
    assert "cF2" in page.locator(".work-summary").inner_text()
    page.locator("#bz-plot.bz-ready").wait_for(timeout=30_000)
    assert page.locator("#bz-plot .main-svg").count() >= 1
    assert "high-symmetry points" in page.locator(".bz-status").inner_text()
    page.locator(".work-viewer.structure-ready").first.wait_for(timeout=30_000)
    screenshot(page, "work-seekpath")
    with page.expect_download() as download:
        page.click('a[href$="/files/kpoints-pw.txt"]')
    assert Path(download.value.path()).read_text().startswith("K_POINTS crystal_b")
    assert not errors, errors


def test_convert_a_poscar_to_cif_and_download_it(live_site: LiveSite, browser_page: Any) -> None:
    page = browser_page
    page.goto(f"{live_site.url}/work/inspect")
    page.fill("#tool-text", GAAS.decode())
    page.click(".work-form button[type=submit]")
    page.wait_for_url("**/work/inspect/results/*")
    assert page.locator("h2#summary-heading").inner_text() == "AsGa"  # OPTIMADE's order
    assert "F-43m" in page.locator(".kv").inner_text()
    screenshot(page, "work-inspect")
    with page.expect_download() as download:
        page.click('a[href$="/files/structure.cif"]')
    assert download.value.suggested_filename == "structure.cif"
    (back,) = read_structures(Path(download.value.path()).read_bytes(), "GaAs.cif")
    assert back.composition() == {"Ga": 1.0, "As": 1.0}


def test_a_bad_file_is_explained_in_the_form(live_site: LiveSite, browser_page: Any) -> None:
    page = browser_page
    page.goto(f"{live_site.url}/work/seekpath")
    page.fill("#tool-text", "these are not atoms")
    page.click(".work-form button[type=submit]")
    alert = page.locator("#tool-error")
    assert alert.is_visible()
    assert "Cannot tell the format" in alert.inner_text()
    assert page.locator("#tool-text").input_value() == "these are not atoms"
