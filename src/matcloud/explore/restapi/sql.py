"""Filters and orderings of the REST API as SQL on the archive's own SQLite tables.

Every entity is one table; a filter key names one of its columns (or one of aiida's synonyms,
``pk``, ``user``, ``computer``), an unknown key is refused with aiida's own message (which lists
the valid ones). Values are bound as parameters, never formatted into SQL. Comparisons keep
SQLite's semantics, which are the oracle's too (aiida-core's archive storage is SQLite): a text
column compared with a number compares text. aiida's SQLite connections make ``LIKE``
case-sensitive (``ilike`` is the insensitive one); ours are shared and left alone, so ``like``
becomes the equivalent ``GLOB``.

``uuid=like="abc%"`` becomes a range on the uuid index instead of a scan.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC

from matcloud.explore.restapi.errors import QueryError
from matcloud.explore.restapi.params import Condition
from matcloud.explore.restapi.querystring import DateValue, Scalar, Value

SqlParam = str | int | float | None


@dataclass(frozen=True)
class Table:
    """One AiiDA table: its name, the model name aiida shows in messages, its columns in the
    order aiida lists them, and which of them hold JSON or date-times."""

    name: str
    model: str
    columns: tuple[str, ...]
    json_columns: frozenset[str] = frozenset()
    time_columns: frozenset[str] = frozenset()
    #: query name -> column (``pk`` is everywhere ``id``; ``_metadata`` is the computers'
    #: ``metadata`` column under the attribute name aiida's model gives it)
    synonyms: Mapping[str, str] = field(default_factory=dict)

    def column(self, name: str) -> str:
        column = self.synonyms.get(name, name)
        if column not in self.columns or (name not in self.synonyms and name in _HIDDEN):
            raise QueryError(self._unknown(name))
        return column

    def _unknown(self, name: str) -> str:
        shown = {column: alias for alias, column in self.synonyms.items() if alias != "_metadata"}
        lines = []
        for column in self.columns:
            if column == "metadata" and "_metadata" in self.synonyms:
                lines.append("_metadata")
            elif column in shown:
                lines.append(f"{shown[column]} (alias for {column})")
            else:
                lines.append(column)
        return f"{name} is not a column of aliased({self.model})\nValid columns are:\n" + "\n".join(
            lines
        )


# A column reachable only through its synonym (the computers' ``metadata``: aiida's model
# calls the attribute ``_metadata`` and ``metadata`` is something else there).
_HIDDEN = frozenset({"metadata"})

NODES = Table(
    "db_dbnode",
    "DbNode",
    (
        "id", "uuid", "node_type", "process_type", "label", "description", "ctime", "mtime",
        "attributes", "extras", "repository_metadata", "dbcomputer_id", "user_id",
    ),
    json_columns=frozenset({"attributes", "extras", "repository_metadata"}),
    time_columns=frozenset({"ctime", "mtime"}),
    synonyms={"pk": "id", "computer": "dbcomputer_id", "user": "user_id"},
)  # fmt: skip
USERS = Table(
    "db_dbuser",
    "DbUser",
    ("id", "email", "first_name", "last_name", "institution"),
    synonyms={"pk": "id"},
)
COMPUTERS = Table(
    "db_dbcomputer",
    "DbComputer",
    ("id", "uuid", "label", "hostname", "description", "scheduler_type", "transport_type",
     "metadata"),
    json_columns=frozenset({"metadata"}),
    synonyms={"pk": "id", "_metadata": "metadata"},
)  # fmt: skip
GROUPS = Table(
    "db_dbgroup",
    "DbGroup",
    ("id", "uuid", "label", "type_string", "time", "description", "extras", "user_id"),
    json_columns=frozenset({"extras"}),
    time_columns=frozenset({"time"}),
    synonyms={"pk": "id", "user": "user_id"},
)


def sql_time(value: DateValue) -> str:
    """A date-time as the archive stores it: naive UTC text with microseconds."""
    utc = value.value.astimezone(UTC).replace(tzinfo=None)
    return utc.strftime("%Y-%m-%d %H:%M:%S.%f")


def _param(table: Table, column: str, value: Scalar) -> SqlParam:
    if isinstance(value, DateValue):
        return sql_time(value)
    if column in table.json_columns:
        return json.dumps(value)
    if isinstance(value, bool):
        return int(value)
    return value


def _prefix_range(pattern: str) -> tuple[str, str] | None:
    """``abc%`` -> the half-open range of strings starting with ``abc`` (lowercase), when the
    pattern is a plain prefix of uuid characters."""
    prefix = pattern[:-1]
    if not pattern.endswith("%") or not prefix or any(c not in _UUID_CHARS for c in prefix):
        return None
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def like_to_glob(pattern: str) -> str:
    """A ``LIKE`` pattern (escape character ``\\``) as the ``GLOB`` pattern matching the same
    strings, case-sensitively."""
    out: list[str] = []
    escaped = False
    for char in pattern:
        if escaped:
            out.append(_GLOB_LITERAL.get(char, char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            out.append("*")
        elif char == "_":
            out.append("?")
        else:
            out.append(_GLOB_LITERAL.get(char, char))
    if escaped:
        out.append("\\")
    return "".join(out)


_GLOB_LITERAL = {"*": "[*]", "?": "[?]", "[": "[[]"}


_UUID_CHARS = frozenset("0123456789abcdefABCDEF-")


def where(
    table: Table, alias: str, filters: Mapping[str, Sequence[Condition]]
) -> tuple[list[str], list[SqlParam]]:
    """SQL conditions (to be AND-ed) and their parameters for ``filters`` on ``table``."""
    clauses: list[str] = []
    params: list[SqlParam] = []
    for key, conditions in filters.items():
        column = table.column(key)
        ref = f"{alias}.{column}"
        for condition in conditions:
            clause, values = _condition(table, column, ref, condition)
            clauses.append(clause)
            params.extend(values)
    return clauses, params


def _condition(
    table: Table, column: str, ref: str, condition: Condition
) -> tuple[str, list[SqlParam]]:
    operator, value = condition.operator, condition.value
    if operator == "empty":  # full_type's "no process type": '' or NULL alike
        return f"({ref} = '' OR {ref} IS NULL)", []
    if operator in ("in", "!in"):
        values = value if isinstance(value, list) else [value]
        marks = ",".join("?" * len(values))
        clause = f"{ref} IN ({marks})"
        return (clause if operator == "in" else f"NOT ({clause})"), [
            _param(table, column, item) for item in values
        ]
    if isinstance(value, list):
        raise QueryError(
            f"a list of values needs the operator =in= or =notin= (filter on {column})"
        )
    param = _param(table, column, value)
    if operator in ("like", "ilike"):
        if not isinstance(param, str):
            param = str(param)
        span = _prefix_range(param) if column == "uuid" else None
        if span is not None:
            return f"{ref} >= ? AND {ref} < ?", [span[0], span[1]]
        if operator == "like":
            # no CAST: GLOB compares as text anyway, and a bare column can use its index
            return f"{ref} GLOB ?", [like_to_glob(param)]
        return f"lower({ref}) LIKE lower(?) ESCAPE '\\'", [param]
    sql_operator = {"==": "=", "!==": "=", ">": ">", "<": "<", ">=": ">=", "<=": "<="}
    clause = f"{ref} {sql_operator[operator]} ?"
    return (f"NOT ({clause})" if operator == "!==" else clause), [param]


def order_by(table: Table, alias: str, orderby: Sequence[Value]) -> str:
    """``ORDER BY`` for aiida's ``orderby`` list: ``-x`` descending, ``+x``/``x`` ascending,
    ``id`` appended unless given; aiida keeps them in a dict, so a repeated column keeps its
    first place, and ``pk`` becomes ``id`` moved to the end."""
    names: list[str] = []
    for item in orderby:
        if not isinstance(item, str) or not item:
            raise QueryError(f"orderby takes column names, not {item!r}")
        names.append(item)
    if "id" not in names and "-id" not in names:
        names.append("id")
    directions: dict[str, str] = {}
    for name in names:
        if name[0] == "-":
            directions[name[1:]] = "DESC"
        elif name[0] == "+":
            directions[name[1:]] = "ASC"
        else:
            directions[name] = "ASC"
    if "pk" in directions:
        directions["id"] = directions.pop("pk")
    terms = [f"{alias}.{table.column(name)} {direction}" for name, direction in directions.items()]
    return "ORDER BY " + ", ".join(terms)
