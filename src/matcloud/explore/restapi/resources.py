"""The resources of the REST API, each following the steps of its aiida-core counterpart: read
the path, parse the query string, check the parameters, answer.

- ``nodes``: listings, one node, links, contents, files, downloads, the archive overviews;
- ``users``, ``computers``, ``groups``: listings and one entity;
- ``processes/{id}/report`` (the log records of a process) and ``calcjobs/{id}/input_files``,
  ``output_files`` (the folders of a calculation job).
"""

from __future__ import annotations

from typing import Any

from matcloud.explore.restapi import content, fulltypes, lookup, overview, querystring, repo
from matcloud.explore.restapi.context import Context
from matcloud.explore.restapi.entities import ENTITIES, entity_results
from matcloud.explore.restapi.errors import (
    InputValidationError,
    QueryError,
    ValidationError,
)
from matcloud.explore.restapi.nodes import NodeQuery, Projection, filter_keys
from matcloud.explore.restapi.paging import validate, window
from matcloud.explore.restapi.params import Condition, Params, build, check_switch
from matcloud.explore.restapi.response import (
    RestResponse,
    file_response,
    json_response,
    paging_headers,
)
from matcloud.explore.restapi.routes import ID_KIND, ParsedPath, parse
from matcloud.explore.restapi.schema import projectable

CLASS_NAMES = {
    "nodes": "Node",
    "users": "User",
    "computers": "Computer",
    "groups": "Group",
    "processes": "ProcessNode",
    "calcjobs": "CalcJobNode",
}
CONTENT_TYPES = frozenset(
    {"attributes", "extras", "derived_properties", "download", "comments", "repo_list",
     "repo_contents"}
)  # fmt: skip
_NO_DOWNLOAD: tuple[object, ...] = ("false", "False", False)


class ProfileRefused(Exception):
    """``profile=`` in the query: aiida refuses it with a 400 inside its usual envelope."""


def _start(ctx: Context, endpoint: str, segments: list[str]) -> tuple[ParsedPath, Params]:
    parsed = parse(segments, ID_KIND.get(endpoint))
    params = build(querystring.parse(ctx.request.decoded_query))
    if params.profile is not None:
        raise ProfileRefused(CLASS_NAMES[endpoint])
    return parsed, params


def refuse_profile(ctx: Context, class_name: str) -> RestResponse:
    data = {"message": "specifying an explicit profile is not enabled for this REST API."}
    body = ctx.request.envelope(class_name, data)
    return json_response(400, body, paging_headers(ctx.request.url, 0))


def _answer(ctx: Context, parsed: ParsedPath, data: Any, headers: dict[str, str]) -> RestResponse:
    body = ctx.request.envelope(parsed.resource_type, data, id=parsed.node_id)
    return json_response(200, body, headers)


def entities(ctx: Context, endpoint: str, segments: list[str]) -> RestResponse:
    """users, computers, groups: aiida's generic resource."""
    parsed, params = _start(ctx, endpoint, segments)
    validate(params, parsed.page, parsed.query_type, bool(ctx.request.query_string))
    if parsed.query_type == "projectable_properties":
        return _answer(ctx, parsed, projectable(endpoint), paging_headers(ctx.request.url, 1))
    spec = ENTITIES[endpoint]
    results, total, pages = entity_results(ctx, spec, parsed, params)
    headers = paging_headers(ctx.request.url, total, pages)
    return _answer(ctx, parsed, {endpoint: results}, headers)


def nodes(ctx: Context, segments: list[str]) -> RestResponse:
    parsed, params = _start(ctx, "nodes", segments)
    validate(params, parsed.page, parsed.query_type, bool(ctx.request.query_string))
    query_type, url = parsed.query_type, ctx.request.url
    if query_type == "projectable_properties":
        return _answer(ctx, parsed, projectable("nodes"), paging_headers(url, 1))
    if query_type in ("statistics", "full_types_count"):
        user = overview.user_filter(params.filters)
        data = (
            overview.statistics(ctx, user)
            if query_type == "statistics"
            else overview.full_types(ctx, user, count=True)
        )
        return _answer(ctx, parsed, data, paging_headers(url, 0))
    if query_type == "full_types":
        return _answer(ctx, parsed, overview.full_types(ctx, None, False), paging_headers(url, 0))
    if query_type == "tree":
        pk = _node_pk(ctx, parsed)
        data = overview.io_tree(ctx, pk, params.tree_in_limit, params.tree_out_limit)
        return _answer(ctx, parsed, data, paging_headers(url, 0))
    if query_type == "download_formats" and parsed.node_id is None:
        data = overview.download_formats(params.full_type)
        return _answer(ctx, parsed, data, paging_headers(url, 0))
    return _node_query(ctx, parsed, params)


def _node_pk(ctx: Context, parsed: ParsedPath) -> int:
    return lookup.resolve_uuid(ctx.connection, "db_dbnode", str(parsed.node_id), "node.Node")


