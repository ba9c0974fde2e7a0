"""SQL for one page of entries: visibility, filter, sort order, and the page itself.

Pages come two ways. Offsets (``page_offset``, ``page_number``) are what people type. Keyset
cursors (``page_above``/``page_below``, what ``links.next``/``links.prev`` carry) say "the
entries after (before) this one in the sort order", so a page never repeats or skips an entry
when entries are inserted or removed meanwhile, and page 5,000 costs what page 1 costs.

The order is always total: the requested sort keys, then ``id``. ``NULL`` sorts last in both
directions on both databases (``col IS NULL`` leads a nullable key). A cursor is the id alone
for the default order (``page_above=<id>``, the specification's example), else a JSON array of
the sort-key values and the id. A bare value (``sort=nelements&page_above=3``) means "after
that value of the first key", as the specification describes value-based paging.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from optimade.models import DataType  # type: ignore[import-untyped]
from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true

from matcloud.optimade.errors import BadRequest
from matcloud.optimade.params import SortKey
from matcloud.optimade.properties import timestamp
from matcloud.optimade.schema import EntrySchema, Prop
from matcloud.optimade.transformer import parse_timestamp

Expr = ColumnElement[Any]


@dataclass(frozen=True)
class Key:
    """One column of the total order."""

    name: str
    column: Expr
    descending: bool
    nullable: bool
    prop: Prop | None  # None: the id tie-breaker
    label: str  # its column in the page query (the cursor of the last row is read from it)


def sort_keys(schema: EntrySchema, sort: list[SortKey]) -> list[Key]:
    """The requested sort keys (checked), then ``id`` as the tie-breaker."""
    keys: list[Key] = []
    id_descending = False
    for item in sort:
        prop = schema.props.get(item.name)
        if prop is None:
            raise BadRequest(
                f"Cannot sort on {item.name!r}: it is not a property of {schema.type}.", "sort"
            )
        if not prop.sortable or prop.column is None:
            sortable = sorted(p.name for p in schema.props.values() if p.sortable)
            raise BadRequest(
                f"{item.name} is not sortable; these are: {', '.join(sortable)}.", "sort"
            )
        if prop.column is schema.id:  # the rest of the order is decided
            id_descending = item.descending
            break
        label = f"sort_{len(keys)}"
        keys.append(Key(item.name, prop.column, item.descending, prop.nullable, prop, label))
    keys.append(Key("id", schema.id, id_descending, False, None, "sort_id"))
    return keys


def order_by(keys: list[Key], *, reverse: bool = False) -> list[Any]:
    clauses: list[Any] = []
    for key in keys:
        descending = key.descending != reverse
        if key.nullable:  # nulls last (first when walking backwards)
            nulls = key.column.is_(None)
            clauses.append(nulls.desc() if reverse else nulls)
        clauses.append(key.column.desc() if descending else key.column.asc())
    return clauses


def base_select(schema: EntrySchema, condition: Expr | None, columns: list[Expr]) -> Select[Any]:
    statement = select(*columns).select_from(schema.table)
    if schema.visible is not None:
        statement = statement.where(schema.visible)
    if condition is not None:
        statement = statement.where(condition)
    return statement


def count_select(schema: EntrySchema, condition: Expr | None) -> Select[Any]:
    return base_select(schema, condition, [func.count()])


# -- cursors ---------------------------------------------------------------------------------


def encode_cursor(keys: list[Key], row: Any) -> str:
    """The cursor of ``row`` (its sort-key values and id) for links."""
    if len(keys) == 1:
        return str(row[keys[0].label])
    values = [_plain(row[key.label]) for key in keys]
    return json.dumps(values, separators=(",", ":"))


def _plain(value: Any) -> Any:
    return timestamp(value) if isinstance(value, datetime) else value


def decode_cursor(keys: list[Key], token: str, parameter: str) -> tuple[list[Any], bool]:
    """The key values of a cursor; the flag is true for a full cursor (all keys and the id),
    false for a bare value of the first key."""
    if len(keys) == 1:
        return [token], True
    try:
        parsed = json.loads(token)
    except ValueError:
        parsed = token
    if not isinstance(parsed, list):
        return [_typed(keys[0], parsed, parameter)], False
    if len(parsed) != len(keys):
        raise BadRequest(
            f"{parameter} does not fit this sort order: take it from links.next/links.prev "
            "of a request with the same sort.",
            parameter,
        )
    return [_typed(key, value, parameter) for key, value in zip(keys, parsed, strict=True)], True


def _typed(key: Key, value: Any, parameter: str) -> Any:
    if value is None and key.nullable:
        return None
    kind = key.prop.type if key.prop is not None else DataType.STRING
    ok = {
        DataType.STRING: isinstance(value, str),
        DataType.TIMESTAMP: isinstance(value, str),
        DataType.INTEGER: isinstance(value, int) and not isinstance(value, bool),
        DataType.FLOAT: isinstance(value, int | float) and not isinstance(value, bool),
        DataType.BOOLEAN: isinstance(value, bool),
    }.get(kind, False)
    if not ok:
        raise BadRequest(f"{parameter}: {value!r} is not a value of {key.name}.", parameter)
    if kind == DataType.TIMESTAMP:
        return parse_timestamp(value)
    return value


def after(keys: list[Key], values: list[Any], *, backwards: bool = False) -> Expr:
    """Rows strictly after (``backwards``: before) the cursor in the order of ``keys``."""
    alternatives: list[Expr] = []
    equal: list[Expr] = []
    for key, value in zip(keys, values, strict=False):
        alternatives.append(and_(*equal, _beyond(key, value, backwards)))
        equal.append(key.column.is_(None) if value is None else key.column == value)
    return or_(*alternatives) if len(alternatives) > 1 else alternatives[0]


def _beyond(key: Key, value: Any, backwards: bool) -> Expr:
    """``key`` strictly beyond ``value`` in the walking direction (nulls are last)."""
    if value is None:  # in the null zone: only non-nulls lie before it, nothing after
        return key.column.is_not(None) if backwards else false()
    greater = key.descending == backwards
    beyond: Expr = key.column > value if greater else key.column < value
    if key.nullable and not backwards:
        return or_(beyond, key.column.is_(None))
    return beyond


def keyset(keys: list[Key], token: str, parameter: str) -> Expr:
    values, full = decode_cursor(keys, token, parameter)
    if not full:  # a bare value: strictly after it in the first key
        return _beyond(keys[0], values[0], False) if values[0] is not None else true()
    return after(keys, values, backwards=parameter == "page_below")


__all__ = [
    "Key",
    "after",
    "base_select",
    "count_select",
    "encode_cursor",
    "keyset",
    "order_by",
    "sort_keys",
]
