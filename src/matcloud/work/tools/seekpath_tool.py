"""SeeK-path: the standardised cells, Brillouin zone and band path of a crystal.

:func:`seekpath_result` runs ``seekpath.get_explicit_k_path`` (the HPKOT convention: Hinuma,
Pizzi, Kumagai, Oba, Tanaka, Comp. Mat. Sci. 128, 140 (2017)) on an ordered 3D crystal and
returns everything the result page shows, JSON-ready: the extended Bravais lattice, the space
group, the standardised primitive and conventional cells, the Brillouin zone of the primitive
cell (faces, from seekpath's own construction), the high-symmetry points, the path (and, for a
crystal without inversion symmetry, the extra segments needed without time-reversal
symmetry), the explicit k-points, and the ``K_POINTS`` (pw.x), KPOINTS (VASP) and CP2K
blocks. Atoms are typed by element; seekpath's own exceptions become :class:`ToolError`.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import seekpath
from seekpath.brillouinzone.brillouinzone import get_BZ

from matcloud.structures import Structure
from matcloud.structures.model import Species
from matcloud.work.kpath import pretty
from matcloud.work.tools.base import ToolError

#: Distance between explicit k-points along the path, 1/Å (seekpath's default).
REFERENCE_DISTANCE = 0.025
SYMPREC = 1e-3


def _cell(structure: Structure) -> tuple[list[list[float]], list[list[float]], list[int]]:
    from ase.data import atomic_numbers

    if structure.lattice is None or not all(structure.pbc):
        raise ToolError(
            "SeeK-path needs a crystal periodic in three directions with lattice vectors; "
            "this structure is "
            + ("a molecule (no cell)." if structure.lattice is None else "not 3D-periodic.")
        )
    if not structure.is_ordered:
        disordered = [s.name for s in structure.used_species() if not s.is_ordered]
        raise ToolError(
            "SeeK-path needs an ordered crystal, and this one has partial occupancy or "
            f"vacancies (species {', '.join(disordered[:5])}): choose one configuration."
        )
    by_name = structure.species_by_name
    numbers = [atomic_numbers[by_name[name].chemical_symbols[0]] for name, _ in structure.sites]
    lattice = np.array(structure.lattice, dtype=float)
    cartesian = np.array([position for _, position in structure.sites], dtype=float)
    fractional = np.linalg.solve(lattice.T, cartesian.T).T
    return lattice.tolist(), fractional.tolist(), numbers


def _explicit(cell: tuple[Any, ...], time_reversal: bool) -> dict[str, Any]:
    """seekpath's answer; its edge-case warnings (a cell on the border between two
    variants, where the path choice is ambiguous) come back in ``"notes"``."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = dict(
                seekpath.get_explicit_k_path(
                    cell,
                    with_time_reversal=time_reversal,
                    reference_distance=REFERENCE_DISTANCE,
                    symprec=SYMPREC,
                )
            )
    except Exception as exc:  # seekpath/spglib: symmetry not found, atoms too close, ...
        raise ToolError(f"SeeK-path could not analyse this crystal: {exc}") from exc
    result["notes"] = [
        str(w.message) for w in caught if type(w.message).__name__ == "EdgeCaseWarning"
    ]
    return result


def _cell_view(lattice: Any, positions: Any, numbers: Any) -> dict[str, Any]:
    from ase.data import chemical_symbols

    lattice = np.array(lattice, dtype=float)
    positions = np.array(positions, dtype=float)
    return {
        "lattice": lattice.round(10).tolist(),
        "fractional": positions.round(10).tolist(),
        "cartesian": (positions @ lattice).round(10).tolist(),
        "symbols": [chemical_symbols[int(n)] for n in numbers],
        "volume": float(abs(np.linalg.det(lattice))),
    }


def structure_of(view: dict[str, Any], label: str) -> Structure:
    """A cell of the result as a :class:`Structure` (for the downloads)."""
    symbols = view["symbols"]
    species = tuple(Species(symbol, (symbol,), (1.0,)) for symbol in dict.fromkeys(symbols))
    sites = tuple(
        (symbol, tuple(position))
        for symbol, position in zip(symbols, view["cartesian"], strict=True)
    )
    return Structure(
        lattice=tuple(tuple(v) for v in view["lattice"]),
        pbc=(True, True, True),
        species=species,
        sites=sites,
        label=label,
    )


def _segments(path: list[tuple[str, str]]) -> list[list[str]]:
    """The path as continuous runs of labels: [(G,X),(X,U),(K,G)] -> [[G,X,U],[K,G]]."""
    runs: list[list[str]] = []
    for start, end in path:
        if runs and runs[-1][-1] == start:
            runs[-1].append(end)
        else:
            runs.append([start, end])
    return runs


def path_text(path: list[tuple[str, str]]) -> str:
    return "|".join("—".join(pretty(label) for label in run) for run in _segments(path))


