"""From parsed query-string fields to the request's parameters: paging, ordering, filters and
the node-specific switches, with aiida-core's checks and messages.

Reserved keys (``perpage``, ``orderby``, ``attributes``, ...) may appear once and only with
``=``; every other key is a filter on a column. A filter key given twice is an AND of both.
``ctime=2024-01-01`` (equality with a date-time) means "within that day" (hour, minute, second
according to the precision written), as aiida has it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from matcloud.explore.restapi.errors import InputValidationError, ValidationError
from matcloud.explore.restapi.querystring import DateValue, Field, Scalar, Value

RESERVED = (
    "limit",
    "offset",
    "perpage",
    "orderby",
    "download",
    "download_format",
    "filename",
    "in_limit",
    "out_limit",
    "attributes",
    "attributes_filter",
    "extras",
    "extras_filter",
    "full_type",
    "profile",
)

#: Query-string operator -> the comparison it means (aiida's QueryBuilder names).
OPERATORS = {
    "=": "==",
    "!=": "!==",
    "=in=": "in",
    "=notin=": "!in",
    ">": ">",
    "<": "<",
    ">=": ">=",
    "<=": "<=",
    "=like=": "like",
    "=ilike=": "ilike",
}

_PRECISION_STEP = {
    1: timedelta(days=1),
    2: timedelta(hours=1),
    3: timedelta(minutes=1),
    4: timedelta(seconds=1),
}


@dataclass(frozen=True)
class Condition:
    """One comparison of a column with a value (``operator`` in aiida's QueryBuilder terms)."""

    operator: str
    value: Value


@dataclass
class Params:
    limit: Value | None = None
    offset: Value | None = None
    perpage: Value | None = None
    orderby: list[Scalar] = field(default_factory=list)
    filters: dict[str, list[Condition]] = field(default_factory=dict)
    download_format: Value | None = None
    download: Value = True
    filename: Value | None = None
    tree_in_limit: Value | None = None
    tree_out_limit: Value | None = None
    attributes: Value | None = None
    attributes_filter: Value | None = None
    extras: Value | None = None
    extras_filter: Value | None = None
    full_type: Value | None = None
    profile: Value | None = None


_ATTRIBUTE_NAMES = {"in_limit": "tree_in_limit", "out_limit": "tree_out_limit"}


def build(fields: list[Field]) -> Params:
    counts: dict[str, int] = {}
    for item in fields:
        counts[item.key] = counts.get(item.key, 0) + 1
    for key in RESERVED:
        if counts.get(key, 0) > 1:
            raise InputValidationError(f"You cannot specify {key} more than once")

    params = Params()
    for item in fields:
        if item.key in RESERVED:
            if item.operator != "=":
                raise InputValidationError(
                    f"only assignment operator '=' is permitted after '{item.key}'"
                )
            if item.key == "orderby":
                params.orderby.extend(item.value if isinstance(item.value, list) else [item.value])
            else:
                setattr(params, _ATTRIBUTE_NAMES.get(item.key, item.key), item.value)
            continue
        params.filters.setdefault(item.key, []).extend(_conditions(item))
    return params


def _conditions(item: Field) -> list[Condition]:
    value = item.value
    if isinstance(value, DateValue) and item.operator == "=":
        step = _PRECISION_STEP.get(value.precision)
        if step is None:
            raise ValidationError("The datetime resolution is not valid.")
        return [
            Condition(">=", value),
            Condition("<", DateValue(value.value + step, value.precision)),
        ]
    return [Condition(OPERATORS[item.operator], value)]


def is_true(value: Value | None) -> bool:
    """aiida's ``attributes``/``extras`` switches accept the bare ``true`` only."""
    return value is True


def check_switch(name: str, value: Value | None) -> None:
    if value is not None and value is not True and value is not False:
        raise ValidationError(f"The {name} filter is false by default and can only be set to true.")
