"""The one crystal-structure model every section shares.

A :class:`Structure` is what the readers produce, what AiiDA nodes turn into and what the
OPTIMADE properties are computed from, so that "the formula of this file" means the same thing
in uploads, archive imports and the OPTIMADE API. It follows OPTIMADE's own vocabulary
(lattice vectors, Cartesian sites, species with concentrations) because that is the richest
representation any of our inputs needs: partial occupancy and vacancies are species with
several symbols, not a side channel.

Instances are validated and normalised on construction (lists become tuples, numpy scalars
become floats), so code holding a ``Structure`` never re-checks it: every site names a known
species, every number is finite, a periodic structure has a non-degenerate lattice, and
nobody can build one larger than :data:`MAX_SITES`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ase.data import chemical_symbols as _ase_symbols

MAX_SITES = 100_000
"""The largest structure accepted anywhere; bigger inputs are refused, not truncated."""

VACANCY = "vacancy"
"""OPTIMADE's chemical symbol for the empty part of a partially occupied site."""

DUMMY = "X"
"""OPTIMADE's (and ASE's) symbol for a non-chemical element."""

ELEMENTS: frozenset[str] = frozenset(_ase_symbols[1:])
"""Valid chemical-element symbols (H … Og); ``X`` and ``vacancy`` are not elements."""

SPECIES_SYMBOLS: frozenset[str] = ELEMENTS | {DUMMY, VACANCY}

_CONCENTRATION_TOLERANCE = 1e-6
_MIN_CELL_VOLUME = 1e-6  # Å^3; below this the three vectors do not span space

Vector = tuple[float, float, float]


class StructureError(ValueError):
    """A structure could not be read or built; the message is meant for a person."""


@dataclass(frozen=True)
class Species:
    """What may sit on a site: one element, or a statistical mix (with ``vacancy``/``X``).

    ``concentration`` holds the probability of each of ``chemical_symbols``; the numbers
    sum to at most one (a shortfall is an implicit vacancy). ``mass`` (a.m.u.), when known,
    is per symbol, and a vacancy's mass is 0.
    """

    name: str
    chemical_symbols: tuple[str, ...]
    concentration: tuple[float, ...]
    mass: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise StructureError("a species needs a non-empty name")
        symbols = _str_tuple(self.chemical_symbols, f"species {self.name!r}: chemical_symbols")
        concentration = _float_tuple(
            self.concentration, f"species {self.name!r}: concentration", len(symbols)
        )
        if not symbols:
            raise StructureError(f"species {self.name!r} has no chemical symbols")
        for symbol in symbols:
            if symbol not in SPECIES_SYMBOLS:
                raise StructureError(f"species {self.name!r}: {symbol!r} is not a chemical element")
        if len(set(symbols)) != len(symbols):
            raise StructureError(f"species {self.name!r} repeats a chemical symbol")
        for value in concentration:
            if not 0.0 < value <= 1.0 + _CONCENTRATION_TOLERANCE:
                raise StructureError(
                    f"species {self.name!r}: concentration {value} is not in (0, 1]"
                )
        if sum(concentration) > 1.0 + _CONCENTRATION_TOLERANCE:
            raise StructureError(
                f"species {self.name!r}: concentrations sum to {sum(concentration):g} > 1"
            )
        mass = None
        if self.mass is not None:
            mass = _float_tuple(self.mass, f"species {self.name!r}: mass", len(symbols))
            if any(value < 0 for value in mass):
                raise StructureError(f"species {self.name!r}: a mass is negative")
        object.__setattr__(self, "chemical_symbols", symbols)
        object.__setattr__(self, "concentration", concentration)
        object.__setattr__(self, "mass", mass)

    @property
    def is_ordered(self) -> bool:
        """One real symbol with full occupancy: no alloy, no vacancy."""
        return (
            len(self.chemical_symbols) == 1
            and self.chemical_symbols[0] != VACANCY
            and self.concentration[0] >= 1.0 - _CONCENTRATION_TOLERANCE
        )

    def element_amounts(self) -> Iterable[tuple[str, float]]:
        """(element, amount) for the chemical elements only: no vacancy, no ``X``."""
        for symbol, amount in zip(self.chemical_symbols, self.concentration, strict=True):
            if symbol in ELEMENTS:
                yield symbol, amount


