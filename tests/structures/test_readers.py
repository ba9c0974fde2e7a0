"""Each reader on small real files: what it reads, and what the OPTIMADE properties say."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from matcloud.structures import Structure, optimade_properties, read_structures, structure_format

Validate = Callable[[dict[str, Any]], object]  # the validate_optimade fixture (conftest.py)


def read(data_dir: Path, name: str) -> list[Structure]:
    return read_structures((data_dir / name).read_bytes(), name)


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("Si.cif", "cif"),
        ("dir/sub/NaCl.CIF", "cif"),
        ("C:\\Users\\me\\x.cif", "cif"),
        ("POSCAR", "poscar"),
        ("CONTCAR", "poscar"),
        ("CONTCAR_relaxed", "poscar"),
        ("run1/POSCAR.orig", "poscar"),
        ("MoS2.vasp", "poscar"),
        ("MoS2.poscar", "poscar"),
        ("traj.extxyz", "extxyz"),
        ("water.xyz", "xyz"),
        ("ZnO.xsf", "xsf"),
        ("md.axsf", "xsf"),
        ("pw.in", "pwscf"),
        ("scf.pwi", "pwscf"),
        ("si.espresso-in", "pwscf"),
        ("espresso-in", "pwscf"),
        ("README.md", None),
        ("POTCAR.gz", None),
        ("OUTCAR", None),
        ("notes.txt", None),
        ("", None),
    ],
)
def test_structure_format(filename: str, expected: str | None) -> None:
    assert structure_format(filename) == expected


def test_si_diamond_cif(data_dir: Path, validate_optimade: Validate) -> None:
    [si] = read(data_dir, "si_diamond.cif")
    assert si.label == "Si_diamond"
    assert si.pbc == (True, True, True)
    assert si.lattice is not None and np.allclose(si.lattice, np.eye(3) * 5.431)
    assert si.nsites == 8
    props = optimade_properties(si)
    assert props["chemical_formula_reduced"] == "Si"
    assert props["chemical_formula_descriptive"] == "Si8"
    assert props["space_group_it_number"] == 227
    assert props["space_group_symbol_hermann_mauguin"] == "F d -3 m"
    assert props["volume"] == pytest.approx(5.431**3)
    validate_optimade(props)


def test_nacl_cif(data_dir: Path, validate_optimade: Validate) -> None:
    [nacl] = read(data_dir, "nacl.cif")
    props = optimade_properties(nacl)
    assert props["nsites"] == 8
    assert props["elements"] == ["Cl", "Na"]
    assert props["elements_ratios"] == [0.5, 0.5]
    assert props["chemical_formula_reduced"] == "ClNa"
    assert props["chemical_formula_anonymous"] == "AB"
    assert props["space_group_it_number"] == 225
    assert props["space_group_symbol_hermann_mauguin"] == "F m -3 m"
    assert props["space_group_symbol_hall"] == "-F 4 2 3"
    assert props["species_at_sites"].count("Na") == 4
    validate_optimade(props)


def test_mos2_poscar_with_vacuum_stays_3d_periodic(
    data_dir: Path, validate_optimade: Validate
) -> None:
    [mos2] = read(data_dir, "MoS2_monolayer.POSCAR")
    assert mos2.label.startswith("MoS2 monolayer")
    assert mos2.pbc == (True, True, True)  # the file cannot say otherwise; we do not guess
    assert mos2.lattice is not None and mos2.lattice[2] == (0.0, 0.0, 20.0)
    assert [name for name, _ in mos2.sites] == ["Mo", "S", "S"]
    assert mos2.sites[1][1][2] == pytest.approx(0.578 * 20.0)
    props = optimade_properties(mos2)
    assert props["chemical_formula_reduced"] == "MoS2"
    assert props["chemical_formula_anonymous"] == "A2B"
    assert props["nperiodic_dimensions"] == 3
    assert props["space_group_it_number"] == 187
    assert props["space_group_symbol_hermann_mauguin"] == "P -6 m 2"
    validate_optimade(props)


def test_poscar_cartesian_selective_dynamics_and_contcar_name() -> None:
    text = (
        "Cu fcc\n3.6\n0 0.5 0.5\n0.5 0 0.5\n0.5 0.5 0\nCu\n1\n"
        "Selective dynamics\nCartesian\n0 0 0 T T F\n"
    )
    [cu] = read_structures(text.encode(), "CONTCAR")
    assert cu.sites == (("Cu", (0.0, 0.0, 0.0)),)
    assert cu.lattice is not None and cu.lattice[0] == pytest.approx((0.0, 1.8, 1.8))
    assert optimade_properties(cu)["space_group_it_number"] == 225


def test_vasp4_poscar_takes_elements_from_the_first_line() -> None:
    text = "Na Cl\n5.64\n1 0 0\n0 1 0\n0 0 1\n1 1\nDirect\n0 0 0\n0.5 0.5 0.5\n"
    [cscl] = read_structures(text.encode(), "POSCAR")
    assert [name for name, _ in cscl.sites] == ["Na", "Cl"]


def test_multi_frame_extxyz_molecules(data_dir: Path, validate_optimade: Validate) -> None:
    methane, peroxide = read(data_dir, "molecules.extxyz")
    for molecule in (methane, peroxide):
        assert molecule.lattice is None
        assert molecule.pbc == (False, False, False)
    assert methane.label == "methane"
    props = optimade_properties(methane)
    assert props["chemical_formula_hill"] == "CH4"
    assert props["chemical_formula_reduced"] == "CH4"
    assert props["dimension_types"] == [0, 0, 0]
    assert props["lattice_vectors"] is None
    assert props["volume"] is None
    assert props["space_group_it_number"] is None
    validate_optimade(props)
    props = optimade_properties(peroxide)
    assert props["chemical_formula_hill"] == "H2O2"  # a molecule is its own formula unit
    assert props["chemical_formula_reduced"] == "HO"
    validate_optimade(props)


def test_extxyz_periodicity_follows_the_file() -> None:
    lattice = 'Lattice="4 0 0 0 4 0 0 0 10"'
    slab = f'2\n{lattice} pbc="T T F"\nC 0 0 5\nC 1.4 0 5\n'
    [structure] = read_structures(slab.encode(), "graphene.extxyz")
    assert structure.pbc == (True, True, False)
    assert optimade_properties(structure)["nperiodic_dimensions"] == 2
    [bulk] = read_structures(f"1\n{lattice}\nCu 0 0 0\n".encode(), "a.extxyz")
    assert bulk.pbc == (True, True, True)


def test_plain_xyz_with_free_text_comment() -> None:
    text = '3\nwater, from "a paper\nO 0 0 0.1173\nH 0 0.7572 -0.4692\nH 0 -0.7572 -0.4692\n'
    [water] = read_structures(text.encode(), "water.xyz")
    assert water.lattice is None
    assert optimade_properties(water)["chemical_formula_hill"] == "H2O"


def test_zno_wurtzite_xsf(data_dir: Path, validate_optimade: Validate) -> None:
    [zno] = read(data_dir, "zno_wurtzite.xsf")
    props = optimade_properties(zno)
    assert props["chemical_formula_reduced"] == "OZn"
    assert props["space_group_it_number"] == 186
    assert props["space_group_symbol_hermann_mauguin"] == "P 63 m c"
    assert props["space_group_symbol_hall"] == "P 6c -2c"
    validate_optimade(props)


def test_xsf_slab_and_animation() -> None:
    slab = "SLAB\nPRIMVEC\n2.46 0 0\n-1.23 2.13042 0\n0 0 15\nPRIMCOORD\n2 1\nC 0 0 0\nC 0 1.42 0\n"
    [graphene] = read_structures(slab.encode(), "graphene.xsf")
    assert graphene.pbc == (True, True, False)
    assert optimade_properties(graphene)["space_group_it_number"] is None
    steps = (
        "ANIMSTEPS 2\nCRYSTAL\nPRIMVEC\n3 0 0\n0 3 0\n0 0 3\n"
        "PRIMCOORD 1\n1 1\nFe 0 0 0\nPRIMCOORD 2\n1 1\nFe 0.1 0 0\n"
    )
    first, second = read_structures(steps.encode(), "md.axsf")
    assert second.sites[0][1] == pytest.approx((0.1, 0.0, 0.0))
    [molecule] = read_structures(b"ATOMS\n8 0 0 0\n1 0 0.96 0\n", "oh.xsf")
    assert molecule.lattice is None and [n for n, _ in molecule.sites] == ["O", "H"]


def test_ni3al_pwscf_input(data_dir: Path, validate_optimade: Validate) -> None:
    [ni3al] = read(data_dir, "ni3al.pwi")
    props = optimade_properties(ni3al)
    assert props["chemical_formula_reduced"] == "AlNi3"
    assert props["chemical_formula_anonymous"] == "A3B"
    assert props["chemical_formula_hill"] == "AlNi3"
    assert props["elements_ratios"] == [0.25, 0.75]
    assert props["space_group_it_number"] == 221
    assert props["space_group_symbol_hermann_mauguin"] == "P m -3 m"
    assert np.allclose(props["cartesian_site_positions"][1], [0.0, 1.785, 1.785])
    validate_optimade(props)


def test_pwscf_alat_and_bohr_units() -> None:
    text = """&SYSTEM
  ibrav = 0, celldm(1) = 10.2, nat = 2, ntyp = 1
/
ATOMIC_SPECIES
Si 28.086 Si.upf
CELL_PARAMETERS alat
 -0.5 0.0 0.5
  0.0 0.5 0.5
 -0.5 0.5 0.0
ATOMIC_POSITIONS alat
Si 0.00 0.00 0.00
Si 0.25 0.25 0.25
"""
    [si] = read_structures(text.encode(), "si.espresso-in")
    alat = 10.2 * 0.529177210544
    assert si.sites[1][1] == pytest.approx((alat / 4,) * 3, rel=1e-6)
    assert optimade_properties(si)["space_group_it_number"] == 227


def test_utf8_bom_crlf_and_latin1_are_read(data_dir: Path) -> None:
    text = (data_dir / "nacl.cif").read_text()
    crlf = text.replace("\n", "\r\n").replace("sodium chloride", "chlorure de sodium")
    assert read_structures(b"\xef\xbb\xbf" + crlf.encode(), "nacl.cif")[0].nsites == 8
    latin1 = text.replace("sodium chloride", "Natriumchlorid \xe4").encode("latin-1")
    assert read_structures(latin1, "nacl.cif")[0].nsites == 8
