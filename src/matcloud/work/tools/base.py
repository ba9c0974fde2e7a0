"""What every WORK tool is: its inputs, a run, a result.

A tool declares its :class:`Option` list (numbers with bounds, choices) and a ``run`` that
takes what was read from the input (a :class:`Structure` unless the tool brings its own
``read``, as the phonon visualiser does) and the checked options, and returns a JSON-ready
dict. A tool may take a second file (``companion``: matdyn.modes needs its pw.x file).
Bad input is a :class:`ToolError` (a domain error with its own HTTP status) whose
message is for a person; where the reader knows the line, the message says it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from matcloud.core.errors import MatcloudError


class ToolError(MatcloudError):
    """The input cannot be used; ``status`` is the HTTP status (400, 413, 422)."""

    title = "Unusable input"

    def __init__(self, message: str, status: int = 422, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field


@dataclass(frozen=True)
class ToolInput:
    """What the person gave: the bytes, the file name (if any), the format (if chosen), and
    a second file for the tools that take one."""

    data: bytes
    filename: str = ""
    fmt: str | None = None
    companion: bytes = b""
    companion_name: str = ""


def input_text(
    data: bytes, limit: int, what: str = "structure text (CIF, POSCAR, XSF, XYZ, pw.x)"
) -> str:
    """The input as text, within ``limit`` bytes; empty and binary inputs refused."""
    size = len(data)
    if size == 0:
        raise ToolError("The input is empty: upload a file or paste its text.", 400)
    if size > limit:
        raise ToolError(f"The input is {size:,} bytes; this tool accepts up to {limit:,}.", 413)
    if b"\x00" in data[:8192]:
        raise ToolError(f"The input is a binary file, not {what}.", 400)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


@dataclass(frozen=True)
class Option:
    name: str
    label: str
    kind: str  # "float", "int", "choice", "bool"
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    help: str = ""

    def parse(self, raw: Any) -> Any:
        if raw is None or raw == "":
            return self.default
        try:
            if self.kind == "bool":
                if isinstance(raw, bool):
                    return raw
                return str(raw).lower() in ("1", "true", "on", "yes")
            if self.kind == "choice":
                if str(raw) not in self.choices:
                    raise ValueError(f"one of {', '.join(self.choices)}")
                return str(raw)
            value: float | int = int(raw) if self.kind == "int" else float(raw)
        except (TypeError, ValueError) as exc:
            raise ToolError(
                f"{self.label}: {raw!r} is not valid ({exc}).", 400, self.name
            ) from None
        if (
            value != value
            or (self.minimum is not None and value < self.minimum)
            or (self.maximum is not None and value > self.maximum)
        ):
            raise ToolError(
                f"{self.label} must lie between {self.minimum:g} and {self.maximum:g}.",
                400,
                self.name,
            )
        return value

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "kind": self.kind,
            "default": self.default,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "choices": list(self.choices),
            "help": self.help,
        }


#: An example: (title, file name, bytes), or with a companion file's name and bytes too.
Example = tuple[str, str, bytes] | tuple[str, str, bytes, str, bytes]


@dataclass(frozen=True)
class Tool:
    slug: str
    title: str
    summary: str
    run: Callable[[Any, Mapping[str, Any]], dict[str, Any]]
    options: tuple[Option, ...] = ()
    template: str = ""
    examples: Callable[[], Mapping[str, Example]] = field(default=lambda: {}, compare=False)
    #: Input bytes -> what ``run`` takes (``None``: one :class:`Structure`, the default reader).
    read: Callable[[Any], Any] | None = None
    #: The formats the tool reads (value -> name; ``None``: the structure formats).
    formats: Mapping[str, str] | None = None
    #: What the second file is, for tools that take one (``""``: none).
    companion: str = ""
    #: Largest input in bytes (``0``: the structure tools' limit).
    max_bytes: int = 0
    #: Most atoms in the input's cell (``0``: the structure tools' limit).
    max_atoms: int = 0
    #: What the input is, for the form ("Your structure").
    input_title: str = "Your structure"

    def parse_options(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        return {option.name: option.parse(raw.get(option.name)) for option in self.options}

    def describe(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "title": self.title,
            "summary": self.summary,
            "options": [option.describe() for option in self.options],
            "examples": [
                {"name": name, "title": example[0]} for name, example in self.examples().items()
            ],
            "companion": self.companion,
            "input_title": self.input_title,
        }


__all__ = ["Example", "Option", "Tool", "ToolError", "ToolInput", "input_text"]
