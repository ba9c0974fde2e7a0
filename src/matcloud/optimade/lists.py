"""List comparisons: ``HAS``, ``HAS ALL``, ``HAS ANY``, ``HAS ONLY``, ``LENGTH`` and correlated
``a:b HAS ...`` queries, as SQL over the values table (one list item per row, indexed by field
and value), mixed into :class:`~matcloud.optimade.transformer.SQLTransformer`.

A membership ("the list has an item satisfying this") is an ``id IN (SELECT ...)`` driven by
the index range of its rarest value when counting, or a correlated ``EXISTS`` when a page is
walked in id order; negated, it is always a correlated ``NOT EXISTS`` (never a materialised
``NOT IN`` list). Memberships in the same list joined by ``AND``/``OR`` merge into one
sub-query. ``HAS ONLY`` on ``elements`` looks the subsets of the values up in the indexed
``chemical_system`` column; elsewhere it is a ``NOT EXISTS`` of an item outside the allowed
ones, so it is vacuously true for an empty list (the specification's ``list <= values``).
"""

from __future__ import annotations

import builtins
import functools
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from optimade.models import DataType  # type: ignore[import-untyped]
from sqlalchemy import (
    Float,
    Integer,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    not_,
    null,
    or_,
    select,
)

from matcloud.optimade.errors import BadRequest, NotImplementedFeature
from matcloud.optimade.masks import split_bits
from matcloud.optimade.schema import EntrySchema, Prop, ValuesView
from matcloud.optimade.terms import (
    OPS,
    Expr,
    Item,
    PropRef,
    expected_kind,
    is_known,
    kind_of,
    unindexed,
)

#: HAS ONLY through a set column enumerates subsets: 2^n - 1 of them.
MAX_SET_VALUES = 10
SET_SEPARATOR = "-"


@dataclass(frozen=True)
class Requirement:
    """Some item of a list must satisfy ``condition``; ``rank()`` estimates how many entries
    have one (the rarest requirement drives the query)."""

    condition: Callable[[ValuesView], Expr]
    rank: Callable[[], int]  # called only to order several requirements
    #: The same requirement as bits of the list's bit columns (some item has one of these
    #: bits), when every value it names has one; ``symbols``: those values.
    bits: frozenset[int] | None = None
    symbols: tuple[str, ...] = ()


@dataclass(frozen=True)
class Driver:
    """What a filter implies about one list: it has one of ``symbols`` (each with a bit).
    A count can then walk the index ranges of those values alone (see :mod:`.driving`);
    ``rank`` estimates how many entries that is."""

    prop: Prop
    symbols: tuple[str, ...]
    rank: int


