"""The introspection documents: ``/info``, ``/info/<entry type>``, ``/links``, and the index
meta-database's ``/info`` and ``/links``.

The index meta-database is the provider's ``root`` link (as the specification recommends);
the database is its one ``child`` and its default. The database's own ``/links`` lists the root,
so a client can find its way from either to the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from matcloud.optimade.documents import API_VERSION, MAJOR, RequestInfo, meta
from matcloud.optimade.errors import NotFound

if TYPE_CHECKING:
    from matcloud.optimade.service import OptimadeService

ENTRY_TYPES = ("references", "structures")


def info(service: OptimadeService, where: RequestInfo) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "api_version": API_VERSION,
        "available_api_versions": [{"url": f"{service.root}/v{MAJOR}/", "version": API_VERSION}],
        "formats": ["json"],
        "entry_types_by_format": {"json": list(ENTRY_TYPES)},
        "available_endpoints": ["info", "links", *ENTRY_TYPES],
        "is_index": False,
        # each record carries its own licence: no single licence covers the database
        "license": {
            "href": f"{service.site_url}/records",
            "meta": {"description": "Each record states its own licence on its page."},
        },
    }
    return {
        "data": {"type": "info", "id": "/", "attributes": attributes},
        "meta": meta(service.provider, where),
    }


def entry_info(service: OptimadeService, entry_type: str, where: RequestInfo) -> dict[str, Any]:
    """Every listed property: its description, type, unit and whether it sorts."""
    if entry_type not in service.schemas:
        raise NotFound(
            f"There is no entry type {entry_type!r}; there are {', '.join(ENTRY_TYPES)}."
        )
    schema = service.schemas[entry_type]
    properties: dict[str, Any] = {}
    for prop in schema.listed():
        described: dict[str, Any] = {
            "description": prop.description,
            "type": prop.type.value,
            "sortable": prop.sortable,
        }
        if prop.unit:
            described["unit"] = prop.unit
        properties[prop.name] = described
    return {
        "data": {
            "id": entry_type,
            "type": "info",
            "description": schema.description,
            "properties": properties,
            "formats": ["json"],
            "output_fields_by_format": {"json": list(properties)},
        },
        "meta": meta(service.provider, where),
    }


def _link(
    service: OptimadeService, link_id: str, name: str, description: str, url: str, kind: str
) -> dict[str, Any]:
    return {
        "id": link_id,
        "type": "links",
        "attributes": {
            "name": name,
            "description": description,
            "base_url": url,
            "homepage": service.site_url,
            "link_type": kind,
        },
    }


def index_link(service: OptimadeService) -> dict[str, Any]:
    return _link(
        service,
        "index",
        f"{service.provider.name} OPTIMADE index",
        "The index meta-database of this provider: its OPTIMADE databases.",
        f"{service.root}/index",
        "root",
    )


def database_link(service: OptimadeService) -> dict[str, Any]:
    provider = service.provider
    return _link(
        service, provider.prefix, provider.name, provider.description, service.root, "child"
    )


def links(service: OptimadeService, where: RequestInfo) -> dict[str, Any]:
    data = [index_link(service)]
    if where.index:
        data.append(database_link(service))
    return {
        "data": data,
        "meta": meta(service.provider, where, returned=len(data), available=len(data)),
        "links": {"next": None},
    }


def index_info(service: OptimadeService, where: RequestInfo) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "api_version": API_VERSION,
        "available_api_versions": [
            {"url": f"{service.root}/index/v{MAJOR}/", "version": API_VERSION}
        ],
        "formats": ["json"],
        "entry_types_by_format": {"json": []},
        "available_endpoints": ["info", "links"],
        "is_index": True,
    }
    return {
        "data": {
            "type": "info",
            "id": "/",
            "attributes": attributes,
            "relationships": {
                "default": {"data": {"type": "links", "id": service.provider.prefix}}
            },
        },
        "meta": meta(service.provider, where),
    }


__all__ = ["ENTRY_TYPES", "entry_info", "index_info", "info", "links"]
