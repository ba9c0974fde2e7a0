"""CIF (``*.cif``): one structure per data block that has atom sites.

ASE parses the file (tags, loops, the cell, element symbols, the space group and its symmetry
operations); the atoms of the cell are then generated here rather than by ASE's ``crystal()``:

- ASE compares every new site with every site kept so far, in Python: a P1 file with a few
  thousand atoms takes minutes. Here the images of all sites are generated at once and merged
  on a grid of the symmetry tolerance, in time linear in the number of images.
- Partial occupancy must become OPTIMADE species: ASE keeps only the dominant element of a
  mixed site. Here rows at the same position (within :data:`SYMPREC`, also after symmetry)
  form one site whose species has every element with its occupancy, plus a ``vacancy`` for
  the remainder: 0.5 Si + 0.5 Ge -> species "SiGe" ([Si, Ge], [0.5, 0.5]); Si at 0.9 ->
  [Si, vacancy], [0.9, 0.1]. One species per distinct combination.

Rows of the same element meeting at one site are added up when that stays within full
occupancy (mixed valence, Fe2+/Fe3+) and otherwise taken as the same atom listed twice.
Different elements whose occupancies add up to more than one are an error. A block without
cell parameters is a molecule with Cartesian coordinates. Deuterium is read as hydrogen.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np
from ase.io.cif import CIFBlock, parse_cif
from numpy.typing import NDArray

from matcloud.structures.model import (
    MAX_SITES,
    VACANCY,
    Species,
    Structure,
    StructureError,
)
from matcloud.structures.readers._ase import run_parser
from matcloud.structures.readers.limits import MAX_FRAMES

SYMPREC = 1e-3
"""Fractional distance under which two images are the same site (ASE's default too)."""

MAX_LINES = 3 * MAX_SITES
"""ASE tokenises CIF loop rows with ``shlex`` (~30 µs a row): longer files are refused rather
than parsed for minutes."""

MAX_IMAGES = 10 * MAX_SITES
"""Most site images (rows × symmetry operations) generated before merging."""

_OCCUPANCY_SLACK = 0.01  # rounding in files: a site may total up to 1.01 and is rescaled
_CONCENTRATION_DIGITS = 6
_FRACTIONAL_TAGS = ("_atom_site_fract_x", "_atom_site_fract_y", "_atom_site_fract_z")
_CARTESIAN_TAGS = ("_atom_site_cartn_x", "_atom_site_cartn_y", "_atom_site_cartn_z")

Composition = tuple[tuple[str, float], ...]


def read_cif(text: str) -> list[Structure]:
    lines = text.count("\n") + 1
    if lines > MAX_LINES:
        raise StructureError(f"the CIF has {lines} lines; at most {MAX_LINES} are read")
    blocks = run_parser("CIF", lambda: list(parse_cif(io.StringIO(text))))
    structures: list[Structure] = []
    for block in blocks:
        if not run_parser("CIF", block.has_structure):
            continue
        if len(structures) == MAX_FRAMES:
            raise StructureError(f"the CIF has more than {MAX_FRAMES} structures")
        structures.append(_block_structure(block))
    if not structures:
        raise StructureError("the CIF has no atom sites (no _atom_site_ loop with coordinates)")
    return structures


def _block_structure(block: CIFBlock) -> Structure:
    what = f"CIF (data_{block.name})"
    symbols: list[str] = run_parser(what, block.get_symbols)
    count = len(symbols)
    if count > MAX_SITES:
        raise StructureError(f"data_{block.name} lists {count} atom sites; at most {MAX_SITES}")
    labels = _labels(block, symbols)
    occupancies = _occupancies(block, count, labels)
    keep = [i for i in range(count) if occupancies[i] > 0.0]
    if not keep:
        raise StructureError(f"data_{block.name}: every atom site has zero occupancy")
    cell = np.asarray(run_parser(what, lambda: block.get_cell().array), dtype=float)
    fractional = _columns(block, _FRACTIONAL_TAGS, count)
    if not cell.any():
        if fractional is not None:
            raise StructureError(f"data_{block.name} gives fractional coordinates but no cell")
        cartesian = _columns(block, _CARTESIAN_TAGS, count)
        if cartesian is None:
            raise StructureError(f"data_{block.name} has no atom coordinates")
        rows = [((symbols[i], occupancies[i]),) for i in keep]
        return _structure(block.name, None, [cartesian[i] for i in keep], rows)
    if not np.all(np.isfinite(cell)) or abs(np.linalg.det(cell)) < 1e-6:
        raise StructureError(f"data_{block.name} has invalid cell parameters")
    if fractional is None:
        cartesian = _columns(block, _CARTESIAN_TAGS, count)
        if cartesian is None:
            raise StructureError(f"data_{block.name} has no atom coordinates")
        fractional = np.linalg.solve(cell.T, cartesian.T).T
    operations = run_parser(what, lambda: _operations(block))
    rotations = np.array([rotation for rotation, _ in operations], dtype=float)
    translations = np.array([translation for _, translation in operations], dtype=float)
    if len(keep) * len(operations) > MAX_IMAGES:
        raise StructureError(
            f"data_{block.name}: {len(keep)} sites × {len(operations)} symmetry operations "
            f"would exceed the limit of {MAX_SITES} atoms"
        )
    sites, members = _expand(fractional[keep], rotations, translations)
    if len(sites) > MAX_SITES:
        raise StructureError(
            f"data_{block.name} expands to {len(sites)} atoms; at most {MAX_SITES} are accepted"
        )
    kept = [(symbols[i], occupancies[i], labels[i]) for i in keep]
    compositions = [_site_composition([kept[row] for row in rows]) for rows in members]
    return _structure(block.name, cell, list(sites @ cell), compositions)


def _operations(block: CIFBlock) -> list[tuple[Any, Any]]:
    """The block's symmetry operations (rotation, translation), centring included."""
    group = block.get_spacegroup(subtrans_included=True)
    return list(group.get_symop())  # type: ignore[no-untyped-call]


def _labels(block: CIFBlock, symbols: list[str]) -> list[str]:
    labels = block["_atom_site_label"] if "_atom_site_label" in block else None
    if isinstance(labels, list) and len(labels) == len(symbols):
        return [str(label) for label in labels]
    return symbols


def _occupancies(block: CIFBlock, count: int, labels: list[str]) -> list[float]:
    values = _column(block, "_atom_site_occupancy", count, default=1.0)
    if values is None:
        return [1.0] * count
    for label, value in zip(labels, values, strict=True):
        if not 0.0 <= value <= 1.0 + _OCCUPANCY_SLACK:
            raise StructureError(f"atom site {label}: occupancy {value:g} is not between 0 and 1")
    return [min(value, 1.0) for value in values]


def _columns(block: CIFBlock, tags: Sequence[str], count: int) -> NDArray[np.float64] | None:
    columns = [_column(block, tag, count) for tag in tags]
    if any(column is None for column in columns):
        return None
    return np.array(columns, dtype=float).T


def _column(
    block: CIFBlock, tag: str, count: int, default: float | None = None
) -> list[float] | None:
    raw = block[tag] if tag in block else None
    if raw is None:
        return None
    values = raw if isinstance(raw, list) else [raw]
    if len(values) != count:
        raise StructureError(f"{tag} has {len(values)} values for {count} atom sites")
    return [_number(value, tag, default) for value in values]


def _number(value: Any, tag: str, default: float | None) -> float:
    if isinstance(value, str) and value.strip() in ("?", ".") and default is not None:
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise StructureError(f"{tag}: {value!r} is not a number") from None
    if not np.isfinite(number):
        raise StructureError(f"{tag}: {value!r} is not a finite number")
    return number


def _expand(
    fractional: NDArray[np.float64],
    rotations: NDArray[np.float64],
    translations: NDArray[np.float64],
) -> tuple[NDArray[np.float64], list[list[int]]]:
    """Distinct images of the rows under the operations, and the rows meeting at each.

    Images are binned on a periodic grid with cells of :data:`SYMPREC`; occupied cells that
    touch (also across the cell boundary) are one site. Sites come in order of their first
    image (row order, then operation order), like ASE's.
    """
    nrows, nops = len(fractional), len(rotations)
    images = np.einsum("oij,nj->noi", rotations, fractional) + translations[None, :, :]
    images = np.mod(images, 1.0).reshape(-1, 3)
    images[images >= 1.0] = 0.0
    grid = int(round(1.0 / SYMPREC))
    cells = np.floor(images * grid).astype(np.int64) % grid
    keys = (cells[:, 0] * grid + cells[:, 1]) * grid + cells[:, 2]
    unique_keys, inverse = np.unique(keys, return_inverse=True)
    component = _touching_components(unique_keys, grid)
    image_site = component[inverse.reshape(-1)]
    first_image = np.full(len(unique_keys), len(images), dtype=np.int64)
    np.minimum.at(first_image, image_site, np.arange(len(images)))
    roots = np.unique(image_site)
    roots = roots[np.argsort(first_image[roots], kind="stable")]
    site_index = np.full(len(unique_keys), -1, dtype=np.int64)
    site_index[roots] = np.arange(len(roots))
    members: list[list[int]] = [[] for _ in roots]
    pairs = np.unique(site_index[image_site] * nrows + np.arange(len(images)) // nops)
    for pair in pairs.tolist():
        members[pair // nrows].append(pair % nrows)
    return images[first_image[roots]], members


def _touching_components(keys: NDArray[np.int64], grid: int) -> NDArray[np.int64]:
    """For each occupied grid cell, the smallest index of the cells it touches transitively."""
    cells = np.stack([keys // (grid * grid), (keys // grid) % grid, keys % grid], axis=1)
    edges_a, edges_b = [], []
    offsets = [(i, j, k) for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)]
    for offset in offsets[14:]:  # the 13 "forward" neighbours; backward ones are symmetric
        neighbour = (cells + np.array(offset)) % grid
        neighbour_keys = (neighbour[:, 0] * grid + neighbour[:, 1]) * grid + neighbour[:, 2]
        position = np.minimum(np.searchsorted(keys, neighbour_keys), len(keys) - 1)
        found = keys[position] == neighbour_keys
        edges_a.append(np.flatnonzero(found))
        edges_b.append(position[found])
    labels = np.arange(len(keys))
    a, b = np.concatenate(edges_a), np.concatenate(edges_b)
    if len(a) == 0:
        return labels
    while True:
        smallest = np.minimum(labels[a], labels[b])
        updated = labels.copy()
        np.minimum.at(updated, a, smallest)
        np.minimum.at(updated, b, smallest)
        updated = updated[updated]
        if np.array_equal(updated, labels):
            return labels
        labels = updated


def _site_composition(rows: list[tuple[str, float, str]]) -> Composition:
    """(symbol, occupancy) of one site from the rows that meet there."""
    amounts: dict[str, list[float]] = {}
    for symbol, occupancy, _ in rows:
        amounts.setdefault(symbol, []).append(occupancy)
    composition = {
        symbol: sum(values) if sum(values) <= 1.0 + _OCCUPANCY_SLACK else max(values)
        for symbol, values in amounts.items()
    }
    total = sum(composition.values())
    if total > 1.0 + _OCCUPANCY_SLACK:
        names = ", ".join(sorted({label for _, _, label in rows}))
        raise StructureError(
            f"atom sites {names} share a position but their occupancies add up to {total:g}"
        )
    if total > 1.0:
        composition = {symbol: value / total for symbol, value in composition.items()}
    return tuple(composition.items())


def _structure(
    name: str,
    cell: NDArray[np.float64] | None,
    positions: Sequence[Any],
    compositions: Sequence[Composition],
) -> Structure:
    species = _species(compositions)
    return Structure(
        lattice=None if cell is None else tuple(tuple(row) for row in cell.tolist()),
        pbc=(cell is not None, cell is not None, cell is not None),
        species=tuple(species.values()),
        sites=tuple(
            (species[composition].name, tuple(np.asarray(position, dtype=float).tolist()))
            for composition, position in zip(
                (_key(c) for c in compositions), positions, strict=True
            )
        ),
        label=name,
    )


def _key(composition: Composition) -> Composition:
    return tuple((symbol, round(value, _CONCENTRATION_DIGITS)) for symbol, value in composition)


def _species(compositions: Sequence[Composition]) -> dict[Composition, Species]:
    """One species per distinct composition: ordered ones named by element, mixes by their
    elements ("SiGe"), with a numeric suffix only when a name is already taken."""
    distinct = list(dict.fromkeys(_key(composition) for composition in compositions))
    ordered = [key for key in distinct if len(key) == 1 and key[0][1] == 1.0]
    disordered = [key for key in distinct if key not in ordered]
    taken: set[str] = set()
    result: dict[Composition, Species] = {}
    for key in ordered + disordered:
        name = _unique_name("".join(symbol for symbol, _ in key), taken)
        taken.add(name)
        symbols = [symbol for symbol, _ in key]
        concentration = [value for _, value in key]
        missing = round(1.0 - sum(concentration), _CONCENTRATION_DIGITS)
        if missing > 0:
            symbols.append(VACANCY)
            concentration.append(missing)
        result[key] = Species(name, tuple(symbols), tuple(concentration))
    return {key: result[key] for key in distinct}


def _unique_name(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    suffix = 2
    while f"{base}_{suffix}" in taken:
        suffix += 1
    return f"{base}_{suffix}"