def seekpath_result(structure: Structure) -> dict[str, Any]:
    cell = _cell(structure)
    result = _explicit(cell, time_reversal=True)
    path = [tuple(segment) for segment in result["path"]]
    without = path
    coordinates = dict(result["point_coords"])
    if not result["has_inversion_symmetry"]:
        augmented = _explicit(cell, time_reversal=False)
        without = [tuple(s) for s in augmented["path"]]
        coordinates = {**augmented["point_coords"], **coordinates}
    extra = [segment for segment in without if segment not in path]
    reciprocal = np.array(result["reciprocal_primitive_lattice"], dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zone = get_BZ(*reciprocal)
    points = {label: [float(x) for x in coords] for label, coords in coordinates.items()}
    used = list(dict.fromkeys(label for segment in without for label in segment))
    primitive = _cell_view(
        result["primitive_lattice"], result["primitive_positions"], result["primitive_types"]
    )
    conventional = _cell_view(
        result["conv_lattice"], result["conv_positions"], result["conv_types"]
    )
    explicit = {
        "fractional": np.array(result["explicit_kpoints_rel"]).round(10).tolist(),
        "cartesian": np.array(result["explicit_kpoints_abs"]).round(10).tolist(),
        "labels": list(result["explicit_kpoints_labels"]),
        "linear": np.array(result["explicit_kpoints_linearcoord"]).round(10).tolist(),
        "segments": [list(s) for s in result["explicit_segments"]],
    }
    return {
        "bravais_lattice": result["bravais_lattice"],
        "bravais_lattice_extended": result["bravais_lattice_extended"],
        "spacegroup": {
            "number": int(result["spacegroup_number"]),
            "international": result["spacegroup_international"],
        },
        "has_inversion_symmetry": bool(result["has_inversion_symmetry"]),
        "notes": list(dict.fromkeys(result["notes"])),
        "input": {
            "nsites": structure.nsites,
            "volume": structure.volume,
            "volume_ratio_to_primitive": float(result["volume_original_wrt_prim"]),
            "volume_ratio_to_conventional": float(result["volume_original_wrt_conv"]),
        },
        "primitive": primitive,
        "conventional": conventional,
        "primitive_transformation_matrix": np.array(
            result["primitive_transformation_matrix"]
        ).tolist(),
        "rotation_matrix": np.array(result["rotation_matrix"]).round(12).tolist(),
        "reciprocal_primitive_lattice": reciprocal.round(10).tolist(),
        "points": {label: points[label] for label in used},
        "point_labels": {label: pretty(label) for label in used},
        "points_cartesian": {
            label: (np.array(points[label]) @ reciprocal).round(10).tolist() for label in used
        },
        "path": [list(s) for s in path],
        "path_text": path_text(path),
        "path_without_time_reversal": [list(s) for s in without],
        "extra_segments_without_time_reversal": [list(s) for s in extra],
        "extra_text": path_text(extra) if extra else None,
        "explicit_kpoints": explicit,
        "brillouin_zone": {
            "faces": [np.array(face).round(10).tolist() for face in zone["faces"]],
            "triangles_vertices": np.array(zone["triangles_vertices"]).round(10).tolist(),
            "triangles": np.array(zone["triangles"]).tolist(),
        },
        "kpoints_blocks": kpoints_blocks(path, points, explicit),
    }


def _points_per_segment(explicit: dict[str, Any]) -> dict[tuple[str, str], int]:
    """How many explicit points seekpath put on each segment (its reference distance)."""
    labels, counts = explicit["labels"], {}
    for start, end in explicit["segments"]:
        first, last = labels[start], labels[end - 1]
        counts[(first, last)] = max(end - start - 1, 1)
    return counts


def kpoints_blocks(
    path: list[tuple[str, str]], points: dict[str, list[float]], explicit: dict[str, Any]
) -> dict[str, str]:
    """Ready-to-paste k-point blocks along the path (coordinates in the reciprocal basis of
    the standardised primitive cell)."""
    counts = _points_per_segment(explicit)
    runs = _segments(path)

    def coords(label: str) -> str:
        return " ".join(f"{x:12.8f}" for x in points[label])

    qe = []
    for r, run in enumerate(runs):
        for i, label in enumerate(run):
            last = i == len(run) - 1
            n = 1 if last else counts.get((run[i], run[i + 1]), 20)
            if last and r == len(runs) - 1:
                n = 1
            qe.append(f"  {coords(label)} {n:4d}  ! {label}")
    pw = f"K_POINTS crystal_b\n{len(qe)}\n" + "\n".join(qe) + "\n"

    vasp_lines = []
    for start, end in path:
        vasp_lines += [f"  {coords(start)}  ! {start}", f"  {coords(end)}  ! {end}", ""]
    density = max(counts.values()) if counts else 20
    vasp = (
        "k-points along high-symmetry lines (SeeK-path, HPKOT)\n"
        f"{density}\nLine-mode\nreciprocal\n" + "\n".join(vasp_lines).rstrip() + "\n"
    )

    cp2k = []
    for run in runs:
        cp2k.append("&KPOINT_SET")
        cp2k.append("  UNITS B_VECTOR")
        for label in run:
            cp2k.append(f"  SPECIAL_POINT {label} {coords(label)}")
        n = max(counts.get((a, b), 20) for a, b in zip(run, run[1:], strict=False))
        cp2k.append(f"  NPOINTS {n}")
        cp2k.append("&END KPOINT_SET")
    return {"pw": pw, "vasp": vasp, "cp2k": "\n".join(cp2k) + "\n"}


__all__ = ["kpoints_blocks", "path_text", "pretty", "seekpath_result", "structure_of"]
