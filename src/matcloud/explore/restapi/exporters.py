"""``/nodes/{id}/download?download_format=...``: the export formats aiida-core offers per data
class, and those we can write without aiida.

Written here: structures as XSF, XYZ, ChemDoodle JSON and CIF (ours: aiida's goes through
ASE, which its venv lacks, so it cannot be compared); every array node (ArrayData, KpointsData,
XyData, TrajectoryData, ProjectionData) as JSON; bands as JSON, the two ``.dat`` tables and the
gnuplot script; trajectories as XSF; CIF and UPF files as they were stored; codes as YAML
(:mod:`.codes`). The other formats aiida lists (the xmgrace and matplotlib files of bands, a
trajectory's CIF, UPF as JSON, the YAML of abstract codes) are answered with 501.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np

from matcloud.explore.restapi import bands, codes
from matcloud.explore.restapi.arrays import ArrayNode, clean, file_header
from matcloud.explore.restapi.context import Context
from matcloud.explore.restapi.errors import FeatureNotAvailable, QueryError
from matcloud.explore.restapi.repo import file_key
from matcloud.explore.restapi.structures import Structure, to_cif

CODE_FORMATS = ["yaml", "yml"]
#: aiida-core 2.x: the export formats of each data class that has some (``/download_formats``).
FORMATS: dict[str, list[str]] = {
    "data.core.array.ArrayData.": ["json"],
    "data.core.array.bands.BandsData.": [
        "agr", "agr_batch", "dat_blocks", "dat_multicolumn", "gnuplot", "json", "mpl_pdf",
        "mpl_png", "mpl_singlefile", "mpl_withjson",
    ],
    "data.core.array.kpoints.KpointsData.": ["json"],
    "data.core.array.projection.ProjectionData.": ["json"],
    "data.core.array.trajectory.TrajectoryData.": ["cif", "json", "xsf"],
    "data.core.array.xy.XyData.": ["json"],
    "data.core.cif.CifData.": ["cif"],
    "data.core.code.Code.": CODE_FORMATS,
    "data.core.code.abstract.AbstractCode.": CODE_FORMATS,
    "data.core.code.containerized.ContainerizedCode.": CODE_FORMATS,
    "data.core.code.installed.InstalledCode.": CODE_FORMATS,
    "data.core.code.portable.PortableCode.": CODE_FORMATS,
    "data.core.structure.StructureData.": ["chemdoodle", "cif", "xsf", "xyz"],
    "data.core.upf.UpfData.": ["json", "upf"],
}  # fmt: skip
#: Entry-point names of aiida-core's data classes (``core.x``; the old names without ``core.``
#: still load the same class) -> their node type.
DATA_ENTRY_POINTS: dict[str, str] = {
    "core.array": "data.core.array.ArrayData.",
    "core.array.bands": "data.core.array.bands.BandsData.",
    "core.array.kpoints": "data.core.array.kpoints.KpointsData.",
    "core.array.projection": "data.core.array.projection.ProjectionData.",
    "core.array.trajectory": "data.core.array.trajectory.TrajectoryData.",
    "core.array.xy": "data.core.array.xy.XyData.",
    "core.base": "data.base.BaseType.", "core.bool": "data.core.bool.Bool.",
    "core.cif": "data.core.cif.CifData.", "core.code": "data.core.code.Code.",
    "core.code.abstract": "data.core.code.abstract.AbstractCode.",
    "core.code.containerized": "data.core.code.containerized.ContainerizedCode.",
    "core.code.installed": "data.core.code.installed.InstalledCode.",
    "core.code.portable": "data.core.code.portable.PortableCode.",
    "core.dict": "data.core.dict.Dict.", "core.enum": "data.core.enum.EnumData.",
    "core.float": "data.core.float.Float.", "core.folder": "data.core.folder.FolderData.",
    "core.int": "data.core.int.Int.", "core.jsonable": "data.core.jsonable.JsonableData.",
    "core.list": "data.core.list.List.", "core.numeric": "data.core.numeric.NumericType.",
    "core.orbital": "data.core.orbital.OrbitalData.", "core.remote": "data.core.remote.RemoteData.",
    "core.remote.stash": "data.core.remote.stash.RemoteStashData.",
    "core.remote.stash.compress": "data.core.remote.stash.compress.RemoteStashCompressedData.",
    "core.remote.stash.custom": "data.core.remote.stash.custom.RemoteStashCustomData.",
    "core.remote.stash.folder": "data.core.remote.stash.folder.RemoteStashFolderData.",
    "core.singlefile": "data.core.singlefile.SinglefileData.",
    "core.str": "data.core.str.Str.", "core.structure": "data.core.structure.StructureData.",
    "core.upf": "data.core.upf.UpfData.",
}  # fmt: skip
_OLD_NAMES = {
    "array", "array.bands", "array.kpoints", "array.projection", "array.trajectory", "array.xy",
    "base", "bool", "cif", "code", "dict", "float", "folder", "int", "list", "numeric",
    "orbital", "remote", "singlefile", "str", "structure", "upf",
}  # fmt: skip
_ELEMENTS = (
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se "
    "Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb "
    "Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm "
    "Bk Cf Es Fm Md No Lr Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og"
).split()
ATOMIC_NUMBERS = {symbol: number for number, symbol in enumerate(_ELEMENTS, start=1)}


def current_node_type(node_type: str) -> str:
    """A data node type of aiida-core < 2 (``data.array.kpoints.KpointsData.``) as today's
    (``data.core.array.kpoints.KpointsData.``): aiida loads the same class for both."""
    if node_type.startswith("data.") and not node_type.startswith("data.core."):
        name = node_type.removeprefix("data.").rsplit(".", 2)[0]
        if name in _OLD_NAMES:
            return "data.core." + node_type.removeprefix("data.")
    return node_type


def formats_of(node_type: str) -> list[str]:
    return FORMATS.get(current_node_type(node_type), [])


def data_node_type(entry_point_name: str) -> str | None:
    if entry_point_name in _OLD_NAMES:
        entry_point_name = f"core.{entry_point_name}"
    return DATA_ENTRY_POINTS.get(entry_point_name)


Exporter = Callable[[Context, int], tuple[bytes, str | None]]


def export(ctx: Context, pk: int, node_type: str, fmt: str) -> tuple[bytes, str | None]:
    """The file's bytes and its name (``None``: aiida names it ``<uuid>.<format>``)."""
    node_type = current_node_type(node_type)
    exporter = _EXPORTERS.get((node_type, fmt)) or _EXPORTERS.get(("*array*", fmt))
    if exporter is None or (fmt == "json" and node_type not in _ARRAY_TYPES):
        raise FeatureNotAvailable(f"The download format {fmt} is not available on this server.")
    return exporter(ctx, pk)


