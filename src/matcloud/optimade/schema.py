"""What the filter compiler and the response builder know about one entry type.

An :class:`EntrySchema` maps every OPTIMADE property name to a :class:`Prop`: its OPTIMADE type,
the SQL expression that holds it (a scalar column, a JSON list column, a constant), how list
values are mirrored one per row for indexed ``HAS`` queries, what ``LENGTH`` means for it, and
how its response value is rendered from a result row. The compiler and the service never name
a column themselves, so structures (the main database) and references (an in-memory SQLite
cache) share one filter compiler and one response builder.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from optimade.models import DataType  # type: ignore[import-untyped]
from sqlalchemy import ColumnElement, FromClause, Select

Row = Mapping[Any, Any]
Render = Callable[[Row], Any]


@dataclass(frozen=True)
class Prop:
    """One property of an entry type.

    ``column`` is what filters compare and sort on (``None``: the value is unknown for every
    entry, e.g. a standard property we do not store; ``constant``: the same value for every
    entry, e.g. ``type``). For lists, ``values_field`` names the field under which the items
    are mirrored one per row in the schema's values table (``HAS`` becomes an indexed
    sub-query) and ``length`` an integer column holding the list's length (``LENGTH`` becomes
    an indexed comparison). ``json_null`` marks a nullable JSON column, whose unknown value may
    be stored as SQL ``NULL`` or as the JSON text ``null``.
    """

    name: str
    type: DataType
    description: str
    column: ColumnElement[Any] | None = None
    item_type: DataType | None = None
    values_field: str | None = None
    length: ColumnElement[Any] | None = None
    #: A column holding the sorted distinct items joined by "-" (``HAS ONLY`` uses its index).
    set_column: ColumnElement[Any] | None = None
    #: Integer columns holding the items as bits (:mod:`.masks`), and the bit of an item
    #: (``None``: an item without one, for which the values table is asked).
    bit_columns: tuple[ColumnElement[Any], ...] = ()
    bit_of: Callable[[str], int | None] | None = None
    constant: Any = None
    nullable: bool = True
    json_null: bool = False
    sortable: bool = False
    listed: bool = True
    unit: str | None = None
    render: Render | None = None
    needs: tuple[str, ...] = ()

    @property
    def is_list(self) -> bool:
        return bool(self.type == DataType.LIST)


@dataclass(frozen=True)
class ValuesView:
    """The columns of (an alias of) a values table."""

    table: FromClause
    entry_id: ColumnElement[str]
    field: ColumnElement[str]
    position: ColumnElement[int]
    value: ColumnElement[str]


@dataclass(frozen=True)
class ValuesTable:
    """List items one per row: (entry id, field, position, value as text), by column name."""

    table: FromClause
    entry_id: str
    field: str
    position: str
    value: str
    _aliases: dict[int, ValuesView] = dataclasses.field(
        default_factory=dict, compare=False, repr=False
    )

    def view(self, number: int | None = None) -> ValuesView:
        """The table itself, or its alias ``number``: a statement that joins the table with
        itself takes a different number for each use. Aliases are made once and reused by
        every statement (building one costs more than a whole small query)."""
        if number is None:
            return self._view(self.table)
        found = self._aliases.get(number)
        if found is None:
            found = self._aliases[number] = self._view(self.table.alias(f"v{number}"))
        return found

    def _view(self, table: FromClause) -> ValuesView:
        return ValuesView(
            table,
            table.c[self.entry_id],
            table.c[self.field],
            table.c[self.position],
            table.c[self.value],
        )


@dataclass(frozen=True)
class EntrySchema:
    """An entry type as the compiler and the response builder see it."""

    type: str
    description: str
    table: FromClause
    id: ColumnElement[str]
    props: Mapping[str, Prop]
    prefix: str
    dialect: str
    values: ValuesTable | None = None
    visible: ColumnElement[bool] | None = None
    #: A statement reading how many entries are visible, kept by the database (an exact count
    #: of one row); ``None``: count them.
    total: Select[Any] | None = None
    #: Columns every rendered entry needs (besides those its properties name).
    base_columns: tuple[str, ...] = ("id",)
    columns: Mapping[str, ColumnElement[Any]] = field(default_factory=dict)

    def listed(self) -> list[Prop]:
        return [prop for prop in self.props.values() if prop.listed]


__all__ = ["EntrySchema", "Prop", "Render", "Row", "ValuesTable", "ValuesView"]
