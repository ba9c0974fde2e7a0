"""Bad input to the tools: each answers with a clear message and the right status."""

from __future__ import annotations

import pytest

from matcloud.work.inputs import MAX_ATOMS, MAX_INPUT_BYTES, ToolInput, read_input, sniff
from matcloud.work.tools.base import ToolError

CIF_NO_ATOMS = b"""data_empty
_cell_length_a 4.0
_cell_length_b 4.0
_cell_length_c 4.0
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
_symmetry_space_group_name_H-M 'P 1'
"""


def big_xyz(atoms: int) -> bytes:
    lines = [str(atoms), "many"] + [f"H {i * 0.8:.3f} 0 0" for i in range(atoms)]
    return "\n".join(lines).encode()


@pytest.mark.parametrize(
    ("given", "status", "message"),
    [
        (ToolInput(b"", "x.cif"), 400, "empty"),
        (ToolInput(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "x.cif"), 400, "binary"),
        (ToolInput(CIF_NO_ATOMS, "empty.cif"), 422, "CIF"),
        (ToolInput(big_xyz(10_000), "big.xyz"), 413, f"up to {MAX_ATOMS:,}"),
        (ToolInput(b"x" * (MAX_INPUT_BYTES + 1), "huge.cif"), 413, "bytes"),
        (ToolInput(b"hello world\nthis is not a structure", ""), 400, "format"),
        (ToolInput(b"data_x\n_cell_length_a 4\n", "x.vasp"), 422, "POSCAR"),
        (ToolInput(b"Si\n1.0\n0 0 0\n", "x", "nonsense"), 400, "Unknown format"),
    ],
    ids=[
        "empty",
        "binary",
        "cif-no-atoms",
        "10000-atoms",
        "too-big",
        "unknown",
        "wrong",
        "bad-fmt",
    ],
)
def test_bad_inputs(given: ToolInput, status: int, message: str) -> None:
    with pytest.raises(ToolError) as caught:
        read_input(given)
    assert caught.value.status == status
    assert message in caught.value.message


def test_formats_are_sniffed_from_pasted_text() -> None:
    assert sniff("data_Si\n_cell_length_a 5.43\n") == "cif"
    assert sniff("&CONTROL\n/\n&SYSTEM\n/\nATOMIC_POSITIONS crystal\n") == "pwscf"
    assert sniff("CRYSTAL\nPRIMVEC\n1 0 0\n") == "xsf"
    assert sniff('2\nLattice="1 0 0 0 1 0 0 0 1" Properties=species:S:1:pos:R:3\n') == "extxyz"
    assert sniff("2\nwater\nO 0 0 0\n") == "xyz"
    assert sniff("Si\n1.0\n0 2.7 2.7\n2.7 0 2.7\n2.7 2.7 0\nSi\n2\nDirect\n") == "poscar"
    assert sniff("nothing to see") is None
