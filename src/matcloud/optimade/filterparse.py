"""Parsing filter strings with the OPTIMADE grammar shipped in the ``optimade`` package.

:class:`FilterParser` is ``optimade``'s :class:`~optimade.filterparser.LarkParser` (same grammar
file, same ``BadRequest`` on bad syntax) built as an LALR parser rather than Earley: the
grammar is LALR(1), the trees are identical (see the tests), and a typical filter parses in
about 0.2 ms instead of 2 ms, which matters when a whole request must take under 20 ms. It
also keeps token positions, because the grammar's ``bool`` rule drops the ``TRUE``/``FALSE``
token and the compiler has to read it back from the filter text.

Limits keep bad input from costing more than bad input deserves: the filter length, and the
depth of the parse tree (the compiler recurses over it), are both bounded; exceeding them is a
400 with the limit named, never a ``RecursionError``.
"""

from __future__ import annotations

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken
from optimade.filterparser import LarkParser  # type: ignore[import-untyped]
from optimade.filterparser.lark_parser import AVAILABLE_PARSERS  # type: ignore[import-untyped]

from matcloud.optimade.errors import BadRequest

MAX_FILTER_CHARS = 10_000
#: Parse-tree depth: a comparison is ~9 levels and each pair of parentheses adds 3.
MAX_TREE_DEPTH = 200


class FilterParser(LarkParser):  # type: ignore[misc]
    """The newest OPTIMADE filter grammar, as a thread-safe LALR parser."""

    def __init__(self) -> None:  # the base class would build the (slow) Earley parser
        self.version = max(v for v in AVAILABLE_PARSERS if "default" in AVAILABLE_PARSERS[v])
        self.variant = "default"
        grammar = AVAILABLE_PARSERS[self.version]["default"].read_text()
        self.lark = Lark(grammar, parser="lalr", maybe_placeholders=False, propagate_positions=True)
        self.tree = None
        self.filter = None

    def parse(self, filter_: str) -> Tree[Token]:
        """The parse tree of ``filter_`` (no state is kept: one parser serves every thread)."""
        if len(filter_) > MAX_FILTER_CHARS:
            raise BadRequest(
                f"The filter is {len(filter_)} characters long; the limit is "
                f"{MAX_FILTER_CHARS}. Split the query, or use HAS ANY with fewer values.",
                "filter",
            )
        if "\x00" in filter_:
            raise BadRequest("The filter contains a NUL character.", "filter")
        try:
            tree = self.lark.parse(filter_)
        except (UnexpectedCharacters, UnexpectedToken, UnexpectedEOF) as error:
            raise BadRequest(_syntax_message(filter_, error), "filter") from None
        except LarkError as error:
            raise BadRequest(f"The filter could not be parsed: {error}", "filter") from None
        if _depth(tree) > MAX_TREE_DEPTH:
            raise BadRequest(
                "The filter is nested too deeply (at most about 60 levels of parentheses).",
                "filter",
            )
        return tree


def _syntax_message(text: str, error: LarkError) -> str:
    column = getattr(error, "column", None)
    if isinstance(error, UnexpectedEOF) or column is None or column < 1:
        return f"The filter {text!r} ends too early: a comparison or value is missing."
    near = text[column - 1 : column + 19]
    expected = sorted(getattr(error, "expected", None) or getattr(error, "allowed", None) or [])
    hint = f" (expected one of: {', '.join(expected[:8])})" if expected else ""
    return (
        f"The filter is not valid OPTIMADE filter syntax at character {column}, "
        f"near {near!r}{hint}. Strings need double quotes; properties are lowercase."
    )


def _depth(tree: Tree[Token]) -> int:
    """Tree depth without recursion (the tree may be deep: that is what we check)."""
    deepest = 0
    stack: list[tuple[Tree[Token], int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))
    return deepest


__all__ = ["MAX_FILTER_CHARS", "MAX_TREE_DEPTH", "FilterParser"]
