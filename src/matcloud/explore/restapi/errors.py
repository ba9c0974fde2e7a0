"""The errors of the AiiDA-compatible REST API, with the statuses aiida-core gives them.

aiida-core answers every failure with ``{"message": "..."}`` (no envelope) and a status that
depends on the exception class it raised, not on what went wrong:

- ``RestValidationError`` -> 400 (inconsistent paging parameters, a bad ``attributes`` flag);
- ``RestInputValidationError`` -> 404 (a bad query string, an unknown uuid, a page out of range:
  aiida treats these as "no such resource");
- ``RestFeatureNotAvailable`` -> 501 (a download of a process node);
- a URL no route matches -> 404 with ``available_endpoints`` as well.

Everything else aiida answers with 500 and the text of whatever exception escaped (an unknown
column in a filter, a malformed ``full_type``, a ``perpage`` that is not a number). We keep its
message but answer 400 (:class:`QueryError`): the request was wrong, the server was not.
"""

from __future__ import annotations


class RestError(Exception):
    """Base class: ``status`` and ``message`` become the response."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(RestError):
    """aiida's ``RestValidationError``: inconsistent parameters."""

    status = 400


class InputValidationError(RestError):
    """aiida's ``RestInputValidationError``: aiida answers 404 for these."""

    status = 404


class FeatureNotAvailable(RestError):
    """aiida's ``RestFeatureNotAvailable``."""

    status = 501


class QueryError(RestError):
    """A request aiida-core fails on with a 500 (an exception it did not expect): same message,
    but a 400, since nothing is wrong with the server."""

    status = 400


class UrlNotFound(RestError):
    """No route matches the URL: aiida lists every endpoint it has in the 404 body."""

    status = 404

    def __init__(self) -> None:
        super().__init__("The requested URL is not found on the server.")


#: aiida's message for a URL whose route matches but whose path it cannot parse.
URL_NOT_FOUND = "The requested URL is not found on the server."
