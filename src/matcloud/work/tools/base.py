"""What every WORK tool is: its inputs, a run, a result.

A tool declares its :class:`Option` list (numbers with bounds, choices) and a ``run`` that
takes the structure read from the input and the checked options, and returns a JSON-ready
dict. Bad input is a :class:`ToolError` (a domain error with its own HTTP status) whose
message is for a person; where the reader knows the line, the message says it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from matcloud.core.errors import MatcloudError
from matcloud.structures import Structure


class ToolError(MatcloudError):
    """The input cannot be used; ``status`` is the HTTP status (400, 413, 422)."""

    title = "Unusable input"

    def __init__(self, message: str, status: int = 422, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field


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


@dataclass(frozen=True)
class Tool:
    slug: str
    title: str
    summary: str
    run: Callable[[Structure, Mapping[str, Any]], dict[str, Any]]
    options: tuple[Option, ...] = ()
    template: str = ""
    examples: Callable[[], Mapping[str, tuple[str, str, bytes]]] = field(
        default=lambda: {}, compare=False
    )

    def parse_options(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        return {option.name: option.parse(raw.get(option.name)) for option in self.options}

    def describe(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "title": self.title,
            "summary": self.summary,
            "options": [option.describe() for option in self.options],
            "examples": [
                {"name": name, "title": title} for name, (title, _, _) in self.examples().items()
            ],
        }


__all__ = ["Option", "Tool", "ToolError"]
