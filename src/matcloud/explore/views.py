"""EXPLORE pages for people: the browsable archives (``/explore/archives``), one archive's
overview and node search, a group's nodes. The node page, its graph and its files are in
``views_node`` and ``views_files``; :data:`router` carries them all.

Every page has its JSON twin (``.json``). URLs are stable: an archive is named by the first 16
hex digits of its file's sha256, a node or group by its AiiDA uuid.
"""

from __future__ import annotations

import math
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request

from matcloud.core.errors import MatcloudError
from matcloud.explore import views_files, views_node
from matcloud.explore.nodes import COUNT_CAP, ArchiveNodes, iso, kind_of, type_name
from matcloud.explore.service import ExploreService
from matcloud.web.rendering import Page, page
from matcloud.web.security import current_identity

router = APIRouter(tags=["explore pages"])

PAGE_SIZES = (10, 25, 50, 100)


def explore_service(request: Request) -> ExploreService:
    service: ExploreService = request.app.state.explore
    return service


# -- the list ----------------------------------------------------------------------------------


@page(router, "/explore/archives")
def explore_archives(request: Request) -> Page:
    """The browsable archives (``/explore`` itself is the section's page, which links here)."""
    found = explore_service(request).list()
    archives = [_card(request, hit) for hit in found["hits"]["hits"]]
    return Page(
        "explore/index.html",
        {"total": found["hits"]["total"], "archives": archives},
        title="Explore",
    )


def _card(request: Request, archive: dict[str, Any]) -> dict[str, Any]:
    stats = archive.get("statistics") or {}
    types = _types(archive, limit=6)
    return {
        "id": archive["id"],
        "filename": archive["filename"],
        "url": archive["links"]["self_html"],
        "size": archive["size"],
        "nodes": stats.get("nodes", archive.get("nodes", 0)),
        "links": stats.get("links", 0),
        "groups": stats.get("groups", 0),
        "aiida_version": archive.get("aiida_version"),
        "types": types,
        "more_types": max(0, len(stats.get("types") or {}) - len(types)),
        "records": _records(request, archive.get("records") or []),
    }


def _records(request: Request, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records holding the file, with their titles (a missing one keeps its id)."""
    archive, who = request.app.state.archive, current_identity(request)
    shown = []
    for record in records[:20]:
        title = record["version"]
        try:
            title = archive.records.get(who, record["version"])["metadata"].get("title") or title
        except (MatcloudError, KeyError):
            pass
        shown.append({**record, "title": title})
    return shown


def _types(archive: dict[str, Any], limit: int | None = None) -> list[dict[str, Any]]:
    counts: dict[str, int] = (archive.get("statistics") or {}).get("types") or {}
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    top = max(counts.values(), default=1) or 1
    return [
        {
            "node_type": node_type,
            "name": type_name(node_type),
            "kind": kind_of(node_type),
            "count": count,
            "share": round(100 * count / top, 1),
            "url": f"/explore/{archive['id']}?" + urlencode({"type": node_type}) + "#nodes",
        }
        for node_type, count in ordered
    ]


# -- one archive -------------------------------------------------------------------------------


@page(router, "/explore/{archive_id}")
def archive_overview(
    request: Request,
    archive_id: str,
    uuid: str = "",
    label: str = "",
    node_type: Annotated[str, Query(alias="type")] = "",
    page_number: Annotated[int, Query(alias="page", ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 25,
) -> Page:
    service = explore_service(request)
    archive = service.get(archive_id)
    data: dict[str, Any] = {
        "archive": _summary(archive),
        "records": _records(request, archive.get("records") or []),
        "types": _types(archive),
    }
    title = f"{archive['filename']} · Explore"
    if not archive["browsable"]:
        return Page("explore/archive.html", {**data, "groups": [], "search": None}, title=title)
    nodes = ArchiveNodes.open(service, archive_id)
    size = size if size in PAGE_SIZES else 25
    pages_allowed = max(1, math.ceil(COUNT_CAP / size))
    page_number = min(page_number, pages_allowed)
    found = nodes.search(
        uuid_prefix=uuid[:36],
        label=label[:200],
        node_type=node_type,
        offset=(page_number - 1) * size,
        limit=size,
    )
    params = [(k, v) for k, v in (("uuid", uuid), ("label", label), ("type", node_type)) if v]
    params += [("size", str(size))] if size != 25 else []
    last = max(1, min(pages_allowed, math.ceil(found["total"] / size)))

    def href(number: int) -> str:
        query = params + ([("page", str(number))] if number > 1 else [])
        return f"/explore/{archive_id}" + ("?" + urlencode(query) if query else "") + "#nodes"

    data["groups"] = nodes.groups()
    data["search"] = {
        "uuid": uuid,
        "label": label,
        "type": node_type,
        "size": size,
        "sizes": list(PAGE_SIZES),
        "filtered": bool(params),
        **found,
        "page": page_number,
        "pages": last,
        "first_index": (page_number - 1) * size + 1,
        "previous": href(page_number - 1) if page_number > 1 else None,
        "next": href(page_number + 1) if page_number < last else None,
        "clear": f"/explore/{archive_id}#nodes",
    }
    return Page("explore/archive.html", data, title=title)


def _summary(archive: dict[str, Any]) -> dict[str, Any]:
    stats = archive.get("statistics") or {}
    return {
        "id": archive["id"],
        "filename": archive["filename"],
        "size": archive["size"],
        "sha256": archive["sha256"],
        "status": archive["status"],
        "browsable": archive["browsable"],
        "error": archive.get("error"),
        "aiida_version": archive.get("aiida_version"),
        "export_version": archive.get("export_version"),
        "indexed": archive.get("indexed"),
        "statistics": {k: v for k, v in stats.items() if k != "types"},
        "first_ctime": iso(stats.get("first_ctime")),
        "last_ctime": iso(stats.get("last_ctime")),
        "url": f"/explore/{archive['id']}",
        "api": archive["links"].get("api"),
    }


@page(router, "/explore/{archive_id}/groups/{group_uuid}")
def group_page(
    request: Request,
    archive_id: str,
    group_uuid: str,
    page_number: Annotated[int, Query(alias="page", ge=1)] = 1,
) -> Page:
    service = explore_service(request)
    nodes = ArchiveNodes.open(service, archive_id)
    group_id, group = nodes.group(group_uuid)
    size = 50
    last = max(1, math.ceil((group["nodes"] or 0) / size))
    page_number = min(page_number, last)
    base = f"/explore/{archive_id}/groups/{group['uuid']}"
    archive = service.get(archive_id)
    return Page(
        "explore/group.html",
        {
            "archive": {
                "id": archive_id,
                "filename": archive["filename"],
                "url": f"/explore/{archive_id}",
            },
            "group": group,
            "hits": nodes.group_nodes(group_id, (page_number - 1) * size, size),
            "page": page_number,
            "pages": last,
            "first_index": (page_number - 1) * size + 1,
            "previous": f"{base}?page={page_number - 1}" if page_number > 1 else None,
            "next": f"{base}?page={page_number + 1}" if page_number < last else None,
        },
        title=f"Group {group['label']} · Explore",
    )


router.include_router(views_node.router)
router.include_router(views_files.router)

__all__ = ["explore_service", "router"]
