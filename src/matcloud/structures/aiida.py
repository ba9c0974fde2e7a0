"""AiiDA ``StructureData`` attributes -> :class:`Structure`.

AiiDA stores a structure as JSON attributes: ``cell`` (3 row vectors, Å), ``pbc1``..``pbc3``,
``kinds`` (``name``, ``symbols``, ``weights``, ``mass``) and ``sites`` (``kind_name``,
``position``, Cartesian Å). Archives come from users, so every field is checked and any
malformation is a :class:`StructureError`, never a KeyError deep in a section.

A kind maps to a species of the same name. Weights summing below one mean a vacancy (AiiDA's
convention), so the remainder becomes an explicit ``vacancy`` symbol as OPTIMADE wants it.
AiiDA keeps one (average) mass per kind: it becomes the species' mass when the kind has a
single element (with 0 for the vacancy) and is dropped for an alloy, whose per-element masses
are unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matcloud.structures.model import (
    MAX_SITES,
    VACANCY,
    Species,
    Structure,
    StructureError,
    lattice_for,
)

_WEIGHT_TOLERANCE = 1e-6  # AiiDA's own threshold for "weights sum to one"


def from_aiida_attributes(attributes: Mapping[str, Any], label: str = "") -> Structure:
    """Build the structure an AiiDA ``StructureData`` node's attributes describe."""
    if not isinstance(attributes, Mapping):
        raise StructureError("StructureData attributes must be a JSON object")
    cell = attributes.get("cell")
    if cell is None:
        raise StructureError("StructureData attributes have no 'cell'")
    pbc = tuple(_pbc(attributes, key) for key in ("pbc1", "pbc2", "pbc3"))
    kinds = attributes.get("kinds")
    if not isinstance(kinds, list) or not kinds:
        raise StructureError("StructureData attributes have no 'kinds' list")
    sites = attributes.get("sites")
    if not isinstance(sites, list):
        raise StructureError("StructureData attributes have no 'sites' list")
    if len(sites) > MAX_SITES:
        raise StructureError(
            f"the structure has {len(sites)} sites; at most {MAX_SITES} are accepted"
        )
    species = tuple(_species(kind, index) for index, kind in enumerate(kinds))
    return Structure(
        lattice=lattice_for(cell, pbc),
        pbc=(pbc[0], pbc[1], pbc[2]),
        species=species,
        sites=tuple(_site(site, index) for index, site in enumerate(sites)),
        label=label,
    )


def _pbc(attributes: Mapping[str, Any], key: str) -> bool:
    value = attributes.get(key)
    if not isinstance(value, bool):
        raise StructureError(f"StructureData attribute {key!r} must be true or false")
    return value


def _species(kind: Any, index: int) -> Species:
    if not isinstance(kind, Mapping):
        raise StructureError(f"kind {index + 1} is not a JSON object")
    name = kind.get("name")
    if not isinstance(name, str) or not name:
        raise StructureError(f"kind {index + 1} has no name")
    symbols = kind.get("symbols")
    if isinstance(symbols, str):
        symbols = [symbols]
    weights = kind.get("weights")
    if isinstance(weights, int | float) and not isinstance(weights, bool):
        weights = [weights]
    if not isinstance(symbols, list) or not isinstance(weights, list):
        raise StructureError(f"kind {name!r} needs 'symbols' and 'weights' lists")
    if len(symbols) != len(weights):
        raise StructureError(f"kind {name!r} has {len(symbols)} symbols but {len(weights)} weights")
    if not all(isinstance(w, int | float) and not isinstance(w, bool) for w in weights):
        raise StructureError(f"kind {name!r} has a weight that is not a number")
    concentration = [float(weight) for weight in weights]
    symbols = list(symbols)
    missing = 1.0 - sum(concentration)
    if missing > _WEIGHT_TOLERANCE:
        symbols.append(VACANCY)
        concentration.append(missing)
    return Species(
        name=name,
        chemical_symbols=tuple(symbols),
        concentration=tuple(concentration),
        mass=_mass(kind.get("mass"), symbols, name),
    )


def _mass(mass: Any, symbols: list[str], name: str) -> tuple[float, ...] | None:
    if mass is None:
        return None
    if isinstance(mass, bool) or not isinstance(mass, int | float):
        raise StructureError(f"kind {name!r} has a mass that is not a number")
    elements = [symbol for symbol in symbols if symbol != VACANCY]
    if len(elements) != 1:
        return None
    return tuple(float(mass) if symbol != VACANCY else 0.0 for symbol in symbols)


def _site(site: Any, index: int) -> tuple[str, Any]:
    if not isinstance(site, Mapping):
        raise StructureError(f"site {index + 1} is not a JSON object")
    kind_name = site.get("kind_name")
    position = site.get("position")
    if not isinstance(kind_name, str) or position is None:
        raise StructureError(f"site {index + 1} needs 'kind_name' and 'position'")
    return kind_name, position
