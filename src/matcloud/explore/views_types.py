"""What a node page shows beyond the generic parts, by node type: the panels.

Each builder turns one node (its row and parsed attributes) into plain data for one template
(``explore/panels/<kind>.html``) and for the page's JSON twin. A node gets every panel that
applies (a CalcJob is also a process); a type nobody knows gets none and is still shown by the
generic parts of the page. Arrays are read from the archive only when small enough
(:data:`~matcloud.explore.node_files.MAX_ARRAY_BYTES`); otherwise the panel gives their shape only.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable
from typing import Any

import numpy as np

from matcloud.explore.formats import EXPORTERS, Structure, StructureError, to_poscar
from matcloud.explore.nodes import ArchiveNodes, loads
from matcloud.explore.views_process import calcjob_panel, code_panel, process_panel, remote_panel
from matcloud.explore.views_values import flatten, json_tree

Panel = dict[str, Any]
#: Points a plot gets per series, rows a table gets.
PLOT_POINTS = 100_000
TABLE_ROWS = 500
SMALL_TABLE = (200, 12)
#: Atoms x frames of a trajectory shown in 3D.
TRAJECTORY_ATOMS = 100_000


def finite(values: Any) -> list[Any]:
    """Numbers as JSON can carry them: NaN and infinities become ``null``."""
    array = np.asarray(values, dtype=float)
    return [None if not math.isfinite(v) else v for v in array.tolist()]


def array_shapes(attributes: dict[str, Any]) -> dict[str, list[int]]:
    return {
        key.split("|", 1)[1]: value if isinstance(value, list) else []
        for key, value in attributes.items()
        if key.startswith("array|")
    }


# -- data ----------------------------------------------------------------------------------------


def structure_panel(nodes: ArchiveNodes, row: sqlite3.Row, attributes: dict[str, Any]) -> Panel:
    base = f"/explore/{nodes.archive_id}/nodes/{row['uuid']}"
    try:
        structure = Structure.from_attributes(attributes)
    except StructureError as error:
        return {"kind": "structure", "error": str(error)}
    try:
        structure.fractional()
        downloads = [
            {"format": fmt, "label": label, "url": f"{base}/structure.{fmt}"}
            for fmt, (label, _, _) in EXPORTERS.items()
        ]
    except StructureError:  # a flat cell: no CIF; XSF and POSCAR still work
        downloads = [
            {"format": fmt, "label": label, "url": f"{base}/structure.{fmt}"}
            for fmt, (label, _, _) in EXPORTERS.items()
            if fmt != "cif"
        ]
    sites = [
        {
            "index": index + 1,
            "kind": site.kind.name,
            "symbol": site.kind.display,
            "position": list(site.position),
        }
        for index, site in enumerate(structure.sites[:TABLE_ROWS])
    ]
    return {
        "kind": "structure",
        "error": None,
        "formula": structure.formula,
        "natoms": len(structure.sites),
        "cell": [list(v) for v in structure.cell],
        "lengths": list(structure.lengths),
        "angles": list(structure.angles),
        "volume": structure.volume,
        "pbc": list(structure.pbc),
        "kinds": [
            {"name": k.name, "symbols": list(k.symbols), "weights": list(k.weights)}
            for k in structure.kinds
        ],
        "sites": sites,
        "more_sites": max(0, len(structure.sites) - len(sites)),
        "downloads": downloads,
        # handed to the WORK tools (SeeK-path, the inspector) by archive and node
        "work": {"archive": nodes.archive_id, "node": row["uuid"]},
        "viewer": {"format": "poscar", "text": to_poscar(structure, row["label"] or "")}
        if len(structure.sites) <= 5000
        else None,
    }


def band_path(
    kpoints: np.ndarray[Any, Any] | None,
    cell: Any,
    count: int,
    labels: list[Any],
    label_numbers: list[Any],
) -> tuple[list[float], list[dict[str, Any]], str]:
    """Cumulative distance along the k-path, the high-symmetry ticks, the x-axis title.

    As AiiDA's own plots (``BandsData._get_bandplot_data``): two consecutive labelled points
    are a jump in the path (distance 0 between them, one tick "X|U"). Without kpoints or a
    cell, x is the k-point index.
    """
    marks: dict[int, str] = {}
    for number, label in zip(label_numbers, labels, strict=False):
        if isinstance(number, int) and 0 <= number < count:
            marks[number] = str(label).replace("GAMMA", "Γ")
    x = [float(i) for i in range(count)]
    title = "k-point index"
    try:
        matrix = np.array(cell, dtype=float).reshape(3, 3)
        reciprocal = 2 * math.pi * np.linalg.inv(matrix).T
        assert kpoints is not None and kpoints.shape == (count, 3)
        cartesian = kpoints.astype(float) @ reciprocal
        steps = np.linalg.norm(np.diff(cartesian, axis=0), axis=1)
        distance = [0.0]
        for i, step in enumerate(steps, start=1):
            jump = i - 1 in marks and i in marks
            distance.append(distance[-1] + (0.0 if jump else float(step)))
        if all(math.isfinite(d) for d in distance):
            x, title = distance, "k-path (1/Å)"
    except (AssertionError, ValueError, TypeError, np.linalg.LinAlgError):
        pass
    ticks: list[dict[str, Any]] = []
    for index in sorted(marks):
        if ticks and abs(ticks[-1]["x"] - x[index]) < 1e-9:
            if marks[index] not in ticks[-1]["label"].split("|"):
                ticks[-1]["label"] += "|" + marks[index]
            continue
        ticks.append({"x": x[index], "label": marks[index]})
    return x, ticks, title


def bands_panel(nodes: ArchiveNodes, row: sqlite3.Row, attributes: dict[str, Any]) -> Panel:
    metadata = loads(row["repository_metadata"])
    shapes = array_shapes(attributes)
    panel: Panel = {"kind": "bands", "units": str(attributes.get("units") or ""), "plot": None}
    panel["shape"] = shapes.get("bands")
    bands = nodes.files.array(metadata, "bands")
    if bands is None or bands.ndim not in (2, 3) or bands.size == 0:
        panel["note"] = "The band energies are too large to plot here, or missing."
        return panel
    if bands.ndim == 2:
        bands = bands[np.newaxis]
    nspin, nk, nbands = bands.shape
    kpoints = nodes.files.array(metadata, "kpoints")
    labels = attributes.get("labels") or []
    numbers = attributes.get("label_numbers") or []
    x, ticks, title = band_path(kpoints, attributes.get("cell"), nk, labels, numbers)
    if nspin * nbands * nk > PLOT_POINTS * 10:
        panel["note"] = "There are too many bands to plot here."
        return panel
    panel["plot"] = {
        "x": x,
        "x_title": title,
        "ticks": ticks,
        "y_title": f"Energy ({panel['units']})" if panel["units"] else "Energy",
        "series": [
            {"spin": spin, "band": band, "y": finite(bands[spin, :, band])}
            for spin in range(nspin)
            for band in range(nbands)
        ],
        "spins": nspin,
    }
    panel.update(nk=nk, nbands=nbands, nspin=nspin)
    return panel


def kpoints_panel(nodes: ArchiveNodes, row: sqlite3.Row, attributes: dict[str, Any]) -> Panel:
    if "mesh" in attributes:
        return {
            "kind": "kpoints",
            "mesh": attributes.get("mesh"),
            "offset": attributes.get("offset"),
            "points": None,
        }
    metadata = loads(row["repository_metadata"])
    kpoints = nodes.files.array(metadata, "kpoints")
    weights = nodes.files.array(metadata, "weights")
    marks = {
        number: str(label)
        for number, label in zip(
            attributes.get("label_numbers") or [], attributes.get("labels") or [], strict=False
        )
        if isinstance(number, int)
    }
    points = []
    if kpoints is not None and kpoints.ndim == 2:
        for index, point in enumerate(kpoints[:TABLE_ROWS]):
            weight = weights[index] if weights is not None and index < len(weights) else None
            points.append(
                {
                    "index": index,
                    "k": finite(point),
                    "weight": finite([weight])[0] if weight is not None else None,
                    "label": marks.get(index, ""),
                }
            )
    shape = array_shapes(attributes).get("kpoints")
    total = shape[0] if shape else len(points)
    return {
        "kind": "kpoints",
        "mesh": None,
        "points": points,
        "total": total,
        "more": max(0, total - len(points)),
        "labels": [{"index": n, "label": label} for n, label in sorted(marks.items())],
    }


def arrays_panel(nodes: ArchiveNodes, row: sqlite3.Row, attributes: dict[str, Any]) -> Panel:
    """Each array's name and shape; 1D arrays plotted, small 2D arrays as tables; XyData as y
    against x with its names and units."""
    metadata = loads(row["repository_metadata"])
    arrays = []
    for name, shape in sorted(array_shapes(attributes).items()):
        entry: dict[str, Any] = {"name": name, "shape": shape, "plot": None, "table": None}
        size = math.prod(shape) if shape and all(isinstance(n, int) for n in shape) else 0
        wanted = (len(shape) == 1 and size <= PLOT_POINTS) or (
            len(shape) == 2 and shape[0] <= SMALL_TABLE[0] and shape[1] <= SMALL_TABLE[1]
        )
        loaded = nodes.files.array(metadata, name) if wanted else None
        if loaded is not None and loaded.ndim == 1:
            entry["plot"] = {"y": finite(loaded)}
        elif loaded is not None and loaded.ndim == 2:
            entry["table"] = [finite(r) for r in loaded]
        if loaded is not None:
            entry["dtype"] = str(loaded.dtype)
        arrays.append(entry)
    panel: Panel = {"kind": "arrays", "arrays": arrays, "xy": None}
    if row["node_type"].startswith("data.core.array.xy."):
        panel["xy"] = _xy(nodes, metadata, attributes)
    if row["node_type"].startswith("data.core.array.trajectory."):
        symbols = [str(s) for s in (attributes.get("symbols") or [])]
        panel["symbols"] = symbols[:TABLE_ROWS]
        panel["viewer"] = _trajectory_xyz(nodes, metadata, symbols)
    return panel


def _trajectory_xyz(nodes: ArchiveNodes, metadata: Any, symbols: list[str]) -> Panel | None:
    """The first frames of a trajectory as extended XYZ, for the 3D viewer (with a timeline)."""
    positions = nodes.files.array(metadata, "positions")
    if positions is None or positions.ndim != 3 or positions.shape[1:] != (len(symbols), 3):
        return None
    frames = min(positions.shape[0], max(1, TRAJECTORY_ATOMS // max(1, len(symbols))))
    cells = nodes.files.array(metadata, "cells")
    if cells is not None and cells.shape != (positions.shape[0], 3, 3):
        cells = None
    lines: list[str] = []
    for step in range(frames):
        lines.append(str(len(symbols)))
        if cells is not None:
            lattice = " ".join(f"{v:.8f}" for v in cells[step].reshape(-1))
            lines.append(f'Lattice="{lattice}" Properties=species:S:1:pos:R:3 pbc="T T T"')
        else:
            lines.append("Properties=species:S:1:pos:R:3")
        for symbol, xyz in zip(symbols, positions[step], strict=True):
            element = symbol if symbol.isalpha() and len(symbol) <= 3 else "X"
            lines.append(f"{element} " + " ".join(f"{v:.8f}" for v in xyz))
    return {"format": "xyz", "text": "\n".join(lines) + "\n", "frames": frames}


def _xy(nodes: ArchiveNodes, metadata: Any, attributes: dict[str, Any]) -> dict[str, Any] | None:
    x = nodes.files.array(metadata, "x_array")
    if x is None or x.ndim != 1 or x.size > PLOT_POINTS:
        return None
    names = attributes.get("y_names") or []
    units = attributes.get("y_units") or []
    series = []
    for index in range(len(array_shapes(attributes))):
        y = nodes.files.array(metadata, f"y_array_{index}")
        if y is None:
            continue
        if y.shape != x.shape:
            continue
        name = str(names[index]) if index < len(names) else f"y{index}"
        unit = str(units[index]) if index < len(units) else ""
        series.append({"name": name, "units": unit, "y": finite(y)})
    return {
        "x": finite(x),
        "x_name": str(attributes.get("x_name") or "x"),
        "x_units": str(attributes.get("x_units") or ""),
        "series": series,
    }


def dict_panel(nodes: ArchiveNodes, row: sqlite3.Row, attributes: dict[str, Any]) -> Panel:
    return {"kind": "dict", **flatten(attributes)}


def value_panel(nodes: ArchiveNodes, row: sqlite3.Row, attributes: dict[str, Any]) -> Panel:
    """Int, Float, Str, Bool, List, EnumData...: the value itself."""
    key = "list" if "list" in attributes else "value"
    return {"kind": "value", "type": key, "value": json_tree({key: attributes.get(key)})}


Builder = Callable[[ArchiveNodes, sqlite3.Row, dict[str, Any]], Panel]

#: node_type prefix -> panels, most specific first; the first matching prefix wins.
PANELS: list[tuple[str, list[Builder]]] = [
    ("data.core.structure.", [structure_panel]),
    ("data.core.array.bands.", [bands_panel]),
    ("data.core.array.kpoints.", [kpoints_panel]),
    ("data.core.array.", [arrays_panel]),
    ("data.core.dict.", [dict_panel]),
    ("data.core.code.", [code_panel]),
    ("data.core.remote.", [remote_panel]),
    ("data.core.int.", [value_panel]),
    ("data.core.float.", [value_panel]),
    ("data.core.str.", [value_panel]),
    ("data.core.bool.", [value_panel]),
    ("data.core.list.", [value_panel]),
    ("data.core.base.", [value_panel]),
    ("process.calculation.calcjob.", [calcjob_panel, process_panel]),
    ("process.", [process_panel]),
]


def panels(nodes: ArchiveNodes, row: sqlite3.Row, attributes: dict[str, Any]) -> list[Panel]:
    node_type = row["node_type"] or ""
    for prefix, builders in PANELS:
        if node_type.startswith(prefix):
            return [build(nodes, row, attributes) for build in builders]
    if any(key.startswith("array|") for key in attributes):  # a plugin's array type
        return [arrays_panel(nodes, row, attributes)]
    return []


__all__ = ["PANELS", "band_path", "panels"]
