"""Our REST API where aiida-core's cannot be the oracle: requests it fails on (a 500 from a bug,
or from a library its venv lacks), and properties no comparison shows (untrusted data stays
data, nothing is a 500, an unknown archive is refused, answers are cached and fast)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from explore.restapi_support import FIXTURES, make_client, require_fixtures, roles
from matcloud.core.errors import NotFound

API = "/explore/a1/api/v4"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    require_fixtures()
    yield from make_client(FIXTURES / "rich.aiida", tmp_path_factory.mktemp("rich"))


@pytest.fixture(scope="module")
def uuid() -> dict[str, str]:
    require_fixtures()
    manifest: dict[str, Any] = json.loads((FIXTURES / "manifest.json").read_text())
    return roles(manifest)


def data(client: TestClient, url: str) -> Any:
    response = client.get(API + url)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_one_user_by_id(client: TestClient) -> None:
    # aiida: 500 "no OrmEntityLoader available for User" (its users have no loader)
    users = data(client, "/users/1")["users"]
    assert [user["id"] for user in users] == [1]
    assert "email" not in users[0]
    missing = client.get(API + "/users/99")
    assert missing.status_code == 404
    assert "either no object's id starts with '99'" in missing.json()["message"]


def test_time_comparisons(client: TestClient) -> None:
    # aiida: 500 for any date-time with an operator other than "=" ("DatetimePrecision object
    # has no attribute tzinfo"); here they compare with the stored UTC times
    day = sorted(data(client, "/nodes/statistics")["ctime_by_day"])[0]
    everything = client.get(API + f"/nodes?ctime>={day}").headers["x-total-count"]
    assert everything == "54"
    assert client.get(API + f"/nodes?ctime<{day}").headers["x-total-count"] == "0"
    assert client.get(API + "/nodes?ctime>2999-01-01T00:00+02:00").json()["data"]["nodes"] == []


def test_derived_properties_of_other_types(client: TestClient, uuid: dict[str, str]) -> None:
    # aiida: 500 ("cannot access local variable 'lowtrans'") for classes it has no translator for
    assert data(client, f"/nodes/{uuid['int'][:8]}/contents/derived_properties") == {
        "derived_properties": {}
    }


def test_kpoints_list_with_a_cell(client: TestClient, uuid: dict[str, str]) -> None:
    # aiida needs seekpath + scipy here (its venv has no scipy: a 500); we give everything
    # but the Brillouin zone ("faces_data")
    props = data(client, f"/nodes/{uuid['kpoints_list'][:8]}/contents/derived_properties")
    props = props["derived_properties"]
    assert props["has_cell"] and props["has_labels"] and not props["has_mesh"]
    assert len(props["explicit_kpoints_abs"]) == len(props["explicit_kpoints_rel"]) == 4
    assert props["labelled_path"] == [["GAMMA", "X"], ["X", "W"]]
    assert "faces_data" not in props


def test_trajectory_as_xsf(client: TestClient, uuid: dict[str, str]) -> None:
    # aiida: 500 "the user cannot be None" (it builds a StructureData per step)
    url = f"/nodes/{uuid['trajectory'][:8]}/download?download_format=xsf"
    response = client.get(API + url)
    assert response.status_code == 200
    assert response.text.startswith("ANIMSTEPS 4\nCRYSTAL\nPRIMVEC 1\n")
    assert response.headers["content-disposition"].endswith('.xsf"')


def test_portable_code_yaml(client: TestClient, uuid: dict[str, str]) -> None:
    # aiida adds filepath_files, a folder on its server; we leave it out
    url = f"/nodes/{uuid['code_portable'][:8]}/download?download_format=yml"
    text = client.get(API + url).text
    assert text.startswith("label: portable-echo\ndescription: ''\n")
    assert "filepath_executable: run.sh\n" in text and "filepath_files" not in text


def test_formats_not_written_here(client: TestClient, uuid: dict[str, str]) -> None:
    for fmt in ("agr", "agr_batch", "mpl_png", "mpl_singlefile"):
        response = client.get(API + f"/nodes/{uuid['bands'][:8]}/download?download_format={fmt}")
        assert response.status_code == 501
        assert "not available" in response.json()["message"]


def test_untrusted_data_is_data(client: TestClient, uuid: dict[str, str]) -> None:
    node = data(client, f"/nodes/{uuid['html_label'][:8]}")["nodes"][0]
    assert node["label"] == "<script>alert(1)</script>"
    response = client.get(API + f"/nodes/{uuid['html_label'][:8]}")
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-content-type-options"] == "nosniff"
    big = client.get(API + f"/nodes/{uuid['large_dict'][:8]}/contents/attributes")
    assert big.status_code == 200 and len(big.content) > 900_000  # 1 MB of attributes


def test_unknown_archive(client: TestClient) -> None:
    with pytest.raises(NotFound):
        client.get("/explore/nope/api/v4/nodes")


NEVER_500 = [
    "/nodes?id=in=3", "/nodes?id=3,4", "/nodes?orderby=3", "/nodes?orderby=true",
    "/nodes/page/1?perpage=0", "/nodes/page/1?perpage=-1", "/nodes/page/1?perpage=abc",
    "/nodes?limit=-1", "/nodes?limit=abc", "/nodes?offset=abc", "/nodes?offset=-3",
    '/nodes?attributes=true&attributes_filter="a""b"', "/nodes?attributes=true&attributes_filter=3",
    "/nodes?ctime=in=2024-01-01,2024-01-02", "/nodes?repository_metadata=3",
    "/nodes?label=like=3", "/nodes/statistics?id=3", "/nodes/statistics?user=\"x\"",
    "/nodes?full_type=3", "/nodes?full_type=\"a%b|\"", "/nodes/download?download_format=xsf",
    "/nodes/status", "/nodes/input_files", "/processes/zz/report", "/calcjobs/zz/input_files",
    "/nodes/{{abc/links/tree", "/nodes/ab_c", "/nodes/%7Babc", "/users/1_0",
    "/nodes?label=\"\\x41\\u00e9\"", "/nodes?label=%00", "/nodes?%ff=1", "/nodes/page/99999999999",
    "/nodes?id=99999999999999999999999", "/nodes?id=1e400", '/nodes/page/1?label="Γ\\r\\n"',
    '/nodes/page/1?label=%22%E2%80%A8%22', "/nodes/page/1?x%0D%0AX-Injected:%20y=1",
]  # fmt: skip


@pytest.mark.parametrize("url", NEVER_500)
def test_never_a_500(client: TestClient, url: str) -> None:
    response = client.get(API + url)
    assert response.status_code < 500, response.text
    assert response.headers["content-type"].startswith(("application/json", "application/oct"))
    if response.status_code >= 400:
        assert isinstance(response.json()["message"], str)


def test_structure_as_cif(client: TestClient, uuid: dict[str, str]) -> None:
    # aiida: 500 "No module named 'ase'" (it writes CIF through ASE, not in its venv)
    text = client.get(API + f"/nodes/{uuid['structure_slab'][:8]}/download?download_format=cif")
    assert text.status_code == 200
    lines = text.text.splitlines()
    assert lines[0].startswith("data_") and "_symmetry_Int_Tables_number 1" in lines
    assert any(line.startswith("Ge") and line.endswith("0.5000") for line in lines)
    si = client.get(API + f"/nodes/{uuid['structure_si'][:8]}/download?download_format=cif").text
    assert "_cell_angle_alpha 60.000000" in si and "_chemical_formula_sum 'Si2'" in si


def test_headers_carry_any_name(client: TestClient) -> None:
    """A Link to a page of a non-ASCII filter is percent-encoded, not a server error; a file
    name that cannot sit in quotes goes to ``filename*``."""
    from matcloud.explore.restapi.response import content_disposition

    response = client.get(API + '/nodes/page/1?label="Γ"')
    assert response.status_code == 200
    assert "%CE%93" in response.headers["link"] and "\r" not in response.headers["link"]
    assert content_disposition("notes.txt") == 'attachment; filename="notes.txt"'
    assert content_disposition('a"b\r\nΓ') == (
        "attachment; filename=\"a_b___\"; filename*=UTF-8''a%22b%0D%0A%CE%93"
    )
