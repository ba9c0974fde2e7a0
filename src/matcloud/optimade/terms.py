"""The small vocabulary the filter compiler works in: operators, values, list items, and the
known-ness of a property's value (shared by :mod:`.transformer` and :mod:`.lists`)."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from optimade.models import DataType  # type: ignore[import-untyped]
from sqlalchemy import ColumnElement, Text, and_, cast
from sqlalchemy.sql.expression import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from matcloud.optimade.schema import Prop

Expr = ColumnElement[Any]
Scalar = str | int | float | bool

OPS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
NUMERIC = (DataType.INTEGER, DataType.FLOAT)


@dataclass(frozen=True)
class PropRef:
    """A property named in the filter; ``prop`` is ``None`` for another provider's."""

    name: str
    prop: Prop | None


Value = Scalar | PropRef


@dataclass(frozen=True)
class Item:
    """One value of a value list, with its (OPTIONAL) operator."""

    op: str
    value: Value


def kind_of(value: Value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "property"


def expected_kind(data_type: DataType) -> str:
    if data_type in NUMERIC:
        return "number"
    if data_type == DataType.BOOLEAN:
        return "boolean"
    return "string"


def is_known(prop: Prop, column: Expr | None = None) -> Expr:
    """The property has a value (a nullable JSON column may hold SQL ``NULL`` or the JSON
    text ``null`` for an unknown value: which one depends on who wrote the row).
    ``column``: the property's column as the caller refers to it (see :func:`unindexed`)."""
    column = prop.column if column is None else column
    assert column is not None
    if prop.json_null:
        return and_(column.is_not(None), cast(column, Text) != "null")
    result: Expr = column.is_not(None)
    return result


def unindexed(column: Expr) -> Expr:
    """``+column``: SQLite's no-op unary plus, which keeps the planner from using an index on
    the column (for a page walked in id order, where a range on another index plus a sort
    is what SQLite would otherwise pick whenever its statistics mislead it)."""
    result: Expr = UnaryExpression(column, operator=custom_op("+"), type_=column.type)
    return result


__all__ = [
    "NUMERIC",
    "OPS",
    "Expr",
    "Item",
    "PropRef",
    "Scalar",
    "Value",
    "expected_kind",
    "is_known",
    "kind_of",
    "unindexed",
]
