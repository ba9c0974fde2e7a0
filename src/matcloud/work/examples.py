"""Built-in example crystals: one for each of the 29 extended Bravais lattices of the HPKOT
convention (the labels SeeK-path returns), made here rather than downloaded.

Each example is a space group (spglib's database, standard setting) with lattice parameters
chosen to fall in that extended lattice (the ``oF2``/``oI2``/``oC2`` variants exist only for
some groups), and two atoms expanded by the group's operations: Si at the origin and O at a
general position, so the crystal has exactly the group's symmetry; the cell is scaled so that
no two atoms are closer than 1.6 Å. The tests check that
SeeK-path classifies every example as labelled.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import spglib

from matcloud.structures import Species, Structure
from matcloud.structures.writers import write_structure

#: label -> (space group number, a, b, c, alpha, beta, gamma), in the group's standard setting.
BRAVAIS_EXAMPLES: dict[str, tuple[int, float, float, float, float, float, float]] = {
    "cP1": (195, 4.0, 4.0, 4.0, 90, 90, 90),
    "cP2": (221, 4.0, 4.0, 4.0, 90, 90, 90),
    "cF1": (196, 6.0, 6.0, 6.0, 90, 90, 90),
    "cF2": (225, 6.0, 6.0, 6.0, 90, 90, 90),
    "cI1": (229, 5.0, 5.0, 5.0, 90, 90, 90),
    "tP1": (123, 3.0, 3.0, 5.0, 90, 90, 90),
    "tI1": (139, 5.0, 5.0, 3.0, 90, 90, 90),
    "tI2": (139, 3.0, 3.0, 6.0, 90, 90, 90),
    "oP1": (47, 3.0, 4.0, 5.0, 90, 90, 90),
    "oF1": (69, 3.0, 4.0, 10.0, 90, 90, 90),
    "oF2": (42, 8.8, 8.0, 5.7, 90, 90, 90),
    "oF3": (69, 4.0, 5.0, 6.0, 90, 90, 90),
    "oI1": (71, 3.0, 4.0, 6.0, 90, 90, 90),
    "oI2": (46, 7.7, 5.4, 7.4, 90, 90, 90),
    "oI3": (44, 7.0, 8.7, 4.4, 90, 90, 90),
    "oC1": (65, 3.0, 5.0, 4.0, 90, 90, 90),
    "oC2": (36, 6.4, 6.3, 3.5, 90, 90, 90),
    "oA1": (38, 4.0, 3.0, 5.0, 90, 90, 90),
    "oA2": (38, 4.0, 5.0, 3.0, 90, 90, 90),
    "hP1": (143, 3.0, 3.0, 5.0, 90, 90, 120),
    "hP2": (191, 3.0, 3.0, 5.0, 90, 90, 120),
    "hR1": (166, 3.0, 3.0, 8.0, 90, 90, 120),
    "hR2": (166, 4.0, 4.0, 3.0, 90, 90, 120),
    "mP1": (10, 3.0, 4.0, 5.0, 90, 100, 90),
    "mC1": (12, 6.0, 3.0, 4.0, 90, 100, 90),
    "mC2": (12, 3.0, 6.0, 4.0, 90, 100, 90),
    "mC3": (12, 4.4, 5.0, 2.6, 90, 100, 90),
    "aP2": (2, 3.0, 4.0, 5.0, 80, 70, 65),
    "aP3": (2, 3.0, 4.0, 5.0, 100, 110, 120),
}
NAMES = {
    "c": "cubic",
    "t": "tetragonal",
    "o": "orthorhombic",
    "h": "hexagonal",
    "m": "monoclinic",
    "a": "triclinic",
}
CENTRING = {
    "P": "primitive",
    "F": "face-centred",
    "I": "body-centred",
    "C": "base-centred",
    "A": "base-centred",
    "R": "rhombohedral",
}
#: Candidate general positions for the O atoms (Si sits at the origin).
GENERAL = ((0.13, 0.27, 0.41), (0.21, 0.07, 0.33), (0.38, 0.11, 0.17), (0.31, 0.04, 0.12))
#: Shortest distance between atoms of an example, Å.
MIN_DISTANCE = 1.6


@functools.cache
def _standard_hall_numbers() -> dict[int, int]:
    first: dict[int, int] = {}
    for hall in range(1, 531):
        group = spglib.get_spacegroup_type(hall, _throw=True)
        assert group is not None
        first.setdefault(group.number, hall)
    return first


def lattice_vectors(
    a: float, b: float, c: float, alpha: float, beta: float, gamma: float
) -> np.ndarray:
    al, be, ga = np.radians([alpha, beta, gamma])
    cx = c * np.cos(be)
    cy = c * (np.cos(al) - np.cos(be) * np.cos(ga)) / np.sin(ga)
    cz = np.sqrt(c * c - cx * cx - cy * cy)
    return np.array([[a, 0.0, 0.0], [b * np.cos(ga), b * np.sin(ga), 0.0], [cx, cy, cz]])


def _orbit(symmetry: dict[str, np.ndarray], point: tuple[float, ...]) -> list[np.ndarray]:
    """The distinct images of a fractional point under the group's operations."""
    orbit: list[np.ndarray] = []
    for rotation, translation in zip(symmetry["rotations"], symmetry["translations"], strict=True):
        image = (rotation @ np.array(point) + translation) % 1.0
        if not any(np.allclose((image - seen + 0.5) % 1.0 - 0.5, 0.0, atol=1e-6) for seen in orbit):
            orbit.append(image)
    return orbit


