"""The phonon visualiser: a dispersion whose branches animate their modes.

Input: phonopy's ``band.yaml`` with eigenvectors, or Quantum ESPRESSO's ``matdyn.modes``
together with the pw.x input or output of the crystal (the companion file). The result holds
the crystal, the path (distances, q-points, ticks with high-symmetry labels), one curve per
branch connected by eigenvector overlap (or sorted by frequency, if asked), and ``order``:
which of the file's modes each branch is at each q-point. A mode's displacement pattern,
what the page animates, is served one at a time (:func:`mode_document`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

import numpy as np

from matcloud.structures.optimade import optimade_properties
from matcloud.work.phonons.band_yaml import read_band_yaml
from matcloud.work.phonons.connect import connect, sorted_order
from matcloud.work.phonons.labels import point_labels, ticks
from matcloud.work.phonons.matdyn import read_matdyn_modes, read_pwx
from matcloud.work.phonons.model import THZ_TO_CM1, PhononBands, PhononFileError
from matcloud.work.tools.base import Example, Option, ToolError, ToolInput, input_text

MAX_BYTES = 16 * 1024 * 1024
_NATOM = re.compile(r"^natom:\s*(\d+)", re.M)
MAX_ATOMS = 100
FORMATS = {
    "phonopy": "phonopy band.yaml (with eigenvectors)",
    "matdyn": "Quantum ESPRESSO matdyn.modes (with the pw.x input or output)",
}
COMPANION = "The pw.x input or output of the crystal (for a matdyn.modes file)"
OPTIONS = (
    Option(
        "connect",
        "Connect the branches by",
        "choice",
        "eigenvectors",
        choices=("eigenvectors", "frequencies"),
        help="Eigenvector overlap follows a branch through crossings; sorting by frequency "
        "swaps branches where they cross.",
    ),
)


def _format(given: ToolInput, text: str) -> str:
    if given.fmt:
        if given.fmt not in FORMATS:
            raise ToolError(f"Unknown format {given.fmt!r}: one of {', '.join(FORMATS)}.", 400)
        return given.fmt
    name = given.filename.lower()
    if name.endswith((".yaml", ".yml")):
        return "phonopy"
    if "modes" in name:
        return "matdyn"
    head = text[:50_000]
    if "phonon:" in head and "q-position" in head:
        return "phonopy"
    if "freq (" in head or "omega(" in head:
        return "matdyn"
    raise ToolError(
        f"Cannot tell the format of this input: choose it ({', '.join(FORMATS.values())}).",
        400,
        "format",
    )


def read_phonons(given: ToolInput) -> PhononBands:
    text = input_text(given.data, MAX_BYTES, "a phonon file (band.yaml, matdyn.modes)")
    fmt = _format(given, text)
    try:
        if fmt == "phonopy":
            if given.companion:
                raise ToolError("A band.yaml holds its crystal: give it alone.", 400, "companion")
            declared = _NATOM.search(text[:100_000])
            if declared and int(declared.group(1)) > MAX_ATOMS:  # before parsing it all
                raise ToolError(_too_many(int(declared.group(1))), 413)
            bands = read_band_yaml(text)
        else:
            if not given.companion:
                raise ToolError(
                    "A matdyn.modes file names neither the atoms nor the cell: add the pw.x "
                    "input or output of the crystal as the second file.",
                    400,
                    "companion",
                )
            pwx = input_text(given.companion, MAX_BYTES, "a pw.x input or output")
            crystal, masses, alat = read_pwx(pwx)
            if crystal.nsites > MAX_ATOMS:
                raise ToolError(_too_many(crystal.nsites), 413)
            bands = read_matdyn_modes(text, crystal, masses, alat)
    except PhononFileError as exc:
        what = FORMATS[fmt].split(" (")[0]
        raise ToolError(f"This is not a usable {what}: {exc}", 422) from None
    if bands.structure.nsites > MAX_ATOMS:
        raise ToolError(_too_many(bands.structure.nsites), 413)
    return bands


def _too_many(natoms: int) -> str:
    return f"The crystal has {natoms:,} atoms; the phonon visualiser accepts up to {MAX_ATOMS}."


def phonons_result(bands: PhononBands, options: Mapping[str, Any]) -> dict[str, Any]:
    connected = connect(bands)
    by_frequency = sorted_order(bands)
    order = connected if options.get("connect", "eigenvectors") == "eigenvectors" else by_frequency
    distances = bands.distances()
    branches = np.take_along_axis(bands.frequencies, order, axis=1).T
    lattice = np.array(bands.structure.lattice, dtype=float)
    cartesian = np.array([p for _, p in bands.structure.sites], dtype=float)
    lowest = float(bands.frequencies.min())
    properties = optimade_properties(bands.structure)
    jumps = [round(float(distances[start]), 8) for start, _ in bands.pieces[1:]]
    labels = point_labels(bands)
    points: dict[str, dict[str, Any]] = {}
    for index, label in sorted(labels.items()):
        points.setdefault(
            label,
            {
                "label": label,
                "index": index,
                "q": bands.qpoints[index].round(6).tolist(),
                "frequencies_thz": np.sort(bands.frequencies[index]).round(4).tolist(),
            },
        )
    return {
        "source": bands.source,
        "formula": properties["chemical_formula_reduced"],
        "natoms": bands.structure.nsites,
        "nbranches": bands.nbands,
        "nqpoints": bands.nqpoints,
        "structure": {
            "lattice": lattice.round(10).tolist(),
            "symbols": [name for name, _ in bands.structure.sites],
            "cartesian": cartesian.round(10).tolist(),
            "fractional": (cartesian @ np.linalg.inv(lattice)).round(10).tolist(),
            "masses": bands.masses.round(6).tolist(),
        },
        "path": {
            "distances": distances.round(8).tolist(),
            "qpoints": bands.qpoints.round(8).tolist(),
            "ticks": ticks(bands, distances, labels),
            "jumps": jumps,
        },
        "points": list(points.values()),
        "unit": "THz",
        "thz_to_cm1": THZ_TO_CM1,
        "branches": branches.round(5).tolist(),
        "order": order.tolist(),
        "connection": "eigenvectors" if order is connected else "frequencies",
        #: q-points where following the eigenvectors departs from sorting by frequency
        "reordered_qpoints": _reordered(bands, connected, by_frequency),
        "imaginary": lowest < -0.1,
        "lowest_thz": round(lowest, 5),
        #: what the page animates first: the highest branch at the end of the path's first
        #: segment (a zone-boundary point), sent with the page to save a request
        "initial": _initial(bands, order, distances, labels),
    }


def _initial(
    bands: PhononBands, order: np.ndarray, distances: np.ndarray, labels: dict[int, str]
) -> dict[str, Any]:
    inner = sorted(index for index in labels if index > 0)
    iq = inner[0] if inner else bands.nqpoints // 2
    branch = bands.nbands - 1
    return {"branch": branch, **mode_document(bands, iq, int(order[iq, branch]))}


def _reordered(bands: PhononBands, connected: np.ndarray, by_frequency: np.ndarray) -> int:
    """q-points where the connected curves are not the sorted ones (degenerate modes
    swapped do not count: their curves are the same)."""
    ours = np.take_along_axis(bands.frequencies, connected, axis=1)
    plain = np.take_along_axis(bands.frequencies, by_frequency, axis=1)
    return int(np.count_nonzero(np.any(np.abs(ours - plain) > 1e-3, axis=1)))


def mode_document(bands: PhononBands, iq: int, mode: int) -> dict[str, Any]:
    """The mode ``mode`` (the file's index) at q-point ``iq``: what WEAS animates."""
    if not 0 <= iq < bands.nqpoints or not 0 <= mode < bands.nbands:
        raise ToolError(
            f"There is no mode {mode} at q-point {iq}: q-points 0..{bands.nqpoints - 1}, "
            f"modes 0..{bands.nbands - 1}.",
            404,
        )
    vectors = bands.displacements(iq, mode)
    frequency = float(bands.frequencies[iq, mode])
    return {
        "qpoint": iq,
        "mode": mode,
        "q": bands.qpoints[iq].round(8).tolist(),
        "frequency_thz": round(frequency, 5),
        "frequency_cm1": round(frequency * THZ_TO_CM1, 3),
        #: per atom, x y z as [re, im]; the largest atom displacement is 1
        "displacements": np.stack([vectors.real, vectors.imag], axis=-1).round(6).tolist(),
        "phase": "atomic positions",
    }


@cache
def _data(name: str) -> bytes:
    return resources.files("matcloud.work").joinpath("data", "phonons", name).read_bytes()


def phonon_examples() -> dict[str, Example]:
    return {
        "si-phonopy": (
            "Silicon, phonopy + pw.x forces (band.yaml)",
            "si-phonopy-band.yaml",
            _data("si-phonopy-band.yaml"),
        ),
        "alas-matdyn": (
            "AlAs, ph.x + matdyn.x with LO-TO splitting (matdyn.modes + pw.x input)",
            "alas-matdyn.modes",
            _data("alas-matdyn.modes"),
            "alas-scf.in",
            _data("alas-scf.in"),
        ),
    }


__all__ = [
    "COMPANION",
    "FORMATS",
    "MAX_ATOMS",
    "MAX_BYTES",
    "OPTIONS",
    "mode_document",
    "phonon_examples",
    "phonons_result",
    "read_phonons",
]
