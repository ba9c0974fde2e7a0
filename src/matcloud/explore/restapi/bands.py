"""Band structures (BandsData) and k-point sets (KpointsData) as aiida-core derives them.

BandsData keeps ``kpoints`` (crystal coordinates), ``bands`` (points x bands, or spins x points x
bands) and optionally ``labels``/``label_numbers`` (high-symmetry points) and ``cell``. The plot
x axis is the cumulated distance between consecutive k-points (in 1/Å once a cell is known),
zero across a jump between two labelled points; segments run from label to label.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

import numpy as np

from matcloud.explore.restapi.arrays import ArrayNode
from matcloud.explore.restapi.errors import QueryError

Array = np.ndarray[Any, Any]


def reciprocal_cell(cell: Any) -> Array:
    """Rows b1, b2, b3 with ``a_i . b_j = 2 pi delta_ij``."""
    result: Array = 2.0 * np.pi * np.linalg.inv(np.array(cell)).transpose()
    return result


def labels(attributes: dict[str, Any]) -> list[tuple[int, str]] | None:
    numbers = attributes.get("label_numbers")
    names = attributes.get("labels")
    if numbers is None or names is None:
        return None
    return list(zip(numbers, names, strict=False))


def kpoints(node: ArrayNode, cartesian: bool) -> Array:
    if not node.has("kpoints"):
        raise QueryError("this node has no list of k-points")
    points: Array = np.array(node.get("kpoints"))
    if cartesian and "cell" in node.attributes:
        matrix = np.transpose(reciprocal_cell(node.attributes["cell"]))
        points = np.transpose(np.dot(matrix, np.transpose(points)))
    return points


def plot_data(node: ArrayNode) -> dict[str, Any]:
    """Distances, bands and labelled segments (aiida's ``_get_bandplot_data`` with segments)."""
    if not node.has("bands"):
        raise QueryError("this node has no bands")
    stored = np.array(node.get("bands"))
    if stored.ndim == 2:
        bands, two_types = stored, False
        band_type_idx = [0] * stored.shape[1]
    elif stored.ndim == 3:
        bands, two_types = np.concatenate(stored, axis=1), True
        band_type_idx = [0] * stored.shape[2] + [1] * stored.shape[2]
    else:
        raise QueryError("Unexpected shape of bands")
    bands = bands - 0.0
    points = kpoints(node, cartesian=True)
    marks = labels(node.attributes) or []
    indices = [index for index, _ in marks]
    distances = [
        np.linalg.norm(points[i] - points[i - 1])
        if not (i in indices and i - 1 in indices)
        else 0.0
        for i in range(1, len(points))
    ]
    x = [float(sum(distances[:i])) for i in range(len(distances) + 1)]
    raw_labels = [(x[index], name) for index, name in marks]
    path: list[list[str]] = []
    paths: list[dict[str, Any]] = []
    if len(marks) > 1:
        segments = list(marks)
        if segments[0][0] != 0:
            segments.insert(0, (0, ""))
        if segments[-1][0] != len(bands) - 1:
            segments.append((len(bands) - 1, ""))
        for (start, name_from), (end, name_to) in pairwise(segments):
            if end - start > 1:
                path.append([name_from, name_to])
            paths.append(_segment(bands, x, start, end, name_from, name_to, two_types))
    else:
        paths.append(_segment(bands, x, 0, bands.shape[0] - 1, "0", "1", two_types))
        path.append(["0", "1"])
    return {
        "x": x,
        "y": bands,
        "band_type_idx": band_type_idx,
        "raw_labels": raw_labels,
        "path": path,
        "paths": paths,
    }


def _segment(bands: Array, x: list[float], start: int, end: int, name_from: str, name_to: str,
             two_types: bool) -> dict[str, Any]:  # fmt: skip
    return {
        "length": end - start,
        "from": name_from,
        "to": name_to,
        "values": bands[start : end + 1, :].transpose().tolist(),
        "x": x[start : end + 1],
        "two_band_types": two_types,
    }


def band_segments(node: ArrayNode) -> dict[str, Any]:
    """What BandsData's JSON export holds before its uuid and header."""
    info = plot_data(node)
    return {"label": node.label, "path": info["path"], "paths": info["paths"]}


def kpoints_properties(node: ArrayNode) -> dict[str, Any]:
    """KpointsData's derived properties (without ``faces_data``, the Brillouin zone, which
    aiida computes with seekpath and scipy's Voronoi)."""
    attributes = node.attributes
    has_cell = "cell" in attributes
    explicit = node.has("kpoints")
    has_mesh = "mesh" in attributes and "offset" in attributes
    if has_mesh:
        mesh, offset = attributes["mesh"], attributes["offset"]
        grid = np.mgrid[0 : mesh[0], 0 : mesh[1], 0 : mesh[2]].reshape(3, -1).T
        relative = grid + np.array(offset)
        relative[:, 0] /= mesh[0]
        relative[:, 1] /= mesh[1]
        relative[:, 2] /= mesh[2]
    elif explicit:
        relative = np.array(node.get("kpoints"))
    else:
        raise QueryError("this k-points node has neither a mesh nor a list of k-points")
    out: dict[str, Any] = {"explicit_kpoints_rel": relative.tolist()}
    absolute = None
    if has_cell:
        absolute = np.dot(relative, reciprocal_cell(attributes["cell"]))
        out["explicit_kpoints_abs"] = absolute.tolist()
    has_labels = False
    marks = labels(attributes) if explicit else None
    if marks is not None:
        has_labels = True
        out["labelled_kpoints_rel"] = {name: relative[index].tolist() for index, name in marks}
        route: list[list[str | None]] = []
        previous: str | None = None
        for index, name in marks:
            if index > 0:
                route.append([previous, name])
            previous = name
        out["labelled_path"] = route
        if absolute is not None:
            out["labelled_kpoints_abs"] = {name: absolute[index].tolist() for index, name in marks}
    if has_mesh:
        out["mesh"] = attributes["mesh"]
        out["offset"] = attributes["offset"]
    out.update(has_cell=has_cell, has_mesh=has_mesh, has_labels=has_labels)
    return out


_GREEK = (("GAMMA", "Γ"), ("DELTA", "Δ"), ("LAMBDA", "Λ"), ("SIGMA", "Σ"))


def gnuplot_labels(raw: list[tuple[float, str]]) -> list[tuple[float, str]]:
    """High-symmetry labels for gnuplot: Greek letters, ``_x`` as a subscript, and labels at
    the same position (a jump in the path) joined with ``|``."""
    pretty = []
    for position, name in raw:
        for word, letter in _GREEK:
            name = name.replace(word, letter)
        pretty.append((position, re.sub(r"_(.?)", r"_{\1}", name)))
    joined: list[tuple[float, str]] = []
    for index, (position, name) in enumerate(pretty):
        if joined and abs(position - pretty[index - 1][0]) < 1.0e-6:
            joined[-1] = (joined[-1][0], f"{joined[-1][1]}|{name}")
        else:
            joined.append((position, name))
    return joined


_GNUPLOT_OPTIONS = """## Uncomment the next two lines to write directly to PDF
## Note: You need to have gnuplot installed with pdfcairo support!
#set term pdfcairo
#set output 'out.pdf'

### Uncomment one of the options below to change font
### For the LaTeX fonts, you can download them from here:
### https://sourceforge.net/projects/cm-unicode/
### And then install them in your system
## LaTeX Serif font, if installed
#set termopt font "CMU Serif, 12"
## LaTeX Sans Serif font, if installed
#set termopt font "CMU Sans Serif, 12"
## Classical Times New Roman
#set termopt font "Times New Roman, 12"
"""


def gnuplot_script(node: ArrayNode, header: str) -> str:
    """The gnuplot script aiida exports (it plots ``band_data.dat``, which aiida writes next to
    it and its REST API does not serve)."""
    info = plot_data(node)
    bands, x = info["y"], info["x"]
    xtics = ", ".join(
        f'"{name}" {position}' for position, name in gnuplot_labels(info["raw_labels"])
    )
    lines = [header, "", _GNUPLOT_OPTIONS, "set termopt enhanced", "set encoding utf8"]
    lines += [f"set xtics ({xtics})", "unset key", f"set yrange [{bands.min()}:{bands.max()}]"]
    lines.append(f'set ylabel "Dispersion ({node.attributes.get("units")})"')
    if len(x) > 1:
        lines.append(f"set xrange [{min(x)}:{max(x)}]")
        lines.append('set grid xtics lt 1 lc rgb "#888888"')
        lines.append('plot "band_data.dat" with l lc rgb "#000000"')
    else:
        lines.append("set xrange [-1.0:1.0]")
        lines.append(
            'plot "band_data.dat" using ($1-0.25):($2):(0.5):(0) with vectors nohead '
            'lc rgb "#000000"'
        )
    return "\n".join(lines) + "\n"
