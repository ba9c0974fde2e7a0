"""A node's files: the tree of its ``repository_metadata`` and the objects it names.

An AiiDA node lists its files as a tree (``{"o": {name: {"k": sha256} | {"o": {...}}}}``); the
contents are objects of the archive, addressed by their sha256. A path is resolved only inside
that tree, one name at a time, so a request can never name an object of another node (or
anything outside the archive). Arrays (``<name>.npy``) are read for pages only when small, and
never with pickles.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from matcloud.core.errors import Damaged, NotFound
from matcloud.explore.aiida.index import ArchiveSource

#: Entries listed per node, and the largest array read into memory (bigger: shape only).
MAX_FILES = 1000
MAX_ARRAY_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Entry:
    """One file or folder of a node's repository."""

    path: str
    name: str
    depth: int
    key: str | None  # None for a folder

    @property
    def is_dir(self) -> bool:
        return self.key is None


def walk_repository(metadata: Any, limit: int = MAX_FILES) -> list[Entry]:
    """The entries of ``repository_metadata`` (folders first, then files, by name), capped."""
    found: list[Entry] = []

    def visit(folder: Any, prefix: str, depth: int) -> None:
        children = folder.get("o") if isinstance(folder, dict) else None
        if not isinstance(children, dict):
            return
        ordered = sorted(
            children.items(), key=lambda kv: (isinstance(kv[1], dict) and "k" in kv[1], kv[0])
        )
        for name, child in ordered:
            if len(found) >= limit:
                return
            if not isinstance(name, str) or not isinstance(child, dict) or "/" in name:
                continue
            path = f"{prefix}{name}"
            key = child.get("k")
            if isinstance(key, str):
                found.append(Entry(path, name, depth, key))
            else:
                found.append(Entry(path, name, depth, None))
                visit(child, path + "/", depth + 1)

    visit(metadata, "", 0)
    return found


def find_object(metadata: Any, path: str) -> str:
    """The object key of the file at ``path`` in ``repository_metadata``, or NotFound.

    The path is looked up segment by segment in the node's own tree, so nothing outside it
    (``..``, absolute paths, another node's objects) can ever be named.
    """
    folder = metadata
    parts = path.split("/")
    for index, part in enumerate(parts):
        children = folder.get("o") if isinstance(folder, dict) else None
        if not part or not isinstance(children, dict) or part not in children:
            break
        folder = children[part]
        if index == len(parts) - 1:
            key = folder.get("k") if isinstance(folder, dict) else None
            if isinstance(key, str):
                return key
    raise NotFound(f"This node has no file {path!r}.")


class NodeFiles:
    """The objects of one archive, as the pages read them: sizes, starts, streams, arrays."""

    def __init__(self, source: ArchiveSource) -> None:
        self.source = source

    def size(self, key: str) -> int | None:
        try:
            return self.source.object_size(key)
        except (FileNotFoundError, OSError):
            return None

    def read(self, key: str, limit: int | None = None) -> bytes:
        try:
            return self.source.read_object(key, limit)
        except FileNotFoundError as exc:
            raise NotFound("This file is missing from the archive.") from exc

    def stream(self, key: str) -> Iterator[bytes]:
        """The object's bytes in chunks (a download never reads a whole file into memory)."""
        try:
            handle = self.source.open_object(key)
        except FileNotFoundError as exc:
            raise NotFound("This file is missing from the archive.") from exc

        def chunks() -> Iterator[bytes]:
            with handle:
                while chunk := handle.read(256 * 1024):
                    yield chunk

        return chunks()

    def array(self, metadata: Any, name: str) -> np.ndarray[Any, Any] | None:
        """The array ``<name>.npy`` of an array node, or ``None`` when it is missing, too
        large to read for a page, or not a plain numeric array (no pickles, ever)."""
        try:
            key = find_object(metadata, f"{name}.npy")
        except NotFound:
            return None
        size = self.size(key)
        if size is None or size > MAX_ARRAY_BYTES:
            return None
        try:
            array = np.load(io.BytesIO(self.read(key)), allow_pickle=False)
        except (ValueError, OSError, EOFError, NotFound, Damaged):
            return None  # the panel says the values cannot be shown
        if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
            return None
        return array


__all__ = ["MAX_ARRAY_BYTES", "MAX_FILES", "Entry", "NodeFiles", "find_object", "walk_repository"]
