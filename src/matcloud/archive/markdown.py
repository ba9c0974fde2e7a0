"""Markdown written by depositors and reviewers, rendered to HTML that is safe to embed.

Descriptions and review comments are untrusted. They are rendered with markdown-it-py
(CommonMark, plus tables and strikethrough; raw HTML is parsed so that ``H<sub>2</sub>O`` works)
and the result is sanitised by nh3 with a short allowlist: no script or style, no ``on*`` or
``style`` attributes, links only to http(s), mailto or relative addresses (marked
``rel="nofollow noopener"``), images only from https or relative addresses. Headings move down two
levels (``#`` becomes ``<h3>``) so that they sit under the page's own headings; raw ``<h1>`` and
``<h2>`` tags are dropped to their text.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

HEADING_SHIFT = 2
TAGS = {
    "p", "br", "hr", "a", "em", "strong", "b", "i", "code", "pre", "kbd", "sub", "sup",
    "del", "s", "ul", "ol", "li", "blockquote", "h3", "h4", "h5", "h6", "img",
    "table", "thead", "tbody", "tr", "th", "td", "caption",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener"


@functools.cache
def _parser() -> MarkdownIt:
    """One parser for the process (its rule chains are costly to build, and it is not
    changed after that)."""
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def _shift_headings(tokens: Sequence[Token]) -> None:
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(int(token.tag[1]) + HEADING_SHIFT, 6)
            token.tag = f"h{level}"


def _is_safe_image(value: str) -> bool:
    """https, or a relative address (not ``//host``, which is any scheme's host)."""
    lowered = value.strip().lower()
    if lowered.startswith("https://"):
        return True
    head = lowered.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    return ":" not in head and not lowered.startswith("//") and not lowered.startswith("\\")


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and not _is_safe_image(value):
        return None
    return value


def render_markdown(text: str) -> Markup:
    """``text`` (Markdown) as sanitised HTML, ready to put in a template unescaped."""
    if not text or not text.strip():
        return Markup("")
    parser = _parser()
    tokens = parser.parse(text)
    _shift_headings(tokens)
    html = parser.renderer.render(tokens, parser.options, {})
    clean = nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        attribute_filter=_attribute_filter,
        strip_comments=True,
    )
    return Markup(clean)  # sanitised by nh3 just above


__all__ = ["render_markdown"]