def example_structure(label: str) -> Structure:
    number, *parameters = BRAVAIS_EXAMPLES[label]
    with warnings.catch_warnings():  # spglib warns about its old error handling here
        warnings.simplefilter("ignore", DeprecationWarning)
        symmetry = spglib.get_symmetry_from_database(_standard_hall_numbers()[number])
    assert symmetry is not None
    lattice = lattice_vectors(*parameters)
    origin = _orbit(symmetry, (0.0, 0.0, 0.0))
    # the general position (of a few) whose atoms keep farthest apart
    best = max(
        (origin + _orbit(symmetry, point) for point in GENERAL),
        key=lambda orbit: _shortest(np.array(orbit) @ lattice, lattice),
    )
    sites: list[tuple[str, tuple[float, float, float]]] = []
    for n, image in enumerate(best):
        x, y, z = (float(v) for v in image @ lattice)
        sites.append(("Si" if n < len(origin) else "O", (x, y, z)))
    # no two atoms closer than MIN_DISTANCE: the cell is scaled (its shape, and so its
    # extended Bravais lattice, stays)
    points = np.array([position for _, position in sites])
    scale = max(1.0, MIN_DISTANCE / _shortest(points, lattice))
    lattice = lattice * scale
    sites = [(s, (x * scale, y * scale, z * scale)) for s, (x, y, z) in sites]
    return Structure(
        lattice=tuple((float(r[0]), float(r[1]), float(r[2])) for r in lattice),
        pbc=(True, True, True),
        species=(Species("Si", ("Si",), (1.0,)), Species("O", ("O",), (1.0,))),
        sites=tuple(sites),
        label=f"{label} example (space group {number})",
    )


def _shortest(points: np.ndarray, lattice: np.ndarray) -> float:
    """The shortest distance between two atoms (periodic images included)."""
    shifts = np.array([[i, j, k] for i in (-1, 0, 1) for j in (-1, 0, 1) for k in (-1, 0, 1)])
    images = (shifts @ lattice)[:, None, :] + points[None, :, :]  # (27, n, 3)
    deltas = points[:, None, None, :] - images[None, :, :, :]  # (n, 27, n, 3)
    distances = np.linalg.norm(deltas, axis=-1)
    distances[distances < 1e-8] = np.inf
    return float(distances.min())


def example_title(label: str) -> str:
    number = BRAVAIS_EXAMPLES[label][0]
    group = spglib.get_spacegroup_type(_standard_hall_numbers()[number], _throw=True)
    assert group is not None
    symbol = group.international_short
    kind = f"{CENTRING[label[1]]} {NAMES[label[0]]}"
    return f"{label}: {kind}, {symbol} ({number})"


@functools.cache
def bravais_examples() -> dict[str, tuple[str, str, bytes]]:
    """name -> (title, file name, POSCAR bytes), for the tools' example menus."""
    return {
        label: (
            example_title(label),
            f"{label}.POSCAR",
            write_structure(example_structure(label), "poscar").encode(),
        )
        for label in BRAVAIS_EXAMPLES
    }


__all__ = ["BRAVAIS_EXAMPLES", "bravais_examples", "example_structure", "example_title"]
