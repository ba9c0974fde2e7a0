"""A node's files and exports: the repository tree a page shows (with previews of small text
files), the downloads, and a structure as CIF/XSF/POSCAR.

Every file is served as an attachment with ``nosniff`` and a sandboxing CSP, never inline: an
archive is untrusted, and an HTML or SVG file from it must never run in the site's origin. A
path is resolved only inside the node's own ``repository_metadata`` (see
:func:`~matcloud.explore.node_files.find_object`), so no request can reach another object.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from matcloud.core.errors import Damaged, NotFound
from matcloud.explore.formats import EXPORTERS, Structure, StructureError, export
from matcloud.explore.node_files import MAX_FILES, find_object, walk_repository
from matcloud.explore.nodes import ArchiveNodes, loads
from matcloud.web.fileresponse import INLINE_TYPES, content_disposition, guess_media_type

router = APIRouter(tags=["explore pages"])

#: Files up to this size get a text preview (their first PREVIEW_BYTES).
PREVIEW_MAX_FILE = 1024 * 1024
PREVIEW_BYTES = 32 * 1024
PREVIEWS_PER_PAGE = 30
UNTRUSTED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "public, max-age=3600",
}


def text_preview(data: bytes, size: int) -> dict[str, Any] | None:
    """The start of a file as text, or ``None`` if it does not look like text."""
    if b"\x00" in data:
        return None
    text = data.decode("utf-8", errors="replace")
    if text.count("\ufffd") > max(8, len(text) // 100):
        return None
    return {"text": text, "cut": size > len(data)}


def file_tree(
    nodes: ArchiveNodes, uuid: str, metadata: Any, previews: int = PREVIEWS_PER_PAGE
) -> dict[str, Any]:
    """A node's repository as nested folders and files, each file with its size, download
    link and (for the first ``previews`` small ones) a text preview."""
    entries = walk_repository(metadata)
    root: dict[str, Any] = {"children": []}
    folders: dict[str, dict[str, Any]] = {"": root}
    files = 0
    total = 0
    for entry in entries:
        parent = folders[entry.path.rpartition("/")[0]]
        item: dict[str, Any] = {"name": entry.name, "path": entry.path, "dir": entry.is_dir}
        if entry.key is None:
            item["children"] = []
            folders[entry.path] = item
        else:
            files += 1
            size = nodes.files.size(entry.key)
            total += size or 0
            item["size"] = size
            item["url"] = file_url(nodes.archive_id, uuid, entry.path)
            item["preview"] = None
            item["binary"] = False
            if size and size <= PREVIEW_MAX_FILE and previews > 0:
                previews -= 1
                try:
                    data = nodes.files.read(entry.key, PREVIEW_BYTES)
                except Damaged:  # the page shows the rest; opening the file says why
                    item["damaged"] = True
                else:
                    item["preview"] = text_preview(data, size)
                    item["binary"] = item["preview"] is None
        parent["children"].append(item)
    return {
        "children": root["children"],
        "files": files,
        "bytes": total,
        "cut": len(entries) >= MAX_FILES,
    }


def file_url(archive_id: str, uuid: str, path: str) -> str:
    return f"/explore/{archive_id}/nodes/{uuid}/files/{quote(path)}"


def _safe_type(filename: str) -> str:
    """A passive type for known-harmless files, ``application/octet-stream`` for the rest."""
    media = guess_media_type(filename)
    return INLINE_TYPES.get(media.split(";")[0], "application/octet-stream")


#: Files up to this size are read whole before the download starts (larger ones stream).
READ_WHOLE = 8 * 1024 * 1024


@router.get("/explore/{archive_id}/nodes/{uuid}/files/{path:path}", name="explore_node_file")
def node_file(request: Request, archive_id: str, uuid: str, path: str) -> Response:
    """One file of a node's repository, as a download."""
    nodes = ArchiveNodes.open(request.app.state.explore, archive_id)
    row = nodes.node(uuid)
    key = find_object(loads(row["repository_metadata"]), path)
    size = nodes.files.size(key)
    if size is None:
        raise NotFound("This file is missing from the archive.")
    headers = {
        **UNTRUSTED_HEADERS,
        "Content-Disposition": content_disposition(path),
        "Content-Length": str(size),
        "ETag": f'"{key}"',
    }
    if request.headers.get("if-none-match") == f'"{key}"':
        return Response(status_code=304, headers={"ETag": f'"{key}"'})
    if size <= READ_WHOLE:  # read first: a damaged file is a 422, not a cut-off download
        body = nodes.files.read(key)
        return Response(body, media_type=_safe_type(path), headers=headers)
    return StreamingResponse(nodes.files.stream(key), media_type=_safe_type(path), headers=headers)


@router.get("/explore/{archive_id}/nodes/{uuid}/structure.{fmt}", name="explore_structure_file")
def structure_file(request: Request, archive_id: str, uuid: str, fmt: str) -> Response:
    """A StructureData as CIF, XSF or POSCAR."""
    nodes = ArchiveNodes.open(request.app.state.explore, archive_id)
    row = nodes.node(uuid)
    if fmt not in EXPORTERS or not row["node_type"].startswith("data.core.structure."):
        raise NotFound(f"There is no {fmt!r} export of this node.")
    try:
        structure = Structure.from_attributes(loads(row["attributes"]))
        text = export(structure, fmt, row["label"] or "")
    except StructureError as error:
        raise NotFound(f"This structure cannot be written as {fmt}: {error}") from error
    _, suffix, media = EXPORTERS[fmt]
    filename = f"{structure.formula or 'structure'}_{row['uuid'][:8]}{suffix}"
    return Response(
        text,
        media_type=media,
        headers={**UNTRUSTED_HEADERS, "Content-Disposition": content_disposition(filename)},
    )


@router.get("/explore/{archive_id}/nodes/{uuid}/{column}.json", name="explore_node_raw")
def node_raw(request: Request, archive_id: str, uuid: str, column: str) -> Response:
    """A node's attributes or extras exactly as stored (the page shows them cut)."""
    if column not in ("attributes", "extras", "repository_metadata"):
        raise NotFound(f"There is no {column}.json.")
    nodes = ArchiveNodes.open(request.app.state.explore, archive_id)
    row = nodes.node(uuid)
    return Response(
        row[column] or "{}",
        media_type="application/json",
        headers={**UNTRUSTED_HEADERS, "Access-Control-Allow-Origin": "*"},
    )


__all__ = ["file_tree", "file_url", "router", "text_preview"]
