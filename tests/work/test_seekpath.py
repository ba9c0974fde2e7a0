"""SeeK-path tool against the seekpath library itself: every extended Bravais lattice example,
a non-standard setting of a known crystal, a 2D slab, partial occupancy (refused)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import seekpath

from matcloud.structures import Species, Structure, read_structures
from matcloud.work.examples import BRAVAIS_EXAMPLES, bravais_examples, example_structure
from matcloud.work.inputs import ToolInput, read_input
from matcloud.work.tools.base import ToolError
from matcloud.work.tools.seekpath_tool import _cell, path_text, pretty, seekpath_result
from work_data import SI


def library(function: Any, *args: Any, **kwargs: Any) -> Any:
    """seekpath itself (its spglib calls warn about spglib's old error handling)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return function(*args, **kwargs)


@pytest.mark.parametrize("label", sorted(BRAVAIS_EXAMPLES))
def test_every_bravais_example_matches_the_library(label: str) -> None:
    title, filename, data = bravais_examples()[label]
    structure = read_input(ToolInput(data, filename))  # the same path as a person's upload
    ours = seekpath_result(structure)
    theirs = library(seekpath.get_explicit_k_path, _cell(structure), symprec=1e-3)
    assert ours["bravais_lattice_extended"] == label == theirs["bravais_lattice_extended"]
    assert ours["spacegroup"]["number"] == theirs["spacegroup_number"] == BRAVAIS_EXAMPLES[label][0]
    assert ours["path"] == [list(segment) for segment in theirs["path"]]
    for point, coords in ours["points"].items():
        if point in theirs["point_coords"]:
            assert np.allclose(coords, theirs["point_coords"][point])
    assert np.allclose(ours["primitive"]["lattice"], theirs["primitive_lattice"])
    assert np.allclose(ours["conventional"]["lattice"], theirs["conv_lattice"])
    assert len(ours["explicit_kpoints"]["fractional"]) == len(theirs["explicit_kpoints_rel"])
    assert ours["input"]["volume_ratio_to_primitive"] == pytest.approx(
        theirs["volume_original_wrt_prim"]
    )
    # the zone holds every point of the path (inside or on its faces)
    assert len(ours["brillouin_zone"]["faces"]) >= 6
    assert title.startswith(label)


def test_no_inversion_gives_the_extra_segments_without_time_reversal() -> None:
    ours = seekpath_result(example_structure("cF1"))  # F-43m-like: no inversion
    assert not ours["has_inversion_symmetry"]
    without = library(
        seekpath.get_path, _cell(example_structure("cF1")), with_time_reversal=False, symprec=1e-3
    )
    assert ours["path_without_time_reversal"] == [list(s) for s in without["path"]]
    assert ours["extra_segments_without_time_reversal"]
    assert all("'" in a + b for a, b in ours["extra_segments_without_time_reversal"])
    assert ours["extra_text"] is not None
    centro = seekpath_result(example_structure("cF2"))
    assert centro["has_inversion_symmetry"] and centro["extra_text"] is None


def test_a_non_standard_setting_gives_the_standard_answer() -> None:
    """Silicon given as a rotated, conventional (8-atom) cell: same lattice, group, path, and
    the primitive cell has the primitive volume (a quarter of the input)."""
    standard = seekpath_result(read_structures(SI, "POSCAR")[0])
    a = 5.43
    angle = np.radians(30)
    rotation = np.array(
        [[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]]
    )
    lattice = np.eye(3) * a @ rotation.T
    fractional = [
        (0, 0, 0), (0, 0.5, 0.5), (0.5, 0, 0.5), (0.5, 0.5, 0),
        (0.25, 0.25, 0.25), (0.25, 0.75, 0.75), (0.75, 0.25, 0.75), (0.75, 0.75, 0.25),
    ]  # fmt: skip
    sites = tuple(("Si", tuple(np.array(f) @ lattice)) for f in fractional)
    rotated = Structure(
        lattice=tuple(tuple(v) for v in lattice),
        pbc=(True, True, True),
        species=(Species("Si", ("Si",), (1.0,)),),
        sites=sites,  # type: ignore[arg-type]
    )
    ours = seekpath_result(rotated)
    assert ours["bravais_lattice_extended"] == standard["bravais_lattice_extended"] == "cF2"
    assert ours["spacegroup"]["number"] == 227
    assert ours["path_text"] == standard["path_text"] == "Γ—X—U|K—Γ—L—W—X"
    assert ours["input"]["volume_ratio_to_primitive"] == pytest.approx(4.0, rel=1e-3)
    assert ours["primitive"]["volume"] == pytest.approx(a**3 / 4, rel=1e-3)


def test_partial_occupancy_is_refused_with_the_reason() -> None:
    alloy = Structure(
        lattice=((3.6, 0, 0), (0, 3.6, 0), (0, 0, 3.6)),
        pbc=(True, True, True),
        species=(Species("CuAu", ("Cu", "Au"), (0.5, 0.5)),),
        sites=(("CuAu", (0.0, 0.0, 0.0)),),
    )
    with pytest.raises(ToolError, match="partial occupancy"):
        seekpath_result(alloy)


def test_a_slab_or_a_molecule_is_refused() -> None:
    slab = Structure(
        lattice=((3.0, 0, 0), (0, 3.0, 0), (0, 0, 20.0)),
        pbc=(True, True, False),
        species=(Species("Mo", ("Mo",), (1.0,)),),
        sites=(("Mo", (0.0, 0.0, 10.0)),),
    )
    with pytest.raises(ToolError, match="not 3D-periodic"):
        seekpath_result(slab)
    molecule = Structure(
        lattice=None,
        pbc=(False, False, False),
        species=(Species("O", ("O",), (1.0,)),),
        sites=(("O", (0.0, 0.0, 0.0)),),
    )
    with pytest.raises(ToolError, match="molecule"):
        seekpath_result(molecule)


def test_labels_and_path_text() -> None:
    assert pretty("GAMMA") == "Γ" and pretty("X_1") == "X₁" and pretty("SIGMA_0") == "Σ₀"
    assert path_text([("GAMMA", "X"), ("X", "U"), ("K", "GAMMA")]) == "Γ—X—U|K—Γ"


def test_kpoint_blocks_follow_the_path() -> None:
    result = seekpath_result(read_structures(SI, "POSCAR")[0])
    pw = result["kpoints_blocks"]["pw"].splitlines()
    assert pw[0] == "K_POINTS crystal_b"
    count = int(pw[1])
    rows = pw[2 : 2 + count]
    assert [row.split("!")[1].strip() for row in rows] == [
        "GAMMA", "X", "U", "K", "GAMMA", "L", "W", "X",
    ]  # fmt: skip
    weights = [int(row.split("!")[0].split()[3]) for row in rows]
    assert weights[2] == 1 and weights[-1] == 1  # a jump U|K, and the end
    assert sum(weights[:-1]) >= len(result["explicit_kpoints"]["fractional"]) - 8
    vasp = result["kpoints_blocks"]["vasp"].splitlines()
    assert vasp[2] == "Line-mode" and vasp[3] == "reciprocal"
    assert result["kpoints_blocks"]["cp2k"].count("&KPOINT_SET") == 2  # two continuous runs
