"""Export formats of a published record, each made from its JSON (``version_json``) alone.

``SERIALIZERS`` is keyed by the export name used in URLs (``?format=bibtex``...);
:func:`negotiate` picks one from an ``Accept`` header (the caller keeps ``text/html`` and
``application/json`` for the landing page and the API's own JSON).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from matcloud.archive.serializers import (
    bibtex,
    citation,
    csl,
    datacite,
    datacite_json,
    dublincore,
    schemaorg,
)


@dataclass(frozen=True)
class Serializer:
    name: str
    media_type: str
    extension: str
    serialize: Callable[[dict[str, Any]], str]
    #: Other media types that ask for the same format.
    aliases: tuple[str, ...] = field(default=())

    @property
    def content_type(self) -> str:
        """The media type with a charset, for a ``Content-Type`` header."""
        return f"{self.media_type}; charset=utf-8"


SERIALIZERS: dict[str, Serializer] = {
    s.name: s
    for s in [
        Serializer(
            "datacite-xml", "application/vnd.datacite.datacite+xml", "xml", datacite.serialize
        ),
        Serializer(
            "datacite-json",
            "application/vnd.datacite.datacite+json",
            "json",
            datacite_json.serialize,
        ),
        Serializer(
            "dublincore",
            "application/x-dc+xml",
            "xml",
            dublincore.serialize,
            ("application/oai_dc+xml",),
        ),
        Serializer("json-ld", "application/ld+json", "jsonld", schemaorg.serialize),
        Serializer("bibtex", "application/x-bibtex", "bib", bibtex.serialize),
        Serializer("csl", "application/vnd.citationstyles.csl+json", "json", csl.serialize),
        Serializer("citation", "text/x-bibliography", "txt", citation.serialize),
    ]
}
BY_MEDIA_TYPE: dict[str, Serializer] = {
    media_type: s for s in SERIALIZERS.values() for media_type in (s.media_type, *s.aliases)
}


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0
    return 1.0


def negotiate(accept_header: str) -> Serializer | None:
    """The export asked for with the highest q-value (the first of equals), or ``None``.

    Only the export media types count: ``*/*``, ``text/html``, ``application/json`` and any
    other type are left to the caller, as are types with ``q=0``.
    """
    best: Serializer | None = None
    best_q = 0.0
    for part in accept_header.split(","):
        media_type, *params = part.split(";")
        found = BY_MEDIA_TYPE.get(media_type.strip().lower())
        if found is None:
            continue
        q = _quality(params)
        if q > best_q:
            best, best_q = found, q
    return best


__all__ = ["BY_MEDIA_TYPE", "SERIALIZERS", "Serializer", "negotiate"]
