"""A DISCOVER section, declared in one YAML file by a curator, and checked before anything is
built: every mistake is reported at once, each naming the field it is about
(``columns[3].type: ...``), never as a stack trace.

A spec says where the rows come from (a CSV/JSON table file in a published record, or a group
of nodes in an AiiDA archive of the record), what each column is (name, title, unit, type,
description, and where its value is read), which columns hold the structure, the band
structure and the phonons of a row, what the ID card shows, the default plot and preset views,
and which columns can be filtered and searched. ``docs/curator.md`` is the guide; the demo
specs in ``discover/data`` are worked examples.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from matcloud.core.errors import FieldError, ValidationFailed

#: Section slugs and column names: what goes into URLs and filter parameters unescaped.
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}[a-z0-9]$")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
#: Where a value of an AiiDA row is read, relative to the group's node: its own ``uuid``,
#: ``label``, ``attributes.<key>`` or ``extras.<key>``, or the same of a node linked to it
#: (``outputs.<link label>.attributes.<key>``; ``outputs.<link label>`` alone is that node).
AIIDA_PATH = re.compile(
    r"^(?:(?:inputs|outputs)\.[A-Za-z0-9_]+(?:\.(?:uuid|label|(?:attributes|extras)\.[^\s]+))?"
    r"|uuid|label|(?:attributes|extras)\.[^\s]+)$"
)
NUMERIC = ("number", "integer")
MAX_COLUMNS = 200
MAX_SPEC_BYTES = 256 * 1024


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Author(_Strict):
    name: str = Field(min_length=1, max_length=200)
    orcid: str | None = Field(default=None, pattern=r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")
    affiliation: str | None = Field(default=None, max_length=300)


class Source(_Strict):
    """A published record, by its id (``2024.12``, a version id ``2024.12v2``) or its DOI."""

    record: str | None = Field(default=None, max_length=80)
    doi: str | None = Field(default=None, pattern=r"^10\.\d{4,9}/\S+$", max_length=255)

    @model_validator(mode="after")
    def _one(self) -> Source:
        if (self.record is None) == (self.doi is None):
            raise ValueError("give exactly one of 'record' and 'doi'")
        return self


class AiidaRows(_Strict):
    file: str = Field(min_length=1, max_length=255, description="the .aiida file's key")
    group: str = Field(min_length=1, max_length=255, description="the group's label")


class Rows(_Strict):
    """One of: ``table`` (a CSV or JSON file of the record) or ``aiida``."""

    table: str | None = Field(default=None, min_length=1, max_length=255)
    aiida: AiidaRows | None = None
    #: The column whose value names a row in URLs (unique); default: the row's position, or
    #: for AiiDA rows the node's UUID.
    id: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Rows:
        if (self.table is None) == (self.aiida is None):
            raise ValueError("give exactly one of 'table' and 'aiida'")
        return self


class Column(_Strict):
    name: str
    title: str | None = Field(default=None, max_length=120)
    unit: str = Field(default="", max_length=40)
    description: str = Field(default="", max_length=2000)
    type: Literal["number", "integer", "string", "boolean", "file", "node"]
    #: Where the value is: the table's header (default: ``name``), or for AiiDA rows a path
    #: (see :data:`AIIDA_PATH`).
    source: str | None = Field(default=None, alias="from", max_length=300)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError(
                "lower-case letters, digits and '_', starting with a letter (it is used in URLs)"
            )
        return value

    @property
    def label(self) -> str:
        return self.title or self.name.replace("_", " ")

    @property
    def numeric(self) -> bool:
        return self.type in NUMERIC


class Attached(_Strict):
    """The structure, bands or phonons of a row: the column holding a record file's key
    (``file``) or an AiiDA node's UUID (``node``); for bands, optionally the number column
    whose value is drawn as zero (the valence band maximum or the Fermi energy, in the bands'
    unit)."""

    column: str
    zero: str | None = None


class Card(_Strict):
    title: str | None = None  # the column naming the material on its card
    properties: list[str] | None = None  # shown in this order; default: every column


class Plot(_Strict):
    name: str | None = Field(default=None, max_length=80)
    x: str
    y: str
    color: str | None = None
    log_x: bool = False
    log_y: bool = False


class Spec(_Strict):
    slug: str
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20_000)  # Markdown, sanitised when shown
    authors: list[Author] = Field(min_length=1, max_length=100)
    demo: bool = False  # shown with a "demo data" label everywhere
    sources: list[Source] = Field(min_length=1, max_length=20)
    rows: Rows
    columns: list[Column] = Field(min_length=1, max_length=MAX_COLUMNS)
    structure: Attached | None = None
    bands: Attached | None = None
    phonons: Attached | None = None
    card: Card = Field(default_factory=Card)
    #: The default view; default: the first two numeric columns (no plot with fewer).
    plot: Plot | None = None
    presets: list[Plot] = Field(default_factory=list, max_length=20)
    filters: list[str] | None = None  # default: every number, integer and boolean column
    search: list[str] | None = None  # default: every string column

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError("2-64 lower-case letters, digits and '-' (it is the page's URL)")
        return value

    # -- derived -----------------------------------------------------------------------------

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def numeric_columns(self) -> list[Column]:
        return [c for c in self.columns if c.numeric]

    @property
    def default_plot(self) -> Plot | None:
        if self.plot is not None:
            return self.plot
        numeric = self.numeric_columns
        return Plot(x=numeric[0].name, y=numeric[1].name) if len(numeric) >= 2 else None

    @property
    def filter_columns(self) -> list[Column]:
        if self.filters is not None:
            return [self.column(name) for name in self.filters]
        return [c for c in self.columns if c.numeric or c.type == "boolean"]

    @property
    def search_columns(self) -> list[Column]:
        if self.search is not None:
            return [self.column(name) for name in self.search]
        return [c for c in self.columns if c.type == "string"]

    @property
    def card_properties(self) -> list[Column]:
        if self.card.properties is not None:
            return [self.column(name) for name in self.card.properties]
        attached = {a.column for a in (self.structure, self.bands, self.phonons) if a}
        return [c for c in self.columns if c.name not in attached]


def parse_spec(text: str | bytes) -> Spec:
    """The spec in ``text`` (YAML), checked; :class:`ValidationFailed` lists every problem."""
    if len(text) > MAX_SPEC_BYTES:
        raise ValidationFailed(
            f"The spec is {len(text):,} bytes; the limit is {MAX_SPEC_BYTES:,}.",
            [FieldError("spec", "too large")],
        )
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ValidationFailed(
            f"The spec is not valid YAML{where}: {problem}.", [FieldError("spec", problem)]
        ) from None
    if not isinstance(data, dict):
        raise ValidationFailed(
            "The spec must be a YAML mapping (slug:, title:, rows:, columns:, ...).",
            [FieldError("spec", "not a mapping")],
        )
    try:
        spec = Spec.model_validate(data)
    except ValidationError as exc:
        errors = [FieldError(_path(e["loc"]), _message(e)) for e in exc.errors()]
        raise ValidationFailed.listing(_lead(errors), errors, shown=5) from None
    errors = cross_check(spec)
    if errors:
        raise ValidationFailed.listing(_lead(errors), errors, shown=5)
    return spec


def cross_check(spec: Spec) -> list[FieldError]:
    """What one field says about another: names that must exist, types that must fit."""
    errors: list[FieldError] = []
    names: dict[str, int] = {}
    aiida = spec.rows.aiida is not None
    for i, column in enumerate(spec.columns):
        if column.name in names:
            errors.append(
                FieldError(
                    f"columns[{i}].name",
                    f"{column.name!r} is already the name of columns[{names[column.name]}]",
                )
            )
        names.setdefault(column.name, i)
        if aiida and column.source is None:
            errors.append(
                FieldError(
                    f"columns[{i}].from",
                    "rows come from an AiiDA group: say where the value is read, e.g. "
                    "'attributes.band_gap', 'extras.formula' or "
                    "'outputs.output_parameters.attributes.energy'",
                )
            )
        elif aiida and column.source is not None and not AIIDA_PATH.match(column.source):
            errors.append(
                FieldError(
                    f"columns[{i}].from",
                    f"{column.source!r} is not a node path: uuid, label, attributes.<key>, "
                    "extras.<key>, or inputs./outputs.<link label> followed by one of those",
                )
            )
        if column.type == "file" and aiida:
            errors.append(
                FieldError(
                    f"columns[{i}].type",
                    "'file' columns name files of the record: rows from an AiiDA group hold "
                    "nodes (type 'node')",
                )
            )

    def need(field: str, name: str | None, kinds: tuple[str, ...] | None = None) -> None:
        if name is None:
            return
        if name not in names:
            errors.append(FieldError(field, f"there is no column {name!r}"))
        elif kinds is not None and spec.columns[names[name]].type not in kinds:
            kind = spec.columns[names[name]].type
            errors.append(
                FieldError(field, f"column {name!r} is a {kind}; it must be {' or '.join(kinds)}")
            )

    need("rows.id", spec.rows.id, ("string", "integer"))
    for part in ("structure", "bands", "phonons"):
        attached: Attached | None = getattr(spec, part)
        if attached is not None:
            need(f"{part}.column", attached.column, ("file", "node"))
            if attached.zero is not None and part != "bands":
                errors.append(FieldError(f"{part}.zero", "only bands have an energy zero"))
            else:
                need(f"{part}.zero", attached.zero, NUMERIC)
    need("card.title", spec.card.title, ("string",))
    for i, name in enumerate(spec.card.properties or []):
        need(f"card.properties[{i}]", name)
    plots = [("plot", spec.plot)] if spec.plot else []
    plots += [(f"presets[{i}]", p) for i, p in enumerate(spec.presets)]
    for where, plot in plots:
        need(f"{where}.x", plot.x, NUMERIC)
        need(f"{where}.y", plot.y, NUMERIC)
        need(f"{where}.color", plot.color, (*NUMERIC, "string", "boolean"))
    for i, name in enumerate(spec.filters or []):
        need(f"filters[{i}]", name, (*NUMERIC, "string", "boolean"))
    for i, name in enumerate(spec.search or []):
        need(f"search[{i}]", name, ("string",))
    return errors


def _path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part == "source":  # the field's name in YAML
            path += ".from"
        else:
            path += f".{part}" if path else str(part)
    return path or "spec"


#: What a value that fails a field's pattern should look like.
EXAMPLES = {"orcid": "0000-0002-1825-0097", "doi": "10.5281/zenodo.3820150"}


def _message(error: Any) -> str:
    kind, message = error["type"], str(error["msg"])
    field = str(error["loc"][-1]) if error["loc"] else ""
    if kind == "string_pattern_mismatch" and field in EXAMPLES:
        article = "an" if field == "orcid" else "a"
        name = "ORCID iD" if field == "orcid" else "DOI"
        return f"{error.get('input')!r} is not {article} {name}; one looks like {EXAMPLES[field]}"
    if kind == "extra_forbidden":
        return "unknown field (check its spelling)"
    if kind == "missing":
        return "required"
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    if kind == "literal_error":
        got = error.get("input")
        return f"{message[0].lower()}{message[1:]} (got {got!r})"
    return f"{message[0].lower()}{message[1:]}" if message else kind


def _lead(errors: list[FieldError]) -> str:
    return f"The section spec has {len(errors)} problem(s)"


__all__ = ["AIIDA_PATH", "Column", "Plot", "Spec", "cross_check", "parse_spec"]
