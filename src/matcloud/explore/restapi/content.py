"""``/nodes/{id}/contents/...``, ``/repo/...`` and ``/download`` of one node.

Each reads one row (and only the column it needs: the attributes of a node may be megabytes),
and, for files, the one repository object asked for.
"""

from __future__ import annotations

import json
from typing import Any

from matcloud.explore.restapi import derived, exporters, repo
from matcloud.explore.restapi.context import Context
from matcloud.explore.restapi.errors import (
    FeatureNotAvailable,
    InputValidationError,
    QueryError,
    ValidationError,
)
from matcloud.explore.restapi.params import Params
from matcloud.explore.restapi.querystring import Value
from matcloud.explore.restapi.response import http_date

DOWNLOAD_HINT = (
    "The available download formats can be queried using the /nodes/download_formats/ endpoint."
)


def _selected(mapping: dict[str, Any], wanted: Value | None) -> dict[str, Any]:
    """aiida keeps the keys "in" the filter: a list's members, or a string's substrings
    (``attributes_filter=pbc`` keeps nothing, ``=pbc1`` keeps ``pbc1``)."""
    if wanted is None:
        return mapping
    if isinstance(wanted, list | str):
        return {key: value for key, value in mapping.items() if key in wanted}
    raise QueryError(f"the filter {wanted!r} is neither a key nor a list of keys")


def _column(ctx: Context, pk: int, column: str) -> Any:
    row = ctx.connection.execute(f"SELECT {column} FROM db_dbnode WHERE id = ?", (pk,)).fetchone()
    return None if row is None else row[0]


def _json_column(ctx: Context, pk: int, column: str) -> dict[str, Any]:
    value = json.loads(_column(ctx, pk, column) or "{}")
    return value if isinstance(value, dict) else {}


def comments(ctx: Context, pk: int) -> list[dict[str, Any]]:
    rows = ctx.connection.execute(
        "SELECT c.ctime, c.mtime, c.content, u.first_name, u.last_name FROM db_dbcomment AS c "
        "LEFT JOIN db_dbuser AS u ON u.id = c.user_id WHERE c.dbnode_id = ? ORDER BY c.id",
        (pk,),
    )
    return [
        {
            "created_time": http_date(row["ctime"]),
            "modified_time": http_date(row["mtime"]),
            "user": f"{row['first_name']} {row['last_name']}",
            "message": row["content"],
        }
        for row in rows
    ]


def node_content(ctx: Context, content_type: str, pk: int, params: Params) -> Any:
    """The ``data`` of a content request (for ``repo_contents``: the file's bytes)."""
    if content_type == "attributes":
        return {
            "attributes": _selected(_json_column(ctx, pk, "attributes"), params.attributes_filter)
        }
    if content_type == "extras":
        return {"extras": _selected(_json_column(ctx, pk, "extras"), params.extras_filter)}
    if content_type == "comments":
        return {"comments": comments(ctx, pk)}
    if content_type == "derived_properties":
        return {"derived_properties": derived.properties(ctx, pk)}
    if content_type == "repo_list":
        tree = repo.load_tree(_column(ctx, pk, "repository_metadata"))
        return {"repo_list": repo.list_directory(tree, params.filename)}
    if content_type == "repo_contents":
        if not params.filename:
            raise ValidationError("filename is not provided")
        tree = repo.load_tree(_column(ctx, pk, "repository_metadata"))
        return ctx.source.read_object(repo.file_key(tree, params.filename))
    if content_type == "download":
        return {"download": download(ctx, pk, params.download_format)}
    raise QueryError(f"invalid result/content value: {content_type}")


def download(ctx: Context, pk: int, download_format: Value | None) -> dict[str, Any]:
    row = ctx.connection.execute(
        "SELECT uuid, node_type FROM db_dbnode WHERE id = ?", (pk,)
    ).fetchone()
    node_type = row["node_type"] or ""
    if not node_type.startswith("data."):
        raise FeatureNotAvailable("This endpoint is not available for Process nodes.")
    if download_format is None:
        raise InputValidationError(f"Please specify the download format. {DOWNLOAD_HINT}")
    formats = exporters.formats_of(node_type)
    if not isinstance(download_format, str) or download_format not in formats:
        raise InputValidationError(
            f"The format {download_format} is not supported. {DOWNLOAD_HINT}"
        )
    content, filename = exporters.export(ctx, pk, node_type, download_format)
    return {
        "data": content,
        "status": 200,
        "filename": filename or f"{row['uuid']}.{download_format}",
    }
