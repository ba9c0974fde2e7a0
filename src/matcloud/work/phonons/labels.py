"""Names of the high-symmetry q-points on a path, and the ticks of the dispersion plot.

The file's own labels come first (phonopy writes them when it was given some). Other points
are matched against SeeK-path's high-symmetry points of the crystal (HPKOT convention):
the q-point is taken to SeeK-path's standardised frame (its rotation) and reduced
coordinates of the standardised primitive reciprocal cell, where a point and its images by
a reciprocal lattice vector are the same point.
"""

from __future__ import annotations

import warnings

import numpy as np
import seekpath

from matcloud.work.kpath import pretty
from matcloud.work.phonons.model import PhononBands

TOLERANCE = 1e-4


def seekpath_labels(bands: PhononBands) -> dict[int, str]:
    """Labels of the q-points that are SeeK-path high-symmetry points (none when SeeK-path
    cannot analyse the crystal)."""
    lattice = np.array(bands.structure.lattice, dtype=float)
    cartesian = np.array([p for _, p in bands.structure.sites], dtype=float)
    names = [name for name, _ in bands.structure.sites]
    kinds = {name: n for n, name in enumerate(dict.fromkeys(names), start=1)}
    cell = (lattice, cartesian @ np.linalg.inv(lattice), [kinds[n] for n in names])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            path = seekpath.get_path(cell, with_time_reversal=True, symprec=1e-3)
    except Exception:  # seekpath/spglib: no symmetry found, a 2D cell, ...
        return {}
    rotation = np.array(path["rotation_matrix"], dtype=float)
    reciprocal = np.array(path["reciprocal_primitive_lattice"], dtype=float)
    k = 2 * np.pi * bands.cartesian_q() @ rotation.T
    reduced = k @ np.linalg.inv(reciprocal)
    labels: dict[int, str] = {}
    for name, coords in path["point_coords"].items():
        offset = reduced - np.array(coords)
        found = np.all(np.abs(offset - np.round(offset)) < TOLERANCE, axis=1)
        for index in np.nonzero(found)[0]:
            labels.setdefault(int(index), pretty(name))
    return labels


def point_labels(bands: PhononBands) -> dict[int, str]:
    """Labels by q-point index: the file's, else SeeK-path's."""
    return {**seekpath_labels(bands), **bands.labels}


def ticks(
    bands: PhononBands, distances: np.ndarray, labels: dict[int, str]
) -> list[dict[str, object]]:
    """``[{"x": distance, "label": "Γ"}]`` at labelled points, piece ends (``U|K`` at a
    jump) and the path's ends."""
    marks: dict[float, list[str]] = {}
    wanted = set(labels)
    for start, stop in bands.pieces:
        wanted.update((start, stop - 1))
    for index in sorted(wanted):
        x = round(float(distances[index]), 8)
        label = labels.get(index, "")
        names = marks.setdefault(x, [])
        if label and label not in names:
            names.append(label)
    return [{"x": x, "label": "|".join(names)} for x, names in sorted(marks.items())]


__all__ = ["point_labels", "seekpath_labels", "ticks"]
