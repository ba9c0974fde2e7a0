"""CIF specifics: symmetry expansion (checked against ASE), partial occupancy, big files."""

from __future__ import annotations

import io
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from ase.io import read as ase_read

from matcloud.structures import (
    MAX_SITES,
    Structure,
    StructureError,
    optimade_properties,
    read_structures,
)

Validate = Callable[[dict[str, Any]], object]  # the validate_optimade fixture (conftest.py)

HEADER = """data_{name}
_cell_length_a {a}
_cell_length_b {b}
_cell_length_c {c}
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma {gamma}
_space_group_name_H-M_alt '{group}'
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
_atom_site_occupancy
"""


def cif(
    rows: str,
    *,
    group: str = "P 1",
    a: float = 5.0,
    c: float | None = None,
    gamma: float = 90,
    name: str = "test",
) -> bytes:
    header = HEADER.format(name=name, a=a, b=a, c=c or a, gamma=gamma, group=group)
    return (header + rows).encode()


def fractional(structure: Structure) -> np.ndarray:
    assert structure.lattice is not None
    cartesian = np.array([position for _, position in structure.sites])
    return np.linalg.solve(np.array(structure.lattice).T, cartesian.T).T % 1.0


def same_sites(ours: Structure, symbols: list[str], theirs: np.ndarray) -> bool:
    """Same multiset of (symbol, fractional position), up to lattice translations."""
    mine = fractional(ours)
    names = [name for name, _ in ours.sites]
    if sorted(names) != sorted(symbols) or len(mine) != len(theirs):
        return False
    unmatched = list(range(len(theirs)))
    for name, position in zip(names, mine, strict=True):
        for index in unmatched:
            delta = (position - theirs[index] + 0.5) % 1.0 - 0.5
            if symbols[index] == name and np.all(np.abs(delta) < 1e-6):
                unmatched.remove(index)
                break
        else:
            return False
    return True


@pytest.mark.parametrize(
    "source",
    [
        "si_diamond.cif",
        "nacl.cif",
        # general and special positions in a centred monoclinic group, two sites each
        "C 2/c|0.1234 0.2345 0.3456|0.0 0.3 0.25",
        # hexagonal with a 3-fold special position
        "P 63/m m c|0.3333 0.6667 0.25|0.0 0.0 0.0",
        # tetragonal, origin-centred
        "I 41/a m d|0.0 0.0 0.0|0.0 0.25 0.375",
    ],
)
def test_expansion_matches_ase(data_dir: Path, source: str) -> None:
    if source.endswith(".cif"):
        data = (data_dir / source).read_bytes()
    else:
        group, first, second = source.split("|")
        gamma = 120 if group.startswith("P 63") else 90
        data = cif(f"A1 Zn {first} 1.0\nB1 O {second} 1.0\n", group=group, gamma=gamma, c=7.0)
    [structure] = read_structures(data, "x.cif")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        atoms = ase_read(io.BytesIO(data), format="cif")
    assert not isinstance(atoms, list)
    symbols = list(atoms.symbols)
    assert same_sites(structure, symbols, atoms.cell.scaled_positions(atoms.positions) % 1.0)


def test_partial_occupancy_species(data_dir: Path, validate_optimade: Validate) -> None:
    basrtio3, sige = read_structures((data_dir / "partial_occupancy.cif").read_bytes(), "p.cif")
    assert basrtio3.label == "BaSrTiO3"
    species = {item.name: item for item in basrtio3.species}
    assert set(species) == {"BaSr", "Ti", "O"}
    assert species["BaSr"].chemical_symbols == ("Ba", "Sr")
    assert species["BaSr"].concentration == (0.5, 0.5)
    assert species["O"].chemical_symbols == ("O", "vacancy")
    assert species["O"].concentration == pytest.approx((0.9, 0.1))
    assert basrtio3.nsites == 5  # one A site (not two), one Ti, three O
    props = optimade_properties(basrtio3)
    assert props["structure_features"] == ["disorder"]
    assert props["elements"] == ["Ba", "O", "Sr", "Ti"]
    assert props["elements_ratios"] == pytest.approx([0.5 / 4.7, 2.7 / 4.7, 0.5 / 4.7, 1 / 4.7])
    assert props["chemical_formula_reduced"] == "Ba5O27Sr5Ti10"
    assert props["chemical_formula_hill"] is None
    assert props["space_group_it_number"] is None  # spglib cannot weigh occupancies
    validate_optimade(props)

    assert [item.name for item in sige.species] == ["SiGe"]
    assert sige.species[0].chemical_symbols == ("Si", "Ge")
    assert sige.nsites == 8
    props = optimade_properties(sige)
    assert props["chemical_formula_reduced"] == "GeSi"
    assert props["chemical_formula_hill"] == "GeSi"
    validate_optimade(props)


