"""aiida-core's REST API (v4) served from an indexed AiiDA archive, without aiida-core.

:func:`handle` takes the archive (:class:`~matcloud.explore.aiida.index.ArchiveSource`) and a
:class:`RestRequest` and returns a :class:`RestResponse` with the status, body and headers
aiida-core's own REST API gives for the same archive: same paths, same query-string language,
same JSON (envelope, field names, HTTP dates, sorted keys), same paging headers, same error
messages. Where aiida-core fails with a 500 on a bad request, this answers 400 (or 404 for
what does not exist) with aiida's message; see :mod:`.errors`.

No web framework here: ``matcloud.explore.api`` adapts this to FastAPI.
"""

from __future__ import annotations

import logging

from matcloud.explore.restapi import resources, routes
from matcloud.explore.restapi.context import AIIDA_VERSION, Context, Source
from matcloud.explore.restapi.errors import RestError
from matcloud.explore.restapi.response import (
    RestRequest,
    RestResponse,
    error_response,
    json_response,
    paging_headers,
)

log = logging.getLogger(__name__)

API_VERSION = "4.1.0"


def handle(source: Source, request: RestRequest) -> RestResponse:
    """Answer one GET request to the REST API of ``source``."""
    ctx = Context(source, request)
    segments = [part for part in request.path[len(request.prefix) :].split("/") if part]
    try:
        endpoint = routes.match(segments) if segments else "server"
        if endpoint == "server":
            return _server(ctx, segments)
        if endpoint == "nodes":
            return resources.nodes(ctx, segments)
        if endpoint == "processes":
            return resources.processes(ctx, segments)
        if endpoint == "calcjobs":
            return resources.calcjobs(ctx, segments)
        return resources.entities(ctx, endpoint, segments)
    except resources.ProfileRefused as refused:
        return resources.refuse_profile(ctx, str(refused))
    except RestError as error:
        return error_response(error, routes.endpoint_lines(request.prefix))
    except Exception:  # a bug, or an archive damaged in a way the index did not catch
        log.exception("REST API request failed: %s?%s", request.path, request.query_string)
        return json_response(500, {"message": "The server could not answer this request."})


def _server(ctx: Context, segments: list[str]) -> RestResponse:
    if segments == ["server"]:
        major, minor, revision = API_VERSION.split(".")
        data: dict[str, object] = {
            "API_major_version": major,
            "API_minor_version": minor,
            "API_revision_version": revision,
            "API_prefix": ctx.request.prefix,
            "AiiDA_version": AIIDA_VERSION,
        }
    else:
        data = {"available_endpoints": routes.endpoint_lines(ctx.request.prefix)}
    body = ctx.request.envelope("Info", data)
    return json_response(200, body, paging_headers(ctx.request.url, 1))


__all__ = ["AIIDA_VERSION", "RestRequest", "RestResponse", "Source", "handle"]
