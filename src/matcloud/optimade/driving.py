"""Counting a filter from the element postings alone.

When a filter implies "the structure has one of these elements" (a :class:`.lists.Driver`:
``elements HAS "Cu"``, ``HAS ALL``, ``HAS ANY``, any ``AND`` with one of those, an ``OR`` of
such), its exact count is a walk of those elements' ranges of the postings index
(``ix_optimade_values_postings``), each row carrying its structure's visibility, element bits,
``nelements`` and ``nsites`` (see :data:`.models.POSTING_COLUMNS`). Every element test of the
filter is a test of the bits, so a filter that names nothing else never reads the structure
table: ``(elements HAS "Fe" OR elements HAS "Co") AND NOT elements HAS "O" AND nsites < 20``
is two index ranges. A filter that names other columns joins each candidate's structure row
by its id, as before.

A structure holding several of the driver's elements lies in several ranges; it counts in
the range of the first of them only (a row of range *i* counts if the structure has none of
the elements 1..i-1: bits again).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.sql import visitors
from sqlalchemy.sql.schema import Column

from matcloud.optimade.lists import Driver
from matcloud.optimade.masks import split_bits
from matcloud.optimade.models import POSTING_COLUMNS
from matcloud.optimade.schema import EntrySchema

Expr = ColumnElement[Any]
#: The alias number of the driving postings (filters number their own aliases from 1).
ALIAS = 0


def driven_count(schema: EntrySchema, driver: Driver, condition: Expr | None) -> Select[Any]:
    """``SELECT count(*)`` of ``condition`` (compiled in the ``exists`` style: element
    tests are bit tests) over the postings of the driver's elements."""
    assert schema.values is not None and driver.prop.bit_of is not None
    postings = schema.values.view(ALIAS)
    columns = postings.table.c
    ranges = []
    earlier: list[int] = []
    for symbol in driver.symbols:
        bit = driver.prop.bit_of(symbol)
        assert bit is not None
        first = [
            columns[name].bitwise_and(mask) == 0
            for name, mask in zip(_bit_columns(driver), split_bits(earlier), strict=True)
            if mask
        ]
        ranges.append(and_(postings.value == symbol, *first))
        earlier.append(bit)
    where = [postings.field == driver.prop.values_field, postings.value.in_(driver.symbols)]
    if len(ranges) > 1:  # (the first range needs no test)
        where.append(or_(*ranges))
    conditions = [c for c in (schema.visible, condition) if c is not None]
    statement = select(func.count()).select_from(postings.table)
    if _only_posting_columns(schema, conditions):
        replace = _on_postings(schema, postings.entry_id, columns)
        where += [visitors.replacement_traverse(c, {}, replace) for c in conditions]
    else:
        statement = statement.join(schema.table, schema.id == postings.entry_id)
        where += conditions
    return statement.where(*where)


def _bit_columns(driver: Driver) -> list[str]:
    return [str(getattr(column, "name", "")) for column in driver.prop.bit_columns]


def _structure_columns(schema: EntrySchema, expressions: list[Expr]) -> set[str]:
    names = set()
    for expression in expressions:
        for element in visitors.iterate(expression):
            if isinstance(element, Column) and element.table is schema.table:
                names.add(element.name)
    return names


def _only_posting_columns(schema: EntrySchema, expressions: list[Expr]) -> bool:
    id_name = str(getattr(schema.id, "name", ""))
    return _structure_columns(schema, expressions) <= {id_name, *POSTING_COLUMNS}


def _on_postings(schema: EntrySchema, entry_id: Expr, columns: Any) -> Any:
    """A replacement function: the structure's columns become the posting's copies."""

    def replace(element: Any) -> Any:
        if isinstance(element, Column) and element.table is schema.table:
            if element is schema.id or element.name == getattr(schema.id, "name", None):
                return entry_id
            return columns[element.name]
        return None

    return replace


__all__ = ["driven_count"]
