"""Compile a parsed OPTIMADE filter into one SQLAlchemy Core boolean expression.

:class:`SQLTransformer` is an ``optimade`` :class:`BaseTransformer`: Lark calls one method per
grammar rule, bottom-up; values and right-hand sides become small dataclasses, and every
comparison becomes SQL over the columns an :class:`~matcloud.optimade.schema.EntrySchema`
names. Values are always bound parameters, never text in the SQL.

Semantics, as the specification states them:

- A comparison involving an unknown (``null``) value never matches, and neither does its
  negation: the only filters that match unknown values are ``IS UNKNOWN`` and
  ``NOT ... IS KNOWN``. That is SQL's three-valued logic, so comparisons on nullable columns
  stay plain SQL (``NOT (x = 1)`` is ``NULL``, not true, where ``x`` is ``NULL``), and a
  property of another provider (``_exmpl_band_gap``) compiles to SQL ``NULL`` itself.
- List comparisons (``HAS``, ``HAS ALL/ANY/ONLY``, ``LENGTH``, ``a:b HAS``) are sub-queries
  over the values table (:mod:`.lists`); ``NOT`` is pushed down to the comparisons (De Morgan
  holds in three-valued logic) so that a negated membership is a correlated ``NOT EXISTS``.
  ``HAS ONLY`` is vacuously true for an empty list, as the specification's set semantics
  (``list <= values``) say.
- ``CONTAINS``/``STARTS WITH``/``ENDS WITH`` match literally and case-sensitively: ``GLOB``
  with ``*?[`` escaped as one-character classes on SQLite (its ``LIKE`` ignores case, and
  ``GLOB`` keeps a prefix search on an index), ``LIKE ... ESCAPE '\\'`` on PostgreSQL.
- Types must match: ``nelements = "2"``, a list compared with ``=``, a substring operator on a
  number are 501 Not Implemented ("type conversion is not implemented"); a timestamp string
  that is not RFC 3339 is 400.
- Unsupported OPTIONAL constructs are 501 with the construct named.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from lark import Token, Tree, v_args
from lark.exceptions import VisitError
from lark.tree import Meta
from optimade.filtertransformers import BaseTransformer  # type: ignore[import-untyped]
from optimade.models import DataType  # type: ignore[import-untyped]
from sqlalchemy import and_, false, literal, not_, null, or_, true
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BooleanClauseList, Grouping

from matcloud.optimade.errors import BadRequest, NotImplementedFeature, QueryWarning
from matcloud.optimade.lists import Driver, ListComparisons, Requirement
from matcloud.optimade.schema import EntrySchema, Prop
from matcloud.optimade.terms import (
    NUMERIC,
    OPS,
    Expr,
    Item,
    PropRef,
    Scalar,
    Value,
    expected_kind,
    kind_of,
)

REVERSED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}
INT64 = 2**63
RFC3339 = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


@dataclass(frozen=True)
class ValueOp:
    op: str
    value: Value


@dataclass(frozen=True)
class KnownOp:
    known: bool


@dataclass(frozen=True)
class FuzzyOp:
    kind: str  # CONTAINS, STARTS, ENDS
    value: Value


@dataclass(frozen=True)
class SetOp:
    kind: str  # HAS, ALL, ANY, ONLY
    items: tuple[Item, ...]


@dataclass(frozen=True)
class LengthOp:
    op: str
    value: int


@dataclass(frozen=True)
class ZipOp:
    refs: tuple[PropRef, ...]
    kind: str
    rows: tuple[tuple[Item, ...], ...]


def parse_timestamp(text: str) -> datetime:
    """An RFC 3339 date-time as an aware datetime (sub-microsecond digits are dropped)."""
    match = RFC3339.fullmatch(text.strip())
    if match is None:
        raise BadRequest(
            f'{text!r} is not an RFC 3339 timestamp: use e.g. "2024-01-31T12:00:00Z" '
            "(a date, 'T', a time and a UTC offset or 'Z').",
            "filter",
        )
    day, clock, fraction, offset = match.groups()
    fraction = (fraction or "")[:7]
    offset = "+00:00" if offset in ("Z", "z") else offset
    try:
        return datetime.fromisoformat(f"{day}T{clock}{fraction}{offset}")
    except ValueError:
        raise BadRequest(f"{text!r} is not a valid date and time.", "filter") from None


class SQLTransformer(ListComparisons, BaseTransformer):  # type: ignore[misc]
    """One compilation: ``transform(tree)`` returns the filter's SQL expression (or ``None``
    for an empty filter); ``warnings`` collects what the response should report."""

    def __init__(
        self,
        schema: EntrySchema,
        text: str,
        known_prefixes: frozenset[str],
        *,
        style: str = "in",
        frequencies: Mapping[str, Mapping[str, int]] | None = None,
    ) -> None:
        super().__init__(mapper=None)
        self.schema = schema
        self.text = text
        self.known_prefixes = known_prefixes
        self.style = style
        self.frequencies = frequencies if frequencies is not None else {}
        self.warnings: list[QueryWarning] = []
        # Keyed by id(); the values hold the expression itself, so that an id is never reused
        # for another object while the compilation runs.
        self._negations: dict[int, tuple[Expr, Callable[[], Expr]]] = {}
        self._views = 0
        self._memberships: dict[int, tuple[Expr, Prop, tuple[Requirement, ...]]] = {}
        self._drivers: dict[int, tuple[Expr, Driver]] = {}
        #: What the whole filter implies about the elements (see :class:`.lists.Driver`).
        self.driver: Driver | None = None

    # -- the tree, bottom-up: values ----------------------------------------------------------

    def property(self, children: list[Token]) -> PropRef:
        name = ".".join(str(child) for child in children)
        prop = self.schema.props.get(name)
        if prop is not None:
            return PropRef(name, prop)
        head = str(children[0])
        if len(children) > 1 and (head in self.schema.props or head in ("references",)):
            raise NotImplementedFeature(
                f"Nested property names ({name}) are not supported: query {head} with "
                "IS KNOWN, or (for lists) HAS/LENGTH.",
                "filter",
            )
        if head.startswith("_"):
            prefix = head[1:].split("_", 1)[0]
            if prefix != self.schema.prefix:
                if prefix not in self.known_prefixes:
                    self.warnings.append(
                        QueryWarning(
                            "UnknownProviderProperty",
                            f"{name!r} has a prefix no known provider uses; it was treated "
                            "as unknown (null) for every entry.",
                        )
                    )
                return PropRef(name, None)
        raise BadRequest(
            f"{name!r} is not a known property of {self.schema.type}: /info/"
            f"{self.schema.type} lists them (those of this provider start with "
            f"_{self.schema.prefix}_; other providers' are treated as unknown).",
            "filter",
        )

    @v_args(inline=True)
    def string(self, token: Token) -> str:
        """``"..."`` with ``\\"`` and ``\\\\`` unescaped (other backslashes stay as written)."""
        return re.sub(r'\\(["\\])', r"\1", str(token)[1:-1])

    @v_args(inline=True)
    def number(self, token: Token) -> int | float:
        if token.type == "SIGNED_INT":
            value = int(token)
            if not -INT64 <= value < INT64:
                raise NotImplementedFeature(
                    f"The integer {token} is out of range: integers must lie within [-2^63, 2^63).",
                    "filter",
                )
            return value
        number = float(token)
        if number in (float("inf"), float("-inf")):
            raise NotImplementedFeature(
                f"The number {token} is out of range: floats must be finite 64-bit values "
                "(below about 1.8e308 in magnitude).",
                "filter",
            )
        return number

    @v_args(inline=True)
    def signed_int(self, token: Token) -> int:
        value = self.number(token)
        assert isinstance(value, int)
        return value

    @v_args(meta=True)
    def bool(self, meta: Meta, children: list[Any]) -> builtins.bool:
        """The grammar drops the token, so read ``TRUE``/``FALSE`` back from the text."""
        return self.text[meta.start_pos : meta.end_pos] == "TRUE"

    @v_args(inline=True)
    def value(self, value: Value) -> Value:
        return value

    @v_args(inline=True)
    def constant(self, value: Value) -> Value:
        return value

    @v_args(inline=True)
    def non_string_value(self, value: Value) -> Value:
        return value

    @v_args(inline=True)
    def not_implemented_string(self, value: Value) -> Value:
        raise NotImplementedFeature(
            "Comparing a constant with a string constant is not supported by OPTIMADE "
            "(write the property on one side).",
            "filter",
        )

    def value_list(self, children: list[Any]) -> tuple[Item, ...]:
        return _items(children)

    def value_zip(self, children: list[Any]) -> tuple[Item, ...]:
        return _items(children)

    def value_zip_list(self, children: list[tuple[Item, ...]]) -> tuple[tuple[Item, ...], ...]:
        return tuple(children)

    def property_zip_addon(self, children: list[PropRef]) -> tuple[PropRef, ...]:
        return tuple(children)

    # -- right-hand sides -----------------------------------------------------------------------

    @v_args(inline=True)
    def value_op_rhs(self, op: Token, value: Value) -> ValueOp:
        return ValueOp(str(op), value)

    def known_op_rhs(self, children: list[Token]) -> KnownOp:
        return KnownOp(children[-1] == "KNOWN")

    def fuzzy_string_op_rhs(self, children: list[Any]) -> FuzzyOp:
        return FuzzyOp(str(children[0]), children[-1])

    def set_op_rhs(self, children: list[Any]) -> SetOp:
        rest = children[1:]  # after HAS
        if isinstance(rest[0], Token) and rest[0].type in ("ALL", "ANY", "ONLY"):
            return SetOp(str(rest[0]), rest[1])
        return SetOp("HAS", _items(rest))

    def length_op_rhs(self, children: list[Any]) -> LengthOp:
        op = str(children[1]) if len(children) == 3 else "="
        return LengthOp(op, children[-1])

    def set_zip_op_rhs(self, children: list[Any]) -> ZipOp:
        refs, rest = children[0], children[2:]  # after the addon and HAS
        if isinstance(rest[0], Token):
            return ZipOp(refs, str(rest[0]), rest[1])
        return ZipOp(refs, "HAS", (rest[0],))

    # -- comparisons and logic ------------------------------------------------------------------

    def property_first_comparison(self, children: list[Any]) -> Expr:
        ref, rhs = children
        if isinstance(rhs, ValueOp):
            return self._compare(ref, rhs.op, rhs.value)
        if isinstance(rhs, KnownOp):
            return self._known(ref, rhs.known)
        if isinstance(rhs, FuzzyOp):
            return self._fuzzy(ref, rhs.kind, rhs.value)
        if isinstance(rhs, SetOp):
            return self._set(ref, rhs.kind, rhs.items)
        if isinstance(rhs, LengthOp):
            return self._length(ref, rhs.op, rhs.value)
        assert isinstance(rhs, ZipOp)
        return self._zip((ref, *rhs.refs), rhs.kind, rhs.rows)

    def constant_first_comparison(self, children: list[Any]) -> Expr:
        constant, op, rhs = children
        if isinstance(rhs, PropRef):
            return self._compare(rhs, REVERSED[str(op)], constant)
        if kind_of(constant) != "number" or kind_of(rhs) != "number":
            raise NotImplementedFeature(
                f"Cannot compare {constant!r} with {rhs!r}: the types differ.", "filter"
            )
        return true() if OPS[str(op)](constant, rhs) else false()

    @v_args(inline=True)
    def comparison(self, expression: Expr) -> Expr:
        return expression

    def expression_phrase(self, children: list[Any]) -> Expr:
        if len(children) == 2:
            return self._negate(children[1])
        expression: Expr = children[0]
        return expression

    def expression_clause(self, children: list[Expr]) -> Expr:
        children = self._merge(children, conjunction=True)
        if len(children) == 1:
            return children[0]
        result = and_(*children)
        # any conjunct's driver is one of the whole's: the rarest
        drivers = [d for d in map(self._driver_of, children) if d is not None]
        if drivers:
            self._drivers[id(result)] = (result, min(drivers, key=lambda d: d.rank))
        return result

    def expression(self, children: list[Expr]) -> Expr:
        children = self._merge(children, conjunction=False)
        if len(children) == 1:
            return children[0]
        result = or_(*children)
        # a disjunction implies one of its disjuncts' drivers, if each has one
        drivers = [self._driver_of(child) for child in children]
        known = [d for d in drivers if d is not None]
        if len(known) == len(drivers) and len({d.prop.name for d in known}) == 1:
            symbols = tuple(dict.fromkeys(s for d in known for s in d.symbols))
            total = sum(d.rank for d in known)
            self._drivers[id(result)] = (result, Driver(known[0].prop, symbols, total))
        return result

    def _driver_of(self, expression: Expr) -> Driver | None:
        found = self._drivers.get(id(expression))
        return found[1] if found is not None and found[0] is expression else None

    def filter(self, children: list[Expr]) -> Expr | None:
        if not children:
            return None
        self.driver = self._driver_of(children[0])
        return children[0]

    def _negate(self, expression: Expr) -> Expr:
        """``NOT``, pushed down to the comparisons (De Morgan's laws hold in three-valued
        logic), so that a negated list membership becomes a correlated ``NOT EXISTS``."""
        negation = self._negations.get(id(expression))
        if negation is not None and negation[0] is expression:
            return negation[1]()
        if isinstance(expression, Grouping):
            return self._negate(cast_expr(expression.element))
        if isinstance(expression, BooleanClauseList):
            negated = [self._negate(cast_expr(clause)) for clause in expression.clauses]
            if expression.operator is operators.and_:
                return or_(*negated)
            if expression.operator is operators.or_:
                return and_(*negated)
        result: Expr = not_(expression)
        return result

    # -- the SQL -----------------------------------------------------------------------------

    def _compare(self, ref: PropRef, op: str, value: Value) -> Expr:
        if isinstance(value, PropRef):
            return self._compare_properties(ref, op, value)
        prop = ref.prop
        if prop is None:
            return null()
        operand = self._operand(prop, op, value)
        if prop.constant is not None:
            return true() if OPS[op](prop.constant, operand) else false()
        if prop.column is None:
            return null()
        result: Expr = OPS[op](self._sql(prop.column), operand)
        return result

    def _operand(self, prop: Prop, op: str, value: Scalar) -> Any:
        """``value`` checked against the property's type (and converted, for timestamps)."""
        if prop.type in (DataType.LIST, DataType.DICTIONARY):
            raise NotImplementedFeature(
                f"{prop.name} is a {prop.type.value}, and comparing it with {op} to a "
                f"{kind_of(value)} is a type mismatch: use HAS, HAS ALL, HAS ANY, HAS ONLY, "
                "LENGTH or IS KNOWN.",
                "filter",
            )
        expected = expected_kind(prop.type)
        if kind_of(value) != expected:
            raise NotImplementedFeature(
                f"{prop.name} is a {prop.type.value}, but {value!r} is a {kind_of(value)}: "
                "OPTIMADE filters do not convert types"
                + (
                    ' (timestamps are written as strings, "2024-01-31T00:00:00Z")'
                    if prop.type == DataType.TIMESTAMP
                    else ""
                )
                + ".",
                "filter",
            )
        if prop.type == DataType.BOOLEAN and op not in ("=", "!="):
            raise BadRequest(f"{prop.name} is a boolean: only = and != compare booleans.", "filter")
        if prop.type == DataType.TIMESTAMP:
            assert isinstance(value, str)
            return parse_timestamp(value)
        return value

    def _compare_properties(self, left: PropRef, op: str, right: PropRef) -> Expr:
        if left.prop is None or right.prop is None:
            return null()
        types = {left.prop.type, right.prop.type}
        scalar = not types & {DataType.LIST, DataType.DICTIONARY}
        if not scalar or (len(types) > 1 and not types <= set(NUMERIC)):
            raise NotImplementedFeature(
                f"Cannot compare {left.name} ({left.prop.type.value}) with {right.name} "
                f"({right.prop.type.value}).",
                "filter",
            )
        if DataType.BOOLEAN in types and op not in ("=", "!="):
            raise BadRequest("Only = and != compare booleans.", "filter")
        sides = [self._sql_value(left.prop), self._sql_value(right.prop)]
        if sides[0] is None or sides[1] is None:
            return null()
        result: Expr = OPS[op](sides[0], sides[1])
        return result

    def _sql_value(self, prop: Prop) -> Expr | None:
        if prop.constant is not None:
            return literal(prop.constant)
        return None if prop.column is None else self._sql(prop.column)

    def _known(self, ref: PropRef, known: builtins.bool) -> Expr:
        prop = ref.prop
        if prop is None or (prop.column is None and prop.constant is None):
            has_value: Expr = false()
        elif prop.constant is not None or not prop.nullable:
            has_value = true()
        else:
            has_value = self._known_sql(prop)
        return has_value if known else not_(has_value)

    def _fuzzy(self, ref: PropRef, kind: str, value: Value) -> Expr:
        label = {"STARTS": "STARTS WITH", "ENDS": "ENDS WITH"}.get(kind, kind)
        if isinstance(value, PropRef):
            raise NotImplementedFeature(
                f"{label} with a property on the right (OPTIONAL) is not supported: give a string.",
                "filter",
            )
        prop = ref.prop
        if prop is None:
            return null()
        if prop.type != DataType.STRING or not isinstance(value, str):
            raise NotImplementedFeature(
                f"{label} compares strings; {prop.name} is a {prop.type.value} and {value!r} "
                f"is a {kind_of(value)}.",
                "filter",
            )
        if prop.constant is not None:
            text = str(prop.constant)
            matched = {"CONTAINS": value in text, "STARTS": text.startswith(value)}.get(
                kind, text.endswith(value)
            )
            return true() if matched else false()
        if prop.column is None:
            return null()
        return self._substring(self._sql(prop.column), kind, value)

    def _substring(self, column: Expr, kind: str, text: str) -> Expr:
        lead = "" if kind == "STARTS" else None
        trail = "" if kind == "ENDS" else None
        if self.schema.dialect == "sqlite":
            escaped = re.sub(r"([*?\[])", r"[\1]", text)
            pattern = f"{'*' if lead is None else ''}{escaped}{'*' if trail is None else ''}"
            result: Expr = column.op("GLOB", is_comparison=True)(pattern)
            return result
        escaped = re.sub(r"([\\%_])", r"\\\1", text)
        pattern = f"{'%' if lead is None else ''}{escaped}{'%' if trail is None else ''}"
        return column.like(pattern, escape="\\")

    # -- lists -----------------------------------------------------------------------------------


