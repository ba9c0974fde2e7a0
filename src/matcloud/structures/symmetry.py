"""Space group of a crystal via spglib, in the string forms OPTIMADE asks for.

Only a 3D-periodic, ordered structure has a space group here: a slab or a molecule has a layer
or point group instead (OPTIMADE says the fields MUST be null unless all three directions are
periodic), and spglib cannot weigh partial occupancies. Atoms are typed by element, so two
AiiDA kinds of the same element (Ni1/Ni2) do not lower the symmetry.

spglib is asked to raise (``_throw=True``) instead of warning, and any failure (atoms too
close, no group found, …) gives "no space group", never an exception to the caller.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np
import spglib

from matcloud.structures.model import Structure

SYMPREC = 1e-3
"""Distance tolerance in Å, loose enough for coordinates rounded to 4–5 decimals."""

SYMMETRY_MAX_SITES = 2_000
"""Larger cells get no space group: spglib's search grows ~N² (a 2,000-atom P1 cell takes
about a second, 5,000 atoms fifteen)."""

_HM_TOKEN = re.compile(r"-?\d(?:_\d)?(?:/[a-z])?|[a-z](?:/[a-z])?")


@dataclass(frozen=True)
class SpaceGroup:
    number: int
    hermann_mauguin: str
    hall: str


def space_group(structure: Structure) -> SpaceGroup | None:
    """The space group, or ``None`` when not 3D-periodic, disordered, too big or unsolvable."""
    if (
        structure.lattice is None
        or not all(structure.pbc)
        or not structure.is_ordered
        or structure.nsites > SYMMETRY_MAX_SITES
    ):
        return None
    by_name = structure.species_by_name
    symbols = [by_name[name].chemical_symbols[0] for name, _ in structure.sites]
    type_of = {symbol: index for index, symbol in enumerate(sorted(set(symbols)))}
    lattice = np.array(structure.lattice, dtype=float)
    cartesian = np.array([position for _, position in structure.sites], dtype=float)
    fractional = np.linalg.solve(lattice.T, cartesian.T).T
    types = [type_of[symbol] for symbol in symbols]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dataset = spglib.get_symmetry_dataset(
                (lattice.tolist(), fractional.tolist(), types), symprec=SYMPREC, _throw=True
            )
            if dataset is None:
                return None
            group = spglib.get_spacegroup_type(dataset.hall_number, _throw=True)
    except Exception:  # spglib signals every failure by raising; none is ours to report
        return None
    if group is None:
        return None
    return SpaceGroup(
        number=int(group.number),
        hermann_mauguin=hermann_mauguin(group.international_short),
        hall=" ".join(group.hall_symbol.split()),
    )


def hermann_mauguin(spglib_symbol: str) -> str:
    """spglib's compact symbol ("P6_3/mmc") in OPTIMADE's spaced form ("P 63/m m c").

    OPTIMADE wants generators separated by single spaces and screw axes as plain digits.
    """
    lattice, rest = spglib_symbol[0], spglib_symbol[1:]
    tokens = [token.replace("_", "") for token in _HM_TOKEN.findall(rest)]
    return " ".join([lattice, *tokens])