def _structure(ctx: Context, pk: int) -> tuple[Structure, ArrayNode]:
    node = ArrayNode.load(ctx, pk)
    return Structure.from_attributes(node.attributes), node


def _plain_sites(structure: Structure, fmt: str) -> None:
    if structure.is_alloy or structure.has_vacancies:
        raise QueryError(f"{fmt.upper()} for alloys or systems with vacancies not implemented.")


def _xsf(ctx: Context, pk: int) -> tuple[bytes, str | None]:
    structure, _ = _structure(ctx, pk)
    _plain_sites(structure, "xsf")
    lines = ["CRYSTAL", "PRIMVEC 1"]
    lines += [" ".join(f"{value:18.10f}" for value in vector) for vector in structure.cell]
    lines += ["PRIMCOORD 1", f"{len(structure.sites)} 1"]
    for kind_name, position in structure.sites:
        number = _atomic_number(structure.kind(kind_name).symbols[0])
        lines.append(f"{number} " + " ".join(f"{value:18.10f}" for value in position))
    return ("\n".join(lines) + "\n").encode(), None


def _cif(ctx: Context, pk: int) -> tuple[bytes, str | None]:
    structure, node = _structure(ctx, pk)
    try:
        return to_cif(structure, node.label or node.uuid).encode(), None
    except np.linalg.LinAlgError:
        raise QueryError("this structure's cell is singular: it has no CIF") from None


