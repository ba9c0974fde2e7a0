"""BibTeX: one ``@misc`` entry (biblatex and BibTeX both read it), LaTeX specials escaped."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from matcloud.archive.serializers import _common as c

_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_SPECIAL_RE = re.compile("|".join(re.escape(k) for k in _SPECIALS))


def escape(text: str) -> str:
    """Escape LaTeX's special characters (other non-ASCII text is kept: files are UTF-8)."""
    return _SPECIAL_RE.sub(lambda m: _SPECIALS[m.group(0)], text)


def _ascii_word(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[A-Za-z0-9]+", folded)
    return words[0].lower() if words else ""


def key(record: c.Record) -> str:
    """A stable key: first family name, year and record id (``lovelace_2026_2026.17v1``)."""
    creators = c.creators(record)
    name = ""
    if creators:
        person = creators[0]["person_or_org"]
        name = _ascii_word(
            person.get("family_name") or "" if c.is_person(creators[0]) else person.get("name", "")
        )
    record_id = re.sub(r"[^A-Za-z0-9.:-]", "", str(record.get("id", "")))
    return "_".join(part for part in [name or "matcloud", c.year(record), record_id] if part)


def _author(creator: dict[str, Any]) -> str:
    if c.is_person(creator):
        return escape(c.display_name(creator))
    return "{" + escape(c.display_name(creator)) + "}"


def serialize(record: c.Record) -> str:
    doi = c.doi(record)
    fields: list[tuple[str, str | None]] = [
        ("author", " and ".join(_author(creator) for creator in c.creators(record)) or None),
        ("title", "{" + escape(c.title(record)) + "}"),
        ("publisher", escape(c.publisher(record))),
        ("year", c.year(record)),
        ("month", str(c.date_parts(record)[1]) if len(c.date_parts(record)) > 1 else None),
        ("version", c.version(record)),
        ("doi", escape(doi) if doi else None),
        ("url", c.doi_url(doi) if doi else c.landing_url(record)),
        ("keywords", escape(", ".join(c.subjects(record))) or None),
    ]
    lines = [f"@misc{{{key(record)},"]
    lines += [f"  {name:<9} = {{{value}}}," for name, value in fields if value]
    lines.append("}")
    return "\n".join(lines) + "\n"


__all__ = ["escape", "key", "serialize"]
