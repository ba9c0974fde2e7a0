"""Crystal structures from a StructureData node's attributes: formula, dimensionality, and the
per-site view the exporters need.

Attributes: ``cell`` (3 vectors, Å), ``pbc1..3``, ``kinds`` (``name``, ``symbols``, ``weights``,
``mass``), ``sites`` (``kind_name``, ``position``). A kind of several symbols, or whose weights
sum below one, is an alloy or has vacancies, and is written ``{Ge0.50Si0.50}`` (``X`` for the
vacancy) in formulae, as aiida writes it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

import numpy as np

from matcloud.explore.restapi.errors import QueryError

DIMENSIONALITY_LABELS = {0: "", 1: "length", 2: "surface", 3: "volume"}
_VACANCY_THRESHOLD = 1.0e-6


@dataclass(frozen=True)
class Kind:
    name: str
    symbols: tuple[str, ...]
    weights: tuple[float, ...]

    @property
    def is_alloy(self) -> bool:
        return len(self.symbols) > 1

    @property
    def has_vacancies(self) -> bool:
        return not 1.0 - sum(self.weights) < _VACANCY_THRESHOLD

    def symbols_string(self) -> str:
        if len(self.symbols) == 1 and self.weights[0] == 1.0:
            return self.symbols[0]
        pieces = [
            f"{symbol}{weight:4.2f}"
            for symbol, weight in zip(self.symbols, self.weights, strict=False)
        ]
        if self.has_vacancies:
            pieces.append(f"X{1.0 - sum(self.weights):4.2f}")
        return "{" + "".join(sorted(pieces)) + "}"


@dataclass(frozen=True)
class Structure:
    cell: list[list[float]]
    pbc: tuple[bool, bool, bool]
    kinds: dict[str, Kind]
    sites: list[tuple[str, list[float]]]

    @classmethod
    def from_attributes(cls, attributes: dict[str, Any]) -> Structure:
        try:
            kinds = {}
            for kind in attributes.get("kinds") or []:
                symbols = kind["symbols"]
                symbols = (symbols,) if isinstance(symbols, str) else tuple(symbols)
                kinds[kind["name"]] = Kind(kind["name"], symbols, tuple(kind["weights"]))
            sites = [
                (site["kind_name"], list(site["position"]))
                for site in attributes.get("sites") or []
            ]
            pbc = (
                bool(attributes.get("pbc1")),
                bool(attributes.get("pbc2")),
                bool(attributes.get("pbc3")),
            )
            return cls(attributes["cell"], pbc, kinds, sites)
        except (KeyError, TypeError) as exc:
            raise QueryError(f"this structure's attributes are incomplete ({exc})") from None

    def kind(self, name: str) -> Kind:
        try:
            return self.kinds[name]
        except KeyError:
            raise QueryError(f"a site has kind {name}, which is not defined") from None

    @property
    def is_alloy(self) -> bool:
        return any(kind.is_alloy for kind in self.kinds.values())

    @property
    def has_vacancies(self) -> bool:
        return any(kind.has_vacancies for kind in self.kinds.values())

    def site_symbols(self) -> list[str]:
        return [self.kind(name).symbols_string() for name, _ in self.sites]

    def formula(self, mode: str = "hill") -> str:
        return formula(self.site_symbols(), compact=mode == "hill_compact")

    def dimensionality(self) -> dict[str, Any]:
        pbc = np.array(self.pbc)
        cell = np.array(self.cell)
        dim = int(pbc.sum())
        value: Any
        if dim == 0:
            value = 0
        elif dim == 1:
            value = np.linalg.norm(cell[pbc])
        elif dim == 2:
            vectors = cell[pbc]
            value = np.linalg.norm(np.cross(vectors[0], vectors[1]))
        else:
            value = np.abs(np.dot(cell[0], np.cross(cell[1], cell[2])))
        return {"dim": dim, "label": DIMENSIONALITY_LABELS[dim], "value": _plain(value)}


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def formula(symbols: Sequence[str], compact: bool = False) -> str:
    """Hill notation: C first, then H, then the rest alphabetically (all alphabetically when
    there is no carbon); counts of 1 omitted; ``compact`` divides by the counts' gcd."""
    order = sorted(
        set(symbols), key=lambda s: {"C": "0", "H": "1"}.get(s, s) if "C" in symbols else s
    )
    counts = [(symbols.count(symbol), symbol) for symbol in order]
    if compact and counts:
        divisor = reduce(math.gcd, [count for count, _ in counts])
        counts = [(count // divisor, symbol) for count, symbol in counts]
    return "".join(f"{symbol}{count if count != 1 else ''}" for count, symbol in counts)


def to_cif(structure: Structure, name: str) -> str:
    """A P1 CIF of the structure: cell, and every site in fractional coordinates (an alloy's
    site once per element, with its weight as occupancy).

    aiida writes its CIF through ASE and PyCifRW; the layout differs, the content is the same.
    """
    cell = np.array(structure.cell, dtype=float)
    lengths = [float(np.linalg.norm(vector)) for vector in cell]

    def angle(i: int, j: int) -> float:
        cosine = float(np.dot(cell[i], cell[j])) / (lengths[i] * lengths[j])
        return math.degrees(math.acos(max(-1.0, min(1.0, cosine))))

    lines = [
        f"data_{re.sub(r'[^A-Za-z0-9_-]', '_', name) or 'structure'}",
        f"_chemical_formula_sum '{structure.formula()}'",
        f"_cell_length_a {lengths[0]:.6f}",
        f"_cell_length_b {lengths[1]:.6f}",
        f"_cell_length_c {lengths[2]:.6f}",
        f"_cell_angle_alpha {angle(1, 2):.6f}",
        f"_cell_angle_beta {angle(0, 2):.6f}",
        f"_cell_angle_gamma {angle(0, 1):.6f}",
        "_symmetry_space_group_name_H-M 'P 1'",
        "_symmetry_Int_Tables_number 1",
        "loop_",
        "_symmetry_equiv_pos_as_xyz",
        "'x, y, z'",
        "loop_",
        "_atom_site_label",
        "_atom_site_type_symbol",
        "_atom_site_fract_x",
        "_atom_site_fract_y",
        "_atom_site_fract_z",
        "_atom_site_occupancy",
    ]
    inverse = np.linalg.inv(cell)
    count = 0
    for kind_name, position in structure.sites:
        kind = structure.kind(kind_name)
        fractional = np.dot(np.array(position, dtype=float), inverse)
        for symbol, weight in zip(kind.symbols, kind.weights, strict=False):
            count += 1
            coordinates = " ".join(f"{value:.6f}" for value in fractional)
            lines.append(f"{symbol}{count} {symbol} {coordinates} {weight:.4f}")
    return "\n".join(lines) + "\n"