def test_partial_and_full_sites_of_one_element_get_distinct_species() -> None:
    rows = "Si1 Si 0 0 0 1.0\nSi2 Si 0.5 0.5 0.5 0.9\nO1 O 0.25 0.25 0.25 0.9\n"
    [structure] = read_structures(cif(rows), "x.cif")
    names = {item.name: item for item in structure.species}
    assert names["Si"].chemical_symbols == ("Si",)
    assert names["Si_2"].chemical_symbols == ("Si", "vacancy")
    assert names["O"].concentration == pytest.approx((0.9, 0.1))
    assert [name for name, _ in structure.sites] == ["Si", "Si_2", "O"]


def test_mixed_valence_rows_add_up_and_repeated_atoms_are_merged() -> None:
    mixed = "Fe1 Fe2+ 0 0 0 0.5\nFe2 Fe3+ 0 0 0 0.5\n"
    [structure] = read_structures(cif(mixed), "x.cif")
    assert structure.nsites == 1
    assert structure.species[0].is_ordered
    # a file listing the whole cell and the space group: the symmetry images coincide
    listed = "".join(
        f"Na{i} Na {x} {y} {z} 1\n"
        for i, (x, y, z) in enumerate([(0, 0, 0), (0, 0.5, 0.5), (0.5, 0, 0.5), (0.5, 0.5, 0)])
    )
    [nacl] = read_structures(cif(listed, group="F m -3 m"), "x.cif")
    assert nacl.nsites == 4


def test_sites_meeting_across_the_cell_boundary_merge() -> None:
    rows = "A1 Cu 0.99995 0.0 0.0 0.5\nB1 Au 0.00002 0.0 0.0 0.5\n"
    [structure] = read_structures(cif(rows), "x.cif")
    assert structure.nsites == 1
    assert structure.species[0].chemical_symbols == ("Cu", "Au")


def test_occupancy_question_mark_means_full_and_uncertainties_are_dropped() -> None:
    [structure] = read_structures(cif("Cu1 Cu 0 0 0 ?\nAu1 Au 0.5 0.5 0.5 0.98(2)\n"), "x.cif")
    by_name = {item.name: item for item in structure.species}
    assert by_name["Cu"].is_ordered
    assert by_name["Au"].concentration == pytest.approx((0.98, 0.02))


def test_zero_occupancy_rows_are_skipped() -> None:
    [structure] = read_structures(cif("Cu1 Cu 0 0 0 1\nAu1 Au 0.5 0.5 0.5 0\n"), "x.cif")
    assert [name for name, _ in structure.sites] == ["Cu"]


def test_cif_without_cell_is_a_molecule() -> None:
    text = """data_water
loop_
_atom_site_label
_atom_site_type_symbol
_atom_site_Cartn_x
_atom_site_Cartn_y
_atom_site_Cartn_z
O1 O 0.0 0.0 0.1173
H1 H 0.0 0.7572 -0.4692
H2 H 0.0 -0.7572 -0.4692
"""
    [water] = read_structures(text.encode(), "water.cif")
    assert water.lattice is None and water.pbc == (False, False, False)
    assert water.sites[1] == ("H", (0.0, 0.7572, -0.4692))
    assert optimade_properties(water)["chemical_formula_hill"] == "H2O"


def test_blocks_without_atoms_are_skipped(data_dir: Path) -> None:
    text = "data_global\n_journal_year 2024\n\n" + (data_dir / "nacl.cif").read_text()
    [nacl] = read_structures(text.encode(), "paper.cif")
    assert nacl.label == "NaCl"


def test_a_big_p1_cif_is_read_quickly() -> None:
    """ASE's own expansion compares sites pairwise in Python: 2,000 atoms take ~10 s there."""
    rng = np.random.default_rng(1)
    grid = np.array(np.meshgrid(*[np.arange(16)] * 3)).reshape(3, -1).T[:4000]
    positions = (grid + 0.5 + rng.uniform(-0.2, 0.2, grid.shape)) / 16
    rows = "".join(f"C{i} C {x:.6f} {y:.6f} {z:.6f} 1\n" for i, (x, y, z) in enumerate(positions))
    start = time.perf_counter()
    [structure] = read_structures(cif(rows, a=48.0), "big.cif")
    assert time.perf_counter() - start < 10
    assert structure.nsites == 4000
    assert optimade_properties(structure)["space_group_it_number"] is None  # too big for spglib


def test_expansion_beyond_max_sites_is_refused() -> None:
    rng = np.random.default_rng(2)
    rows = "".join(
        f"C{i} C {x:.5f} {y:.5f} {z:.5f} 1\n" for i, (x, y, z) in enumerate(rng.random((600, 3)))
    )
    with pytest.raises(StructureError, match=f"at most {MAX_SITES}"):
        read_structures(cif(rows, group="F m -3 m", a=60.0), "big.cif")
