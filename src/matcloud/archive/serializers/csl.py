"""CSL-JSON: one citeproc item, for citation managers and citeproc-based formatters."""

from __future__ import annotations

import json
from typing import Any

from matcloud.archive.serializers import _common as c

CSL_TYPES = {
    "dataset": "dataset",
    "software": "software",
    "publication": "document",
    "image": "graphic",
    "video": "motion_picture",
    "workflow": "software",
    "other": "document",
}


def _author(creator: dict[str, Any]) -> dict[str, str]:
    person = creator["person_or_org"]
    if c.is_person(creator):
        name = {"family": person.get("family_name") or ""}
        if person.get("given_name"):
            name["given"] = person["given_name"]
        return name
    return {"literal": person.get("name") or ""}


def item(record: c.Record) -> dict[str, Any]:
    doi = c.doi(record)
    out: dict[str, Any] = {
        "id": record.get("id"),
        "type": CSL_TYPES.get(c.resource_type(record), "dataset"),
        "title": c.title(record),
        "author": [_author(creator) for creator in c.creators(record)],
        "issued": {"date-parts": [c.date_parts(record)]} if c.date_parts(record) else None,
        "DOI": doi,
        "URL": c.doi_url(doi) if doi else c.landing_url(record),
        "publisher": c.publisher(record),
        "version": c.version(record),
        "abstract": c.description(record) or None,
        "keyword": ", ".join(c.subjects(record)) or None,
    }
    return {k: v for k, v in out.items() if v is not None}


def serialize(record: c.Record) -> str:
    return json.dumps(item(record), ensure_ascii=False, indent=2)


__all__ = ["item", "serialize"]
