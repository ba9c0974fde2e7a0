"""A node's file repository, from its ``repository_metadata``: folders ``{"o": {name: ...}}``,
files ``{"k": sha256}`` (the content is ``repo/<sha256>`` in the archive).

Paths are relative POSIX paths (``sub/deeper``; ``./sub`` and ``sub/`` are the same), as aiida's
repository takes them; errors carry aiida's messages.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any

from matcloud.explore.restapi.errors import InputValidationError, QueryError

Tree = dict[str, Any]


def load_tree(text: str | None) -> Tree:
    try:
        tree = json.loads(text or "{}")
    except ValueError:
        return {}
    return tree if isinstance(tree, dict) else {}


def _parts(path: object) -> tuple[str, ...]:
    if path is None:
        return ()
    if not isinstance(path, str):
        raise QueryError("path is not of type `str` nor `pathlib.PurePath`.")
    pure = PurePosixPath(path)
    if pure.is_absolute():
        raise QueryError(f"path `{path}` is not a relative path.")
    return tuple(part for part in pure.parts if part != ".")


def _find(tree: Tree, parts: tuple[str, ...], path: object) -> Tree:
    node = tree
    for part in parts:
        children = node.get("o")
        if not isinstance(children, dict) or not isinstance(children.get(part), dict):
            raise FileNotFoundError(f"object with path `{path}` does not exist.")
        node = children[part]
    return node


def _is_file(entry: Tree) -> bool:
    return "k" in entry


def list_directory(tree: Tree, path: object) -> list[dict[str, str]]:
    """``[{"name", "type": "FILE"|"DIRECTORY"}]`` of the folder at ``path``, sorted by name."""
    parts = _parts(path)
    try:
        entry = _find(tree, parts, path)
    except FileNotFoundError as exc:  # aiida: a 500 with this message
        raise InputValidationError(str(exc)) from None
    if _is_file(entry):
        raise InputValidationError(f"{path} is not a directory in this repository")
    children = entry.get("o") or {}
    return [
        {"name": name, "type": "FILE" if _is_file(child) else "DIRECTORY"}
        for name, child in sorted(children.items())
        if isinstance(child, dict)
    ]


def file_key(tree: Tree, path: object) -> str:
    """The object key of the file at ``path`` (aiida's errors for a folder or nothing)."""
    parts = _parts(path)
    try:
        entry = _find(tree, parts, path)
    except FileNotFoundError:
        raise InputValidationError("No such file is present") from None
    if not parts or not _is_file(entry):
        raise QueryError(f"object with path `{path}` is not a file.")
    return str(entry["k"])


def files(tree: Tree) -> dict[str, str]:
    """Every file of the tree: ``{"sub/name.txt": key}``."""
    out: dict[str, str] = {}

    def walk(entry: Tree, prefix: str) -> None:
        for name, child in (entry.get("o") or {}).items():
            if not isinstance(child, dict):
                continue
            if _is_file(child):
                out[prefix + name] = str(child["k"])
            else:
                walk(child, f"{prefix}{name}/")

    walk(tree, "")
    return out