def _atomic_number(symbol: str) -> int:
    try:
        return ATOMIC_NUMBERS[symbol]
    except KeyError:
        raise QueryError(f"unknown chemical element {symbol!r}") from None


def _xyz(ctx: Context, pk: int) -> tuple[bytes, str | None]:
    structure, _ = _structure(ctx, pk)
    _plain_sites(structure, "xyz")
    cell = structure.cell
    lattice = " ".join(str(value) for vector in cell for value in vector)
    pbc = " ".join(str(flag) for flag in structure.pbc)
    lines = [f"{len(structure.sites)}", f'Lattice="{lattice}" pbc="{pbc}"']
    for kind_name, position in structure.sites:
        symbol = structure.kind(kind_name).symbols[0]
        lines.append(f"{symbol:6s} " + " ".join(f"{value:18.10f}" for value in position))
    return "\n".join(lines).encode(), None


def _html_kind(kind: str) -> str:
    """``{Ge0.50Si0.50}`` -> ``Ge<sub>0.50</sub> + Si<sub>0.50</sub>`` (X is a vacancy)."""
    import re

    pieces = []
    for species, weight in re.findall(r"([A-Z][a-z]*)([0-1][.[0-9]*]?)?", kind):
        name = "vacancy" if species == "X" else species
        pieces.append(f"{name}<sub>{weight}</sub>" if weight else name)
    return " + ".join(pieces)


def _chemdoodle(ctx: Context, pk: int) -> tuple[bytes, str | None]:
    structure, node = _structure(ctx, pk)
    vectors = np.array(node.attributes["cell"])
    center = (vectors[0] + vectors[1] + vectors[2]) / 2.0
    shift = (0 * vectors[0] + 0 * vectors[1] + 0 * vectors[2] - center).tolist()
    atoms = []
    for site in node.attributes.get("sites") or []:
        kind = structure.kind(site["kind_name"]).symbols_string()
        atoms.append(
            {
                "l": kind,
                "x": site["position"][0] + shift[0],
                "y": site["position"][1] + shift[1],
                "z": site["position"][2] + shift[2],
                "atomic_elements_html": _html_kind(kind),
            }
        )
    a, b, c = vectors
    cell = {
        "t": "UnitCell",
        "i": "s0",
        "o": (-center).tolist(),
        "x": (a - center).tolist(),
        "y": (b - center).tolist(),
        "z": (c - center).tolist(),
        "xy": (a + b - center).tolist(),
        "xz": (a + c - center).tolist(),
        "yz": (b + c - center).tolist(),
        "xyz": (a + b + c - center).tolist(),
    }
    body = {"s": [cell], "m": [{"a": atoms}], "units": "&Aring;"}
    return json.dumps(body).encode(), None


def _arrays_json(ctx: Context, pk: int) -> tuple[bytes, str | None]:
    node = ArrayNode.load(ctx, pk)
    body: dict[str, Any] = {name: clean(node.get(name)) for name in node.names}
    body["original_uuid"] = node.uuid
    body["comments"] = file_header(ctx)
    return json.dumps(body).encode(), None


def _bands_json(ctx: Context, pk: int) -> tuple[bytes, str | None]:
    node = ArrayNode.load(ctx, pk)
    body = bands.band_segments(node)
    body["original_uuid"] = node.uuid
    body["comments"] = file_header(ctx)
    return json.dumps(body).encode(), None


def _bands_header(ctx: Context, node: ArrayNode, info: dict[str, Any], comment: str = "#") -> str:
    lines = file_header(ctx).splitlines()
    lines += ["", f"Dumped from BandsData UUID={node.uuid}", "\tpoints\tbands"]
    lines.append("\t{}\t{}".format(*info["y"].shape))
    lines += ["", "\tlabel\tpoint"]
    lines += [f"\t{name}\t{position:.8f}" for position, name in info["raw_labels"]]
    return "\n".join(f"{comment} {line}" for line in lines)


