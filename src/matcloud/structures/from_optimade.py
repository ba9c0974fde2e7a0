"""An OPTIMADE ``structures`` entry (its attributes, or a whole JSON:API response with one
entry) -> :class:`Structure`, so a structure from any OPTIMADE provider can be used as it is.

Only what the structure needs is read: ``lattice_vectors`` (``null`` vectors for
non-periodic directions), ``dimension_types``, ``cartesian_site_positions``, ``species`` and
``species_at_sites``. Everything malformed is a :class:`StructureError` naming the field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from matcloud.structures.model import MAX_SITES, Species, Structure, StructureError


def _attributes(document: Any) -> Mapping[str, Any]:
    """The attributes, from an entry, a response with one entry (``data``) or attributes."""
    if isinstance(document, Mapping) and "data" in document:
        data = document["data"]
        if isinstance(data, list):
            if len(data) != 1:
                raise StructureError(f"the response holds {len(data)} entries, not one")
            data = data[0]
        document = data
    if isinstance(document, Mapping) and isinstance(document.get("attributes"), Mapping):
        document = document["attributes"]
    if not isinstance(document, Mapping):
        raise StructureError("an OPTIMADE structure is a JSON object")
    return document


def from_optimade(document: Any, label: str = "") -> Structure:
    attributes = _attributes(document)
    missing = [
        key
        for key in ("cartesian_site_positions", "species", "species_at_sites")
        if not isinstance(attributes.get(key), list)
    ]
    if missing:
        raise StructureError(f"the OPTIMADE structure has no {', '.join(missing)}")
    positions = attributes["cartesian_site_positions"]
    names = attributes["species_at_sites"]
    if len(positions) != len(names):
        raise StructureError(
            f"{len(positions)} cartesian_site_positions but {len(names)} species_at_sites"
        )
    if len(positions) > MAX_SITES:
        raise StructureError(f"{len(positions):,} sites: more than {MAX_SITES:,}")
    species = []
    for index, item in enumerate(attributes["species"]):
        if not isinstance(item, Mapping):
            raise StructureError(f"species[{index}] is not an object")
        species.append(
            Species(
                str(item.get("name", "")),
                tuple(item.get("chemical_symbols") or ()),
                tuple(item.get("concentration") or ()),
                tuple(item["mass"]) if isinstance(item.get("mass"), list) else None,
            )
        )
    dimension_types = attributes.get("dimension_types") or [0, 0, 0]
    if not isinstance(dimension_types, list) or len(dimension_types) != 3:
        raise StructureError("dimension_types must list three 0/1 values")
    pbc = tuple(bool(d) for d in dimension_types)
    vectors = attributes.get("lattice_vectors")
    lattice = None
    if (
        isinstance(vectors, list)
        and len(vectors) == 3
        and all(isinstance(v, list) and all(isinstance(x, int | float) for x in v) for v in vectors)
    ):
        lattice = tuple(tuple(float(x) for x in v) for v in vectors)
    elif any(pbc):
        raise StructureError("a periodic structure needs three numeric lattice_vectors")
    sites = []
    for index, (name, position) in enumerate(zip(names, positions, strict=True)):
        if not (
            isinstance(position, list)
            and len(position) == 3
            and all(isinstance(x, int | float) for x in position)
        ):
            raise StructureError(f"cartesian_site_positions[{index}] is not three numbers")
        sites.append((str(name), tuple(float(x) for x in position)))
    return Structure(
        lattice=lattice,  # type: ignore[arg-type]
        pbc=(pbc[0], pbc[1], pbc[2]),
        species=tuple(species),
        sites=tuple(sites),  # type: ignore[arg-type]
        label=label or str(attributes.get("chemical_formula_descriptive") or ""),
    )


def read_optimade_json(text: str) -> list[Structure]:
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise StructureError(f"not valid JSON: {exc}") from None
    return [from_optimade(document)]


__all__ = ["from_optimade", "read_optimade_json"]