def _node_query(ctx: Context, parsed: ParsedPath, params: Params) -> RestResponse:
    query_type = parsed.query_type
    link = query_type if query_type in ("incoming", "outgoing") else None
    if query_type != "default" and link is None and query_type not in CONTENT_TYPES:
        raise QueryError(f"invalid result/content value: {query_type}")
    filters: dict[str, list[Condition]] = dict(params.filters)
    if params.full_type:
        filters.update(fulltypes.conditions(params.full_type))
    pk: int | None = None
    if parsed.node_id is not None:
        if link is None and filters:
            raise InputValidationError("selecting a specific id does not allow to specify filters")
        pk = _node_pk(ctx, parsed)
    projection = Projection()
    if query_type == "default":
        check_switch("attributes", params.attributes)
        check_switch("extras", params.extras)
        projection = Projection(
            attributes=params.attributes is True and params.attributes_filter is None,
            attribute_keys=filter_keys(params.attributes_filter)
            if params.attributes is True
            else [],
            extras=params.extras is True and params.extras_filter is None,
            extra_keys=filter_keys(params.extras_filter) if params.extras is True else [],
        )
    if link is not None:
        query = NodeQuery(filters, params.orderby, link=(link, pk or 0))
    elif pk is not None:
        query = NodeQuery({"id": [Condition("==", pk)]}, params.orderby, projection=projection)
    else:
        query = NodeQuery(filters, params.orderby, projection=projection)
    url = ctx.request.url
    # totals are remembered: paging through a filtered listing counts it once
    total = ctx.remember(("count", *query.count_statement()), lambda: query.count(ctx.connection))
    if query_type in CONTENT_TYPES:
        return _content(ctx, parsed, params, query, total)
    frame = window(params, parsed.page, total)
    rows = query.rows(ctx.connection, frame.limit, frame.offset)
    key = link or "nodes"
    return _answer(ctx, parsed, {key: rows}, paging_headers(url, total, frame.pages))


def _content(
    ctx: Context, parsed: ParsedPath, params: Params, query: NodeQuery, total: int
) -> RestResponse:
    frame = window(params, parsed.page, total)
    if total == 0:
        data: Any = {}
    else:
        # one node: the one of the path (or, as aiida does, the first the filters select)
        pk = query.rows(ctx.connection, 1, frame.offset)[0]["id"]
        data = content.node_content(ctx, parsed.query_type, pk, params)
    headers = paging_headers(ctx.request.url, total, frame.pages)
    if parsed.query_type == "repo_contents" and data:
        return file_response(bytes(data), str(params.filename))
    if parsed.query_type == "download" and data and params.download not in _NO_DOWNLOAD:
        return file_response(data["download"]["data"], data["download"]["filename"])
    return _answer(ctx, parsed, data, headers)


def processes(ctx: Context, segments: list[str]) -> RestResponse:
    parsed, params = _start(ctx, "processes", segments)
    data: Any = None
    if parsed.query_type == "report":
        pk = _process_pk(ctx, parsed, "process.", "aiida.orm.nodes.process.process.ProcessNode")
        data = overview.reports(ctx, pk)
    elif parsed.query_type == "projectable_properties":
        data = projectable("processes")
    return _answer(ctx, parsed, data, paging_headers(ctx.request.url, 1))


def _process_pk(ctx: Context, parsed: ParsedPath, type_prefix: str, class_path: str) -> int:
    if parsed.node_id is None:
        raise InputValidationError("a process id is required")
    pk = lookup.load_node(ctx.connection, str(parsed.node_id))
    row = ctx.connection.execute("SELECT node_type FROM db_dbnode WHERE id = ?", (pk,)).fetchone()
    if not (row["node_type"] or "").startswith(type_prefix):
        raise InputValidationError(
            f"node {parsed.node_id} is not of the required type <class '{class_path}'>"
        )
    return pk


def calcjobs(ctx: Context, segments: list[str]) -> RestResponse:
    parsed, _ = _start(ctx, "calcjobs", segments)
    pk = _process_pk(
        ctx, parsed, "process.calculation.calcjob.",
        "aiida.orm.nodes.process.calculation.calcjob.CalcJobNode",
    )  # fmt: skip
    # aiida reads ``filename`` from the raw arguments here, not from its own parser
    filename = _raw_argument(ctx.request.query_string, "filename")
    data: Any
    if parsed.query_type == "input_files":
        data = repo.list_directory(_tree(ctx, pk), filename)
    else:
        retrieved = ctx.connection.execute(
            "SELECT output_id FROM db_dblink WHERE input_id = ? AND label = 'retrieved' "
            "AND type IN ('create', 'return') ORDER BY id LIMIT 1",
            (pk,),
        ).fetchone()
        if retrieved is None:
            data = {"status": 200, "data": "This node does not have retrieved folder"}
        else:
            data = repo.list_directory(_tree(ctx, retrieved[0]), filename)
    return _answer(ctx, parsed, data, paging_headers(ctx.request.url, 1))


def _tree(ctx: Context, pk: int) -> repo.Tree:
    row = ctx.connection.execute(
        "SELECT repository_metadata FROM db_dbnode WHERE id = ?", (pk,)
    ).fetchone()
    return repo.load_tree(row[0] if row else None)


def _raw_argument(query_string: str, name: str) -> str:
    from urllib.parse import parse_qsl

    for key, value in parse_qsl(query_string, keep_blank_values=True):
        if key == name:
            return value
    return ""


__all__ = ["ProfileRefused", "ValidationError", "calcjobs", "entities", "nodes", "processes"]
