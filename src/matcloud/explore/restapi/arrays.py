"""The numpy arrays of an ArrayData-like node (ArrayData, KpointsData, BandsData, XyData,
TrajectoryData): ``array|<name>: shape`` in its attributes, ``<name>.npy`` in its repository.

Arrays are read with ``allow_pickle=False`` (an archive is untrusted input) and only up to
:data:`MAX_ARRAY_BYTES`.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from matcloud.explore.restapi.context import Context
from matcloud.explore.restapi.errors import QueryError
from matcloud.explore.restapi.repo import load_tree

PREFIX = "array|"
MAX_ARRAY_BYTES = 256 * 1024 * 1024


@dataclass
class ArrayNode:
    """One node's attributes, its arrays' names (in attribute order) and how to read them."""

    ctx: Context
    pk: int
    uuid: str
    label: str
    attributes: dict[str, Any]
    tree: dict[str, Any]

    @classmethod
    def load(cls, ctx: Context, pk: int) -> ArrayNode:
        row = ctx.connection.execute(
            "SELECT uuid, label, attributes, repository_metadata FROM db_dbnode WHERE id = ?",
            (pk,),
        ).fetchone()
        attributes = json.loads(row["attributes"] or "{}")
        return cls(
            ctx, pk, row["uuid"], row["label"], attributes, load_tree(row["repository_metadata"])
        )

    @property
    def names(self) -> list[str]:
        return [key[len(PREFIX) :] for key in self.attributes if key.startswith(PREFIX)]

    def has(self, name: str) -> bool:
        return f"{PREFIX}{name}" in self.attributes

    def get(self, name: str) -> np.ndarray[Any, Any]:
        entry = (self.tree.get("o") or {}).get(f"{name}.npy")
        if not isinstance(entry, dict) or "k" not in entry:
            raise QueryError(f"the array {name} of this node is missing from the archive")
        content = self.ctx.source.read_object(str(entry["k"]), MAX_ARRAY_BYTES + 1)
        if len(content) > MAX_ARRAY_BYTES:
            raise QueryError(f"the array {name} is too large to be shown here")
        try:
            array: np.ndarray[Any, Any] = np.load(io.BytesIO(content), allow_pickle=False)
        except ValueError as exc:
            raise QueryError(f"the array {name} cannot be read ({exc})") from None
        return array


def clean(array: np.ndarray[Any, Any]) -> Any:
    """The array as nested lists, NaN and infinities as ``None`` (JSON has neither)."""
    flat = [
        None if isinstance(x, float) and (np.isnan(x) or np.isinf(x)) else x
        for x in array.flatten().tolist()
    ]
    return np.reshape(np.asarray(flat), array.shape).tolist()


def file_header(ctx: Context, comment_char: str = "") -> str:
    """aiida's header for exported files (its version: the one that wrote the archive)."""
    lines = (
        f"This file has been created with AiiDA v. {ctx.aiida_version}",
        "If you use AiiDA for publication purposes, please cite:",
        'S. P. Huber et al., "AiiDA 1.0, a scalable computational infrastructure for automated '
        'reproducible workflows and data provenance", Scientific Data 7, 300 (2020); '
        "https://doi.org/10.1038/s41597-020-00638-4",
    )
    return "\n".join(f"{comment_char}{line}" for line in lines)
