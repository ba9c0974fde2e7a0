"""Arbitrary JSON from an archive (attributes, extras, Dict nodes) made fit for a page.

An attribute may be a megabyte of nested lists; a page that printed it whole would freeze the
browser. So values become a bounded tree: short containers on one line, long strings and long
containers cut (with how much was left out), and a budget on the number of entries a page shows
in all. What is cut is flagged, and the page links to the raw JSON, which has everything.
"""

from __future__ import annotations

import json
import math
from typing import Any

#: A container whose compact JSON is at most this long is shown on one line.
INLINE_CHARS = 100
#: A list of plain values (numbers, short strings) is shown on one line, cut at this length.
FLAT_CHARS = 400
STRING_CHARS = 2000
ITEMS = 100
BUDGET = 1500
DEPTH = 12


class _Full(Exception):
    pass


def bounded_json(value: Any, limit: int) -> tuple[str, bool]:
    """Compact JSON of ``value``, stopping after ``limit`` characters: (text, complete).

    Unlike ``json.dumps`` it never encodes more than it returns, whatever the value's size.
    """
    parts: list[str] = []
    length = 0

    def put(text: str) -> None:
        nonlocal length
        parts.append(text)
        length += len(text)
        if length > limit:
            raise _Full

    def walk(item: Any) -> None:
        if isinstance(item, dict):
            put("{")
            for index, (key, child) in enumerate(item.items()):
                put((", " if index else "") + json.dumps(str(key), ensure_ascii=False) + ": ")
                walk(child)
            put("}")
        elif isinstance(item, list | tuple):
            put("[")
            for index, child in enumerate(item):
                if index:
                    put(", ")
                walk(child)
            put("]")
        elif isinstance(item, float) and not math.isfinite(item):
            put(json.dumps(str(item)))
        elif isinstance(item, str):
            put(json.dumps(item[: limit + 1], ensure_ascii=False))
        else:
            put(json.dumps(item, ensure_ascii=False, default=str))

    try:
        walk(value)
    except _Full:
        return "".join(parts)[:limit], False
    return "".join(parts), True


def _type(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def _flat(value: Any) -> bool:
    """A list whose first items are all scalars (a vector of numbers, a list of names)."""
    return isinstance(value, list) and not any(
        isinstance(item, dict | list | tuple) for item in value[:ITEMS]
    )


class _Tree:
    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.cut = False

    def entry(self, key: str | None, value: Any, depth: int) -> dict[str, Any]:
        self.budget -= 1
        kind = _type(value)
        node: dict[str, Any] = {"key": key, "type": kind, "cut": False}
        if kind == "string":
            node["value"] = value[:STRING_CHARS]
            node["length"] = len(value)
            node["cut"] = len(value) > STRING_CHARS
            self.cut |= node["cut"]
            return node
        if kind not in ("object", "array"):
            node["value"] = bounded_json(value, 64)[0]
            return node
        node["count"] = len(value)
        text, complete = bounded_json(value, INLINE_CHARS)
        if not complete and isinstance(value, list) and _flat(value):
            text, complete = bounded_json(value, FLAT_CHARS)  # numbers read best on a line
        if complete or depth >= DEPTH or self.budget <= 0 or _flat(value):
            node["value"] = text + ("" if complete else " …")
            node["cut"] = not complete
            self.cut |= not complete
            return node
        pairs = value.items() if isinstance(value, dict) else enumerate(value)
        children = []
        for index, (child_key, child) in enumerate(pairs):
            if index >= ITEMS or self.budget <= 0:
                break
            children.append(self.entry(str(child_key), child, depth + 1))
        node["children"] = children
        node["more"] = len(value) - len(children)
        self.cut |= node["more"] > 0
        return node


def json_tree(value: Any, budget: int = BUDGET) -> dict[str, Any]:
    """``{"entries": [...], "cut": bool, "count": n}`` for a JSON object (attributes, extras)."""
    tree = _Tree(budget)
    if not isinstance(value, dict):
        return {"entries": [tree.entry(None, value, 0)], "cut": tree.cut, "count": 1}
    entries = []
    for key, child in value.items():
        if tree.budget <= 0:
            tree.cut = True
            break
        entries.append(tree.entry(str(key), child, 0))
    return {
        "entries": entries,
        "cut": tree.cut,
        "count": len(value),
        "more": len(value) - len(entries),
    }


def flatten(value: Any, limit: int = 1000, chars: int = 300) -> dict[str, Any]:
    """A Dict node as rows of dotted keys and values (lists kept whole, cut at ``chars``)."""
    rows: list[dict[str, Any]] = []
    total = 0

    def walk(item: Any, prefix: str, depth: int) -> None:
        nonlocal total
        if isinstance(item, dict) and item and depth < DEPTH:
            for key, child in item.items():
                walk(child, f"{prefix}.{key}" if prefix else str(key), depth + 1)
            return
        total += 1
        if len(rows) >= limit:
            return
        if isinstance(item, str):
            text, complete = item[:chars], len(item) <= chars
        else:
            text, complete = bounded_json(item, chars)
        row: dict[str, Any] = {"key": prefix, "type": _type(item), "value": text}
        row["cut"] = not complete
        if isinstance(item, list | tuple):
            row["count"] = len(item)
        rows.append(row)

    walk(value, "", 0)
    return {"rows": rows, "total": total, "more": total - len(rows)}


__all__ = ["bounded_json", "flatten", "json_tree"]
