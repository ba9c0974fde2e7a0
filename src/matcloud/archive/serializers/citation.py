"""A formatted citation in the APA style (7th edition), as plain text."""

from __future__ import annotations

import re
from typing import Any

from matcloud.archive.serializers import _common as c

#: The bracketed description APA puts after the title.
APA_LABELS = {
    "dataset": "Data set",
    "software": "Computer software",
    "image": "Image",
    "video": "Video",
    "workflow": "Workflow",
}


def _initials(given: str) -> str:
    """``Ada Maria`` → ``A. M.``, ``Jean-Paul`` → ``J.-P.``"""
    words = []
    for word in given.split():
        parts = [p for p in word.split("-") if p]
        words.append("-".join(f"{p[0]}." for p in parts))
    return " ".join(words)


def _author(creator: dict[str, Any]) -> str:
    person = creator["person_or_org"]
    if not c.is_person(creator):
        name: str = person.get("name") or ""
        return name
    family: str = person.get("family_name") or ""
    given = _initials(person.get("given_name") or "")
    return f"{family}, {given}" if given else family


def authors(record: c.Record) -> str:
    names = [_author(creator) for creator in c.creators(record)]
    if len(names) <= 1:
        return "".join(names)
    if len(names) > 20:
        return ", ".join(names[:19]) + ", . . . " + names[-1]
    return ", ".join(names[:-1]) + ", & " + names[-1]


def _sentence(text: str) -> str:
    text = text.strip()
    return text if re.search(r"[.?!]$", text) else text + "."


def serialize(record: c.Record) -> str:
    parts = []
    names = authors(record)
    if names:
        parts.append(_sentence(names))
    parts.append(f"({c.year(record) or 'n.d.'}).")
    title = c.title(record).strip()
    version = c.version(record)
    if version:
        title += f" (Version {version})"
    label = APA_LABELS.get(c.resource_type(record))
    if label:
        title += f" [{label}]"
    parts.append(_sentence(title))
    parts.append(_sentence(c.publisher(record)))
    doi = c.doi(record)
    link = c.doi_url(doi) if doi else c.landing_url(record)
    if link:
        parts.append(link)
    return " ".join(parts)


__all__ = ["authors", "serialize"]