def cast_expr(clause: Any) -> Expr:
    result: Expr = clause
    return result


def _items(children: Sequence[Any]) -> tuple[Item, ...]:
    """Values with their optional operators: ``[OP] value, [OP] value, ...``."""
    items: list[Item] = []
    op = "="
    for child in children:
        if isinstance(child, Token) and child.type == "OPERATOR":
            op = str(child)
            continue
        items.append(Item(op, child))
        op = "="
    return tuple(items)


class Compiled(NamedTuple):
    expression: Expr | None
    warnings: list[QueryWarning]
    #: The elements the filter implies one of (``None``: it implies none).
    driver: Driver | None


def compile_filter(
    schema: EntrySchema,
    tree: Tree[Token],
    text: str,
    known_prefixes: frozenset[str],
    *,
    style: str = "in",
    frequencies: Mapping[str, Mapping[str, int]] | None = None,
) -> Compiled:
    """The SQL expression of a parsed filter, the warnings to report with it, and its driver.

    ``style`` decides how list memberships read: ``in`` (driven by the values index: for
    counts and sparse results) or ``exists`` (probed per entry: for a dense page walked in
    id order). ``frequencies`` (field -> value -> entries) orders ``HAS ALL`` rarest first."""
    transformer = SQLTransformer(schema, text, known_prefixes, style=style, frequencies=frequencies)
    try:
        expression = transformer.transform(tree)
    except VisitError as error:  # Lark wraps what the rule methods raise
        raise error.orig_exc from None
    return Compiled(expression, transformer.warnings, transformer.driver)


__all__ = ["Compiled", "SQLTransformer", "compile_filter", "parse_timestamp"]
