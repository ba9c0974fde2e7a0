"""OPTIMADE v1.2 ``structures`` properties of a :class:`Structure`.

One function turns the shared model into the attribute dict the OPTIMADE API serves and the
database indexes, so every section reports the same formula, elements and space group for
the same atoms. The values are plain JSON (lists, floats, ints, strings, None) and pass
optimade-python-tools' ``StructureResourceAttributes`` validators; ``volume`` is an extra.

Composition counts each site by its species' concentrations, so partial occupancy shows up in
``elements_ratios`` and the formulae (see :mod:`matcloud.structures.formula` for the
rounding); vacancies and ``X`` are not elements and never appear there.
"""

from __future__ import annotations

from typing import Any

from matcloud.structures import formula
from matcloud.structures.model import Species, Structure
from matcloud.structures.symmetry import space_group

PROPERTY_NAMES = (
    "elements",
    "nelements",
    "elements_ratios",
    "chemical_formula_descriptive",
    "chemical_formula_reduced",
    "chemical_formula_hill",
    "chemical_formula_anonymous",
    "dimension_types",
    "nperiodic_dimensions",
    "lattice_vectors",
    "cartesian_site_positions",
    "nsites",
    "species",
    "species_at_sites",
    "structure_features",
    "space_group_it_number",
    "space_group_symbol_hermann_mauguin",
    "space_group_symbol_hall",
    "volume",
)


def optimade_properties(structure: Structure) -> dict[str, Any]:
    """The OPTIMADE ``structures`` attributes (plus ``volume``, Å^3) of ``structure``."""
    used = structure.used_species()
    amounts = structure.composition()
    elements = sorted(amounts)
    total = sum(amounts.values())
    group = space_group(structure)
    periodic = structure.nperiodic_dimensions > 0
    if elements:
        ratios: list[float] | None = [amounts[element] / total for element in elements]
        reduced: str | None = formula.reduced_formula(amounts)
        anonymous: str | None = formula.anonymous_formula(amounts)
        hill = formula.hill_formula(amounts, reduce_to_formula_unit=periodic)
        descriptive: str | None = formula.descriptive_formula(amounts)
    else:  # only dummy atoms (X): nothing chemical to count
        ratios = reduced = anonymous = hill = descriptive = None
    return {
        "elements": elements,
        "nelements": len(elements),
        "elements_ratios": ratios,
        "chemical_formula_descriptive": descriptive,
        "chemical_formula_reduced": reduced,
        "chemical_formula_hill": hill,
        "chemical_formula_anonymous": anonymous,
        "dimension_types": [int(flag) for flag in structure.pbc],
        "nperiodic_dimensions": structure.nperiodic_dimensions,
        "lattice_vectors": (
            None if structure.lattice is None else [list(row) for row in structure.lattice]
        ),
        "cartesian_site_positions": [list(position) for _, position in structure.sites],
        "nsites": structure.nsites,
        "species": [_species(item) for item in used],
        "species_at_sites": [name for name, _ in structure.sites],
        "structure_features": [] if structure.is_ordered else ["disorder"],
        "space_group_it_number": None if group is None else group.number,
        "space_group_symbol_hermann_mauguin": None if group is None else group.hermann_mauguin,
        "space_group_symbol_hall": None if group is None else group.hall,
        "volume": structure.volume,
    }


def _species(species: Species) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": species.name,
        "chemical_symbols": list(species.chemical_symbols),
        "concentration": list(species.concentration),
    }
    if species.mass is not None:
        entry["mass"] = list(species.mass)
    return entry
