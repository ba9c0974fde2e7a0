"""pw.x's Bravais-lattice index (``matcloud.structures.readers.ibrav``): every supported
``ibrav`` gives the lattice ASE's own Bravais-lattice classes give for the same parameters
(compared as Niggli-reduced cells, which do not depend on the choice of basis), and pw.x
inputs with ``ibrav != 0`` or ``A =`` are read."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from ase.cell import Cell
from ase.lattice import BCC, BCT, CUB, FCC, HEX, ORC, ORCC, ORCF, ORCI, RHL, TET
from ase.units import Bohr

from matcloud.structures import StructureError
from matcloud.structures.readers.ibrav import SUPPORTED, celldm_of, explicit_cell, ibrav_cell
from matcloud.structures.readers.pwscf import read_pwscf

A = 7.0  # bohr
B, C = 1.3, 1.7  # b/a, c/a
COS = (0.2, -0.15, 0.1)  # cos alpha (bc), cos beta (ac), cos gamma (ab)


def _deg(cosine: float) -> float:
    return float(np.degrees(np.arccos(cosine)))


a, b, c = A * Bohr, A * B * Bohr, A * C * Bohr
CASES = {
    1: ({1: A}, CUB(a)),
    2: ({1: A}, FCC(a)),
    3: ({1: A}, BCC(a)),
    -3: ({1: A}, BCC(a)),
    4: ({1: A, 3: C}, HEX(a, c)),
    5: ({1: A, 4: COS[2]}, RHL(a, _deg(COS[2]))),
    -5: ({1: A, 4: COS[2]}, RHL(a, _deg(COS[2]))),
    6: ({1: A, 3: C}, TET(a, c)),
    7: ({1: A, 3: C}, BCT(a, c)),
    8: ({1: A, 2: B, 3: C}, ORC(a, b, c)),
    9: ({1: A, 2: B, 3: C}, ORCC(a, b, c)),
    -9: ({1: A, 2: B, 3: C}, ORCC(a, b, c)),
    10: ({1: A, 2: B, 3: C}, ORCF(a, b, c)),
    11: ({1: A, 2: B, 3: C}, ORCI(a, b, c)),
    # monoclinic and triclinic: ASE's classes want their own settings; the cell parameters
    12: ({1: A, 2: B, 3: C, 4: COS[2]}, Cell.fromcellpar([a, b, c, 90, 90, _deg(COS[2])])),
    14: (
        {1: A, 2: B, 3: C, 4: COS[0], 5: COS[1], 6: COS[2]},
        Cell.fromcellpar([a, b, c, *(_deg(x) for x in COS)]),
    ),
}


def _niggli(cell: np.ndarray) -> np.ndarray:
    return np.array(Cell(cell).niggli_reduce()[0].cellpar())


def test_every_supported_ibrav_is_checked() -> None:
    assert set(CASES) == set(SUPPORTED)


@pytest.mark.parametrize("ibrav", sorted(CASES))
def test_ibrav_cells_match_ase_bravais_lattices(ibrav: int) -> None:
    celldm, lattice = CASES[ibrav]
    ours = np.array(ibrav_cell(ibrav, celldm)) * Bohr
    theirs = lattice if isinstance(lattice, Cell) else lattice.tocell()
    assert abs(abs(np.linalg.det(ours)) - theirs.volume) < 1e-8
    assert np.allclose(_niggli(ours), _niggli(np.array(theirs)), atol=1e-6)


def test_unsupported_and_incomplete_parameters_are_refused() -> None:
    with pytest.raises(StructureError, match="ibrav = 13 is not supported"):
        ibrav_cell(13, {1: A, 2: B, 3: C, 4: 0.1})
    with pytest.raises(StructureError, match=r"needs celldm\(3\)"):
        ibrav_cell(4, {1: A})
    with pytest.raises(StructureError, match="celldm"):
        ibrav_cell(2, {})


ALAS = """ &control
    calculation='scf'
 /
 &system
    ibrav=  2, celldm(1) =10.50, nat=  2, ntyp= 2,
    ecutwfc =16.0
 /
 &electrons
 /
ATOMIC_SPECIES
 Al  26.98  Al.pz-vbc.UPF
 As  74.92  As.pz-bhs.UPF
ATOMIC_POSITIONS alat
 Al 0.00 0.00 0.00
 As 0.25 0.25 0.25
K_POINTS automatic
 4 4 4 1 1 1
"""


def test_pw_inputs_with_ibrav_or_a_are_read() -> None:
    by_celldm = read_pwscf(ALAS)[0]
    half = 10.5 * Bohr / 2
    assert np.allclose(by_celldm.lattice, [[-half, 0, half], [0, half, half], [-half, half, 0]])
    assert np.allclose(by_celldm.sites[1][1], [half / 2] * 3)
    by_a = read_pwscf(ALAS.replace("celldm(1) =10.50", f"A = {10.5 * Bohr}"))[0]
    assert np.allclose(by_a.lattice, by_celldm.lattice)
    assert np.allclose(by_a.sites[1][1], by_celldm.sites[1][1])
    assert celldm_of({"ibrav": 4, "A": 3.0, "C": 6.0}) == {1: 3.0 / Bohr, 3: 2.0, 4: 0.0}
    unchanged = (
        ALAS.replace("ibrav=  2", "ibrav = 0") + "CELL_PARAMETERS alat\n1 0 0\n0 1 0\n0 0 1\n"
    )
    assert explicit_cell(unchanged) == unchanged
    with pytest.raises(StructureError, match="ibrav = 13"):
        read_pwscf(ALAS.replace("ibrav=  2", "ibrav = 13"))


PWX = Path(__file__).parent / "pwx-ibrav"  # scripts/pwx_ibrav_oracle.py


@pytest.mark.parametrize("ibrav", sorted(CASES))
def test_ibrav_cells_are_pw_x_s_own(ibrav: int) -> None:
    """The very vectors (not only the lattice) pw.x printed for the same input: positions
    given in crystal coordinates depend on them."""
    name = f"ibrav{ibrav}".replace("-", "m")
    text = (PWX / f"{name}.in").read_text()
    printed = (PWX / f"{name}.out").read_text()
    axes = re.findall(r"a\(\d\) = \(\s*(\S+)\s+(\S+)\s+(\S+)\s*\)", printed)
    alat = float(re.findall(r"lattice parameter \(alat\)\s*=\s*(\S+)", printed)[0])
    expected = np.array(axes, dtype=float) * alat * Bohr
    structure = read_pwscf(text)[0]
    assert np.allclose(structure.lattice, expected, atol=2e-5)
    assert np.allclose(np.array(structure.sites[0][1]), [0.1, 0.2, 0.3] @ expected, atol=2e-5)
