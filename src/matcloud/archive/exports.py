"""A published version in one of the metadata formats, as an HTTP response (content
negotiation on the API and the landing page, and ``/api/records/{id}/export/{format}``)."""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import Response
from markupsafe import Markup

from matcloud.archive.serializers import SERIALIZERS, Serializer, schemaorg
from matcloud.archive.signposting import landing_links

EXPORTS = [(name, s.media_type) for name, s in SERIALIZERS.items()]


def exported(record: dict[str, Any], serializer: Serializer, *, download: bool) -> Response:
    headers = {"Link": f'<{record["links"]["self_html"]}> ; rel="describes"'}
    if download:
        headers["Content-Disposition"] = f'inline; filename="{record["id"]}.{serializer.extension}"'
    return Response(
        serializer.serialize(record), media_type=serializer.content_type, headers=headers
    )


def signposts(record: dict[str, Any]) -> str:
    """The landing page's FAIR Signposting ``Link`` header."""
    return landing_links(record, EXPORTS)


def json_ld_script(record: dict[str, Any]) -> Markup:
    """The schema.org JSON-LD for a ``<script type="application/ld+json">`` block (``</`` is
    escaped so that no value can close the script element)."""
    text = json.dumps(schemaorg.document(record), ensure_ascii=False, indent=1)
    return Markup(text.replace("</", "<\\/"))


__all__ = ["EXPORTS", "exported", "json_ld_script", "signposts"]