@dataclass(frozen=True)
class Structure:
    """Atoms in space: an optional lattice, periodicity, species and Cartesian sites (Å).

    ``lattice`` holds three row vectors, or is ``None`` for a molecule (then no direction
    may be periodic). ``sites`` pairs a species name with a Cartesian position.
    """

    lattice: tuple[Vector, ...] | None
    pbc: tuple[bool, bool, bool]
    species: tuple[Species, ...]
    sites: tuple[tuple[str, Vector], ...]
    label: str = ""

    def __post_init__(self) -> None:
        lattice = None if self.lattice is None else _lattice(self.lattice)
        pbc = tuple(self.pbc)
        if len(pbc) != 3 or not all(isinstance(flag, bool) for flag in pbc):
            raise StructureError("pbc must be three booleans")
        if any(pbc) and lattice is None:
            raise StructureError("a periodic structure needs lattice vectors")
        species = tuple(self.species)
        if not all(isinstance(item, Species) for item in species):
            raise StructureError("species must be Species instances")
        names = {item.name for item in species}
        if len(names) != len(species):
            raise StructureError("species names must be unique")
        sites = _sites(self.sites, names)
        object.__setattr__(self, "lattice", lattice)
        object.__setattr__(self, "pbc", pbc)
        object.__setattr__(self, "species", species)
        object.__setattr__(self, "sites", sites)
        object.__setattr__(self, "label", str(self.label))

    @property
    def nsites(self) -> int:
        return len(self.sites)

    @property
    def nperiodic_dimensions(self) -> int:
        return sum(self.pbc)

    @property
    def volume(self) -> float | None:
        """Cell volume in Å^3, or ``None`` without a lattice."""
        return None if self.lattice is None else abs(_det(self.lattice))

    @property
    def species_by_name(self) -> dict[str, Species]:
        return {item.name: item for item in self.species}

    def used_species(self) -> tuple[Species, ...]:
        """The species that sit on at least one site, in declaration order."""
        used = {name for name, _ in self.sites}
        return tuple(item for item in self.species if item.name in used)

    @property
    def is_ordered(self) -> bool:
        """Every occupied site holds exactly one atom of one element (or ``X``)."""
        return all(item.is_ordered for item in self.used_species())

    def composition(self) -> dict[str, float]:
        """Amount of each chemical element over all sites (concentration-weighted)."""
        counts: dict[str, int] = {}
        for name, _ in self.sites:
            counts[name] = counts.get(name, 0) + 1
        by_name = self.species_by_name
        totals: dict[str, float] = {}
        for name, count in counts.items():
            for element, amount in by_name[name].element_amounts():
                totals[element] = totals.get(element, 0.0) + amount * count
        return totals


def lattice_for(cell: Any, pbc: Sequence[bool]) -> tuple[Vector, ...] | None:
    """The lattice to store for a cell a reader or an archive gave.

    Tools write "no cell" as zeros (ASE) or keep a meaningless box around a molecule; when no
    direction is periodic such a cell is dropped (``None``) instead of refused. A periodic
    structure must have a real cell, so there the error stands.
    """
    if cell is None:
        return None
    vectors = _vectors(cell)
    if not any(pbc) and abs(_det(vectors)) < _MIN_CELL_VOLUME:
        return None
    return _lattice(vectors)


def _str_tuple(values: Any, what: str) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise StructureError(f"{what} must be a list of strings")
    if not all(isinstance(value, str) for value in values):
        raise StructureError(f"{what} must be a list of strings")
    return tuple(values)


def _float_tuple(values: Any, what: str, length: int) -> tuple[float, ...]:
    try:
        numbers = tuple(_finite(value, what) for value in values)
    except TypeError:
        raise StructureError(f"{what} must be a list of numbers") from None
    if len(numbers) != length:
        raise StructureError(f"{what} has {len(numbers)} entries, expected {length}")
    return numbers


def _finite(value: Any, what: str) -> float:
    if isinstance(value, bool | str | bytes):
        raise StructureError(f"{what}: {value!r} is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise StructureError(f"{what}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise StructureError(f"{what}: {number} is not a finite number")
    return number


def _vector(value: Any, what: str) -> Vector:
    if isinstance(value, str) or not isinstance(value, Sequence | Iterable):
        raise StructureError(f"{what} must be three numbers")
    numbers = _float_tuple(value, what, 3)
    return numbers[0], numbers[1], numbers[2]


def _lattice(value: Any) -> tuple[Vector, ...]:
    lattice = _vectors(value)
    if abs(_det(lattice)) < _MIN_CELL_VOLUME:
        raise StructureError("the lattice vectors are degenerate (the cell has no volume)")
    return lattice


def _vectors(value: Any) -> tuple[Vector, ...]:
    try:
        rows = list(value)
    except TypeError:
        raise StructureError("the lattice must be three vectors") from None
    if len(rows) != 3:
        raise StructureError(f"the lattice has {len(rows)} vectors, expected 3")
    return tuple(_vector(row, f"lattice vector {i + 1}") for i, row in enumerate(rows))


def _sites(value: Any, names: set[str]) -> tuple[tuple[str, Vector], ...]:
    try:
        count = len(value)
    except TypeError:
        raise StructureError("sites must be a list of (species, position) pairs") from None
    if count == 0:
        raise StructureError("the structure has no atoms")
    if count > MAX_SITES:
        raise StructureError(f"the structure has {count} sites; at most {MAX_SITES} are accepted")
    sites = []
    for index, site in enumerate(value):
        try:
            name, position = site
        except (TypeError, ValueError):
            raise StructureError(f"site {index + 1} is not a (species, position) pair") from None
        if name not in names:
            raise StructureError(f"site {index + 1} names an unknown species {name!r}")
        sites.append((name, _vector(position, f"site {index + 1} position")))
    return tuple(sites)


def _det(m: Sequence[Sequence[float]]) -> float:
    return (
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
        - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
        + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    )
