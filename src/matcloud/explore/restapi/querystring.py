"""The query-string language of aiida-core's REST API, parsed the way aiida parses it.

A query string is ``field(&field)*``, each field ``key operator value``: ``id>3``,
``label="a b"``, ``uuid=like="ab%"``, ``id=in=1,2,3``, ``orderby=-ctime,id``,
``ctime>=2024-01-01T10:00``. Values are, tried in this order: a double-quoted string (``""`` is
a quote), ``true``/``false``, a date-time (``YYYY-MM-DD[THH[:MM[:SS]]][+-HH[:MM]]``), a number,
a bare word (``[+-]name``). A comma list (two values at least) is allowed after ``=in=``,
``=notin=`` and ``=``.

aiida builds this with pyparsing and reports any failure as "Expected end of text, found X (at
char N)": every part of its grammar is optional except the end of the string, so the first
field that does not parse ends the match and the end-of-text check fails there. This hand
parser follows the same alternatives in the same order (first match wins, no backtracking
into an alternative once it matched), so it stops where pyparsing stops and says the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from matcloud.explore.restapi.errors import InputValidationError

WHITESPACE = " \t\n\r"
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
#: Tried in this order: the longer ``=like=`` must win over ``=``.
OPERATORS = ("=like=", "=ilike=", "=in=", "=notin=", "=", "!=", ">=", ">", "<=", "<")
_STRING = re.compile(r'"(?:""|[^"\n\r])*"')
# pyparsing's numeric escapes, as it really compiles them: its pattern is an f-string, so the
# repetition counts ``{3}``, ``{2}``, ``{4}`` became the literal digits 3, 2, 4.
_STRING_ESCAPES = re.compile(
    r"(\\[tnfr])|(\\[0-7]3|\\0|\\x[0-9a-fA-F]2|\\u[0-9a-fA-F]4)|(.)", re.DOTALL
)
_WHITESPACE_ESCAPES = {"\\t": "\t", "\\n": "\n", "\\f": "\f", "\\r": "\r"}
# A date-time must end at "&", whitespace or the end: no printable ASCII may follow it.
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:T[0-9]{2}(?::[0-9]{2})?(?::[0-9]{2})?)?"
    r"(?:[+-][0-9]{2}(?::[0-9]{2})?)?"
    r"(?![!-%'-~])"
)
_NUMBERS: tuple[tuple[re.Pattern[str], Callable[[str], int | float]], ...] = (
    (re.compile(r"[+-]?(?:\d+(?:[eE][+-]?\d+)|(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?)"), float),
    (re.compile(r"[+-]?(?:\d+\.\d*|\.\d+)"), float),
    (re.compile(r"[+-]?\d+"), int),
)
_WORD = re.compile(r"[+-]?[A-Za-z_][A-Za-z0-9_-]*")

TIME_FORMAT_MESSAGE = (
    "time value has wrong format. The right format is <date>T<time><offset>, where <date> is "
    "expressed as [YYYY]-[MM]-[DD], <time> is expressed as [HH]:[MM]:[SS], <offset> is "
    "expressed as +/-[HH]:[MM] given with respect to UTC"
)


@dataclass(frozen=True)
class DateValue:
    """A date-time from a query string and its precision: how many of date, hour, minute and
    second were given (1-4; an offset adds one, which aiida then refuses for ``=``)."""

    value: datetime
    precision: int


Scalar = str | int | float | bool | DateValue
Value = Scalar | list[Scalar]


@dataclass(frozen=True)
class Field:
    key: str
    operator: str
    value: Value


def parse(query_string: str) -> list[Field]:
    """The fields of a (percent-decoded) query string; ``_`` fields (jQuery's cache buster) are
    dropped, as aiida drops them."""
    text = query_string.expandtabs()
    fields: list[Field] = []
    parsed = _field(text, 0)
    position = 0
    if parsed is not None:
        fields.append(parsed[0])
        position = parsed[1]
    while True:
        at = _skip(text, position)
        if not text.startswith("&", at):
            break
        parsed = _field(text, at + 1)
        if parsed is None:
            break
        fields.append(parsed[0])
        position = parsed[1]
    at = _skip(text, position)
    if text.startswith("&", at):
        position = at + 1
    at = _skip(text, position)
    if at < len(text):
        raise InputValidationError(
            "The query string format is invalid. Parser returned this massage: "
            f'"{_expected_end(text, at)}." Please notice that the column number is counted '
            "from the first character of the query string."
        )
    return [field for field in fields if field.key != "_"]


def _skip(text: str, position: int) -> int:
    while position < len(text) and text[position] in WHITESPACE:
        position += 1
    return position


def _field(text: str, position: int) -> tuple[Field, int] | None:
    at = _skip(text, position)
    match = _KEY.match(text, at)
    if match is None:
        return None
    key = match.group()
    at = _skip(text, match.end())
    # 1. key =in= / =notin= list
    for operator in ("=in=", "=notin="):
        if text.startswith(operator, at):
            values = _value_list(text, at + len(operator))
            if values is not None:
                return Field(key, operator, values[0]), values[1]
            break
    # 2. key = list (orderby=a,b; attributes_filter=a,b)
    if text.startswith("=", at):
        values = _value_list(text, at + 1)
        if values is not None:
            return Field(key, "=", values[0]), values[1]
    # 3. key operator value
    for operator in OPERATORS:
        if text.startswith(operator, at):
            value = _value(text, at + len(operator))
            if value is None:
                return None
            return Field(key, operator, value[0]), value[1]
    return None


def _value_list(text: str, position: int) -> tuple[list[Scalar], int] | None:
    first = _value(text, position)
    if first is None:
        return None
    values = [first[0]]
    position = first[1]
    while True:
        at = _skip(text, position)
        if not text.startswith(",", at):
            break
        following = _value(text, at + 1)
        if following is None:
            break
        values.append(following[0])
        position = following[1]
    if len(values) < 2:
        return None
    at = _skip(text, position)
    if text.startswith(",", at):
        position = at + 1
    return values, position


def _value(text: str, position: int) -> tuple[Scalar, int] | None:
    at = _skip(text, position)
    if text.startswith('"', at):
        match = _STRING.match(text, at)
        if match is not None:
            return _unquote(match.group()[1:-1]), match.end()
    for word, flag in (("true", True), ("false", False)):
        if text.startswith(word, at):
            return flag, at + len(word)
    match = _DATETIME.match(text, at)
    if match is not None:
        return _datetime(match.group()), match.end()
    for pattern, convert in _NUMBERS:
        match = pattern.match(text, at)
        if match is not None:
            return convert(match.group()), match.end()
    match = _WORD.match(text, at)
    if match is not None:
        return match.group(), match.end()
    return None


def _unquote(inner: str) -> str:
    """The content of a quoted string: ``\\t``-style and numeric escapes decoded (as pyparsing
    decodes them), ``""`` -> ``"``."""

    def one(match: re.Match[str]) -> str:
        if match.group(1):
            return _WHITESPACE_ESCAPES[match.group(1)]
        if match.group(2):
            code = match.group(2)[1:]
            if code == "0":
                return "\0"
            if code.startswith(("x", "u")):
                return chr(int(code[1:], 16))
            return code
        return match.group(3)

    return _STRING_ESCAPES.sub(one, inner).replace('""', '"')


def _datetime(text: str) -> DateValue:
    precision = len(text.replace("T", ":").split(":"))
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InputValidationError(TIME_FORMAT_MESSAGE) from None
    offset = value.utcoffset()
    if value.tzinfo is not None and offset is not None:
        minutes = int(offset.total_seconds() // 60)
        value = value.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    else:
        value = value.replace(tzinfo=UTC)
    return DateValue(value, precision)


def _is_word_character(character: str) -> bool:
    """Characters pyparsing groups into the "found" word of its message (Latin, Greek,
    Cyrillic letters and digits)."""
    code = ord(character)
    in_range = code < 0x250 or 0x370 <= code < 0x530 or 0x1F00 <= code < 0x2000
    return in_range and (character.isalpha() or character.isdigit())


def _expected_end(text: str, position: int) -> str:
    end = position
    while end < len(text) and end - position < 16 and _is_word_character(text[end]):
        end += 1
    found = text[position:end] if end > position else text[position : position + 1]
    found_repr = repr(found).replace("\\\\", "\\")
    line = text.count("\n", 0, position) + 1
    if 0 < position < len(text) and text[position - 1] == "\n":
        column = 1
    else:
        column = position - text.rfind("\n", 0, position)
    where = f"(at char {position}), (line:{line}, col:{column})"
    return f"Expected end of text, found {found_repr}  {where}"
