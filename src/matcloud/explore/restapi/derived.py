"""``contents/derived_properties`` and the one-line node descriptions of ``links/tree``.

aiida picks both by the node's class: structures give their formula and dimensionality,
k-points their explicit list, bands their plot segments; calculations and codes give ``{}``.
For the classes aiida has no translator for it fails (a 500); we answer ``{}``.
"""

from __future__ import annotations

import json
from typing import Any

from matcloud.explore.restapi import bands
from matcloud.explore.restapi.arrays import PREFIX, ArrayNode
from matcloud.explore.restapi.context import Context
from matcloud.explore.restapi.structures import Structure

CALC_JOB_STATES = frozenset(
    {"uploading", "submitting", "withscheduler", "stashing", "unstashing", "retrieving", "parsing"}
)


def class_name(node_type: str | None) -> str:
    """``data.core.structure.StructureData.`` -> ``StructureData``."""
    parts = (node_type or "").split(".")
    return parts[-2] if len(parts) > 1 else ""


def properties(ctx: Context, pk: int) -> dict[str, Any]:
    row = ctx.connection.execute("SELECT node_type FROM db_dbnode WHERE id = ?", (pk,)).fetchone()
    name = class_name(row["node_type"])
    if name == "StructureData":
        node = ArrayNode.load(ctx, pk)
        structure = Structure.from_attributes(node.attributes)
        return {"dimensionality": structure.dimensionality(), "formula": structure.formula()}
    if name == "KpointsData":
        return bands.kpoints_properties(ArrayNode.load(ctx, pk))
    if name == "BandsData":
        node = ArrayNode.load(ctx, pk)
        content = bands.band_segments(node)
        content["original_uuid"] = node.uuid
        # aiida goes through its JSON export and back: tuples become lists, and so on
        return {"bands": json.loads(json.dumps(content))}
    return {}


def description(
    node_type: str, label: str | None, attributes: dict[str, Any], computer_label: str | None
) -> str:
    """``get_description()`` of a node, from its attributes only (no file is read)."""
    name = class_name(node_type)
    if name == "StructureData":
        return Structure.from_attributes(attributes).formula("hill_compact")
    if name in ("KpointsData", "BandsData"):
        mesh, offset = attributes.get("mesh"), attributes.get("offset")
        if mesh is not None and offset is not None:
            return (
                f"Kpoints mesh: {mesh[0]}x{mesh[1]}x{mesh[2]} "
                f"(+{offset[0]:.1f},{offset[1]:.1f},{offset[2]:.1f})"
            )
        shape = attributes.get(f"{PREFIX}kpoints")
        if isinstance(shape, list) and shape:
            return f"(Path of {shape[0]} kpts)"
        return node_type
    if name == "CalcJobNode":
        state = attributes.get("state")
        return state if state in CALC_JOB_STATES else ""
    # codes: their ``full_label`` (aiida's InstalledCode and PortableCode derive from Code)
    if node_type.startswith("data.core.code."):
        if name == "Code":
            return f"{label}@{computer_label or 'repository'}"
        if name in ("InstalledCode", "ContainerizedCode"):
            return f"{label}@{computer_label}"
        if name == "PortableCode":
            return label or ""
    return ""


#: The node classes whose description needs their attributes (the others' is "").
DESCRIBED = frozenset({"StructureData", "KpointsData", "BandsData", "CalcJobNode"})