def _gnuplot(ctx: Context, pk: int) -> tuple[bytes, str | None]:
    node = ArrayNode.load(ctx, pk)
    header = _bands_header(ctx, node, bands.plot_data(node), comment="# ")
    return bands.gnuplot_script(node, header).encode(), None


def _dat_multicolumn(ctx: Context, pk: int) -> tuple[bytes, str | None]:
    node = ArrayNode.load(ctx, pk)
    info = bands.plot_data(node)
    lines = [_bands_header(ctx, node, info)]
    for x, row in zip(info["x"], info["y"], strict=False):
        lines.append("\t".join([f"{x:.8f}", *(f"{value:.8f}" for value in row)]))
    return ("\n".join(lines) + "\n").encode(), None


def _dat_blocks(ctx: Context, pk: int) -> tuple[bytes, str | None]:
    node = ArrayNode.load(ctx, pk)
    info = bands.plot_data(node)
    lines = [_bands_header(ctx, node, info)]
    for band in np.transpose(info["y"]):
        lines += [f"{x:.8f}\t{value:.8f}" for x, value in zip(info["x"], band, strict=False)]
        lines += ["", ""]
    return "\n".join(lines).encode(), None


def _trajectory_xsf(ctx: Context, pk: int) -> tuple[bytes, str | None]:
    node = ArrayNode.load(ctx, pk)
    symbols = node.attributes.get("symbols") or []
    if not node.has("cells"):
        raise QueryError("No cell parameters have been supplied for TrajectoryData")
    cells, positions = node.get("cells"), node.get("positions")
    numbers = [_atomic_number(symbol) for symbol in symbols]
    out = f"ANIMSTEPS {len(positions)}\nCRYSTAL\n"
    for index in range(len(positions)):
        out += f"PRIMVEC {index + 1}\n"
        for vector in cells[index]:
            out += " ".join(f"{value:18.5f}" for value in vector) + "\n"
        out += f"PRIMCOORD {index + 1}\n{len(symbols)} 1\n"
        for number, position in zip(numbers, positions[index], strict=False):
            out += f"{number} {position[0]:18.10f} {position[1]:18.10f} {position[2]:18.10f}\n"
    return out.encode(), None


def _stored_file(ctx: Context, pk: int) -> tuple[bytes, str | None]:
    node = ArrayNode.load(ctx, pk)
    filename = node.attributes.get("filename")
    if not isinstance(filename, str):
        raise QueryError("this node names no file")
    return ctx.source.read_object(file_key(node.tree, filename)), filename


_ARRAY_TYPES = frozenset(
    {
        "data.core.array.ArrayData.",
        "data.core.array.kpoints.KpointsData.",
        "data.core.array.projection.ProjectionData.",
        "data.core.array.trajectory.TrajectoryData.",
        "data.core.array.xy.XyData.",
        "data.core.array.bands.BandsData.",
    }
)
_EXPORTERS: dict[tuple[str, str], Exporter] = {
    ("data.core.structure.StructureData.", "xsf"): _xsf,
    ("data.core.structure.StructureData.", "xyz"): _xyz,
    ("data.core.structure.StructureData.", "chemdoodle"): _chemdoodle,
    ("data.core.structure.StructureData.", "cif"): _cif,
    ("*array*", "json"): _arrays_json,
    ("data.core.array.bands.BandsData.", "json"): _bands_json,
    ("data.core.array.bands.BandsData.", "dat_multicolumn"): _dat_multicolumn,
    ("data.core.array.bands.BandsData.", "dat_blocks"): _dat_blocks,
    ("data.core.array.bands.BandsData.", "gnuplot"): _gnuplot,
    ("data.core.array.trajectory.TrajectoryData.", "xsf"): _trajectory_xsf,
    ("data.core.cif.CifData.", "cif"): _stored_file,
    ("data.core.upf.UpfData.", "upf"): _stored_file,
    **{(node_type, fmt): codes.code_yaml for node_type in codes.CLASSES for fmt in CODE_FORMATS},
}
