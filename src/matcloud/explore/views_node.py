"""The node page (summary, attributes, extras, comments, logs, files, links, groups and the
panels of its type) and the graph data its provenance view is drawn from.

The graph is served per node (``/explore/{archive}/graph/{uuid}.json``: the node, up to
:data:`~matcloud.explore.nodes.NEIGHBOURS` incoming and outgoing neighbours, and a "+N more"
vertex for the rest), so the browser can grow the drawing one click at a time.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from matcloud.explore.nodes import ArchiveNodes, brief, iso, loads
from matcloud.explore.views_files import file_tree
from matcloud.explore.views_types import panels
from matcloud.explore.views_values import json_tree
from matcloud.web.rendering import Page, page

router = APIRouter(tags=["explore pages"])

GRAPH_LABEL_CHARS = 40


@page(router, "/explore/{archive_id}/nodes/{uuid}")
def node_page(request: Request, archive_id: str, uuid: str) -> Page:
    service = request.app.state.explore
    nodes = ArchiveNodes.open(service, archive_id)
    row = nodes.node(uuid)
    attributes = loads(row["attributes"])
    extras = loads(row["extras"])
    base = f"/explore/{archive_id}/nodes/{row['uuid']}"
    inputs, inputs_total = nodes.neighbours(row["id"], "in")
    outputs, outputs_total = nodes.neighbours(row["id"], "out")
    api = f"/explore/{archive_id}/api/v4/nodes/{row['uuid']}"
    summary = _summary(nodes, row, attributes)
    archive = service.get(archive_id)
    return Page(
        "explore/node.html",
        {
            "archive": {
                "id": archive_id,
                "filename": archive["filename"],
                "url": f"/explore/{archive_id}",
            },
            "node": summary,
            "panels": panels(nodes, row, attributes),
            "attributes": {
                **json_tree(attributes),
                "chars": len(row["attributes"] or ""),
                "raw": f"{base}/attributes.json",
            },
            "extras": {
                **json_tree(extras),
                "chars": len(row["extras"] or ""),
                "raw": f"{base}/extras.json",
            },
            "comments": nodes.comments(row["id"]),
            "comments_total": nodes.count("db_dbcomment", row["id"]),
            "logs": nodes.logs(row["id"]),
            "logs_total": nodes.count("db_dblog", row["id"]),
            "files": file_tree(nodes, row["uuid"], loads(row["repository_metadata"])),
            "inputs": {"links": inputs, "total": inputs_total, "api": f"{api}/links/incoming"},
            "outputs": {"links": outputs, "total": outputs_total, "api": f"{api}/links/outgoing"},
            "groups": nodes.node_groups(row["id"]),
            "graph": {"url": f"/explore/{archive_id}/graph/{row['uuid']}.json"},
            "links": {
                "self_html": base,
                "api": api,
                "provenance": f"{base}/provenance.aiida",
            },
        },
        title=f"{summary['title']} · {summary['type']}",
    )


def _summary(nodes: ArchiveNodes, row: sqlite3.Row, attributes: dict[str, Any]) -> dict[str, Any]:
    body = brief(row, nodes.archive_id)
    body.update(
        title=row["label"] or body["process"] or body["type"],
        description=row["description"] or "",
        process_type=row["process_type"],
        mtime=iso(row["mtime"]),
        user=nodes.user(row["user_id"]),
        computer=nodes.computer(row["dbcomputer_id"]),
    )
    if body["kind"] in ("calculation", "workflow", "process"):
        body.update(
            process_label=attributes.get("process_label"),
            process_state=attributes.get("process_state"),
            exit_status=attributes.get("exit_status"),
            exit_message=attributes.get("exit_message"),
        )
    return body


# -- the graph ---------------------------------------------------------------------------------


@router.get("/explore/{archive_id}/graph/{uuid}.json", name="explore_graph")
def graph(request: Request, archive_id: str, uuid: str) -> JSONResponse:
    """One node and its neighbours, for the provenance graph (cytoscape's elements)."""
    nodes = ArchiveNodes.open(request.app.state.explore, archive_id)
    row = nodes.node(uuid)
    centre = _vertex(brief(row, archive_id), archive_id)
    attributes = loads(row["attributes"]) if centre["kind"] != "data" else {}
    centre.update(state=attributes.get("process_state"), exit_status=attributes.get("exit_status"))
    vertices = {centre["id"]: centre}
    edges = []
    more = []
    for direction in ("in", "out"):
        links, total = nodes.neighbours(row["id"], direction)
        for link in links:
            vertex = _vertex(link, archive_id)
            vertex.update(state=link["process_state"], exit_status=link["exit_status"])
            vertices.setdefault(vertex["id"], vertex)
            source, target = (link["uuid"], row["uuid"])[:: 1 if direction == "in" else -1]
            edges.append(
                {
                    "id": f"link-{link['link_id']}",
                    "source": source,
                    "target": target,
                    "label": link["link_label"],
                    "type": link["link_type"],
                }
            )
        if total > len(links):
            extra = total - len(links)
            word = "inputs" if direction == "in" else "outputs"
            more.append(
                {
                    "id": f"more-{direction}-{row['uuid']}",
                    "kind": "more",
                    "direction": direction,
                    "count": extra,
                    "label": f"+{extra:,} more {word}",
                    "of": row["uuid"],
                    "url": f"{centre['url']}#{word}",
                }
            )
    return JSONResponse(
        {
            "centre": row["uuid"],
            "nodes": list(vertices.values()),
            "edges": edges,
            "more": more,
        }
    )


def _vertex(node: dict[str, Any], archive_id: str) -> dict[str, Any]:
    name = node["label"] or node["process"] or node["type"]
    if len(name) > GRAPH_LABEL_CHARS:
        name = name[: GRAPH_LABEL_CHARS - 1] + "…"
    return {
        "id": node["uuid"],
        "label": name,
        "type": node["type"],
        "process": node["process"],
        "kind": node["kind"],
        "url": node["url"],
        "graph": f"/explore/{archive_id}/graph/{node['uuid']}.json",
    }


__all__ = ["graph", "node_page", "router"]
