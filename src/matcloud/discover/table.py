"""A built section in memory, by column: range filters, text search, sorting and paging over
70,000 rows in a few milliseconds (numpy), the plot's points, and ID cards.

Numeric columns are float arrays with NaN for missing values (a missing value fails every
range filter and sorts last either way); the search text of a row is its search columns,
lower-cased, joined. Sort orders are computed once per column and direction.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import numpy as np

from matcloud.core.errors import FieldError, NotFound, ValidationFailed
from matcloud.discover.spec import Attached, Column, Spec

MAX_PAGE_SIZE = 500


@dataclass
class RowQuery:
    """What the table and the plot show: ``ranges`` (column -> (min, max), either None),
    ``equals`` (column -> value, for string and boolean columns), ``q`` (words that must
    all occur in the search columns), ``sort`` (a column, ``-`` first for descending)."""

    ranges: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    equals: dict[str, str] = field(default_factory=dict)
    q: str = ""
    sort: str | None = None
    page: int = 1
    size: int = 25


class Table:
    def __init__(
        self,
        spec: Spec,
        stamp: str,
        keys: list[str],
        values: list[dict[str, Any]],
        provenance: list[dict[str, str]],
        context: dict[str, Any],
    ) -> None:
        self.spec = spec
        self.stamp = stamp
        self.keys = keys
        self.values = values
        self.provenance = provenance
        self.context = context
        self.positions = {key: i for i, key in enumerate(keys)}
        n = len(keys)
        self.numbers: dict[str, np.ndarray] = {}
        self.others: dict[str, np.ndarray] = {}
        for column in spec.columns:
            raw = [row.get(column.name) for row in values]
            if column.numeric:
                self.numbers[column.name] = np.array(
                    [np.nan if v is None else v for v in raw], dtype=np.float64
                )
            else:
                array = np.empty(n, dtype=object)
                array[:] = ["" if v is None else str(v) for v in raw]
                self.others[column.name] = array
        searched = spec.search_columns
        self.text = np.array(
            [" ".join(str(row.get(c.name) or "") for c in searched).lower() for row in values],
            dtype=np.str_,
        )
        self._orders: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    @classmethod
    def build(cls, spec: Spec, stamp: str, rows: Sequence[Any], context: dict[str, Any]) -> Table:
        keys = [str(r[0]) for r in rows]
        return cls(spec, stamp, keys, [r[1] for r in rows], [r[2] or {} for r in rows], context)

    # -- queries -------------------------------------------------------------------------------

    def select(self, query: RowQuery) -> np.ndarray:
        """Positions of the rows the query keeps, in the query's order."""
        errors: list[FieldError] = []
        mask = np.ones(len(self.keys), dtype=bool)
        allowed = {c.name for c in self.spec.filter_columns}
        for name, (low, high) in query.ranges.items():
            if name not in self.numbers or name not in allowed:
                parameter = f"min_{name}" if low is not None else f"max_{name}"
                errors.append(FieldError(parameter, f"{name!r} is not a range filter"))
                continue
            column = self.numbers[name]
            with np.errstate(invalid="ignore"):
                if low is not None:
                    mask &= column >= low
                if high is not None:
                    mask &= column <= high
        for name, value in query.equals.items():
            if name not in self.others or name not in allowed:
                errors.append(FieldError(name, f"{name!r} is not a filter of this section"))
                continue
            mask &= self.others[name] == _canonical(self.spec.column(name), value)
        if errors:
            raise ValidationFailed.listing("The filters do not fit this section", errors)
        for word in query.q.lower().split()[:20]:
            mask &= np.strings.find(self.text, word) >= 0
        order = self._order(query.sort)
        chosen: np.ndarray = order[mask[order]]
        return chosen

    def _order(self, sort: str | None) -> np.ndarray:
        if not sort:
            return np.arange(len(self.keys))
        with self._lock:
            cached = self._orders.get(sort)
        if cached is not None:
            return cached
        descending = sort.startswith("-")
        name = sort.lstrip("-")
        if name in self.numbers:
            column = self.numbers[name]
            key = -column if descending else column
            order = np.argsort(key, kind="stable")  # NaN last either way
        elif name in self.others:
            strings: list[str] = self.others[name].tolist()
            present = np.array([v != "" for v in strings])
            order = np.array(
                sorted(range(len(strings)), key=lambda i: strings[i].lower(), reverse=descending),
                dtype=np.int64,
            )
            order = np.concatenate([order[present[order]], order[~present[order]]])
        else:
            names = ", ".join(c.name for c in self.spec.columns)
            raise ValidationFailed(
                f"sort: there is no column {name!r} (the columns: {names}).",
                [FieldError("sort", f"no column {name!r}")],
            )
        with self._lock:
            self._orders[sort] = order
        return order

    def page(self, query: RowQuery) -> dict[str, Any]:
        if not 1 <= query.size <= MAX_PAGE_SIZE:
            raise ValidationFailed(
                f"size must be 1-{MAX_PAGE_SIZE}.", [FieldError("size", "out of range")]
            )
        if query.page < 1:
            raise ValidationFailed("page starts at 1.", [FieldError("page", "out of range")])
        chosen = self.select(query)
        start = (query.page - 1) * query.size
        shown = chosen[start : start + query.size]
        return {
            "total": len(self.keys),
            "matched": int(len(chosen)),
            "page": query.page,
            "size": query.size,
            "sort": query.sort,
            "rows": [self._row(int(i)) for i in shown],
        }

    def points(self, query: RowQuery, axes: list[str]) -> dict[str, Any]:
        """The kept rows' keys and the ``axes`` columns' values (null where missing)."""
        for name in axes:
            if name not in self.numbers and name not in self.others:
                raise ValidationFailed(
                    f"There is no column {name!r} to plot.", [FieldError("axes", name)]
                )
        chosen = self.select(query)
        keys = self.keys
        body: dict[str, Any] = {"matched": int(len(chosen)), "keys": [keys[i] for i in chosen]}
        for name in axes:
            if name in self.numbers:
                column = self.numbers[name][chosen]
                body[name] = [None if v != v else v for v in column.tolist()]
            else:
                body[name] = self.others[name][chosen].tolist()
        return body

    # -- rows and cards --------------------------------------------------------------------

    def _row(self, position: int) -> dict[str, Any]:
        key = self.keys[position]
        return {
            "key": key,
            "values": self.values[position],
            "url": f"/discover/{self.context['slug']}/{quote(key, safe='')}",
        }

    def card(self, key: str) -> dict[str, Any]:
        position = self.positions.get(key)
        if position is None:
            raise NotFound(f"Section {self.context['slug']} has no row {key!r}.")
        spec = self.spec
        values = self.values[position]
        provenance = self.provenance[position]
        strings = [c.name for c in spec.columns if c.type == "string"]
        title_column = spec.card.title or spec.rows.id or (strings[0] if strings else None)
        title = str(values.get(title_column) or key) if title_column else key
        properties = []
        for column in spec.card_properties:
            value = values.get(column.name)
            properties.append(
                {
                    "name": column.name,
                    "title": column.label,
                    "unit": column.unit,
                    "description": column.description,
                    "type": column.type,
                    "value": value,
                    "provenance": self._provenance(column, value, provenance.get(column.name)),
                }
            )
        attached = {
            part: self._attachment(spec, part, values)
            for part in ("structure", "bands", "phonons")
            if getattr(spec, part) is not None
        }
        return {
            "section": self.context["slug"],
            "key": key,
            "title": title,
            "properties": properties,
            **attached,
            "url": f"/discover/{self.context['slug']}/{quote(key, safe='')}",
        }

    def _provenance(self, column: Column, value: Any, node: str | None) -> str | None:
        archive = self.context.get("archive_id")
        if column.type == "node" and archive and value:
            return f"/explore/{archive}/nodes/{value}"
        if node and archive:
            return f"/explore/{archive}/nodes/{node}"
        if column.type == "file" and value:
            return self._file_url(str(value))
        return None

    def _file_url(self, key: str) -> str:
        return f"/api/records/{self._version_of(key)}/files/{quote(key)}/content"

    def _version_of(self, key: str) -> str:
        found = self.context["files"].get(key)
        return str(found.version_id if found is not None else self.context["version_ids"][0])

    def _attachment(self, spec: Spec, part: str, values: dict[str, Any]) -> dict[str, Any] | None:
        attached: Attached = getattr(spec, part)
        column = spec.column(attached.column)
        value = values.get(column.name)
        if value is None:
            return None
        archive = self.context.get("archive_id")
        if column.type == "node" and archive:
            found = {"node": value, "archive": archive, "url": f"/explore/{archive}/nodes/{value}"}
        else:
            found = {
                "file": value,
                "url": self._file_url(str(value)),
                "version": self._version_of(str(value)),
            }
        if attached.zero is not None and values.get(attached.zero) is not None:
            found["zero"] = {
                "value": values[attached.zero],
                "title": spec.column(attached.zero).label,
            }
        return found


def _canonical(column: Column, value: str) -> str:
    if column.type == "boolean":
        return "True" if value.strip().lower() in ("true", "1", "yes") else "False"
    return value


__all__ = ["MAX_PAGE_SIZE", "RowQuery", "Table"]
