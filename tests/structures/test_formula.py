"""Formulae and space-group symbols against hand-computed values and optimade's own rules."""

from __future__ import annotations

import itertools
import re

import pytest
import spglib
from optimade.models.utils import (  # type: ignore[import-untyped]
    ANONYMOUS_ELEMENTS,
    HM_SYMBOL_REGEXP,
)

from matcloud.structures import Species, Structure
from matcloud.structures import formula as f
from matcloud.structures.symmetry import hermann_mauguin, space_group


@pytest.mark.parametrize(
    ("amounts", "reduced", "anonymous", "hill_crystal", "hill_molecule", "descriptive"),
    [
        ({"Ni": 3, "Al": 1}, "AlNi3", "A3B", "AlNi3", "AlNi3", "AlNi3"),
        ({"Ni": 6, "Al": 2}, "AlNi3", "A3B", "AlNi3", "Al2Ni6", "Al2Ni6"),
        ({"C": 1, "H": 4}, "CH4", "A4B", "CH4", "CH4", "CH4"),
        ({"H": 2, "O": 2}, "HO", "AB", "HO", "H2O2", "H2O2"),
        ({"Na": 4, "Cl": 4}, "ClNa", "AB", "ClNa", "Cl4Na4", "Cl4Na4"),
        # no carbon: H is alphabetical in Hill order too
        ({"H": 2, "O": 1, "Na": 1}, "H2NaO", "A2BC", "H2NaO", "H2NaO", "H2NaO"),
        ({"C": 2, "H": 6, "O": 1, "Br": 1}, "BrC2H6O", "A6B2CD", "C2H6BrO", "C2H6BrO", "C2H6BrO"),
        ({"Ca": 1, "C": 1, "O": 3}, "CCaO3", "A3BC", "CCaO3", "CCaO3", "CCaO3"),
        # partial occupancy: integer approximations, no Hill formula
        ({"Si": 0.9, "O": 1.0}, "O10Si9", "A10B9", None, None, "OSi0.9"),
        (
            {"Ba": 0.5, "Sr": 0.5, "Ti": 1, "O": 2.7},
            "Ba5O27Sr5Ti10",
            "A27B10C5D5",
            None,
            None,
            "Ba0.5O2.7Sr0.5Ti",
        ),
        ({"Si": 0.5, "Ge": 0.5, "H": 1}, "GeH2Si", "A2BC", None, None, "Ge0.5HSi0.5"),
        # partial occupancy that adds up to whole atoms has a Hill formula again
        ({"Si": 4.0, "Ge": 4.0}, "GeSi", "AB", "GeSi", "Ge4Si4", "Ge4Si4"),
        # rounding within 0.5 %: 0.999 (3 × 0.333) counts as one
        ({"Fe": 0.999, "O": 1}, "FeO", "AB", None, None, "Fe0.999O"),
    ],
)
def test_formulae(
    amounts: dict[str, float],
    reduced: str,
    anonymous: str,
    hill_crystal: str | None,
    hill_molecule: str | None,
    descriptive: str,
) -> None:
    assert f.reduced_formula(amounts) == reduced
    assert f.anonymous_formula(amounts) == anonymous
    assert f.hill_formula(amounts, reduce_to_formula_unit=True) == hill_crystal
    assert f.hill_formula(amounts, reduce_to_formula_unit=False) == hill_molecule
    assert f.descriptive_formula(amounts) == descriptive


def test_awkward_fractions_stay_bounded() -> None:
    counts = f.approximate_integers({"A": 0.123456, "B": 0.654321})
    assert max(counts.values()) <= 1000 * 0.654321 + 1
    assert f.reduced_formula({"Si": 1e-4, "O": 1.0}).startswith("O")


def test_anonymous_symbols_match_the_validator() -> None:
    assert tuple(itertools.islice(f.anonymous_symbols(), 150)) == ANONYMOUS_ELEMENTS


def test_every_spglib_symbol_converts_to_the_optimade_hm_pattern() -> None:
    seen = set()
    for hall_number in range(1, 531):
        group = spglib.get_spacegroup_type(hall_number, _throw=True)
        assert group is not None
        short = group.international_short
        symbol = hermann_mauguin(short)
        assert re.match(HM_SYMBOL_REGEXP, symbol), (short, symbol)
        assert "_" not in symbol and "  " not in symbol
        seen.add(symbol)
    assert {"F d -3 m", "P 63/m m c", "P 21/c", "I 41/a m d", "P -4 21 m", "R -3 c"} <= seen


def test_space_group_is_none_unless_3d_periodic_and_ordered() -> None:
    si = Species("Si", ("Si",), (1.0,))
    fcc = ((0.0, 2.7155, 2.7155), (2.7155, 0.0, 2.7155), (2.7155, 2.7155, 0.0))
    sites = (("Si", (0.0, 0.0, 0.0)), ("Si", (1.35775, 1.35775, 1.35775)))
    diamond = Structure(fcc, (True, True, True), (si,), sites)
    group = space_group(diamond)
    assert group is not None
    assert (group.number, group.hermann_mauguin) == (227, "F d -3 m")
    assert space_group(Structure(fcc, (True, True, False), (si,), sites)) is None
    alloy = Species("Si", ("Si", "vacancy"), (0.9, 0.1))
    assert space_group(Structure(fcc, (True, True, True), (alloy,), sites)) is None
    overlapping = (("Si", (0.0, 0.0, 0.0)), ("Si", (0.0, 0.0, 0.0)))
    assert space_group(Structure(fcc, (True, True, True), (si,), overlapping)) is None
