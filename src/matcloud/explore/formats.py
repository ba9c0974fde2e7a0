"""AiiDA ``StructureData`` as people want it: geometry (lengths, angles, volume, formula) and
files for other codes (CIF, XSF, POSCAR).

The exporters are small on purpose and read only the node's attributes (``cell``,
``pbc1..3``, ``kinds``, ``sites``), which is all an archive holds of a structure. They write
exactly what is stored: no symmetry search (CIF is written in P1), no reordering beyond what a
format demands (POSCAR groups atoms by species), full precision. A kind that mixes elements (an
alloy site) becomes one CIF row per element with its occupancy; XSF and POSCAR cannot say that,
so they take the element of largest weight.

Attribute values come from an untrusted file: every number is checked, names that would break a
format are replaced, and :class:`StructureError` says what is wrong.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

ELEMENTS = (
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As "
    "Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd "
    "Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am "
    "Cm Bk Cf Es Fm Md No Lr Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og"
).split()
ATOMIC_NUMBER = {symbol: number for number, symbol in enumerate(ELEMENTS, start=1)}
#: What a symbol that is no element is written as (AiiDA uses "X" for unknown sites too).
UNKNOWN = "X"
MAX_SITES = 100_000
_LABEL = re.compile(r"[^A-Za-z0-9_]")


class StructureError(ValueError):
    """The attributes do not describe a structure (missing, malformed or out of range)."""


@dataclass(frozen=True)
class Kind:
    name: str
    symbols: tuple[str, ...]
    weights: tuple[float, ...]

    @property
    def main_symbol(self) -> str:
        """The element of largest weight: what a format without occupancies can show."""
        return max(zip(self.weights, self.symbols, strict=True))[1]

    @property
    def is_alloy(self) -> bool:
        return len(self.symbols) > 1

    @property
    def has_vacancies(self) -> bool:
        return sum(self.weights) < 1.0 - 1e-6

    @property
    def display(self) -> str:
        if not self.is_alloy and not self.has_vacancies:
            return self.symbols[0]
        return "".join(f"{s}{_number(w)}" for s, w in zip(self.symbols, self.weights, strict=True))


@dataclass(frozen=True)
class Site:
    kind: Kind
    position: tuple[float, float, float]


@dataclass(frozen=True)
class Structure:
    cell: tuple[tuple[float, float, float], ...]
    pbc: tuple[bool, bool, bool]
    kinds: tuple[Kind, ...]
    sites: tuple[Site, ...]

    @classmethod
    def from_attributes(cls, attributes: dict[str, Any]) -> Structure:
        cell = _matrix(attributes.get("cell"))
        pbc = tuple(bool(attributes.get(f"pbc{i}", True)) for i in (1, 2, 3))
        kinds: dict[str, Kind] = {}
        for raw in _list(attributes.get("kinds"), "kinds"):
            kind = _kind(raw)
            kinds[kind.name] = kind
        sites = []
        for raw in _list(attributes.get("sites"), "sites")[:MAX_SITES]:
            if not isinstance(raw, dict) or raw.get("kind_name") not in kinds:
                raise StructureError("a site names a kind the structure does not have")
            position = _vector(raw.get("position"))
            sites.append(Site(kinds[raw["kind_name"]], position))
        return cls(cell, (pbc[0], pbc[1], pbc[2]), tuple(kinds.values()), tuple(sites))

    # -- geometry --------------------------------------------------------------------------

    @property
    def matrix(self) -> np.ndarray[Any, Any]:
        return np.array(self.cell, dtype=float)

    @property
    def lengths(self) -> tuple[float, float, float]:
        a, b, c = (float(np.linalg.norm(v)) for v in self.matrix)
        return a, b, c

    @property
    def angles(self) -> tuple[float, float, float]:
        """alpha (b, c), beta (a, c), gamma (a, b) in degrees; 0 for a zero vector."""
        a, b, c = self.matrix

        def angle(u: np.ndarray[Any, Any], v: np.ndarray[Any, Any]) -> float:
            norm = float(np.linalg.norm(u) * np.linalg.norm(v))
            if norm == 0:
                return 0.0
            cosine = max(-1.0, min(1.0, float(np.dot(u, v)) / norm))
            return math.degrees(math.acos(cosine))

        return angle(b, c), angle(a, c), angle(a, b)

    @property
    def volume(self) -> float:
        return abs(float(np.linalg.det(self.matrix)))

    @property
    def formula(self) -> str:
        """Hill order (C, H, then alphabetical; alphabetical without carbon); an alloy or
        vacancy site counts as its composition, e.g. ``(Ge0.5Si0.5)H``."""
        counts: Counter[str] = Counter()
        for site in self.sites:
            kind = site.kind
            counts[kind.symbols[0] if not (kind.is_alloy or kind.has_vacancies) else
                   f"({kind.display})"] += 1  # fmt: skip
        plain = [s for s in counts if not s.startswith("(")]
        mixed = sorted(s for s in counts if s.startswith("("))
        if "C" in plain:
            order = ["C", *(["H"] if "H" in plain else [])]
            order += sorted(s for s in plain if s not in ("C", "H"))
        else:
            order = sorted(plain)
        return "".join(f"{s}{counts[s] if counts[s] > 1 else ''}" for s in order + mixed)

    def fractional(self) -> np.ndarray[Any, Any]:
        """Site positions in units of the cell vectors (StructureError if the cell is flat)."""
        if self.volume < 1e-10:
            raise StructureError("the cell has no volume, so there are no fractional coordinates")
        positions = np.array([s.position for s in self.sites], dtype=float).reshape(-1, 3)
        result: np.ndarray[Any, Any] = positions @ np.linalg.inv(self.matrix)
        return result


# -- exporters ---------------------------------------------------------------------------------


def to_cif(structure: Structure, title: str = "structure") -> str:
    """CIF 1.1 in P1: cell parameters, then every site in fractional coordinates."""
    a, b, c = structure.lengths
    alpha, beta, gamma = structure.angles
    fractional = structure.fractional()
    name = _LABEL.sub("_", title)[:60] or "structure"
    lines = [
        f"data_{name}",
        "_symmetry_space_group_name_H-M   'P 1'",
        "_symmetry_Int_Tables_number      1",
        f"_cell_length_a    {a:.10f}",
        f"_cell_length_b    {b:.10f}",
        f"_cell_length_c    {c:.10f}",
        f"_cell_angle_alpha {alpha:.10f}",
        f"_cell_angle_beta  {beta:.10f}",
        f"_cell_angle_gamma {gamma:.10f}",
        f"_cell_volume      {structure.volume:.10f}",
        f"_chemical_formula_sum '{_formula_sum(structure)}'",
        "loop_",
        "_symmetry_equiv_pos_as_xyz",
        "  'x, y, z'",
        "loop_",
        "_atom_site_label",
        "_atom_site_type_symbol",
        "_atom_site_fract_x",
        "_atom_site_fract_y",
        "_atom_site_fract_z",
        "_atom_site_occupancy",
    ]
    numbers: Counter[str] = Counter()
    for site, (x, y, z) in zip(structure.sites, fractional, strict=True):
        for symbol, weight in zip(site.kind.symbols, site.kind.weights, strict=True):
            symbol = _element(symbol)
            numbers[symbol] += 1
            lines.append(
                f"{symbol}{numbers[symbol]} {symbol} {x:.10f} {y:.10f} {z:.10f} {_number(weight)}"
            )
    return "\n".join(lines) + "\n"


def to_xsf(structure: Structure) -> str:
    """XCrySDen XSF: CRYSTAL, SLAB or POLYMER (with the cell), or MOLECULE; Cartesian Å."""
    periodic = sum(structure.pbc)
    keyword = {3: "CRYSTAL", 2: "SLAB", 1: "POLYMER", 0: "MOLECULE"}[periodic]
    atoms = [
        f"{ATOMIC_NUMBER.get(site.kind.main_symbol, 0):3d} "
        + " ".join(f"{v:16.10f}" for v in site.position)
        for site in structure.sites
    ]
    if periodic == 0:
        return "\n".join([keyword, "ATOMS", *atoms]) + "\n"
    cell = [" ".join(f"{v:16.10f}" for v in row) for row in structure.cell]
    return "\n".join([keyword, "PRIMVEC", *cell, "PRIMCOORD", f"{len(atoms)} 1", *atoms]) + "\n"


def to_poscar(structure: Structure, comment: str = "") -> str:
    """VASP 5 POSCAR: species names and counts, atoms grouped by species, Cartesian Å."""
    order: dict[str, list[Site]] = {}
    for site in structure.sites:
        order.setdefault(_element(site.kind.main_symbol), []).append(site)
    first = " ".join((comment or structure.formula or "structure").split())[:200]
    lines = [first or "structure", "1.0"]
    lines += ["  " + " ".join(f"{v:16.10f}" for v in row) for row in structure.cell]
    lines.append("  " + " ".join(order))
    lines.append("  " + " ".join(str(len(sites)) for sites in order.values()))
    lines.append("Cartesian")
    for symbol, sites in order.items():
        for site in sites:
            lines.append("  " + " ".join(f"{v:16.10f}" for v in site.position) + f"  {symbol}")
    return "\n".join(lines) + "\n"


#: format -> (its name for people, file suffix, media type)
EXPORTERS = {
    "cif": ("CIF", ".cif", "chemical/x-cif"),
    "xsf": ("XSF", ".xsf", "text/plain"),
    "poscar": ("POSCAR", ".vasp", "text/plain"),
}


def export(structure: Structure, fmt: str, title: str = "") -> str:
    """The structure in format ``fmt`` (a key of :data:`EXPORTERS`)."""
    if fmt == "cif":
        return to_cif(structure, title or "structure")
    if fmt == "xsf":
        return to_xsf(structure)
    if fmt == "poscar":
        return to_poscar(structure, title)
    raise KeyError(fmt)


# -- parsing helpers ---------------------------------------------------------------------------


def _number(value: float) -> str:
    return f"{value:.6g}"


def _element(symbol: str) -> str:
    return symbol if symbol in ATOMIC_NUMBER else UNKNOWN


def _formula_sum(structure: Structure) -> str:
    totals: dict[str, float] = {}
    for site in structure.sites:
        for symbol, weight in zip(site.kind.symbols, site.kind.weights, strict=True):
            totals[_element(symbol)] = totals.get(_element(symbol), 0.0) + weight
    return " ".join(f"{s}{_number(n)}" for s, n in sorted(totals.items()))


def _finite(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise StructureError(f"{value!r} is not a finite number")
    return float(value)


def _vector(value: Any) -> tuple[float, float, float]:
    if not isinstance(value, list | tuple) or len(value) != 3:
        raise StructureError("a position or cell vector does not have three numbers")
    x, y, z = (_finite(v) for v in value)
    return x, y, z


def _matrix(value: Any) -> tuple[tuple[float, float, float], ...]:
    if not isinstance(value, list | tuple) or len(value) != 3:
        raise StructureError("the cell is not three vectors")
    return tuple(_vector(row) for row in value)


def _list(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise StructureError(f"the structure has no list of {name}")
    return value


def _kind(raw: Any) -> Kind:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise StructureError("a kind has no name")
    symbols = raw.get("symbols")
    weights = raw.get("weights")
    if not isinstance(symbols, list) or not symbols or not all(isinstance(s, str) for s in symbols):
        raise StructureError(f"kind {raw['name']!r} has no symbols")
    if not isinstance(weights, list) or len(weights) != len(symbols):
        weights = [1.0 / len(symbols)] * len(symbols)
    return Kind(raw["name"], tuple(symbols), tuple(_finite(w) for w in weights))


__all__ = [
    "ELEMENTS",
    "EXPORTERS",
    "Kind",
    "Site",
    "Structure",
    "StructureError",
    "export",
    "to_cif",
    "to_poscar",
    "to_xsf",
]