class ListComparisons:
    """The list half of the compiler (a mixin: the transformer holds the state)."""

    schema: EntrySchema
    style: str
    frequencies: Mapping[str, Mapping[str, int]]
    _negations: dict[int, tuple[Expr, Callable[[], Expr]]]
    _memberships: dict[int, tuple[Expr, Prop, tuple[Requirement, ...]]]
    _drivers: dict[int, tuple[Expr, Driver]]
    _views: int

    def _sql(self, column: Expr) -> Expr:
        """A column of the entry table as this compilation refers to it: as is, or, for a
        page walked in id order on SQLite, unindexable (so that the walk is the plan)."""
        if self.style == "exists" and self.schema.dialect == "sqlite":
            return unindexed(column)
        return column

    def _known_sql(self, prop: Prop) -> Expr:
        assert prop.column is not None
        return is_known(prop, self._sql(prop.column))

    def _list_prop(self, ref: PropRef, construct: str) -> Prop | None:
        prop = ref.prop
        if prop is not None and not prop.is_list:
            raise NotImplementedFeature(
                f"{construct} applies to lists, and {prop.name} is a {prop.type.value}.",
                "filter",
            )
        return prop

    def _set(self, ref: PropRef, kind: str, items: Sequence[Item]) -> Expr:
        construct = "HAS" if kind == "HAS" else f"HAS {kind}"
        if any(isinstance(item.value, PropRef) for item in items):
            raise NotImplementedFeature(
                f"Properties as values of {construct} (OPTIONAL) are not supported.", "filter"
            )
        prop = self._list_prop(ref, construct)
        if prop is None:
            return null()
        for item in items:
            self._check_item(prop, item)
        if prop.column is None:
            return null()
        if prop.values_field is None or self.schema.values is None:
            raise NotImplementedFeature(
                f"{construct} is not supported on {prop.name} (only on "
                f"{', '.join(self._indexed_lists())}).",
                "filter",
            )
        if kind == "ONLY":
            return self._guard(prop, self._only(prop, items))
        if kind == "ANY":
            rank = functools.partial(self._rank_all, prop, items)
            requirement = Requirement(
                self._any(prop, items), rank, self._bits(prop, items), _symbols(items)
            )
            return self._guard(prop, self._member(prop, [requirement]))
        requirements = {
            item: Requirement(
                self._condition(prop, item),
                functools.partial(self._rank, prop, item),
                self._bits(prop, [item]),
                _symbols([item]),
            )
            for item in items
        }
        return self._guard(prop, self._member(prop, list(requirements.values())))

    def _any(self, prop: Prop, items: Sequence[Item]) -> Callable[[ValuesView], Expr]:
        """An item equal to (or compared by its operator with) one of ``items``: the plain
        values as one ``IN (...)`` (an index lookup, and no deep ``OR`` chain however many
        values there are), the others ``OR``-ed."""
        plain = sorted({text for item in items if (text := _text(prop, item)) is not None})
        others = [item for item in items if _text(prop, item) is None]

        def condition(view: ValuesView) -> Expr:
            alternatives = [self._item_condition(prop, view, item) for item in others]
            if plain:
                alternatives.insert(0, view.value.in_(plain))
            return alternatives[0] if len(alternatives) == 1 else or_(*alternatives)

        return condition

    @staticmethod
    def _bits(prop: Prop, items: Sequence[Item]) -> frozenset[int] | None:
        """The bits of ``items`` in the list's bit columns (``None`` unless every item is a
        plain value with a bit)."""
        if prop.bit_of is None:
            return None
        bits: set[int] = set()
        for item in items:
            bit = (
                prop.bit_of(item.value) if item.op == "=" and isinstance(item.value, str) else None
            )
            if bit is None:
                return None
            bits.add(bit)
        return frozenset(bits)

    def _bit_check(self, prop: Prop, requirements: Sequence[Requirement]) -> Expr | None:
        """The requirements as tests of the entry's bit columns: exact (the columns hold the
        whole list), so no values-table probe is needed to check a candidate, and the
        negation is plain ``NOT``. ``None`` when some requirement has no bits."""
        if not prop.bit_columns or any(r.bits is None for r in requirements):
            return None
        columns = [self._sql(column) for column in prop.bit_columns]
        every = split_bits(
            bit for r in requirements if len(r.bits or ()) == 1 for bit in r.bits or ()
        )
        tests: list[Expr] = [
            column.bitwise_and(mask) == mask
            for column, mask in zip(columns, every, strict=True)
            if mask
        ]
        for requirement in requirements:
            if len(requirement.bits or ()) > 1:
                some = split_bits(requirement.bits or ())
                alternatives = [
                    column.bitwise_and(mask) != 0
                    for column, mask in zip(columns, some, strict=True)
                    if mask
                ]
                tests.append(alternatives[0] if len(alternatives) == 1 else or_(*alternatives))
        if not tests:  # no requirement at all (an empty ANY list): no item satisfies it
            return false()
        return tests[0] if len(tests) == 1 else and_(*tests)

    def _rank_all(self, prop: Prop, items: Sequence[Item]) -> int:
        return sum(self._rank(prop, item) for item in items)

    def _rank(self, prop: Prop, item: Item) -> int:
        """How many entries have this item (from the service's statistics; unknown: a value
        nobody has, which drives best of all)."""
        if item.op != "=":
            return 1 << 62
        counts = self.frequencies.get(prop.values_field or "") or self.frequencies.get(
            "elements", {}
        )
        return counts.get(str(item.value), 0) if counts else 0

    def _condition(self, prop: Prop, item: Item) -> Callable[[ValuesView], Expr]:
        return lambda view: self._item_condition(prop, view, item)

    def _member(self, prop: Prop, requirements: Sequence[Requirement]) -> Expr:
        """Entries whose list has, for each requirement, an item satisfying it.

        In the ``in`` style (counts) it is ``id IN (SELECT ...)`` driven by the index range of
        the rarest requirement, the others probed with ``EXISTS``; in the ``exists`` style (a
        page walked in id order) a correlated ``EXISTS``. Its negation is always a correlated
        ``NOT EXISTS``: never a materialised ``NOT IN`` list.
        """
        assert self.schema.values is not None
        ordered = (
            sorted(requirements, key=lambda r: r.rank())
            if len(requirements) > 1
            else list(requirements)
        )
        field = prop.values_field
        views = [self._view() for _ in ordered]
        first = views[0]
        where = [first.field == field, ordered[0].condition(first)]
        for view, requirement in zip(views[1:], ordered[1:], strict=True):
            probe = select(literal(1)).select_from(view.table)
            where.append(
                exists(
                    probe.where(
                        view.entry_id == first.entry_id,
                        view.field == field,
                        requirement.condition(view),
                    )
                )
            )

        def correlated() -> Expr:
            return exists(
                select(literal(1))
                .select_from(first.table)
                .where(first.entry_id == self.schema.id, *where)
            )

        positive: Expr
        check = self._bit_check(prop, ordered)
        if check is not None:
            # the bits decide; in a count, the rarest requirement's index range drives
            if self.style == "in":
                rarest = select(first.entry_id).select_from(first.table)
                positive = and_(
                    self.schema.id.in_(
                        rarest.where(first.field == field, ordered[0].condition(first))
                    ),
                    check,
                )
            else:
                positive = check
            self._negations[id(positive)] = (positive, functools.partial(not_, check))
            if not prop.nullable:
                self._memberships[id(positive)] = (positive, prop, tuple(ordered))
            driver = Driver(prop, ordered[0].symbols, ordered[0].rank())
            self._drivers[id(positive)] = (positive, driver)
            return positive
        if self.style == "in":
            positive = self.schema.id.in_(
                select(first.entry_id).select_from(first.table).where(*where)
            )
        else:
            positive = correlated()
        self._negations[id(positive)] = (positive, lambda: ~correlated())
        if not prop.nullable:
            self._memberships[id(positive)] = (positive, prop, tuple(ordered))
        return positive

    def _view(self) -> ValuesView:
        """A values-table alias not used yet in this filter."""
        assert self.schema.values is not None
        self._views += 1
        return self.schema.values.view(self._views)

    def _merge(self, children: list[Expr], *, conjunction: builtins.bool) -> list[Expr]:
        """Memberships in the same list under one AND (OR) become one sub-query:
        ``HAS "Si" AND HAS "O"`` is ``HAS ALL "Si","O"``, ``HAS "Fe" OR HAS "Co"`` is
        ``HAS ANY "Fe","Co"`` (one index range, one list, instead of several)."""
        groups: dict[str, list[int]] = {}
        for position, child in enumerate(children):
            found = self._memberships.get(id(child))
            if found is not None and found[0] is child and (conjunction or len(found[2]) == 1):
                groups.setdefault(found[1].name, []).append(position)
        merged = list(children)
        dropped: set[int] = set()
        for positions in groups.values():
            if len(positions) < 2:
                continue
            parts = [self._memberships[id(children[i])] for i in positions]
            prop = parts[0][1]
            if conjunction:
                requirements = [r for _, _, reqs in parts for r in reqs]
            else:
                alternatives = [reqs[0] for _, _, reqs in parts]
                bits = [r.bits for r in alternatives]
                requirements = [
                    Requirement(
                        _any_of([r.condition for r in alternatives]),
                        functools.partial(_total, [r.rank for r in alternatives]),
                        None if None in bits else frozenset().union(*(b or () for b in bits)),
                        tuple(dict.fromkeys(s for r in alternatives for s in r.symbols)),
                    )
                ]
            merged[positions[0]] = self._member(prop, requirements)
            dropped.update(positions[1:])
        return [child for position, child in enumerate(merged) if position not in dropped]

    def _only(self, prop: Prop, items: Sequence[Item]) -> Expr:
        """``HAS ONLY``: no item outside the allowed ones (true for an empty list). With a
        set column (``chemical_system``) and plain values, the subsets of the values, looked
        up on its index; rows without the column fall back to the general form."""
        assert self.schema.values is not None
        view = self._view()
        outside = ~exists(
            select(literal(1))
            .select_from(view.table)
            .where(
                view.entry_id == self.schema.id,
                view.field == prop.values_field,
                not_(self._any(prop, items)(view)),
            )
        )
        column = None if prop.set_column is None else self._sql(prop.set_column)
        values = sorted({str(i.value) for i in items})
        if (
            column is None
            or any(i.op != "=" or not isinstance(i.value, str) for i in items)
            or len(values) > MAX_SET_VALUES
            or any(SET_SEPARATOR in v for v in values)
        ):
            return outside
        subsets = [""] + [
            SET_SEPARATOR.join(combo)
            for size in range(1, len(values) + 1)
            for combo in itertools.combinations(values, size)
        ]
        return or_(column.in_(subsets), and_(column.is_(None), outside))

    def _guard(self, prop: Prop, expression: Expr) -> Expr:
        """Keep a list comparison unknown (``NULL``) where the list itself is unknown."""
        if not prop.nullable:
            return expression
        return case((self._known_sql(prop), expression), else_=null())

    def _check_item(self, prop: Prop, item: Item) -> None:
        expected = expected_kind(prop.item_type or DataType.STRING)
        if kind_of(item.value) != expected:
            raise NotImplementedFeature(
                f"The items of {prop.name} are {(prop.item_type or DataType.STRING).value}s, "
                f"but {item.value!r} is a {kind_of(item.value)}.",
                "filter",
            )

    def _item_condition(self, prop: Prop, view: ValuesView, item: Item) -> Expr:
        value, compare = item.value, OPS[item.op]
        if prop.item_type == DataType.INTEGER:
            if item.op in ("=", "!=") and isinstance(value, int):
                result: Expr = compare(view.value, str(value))
                return result
            return compare(cast(view.value, Integer), value)  # type: ignore[no-any-return]
        if prop.item_type == DataType.FLOAT:
            return compare(cast(view.value, Float), value)  # type: ignore[no-any-return]
        return compare(view.value, value)  # type: ignore[no-any-return]

    def _indexed_lists(self) -> list[str]:
        return [p.name for p in self.schema.props.values() if p.values_field]

    def _length(self, ref: PropRef, op: str, value: int) -> Expr:
        prop = self._list_prop(ref, "LENGTH")
        if prop is None:
            return null()
        if prop.length is not None:
            length: Expr = self._sql(prop.length)
        elif prop.column is None:
            return null()
        elif prop.nullable:
            length = case(
                (self._known_sql(prop), func.json_array_length(prop.column)), else_=null()
            )
        else:
            length = func.json_array_length(prop.column)
        result: Expr = OPS[op](length, value)
        return result

    def _zip(self, refs: Sequence[PropRef], kind: str, rows: Sequence[Sequence[Item]]) -> Expr:
        names = ":".join(ref.name for ref in refs)
        for row in rows:
            if len(row) != len(refs):
                raise BadRequest(
                    f"{names} HAS needs {len(refs)} values per tuple (a:b:...), got {len(row)}.",
                    "filter",
                )
        props = [self._list_prop(ref, f"{names} HAS") for ref in refs]
        if any(isinstance(item.value, PropRef) for row in rows for item in row):
            raise NotImplementedFeature("Properties as values in a:b HAS are not supported.")
        if any(prop is None or prop.column is None for prop in props):
            return null()
        known = [prop for prop in props if prop is not None]
        if self.schema.values is None or any(prop.values_field is None for prop in known):
            raise NotImplementedFeature(
                f"Correlated list queries ({names} HAS ...) are supported only between the "
                f"lists {', '.join(self._indexed_lists())} (matched by position).",
                "filter",
            )
        for row in rows:
            for prop, item in zip(known, row, strict=True):
                self._check_item(prop, item)
        views = [self._view() for _ in known]
        joined = views[0].table
        for view in views[1:]:
            joined = joined.join(
                view.table,
                and_(view.entry_id == views[0].entry_id, view.position == views[0].position),
            )
        fields = [view.field == prop.values_field for view, prop in zip(views, known, strict=True)]

        def matches(row: Sequence[Item]) -> Expr:
            return and_(
                *(
                    self._item_condition(prop, view, item)
                    for prop, view, item in zip(known, views, row, strict=True)
                )
            )

        if kind == "ONLY":
            others = (
                select(literal(1))
                .select_from(joined)
                .where(views[0].entry_id == self.schema.id, *fields)
                .where(not_(or_(*(matches(row) for row in rows))))
            )
            return ~exists(others)

        def member(condition: Expr) -> Expr:
            found = select(views[0].entry_id).select_from(joined).where(*fields, condition)
            return self.schema.id.in_(found)

        if kind == "ANY":
            return member(or_(*(matches(row) for row in rows)))
        return and_(*(member(matches(row)) for row in rows))


def _text(prop: Prop, item: Item) -> str | None:
    """The stored text of a plain (``=``) item value, for an ``IN`` list; else ``None``."""
    if item.op != "=":
        return None
    if prop.item_type == DataType.INTEGER and isinstance(item.value, int):
        return str(item.value)
    if prop.item_type in (None, DataType.STRING) and isinstance(item.value, str):
        return item.value
    return None


def _symbols(items: Sequence[Item]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(item.value) for item in items))


def _total(ranks: Sequence[Callable[[], int]]) -> int:
    return sum(rank() for rank in ranks)


def _any_of(conditions: Sequence[Callable[[ValuesView], Expr]]) -> Callable[[ValuesView], Expr]:
    return lambda view: or_(*(condition(view) for condition in conditions))


__all__ = ["MAX_SET_VALUES", "SET_SEPARATOR", "Driver", "ListComparisons", "Requirement"]
