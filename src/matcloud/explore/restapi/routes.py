"""The URL paths of the REST API: which ones exist, and how aiida-core reads them.

Two steps, as in aiida: first the path must match one of the routes aiida registers (else a
404 listing all of them), then the resource reads the path segment by segment: the resource
name, an id (a uuid prefix for nodes, computers and groups; an integer for users), a query
type (``statistics``, ``download``, ``links/incoming``, ``contents/attributes``,
``repo/list``, ...), and ``page/N`` last.
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass

from matcloud.explore.restapi.errors import URL_NOT_FOUND, InputValidationError, UrlNotFound

#: endpoint -> routes, as aiida-core 2.x registers them (without ``/querybuilder``, POST only).
ROUTES: dict[str, tuple[str, ...]] = {
    "server": ("/", "/server/", "/server/endpoints/"),
    "computers": (
        "/computers/",
        "/computers/page/",
        "/computers/page/<int:page>/",
        "/computers/<id>/",
        "/computers/projectable_properties/",
    ),
    "nodes": (
        "/nodes/",
        "/nodes/projectable_properties/",
        "/nodes/statistics/",
        "/nodes/full_types/",
        "/nodes/full_types_count/",
        "/nodes/download_formats/",
        "/nodes/page/",
        "/nodes/page/<int:page>/",
        "/nodes/<id>/",
        "/nodes/<id>/links/incoming/",
        "/nodes/<id>/links/incoming/page/",
        "/nodes/<id>/links/incoming/page/<int:page>/",
        "/nodes/<id>/links/outgoing/",
        "/nodes/<id>/links/outgoing/page/",
        "/nodes/<id>/links/outgoing/page/<int:page>/",
        "/nodes/<id>/links/tree/",
        "/nodes/<id>/contents/attributes/",
        "/nodes/<id>/contents/extras/",
        "/nodes/<id>/contents/derived_properties/",
        "/nodes/<id>/contents/comments/",
        "/nodes/<id>/repo/list/",
        "/nodes/<id>/repo/contents/",
        "/nodes/<id>/download/",
    ),
    "processes": ("/processes/projectable_properties/", "/processes/<id>/report/"),
    "calcjobs": ("/calcjobs/<id>/input_files/", "/calcjobs/<id>/output_files/"),
    "users": (
        "/users/",
        "/users/projectable_properties/",
        "/users/page/",
        "/users/page/<int:page>/",
        "/users/<id>/",
    ),
    "groups": (
        "/groups/",
        "/groups/projectable_properties/",
        "/groups/page/",
        "/groups/page/<int:page>/",
        "/groups/<id>/",
    ),
}

#: How each endpoint reads an id in its path.
ID_KIND = {
    "nodes": "uuid",
    "computers": "uuid",
    "groups": "uuid",
    "processes": "uuid",
    "calcjobs": "uuid",
    "users": "pk",
}

#: The methods aiida's routes list (Flask adds HEAD and OPTIONS to GET).
METHODS = "GET,HEAD,OPTIONS"

QUERY_TYPES = frozenset(
    {
        "projectable_properties",
        "statistics",
        "full_types",
        "full_types_count",
        "download",
        "download_formats",
        "report",
        "status",
        "input_files",
        "output_files",
    }
)

# The example uuid aiida completes a uuid prefix with before checking that it is hex.
_UUID_REFERENCE = "d55082b6-76dc-426b-af89-0e08b59524d2"


def endpoint_lines(prefix: str) -> list[str]:
    """aiida's ``available_endpoints``: ``endpoint methods route``, sorted."""
    lines = {
        f"{endpoint:15s} {METHODS:20s} {prefix}{route}"
        for endpoint, routes in ROUTES.items()
        for route in routes
    }
    return sorted(lines)


def _segment_matches(pattern: str, segment: str) -> bool:
    if pattern == "<id>":
        return True
    if pattern == "<int:page>":
        return segment.isdecimal()
    return pattern == segment


def match(segments: list[str]) -> str:
    """The endpoint whose routes match ``segments`` (the path after the prefix), or 404."""
    for endpoint, routes in ROUTES.items():
        for route in routes:
            patterns = [part for part in route.split("/") if part]
            if len(patterns) == len(segments) and all(
                _segment_matches(p, s) for p, s in zip(patterns, segments, strict=True)
            ):
                return endpoint
    raise UrlNotFound()


def is_uuid_pattern(text: str) -> bool:
    """aiida's test for "this could start a uuid": the text completed by the example uuid must
    parse as a uuid."""
    try:
        uuidlib.UUID(text + _UUID_REFERENCE[len(text) :])
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class ParsedPath:
    resource_type: str
    page: int | None
    node_id: str | int | None
    query_type: str


def parse(segments: list[str], id_kind: str | None) -> ParsedPath:
    """Read ``resource[/id][/query type][/page[/N]]`` as aiida's ``parse_path`` does."""
    path = list(segments)
    resource_type = path.pop(0)
    page: int | None = None
    node_id: str | int | None = None
    query_type = "default"
    if path and id_kind == "pk":
        try:
            node_id = int(path[0])
        except ValueError:
            pass
        else:
            path.pop(0)
    elif path and id_kind == "uuid" and is_uuid_pattern(path[0]):
        node_id = path.pop(0)
    if path:
        if path[0] in QUERY_TYPES:
            query_type = path.pop(0)
            if path:
                raise InputValidationError("Given url does not accept further fields")
        elif path[0] in ("links", "contents") and len(path) > 1:
            query_type = path[1]
            path = path[2:]
        elif path[0] == "repo" and len(path) > 1:
            query_type = f"repo_{path[1]}"
            path = path[2:]
    if path:
        if path[0] != "page":
            raise InputValidationError(URL_NOT_FOUND)
        page = int(path[1]) if len(path) > 1 else 1
    return ParsedPath(resource_type, page, node_id, query_type)
