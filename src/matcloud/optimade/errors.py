"""The OPTIMADE errors and warnings the service raises and reports.

The error classes are the ``optimade`` package's own (what its filter parser raises too), with
the query parameter at fault added, so that the web layer can render one JSON:API error object
(``source.parameter``) for every failure without knowing where it came from. Warnings are not
exceptions: a request that succeeds may still carry them in ``meta.warnings``.
"""

from __future__ import annotations

from dataclasses import dataclass

from optimade import exceptions  # type: ignore[import-untyped]


class _WithParameter:
    """Mixin: which query parameter the error is about (``None`` for the path)."""

    parameter: str | None = None

    def __init__(self, detail: str, parameter: str | None = None) -> None:
        super().__init__(detail)  # type: ignore[call-arg]
        self.parameter = parameter


class BadRequest(_WithParameter, exceptions.BadRequest):  # type: ignore[misc]
    """400: the request is malformed (bad filter syntax, unknown property, bad parameter)."""


class Forbidden(_WithParameter, exceptions.Forbidden):  # type: ignore[misc]
    """403: a limit of this server (``page_limit`` above the maximum)."""


class NotFound(_WithParameter, exceptions.NotFound):  # type: ignore[misc]
    """404: no entry with that id, or no such endpoint."""


class NotImplementedFeature(_WithParameter, exceptions.NotImplementedResponse):  # type: ignore[misc]
    """501: an OPTIONAL filter feature we do not support, or a comparison of mismatched types
    (the specification reports both as 501)."""


class VersionNotSupported(_WithParameter, exceptions.VersionNotSupported):  # type: ignore[misc]
    """553: a versioned base URL (or ``api_hint``) naming a major version we do not serve."""


OptimadeError = exceptions.OptimadeHTTPException


def parameter_of(error: exceptions.OptimadeHTTPException) -> str | None:
    return getattr(error, "parameter", None)


@dataclass(frozen=True)
class QueryWarning:
    """A non-critical problem reported in ``meta.warnings`` (the request still succeeds)."""

    title: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"type": "warning", "title": self.title, "detail": self.detail}


__all__ = [
    "BadRequest",
    "Forbidden",
    "NotFound",
    "NotImplementedFeature",
    "OptimadeError",
    "VersionNotSupported",
    "QueryWarning",
    "parameter_of",
]
