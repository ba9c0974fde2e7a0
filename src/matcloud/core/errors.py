"""The domain error tree. Services raise these; the web layer maps them to HTTP in one place.

MatcloudError
├── NotFound                 404  the thing does not exist (or the actor may not know it does)
├── NotAuthenticated         401  sign in first
├── PermissionDenied         403  signed in, but not allowed
├── ValidationFailed         400  input is wrong; ``errors`` lists field paths and reasons
├── Conflict                 409  the state does not allow this now
├── TooLarge                 413  over a configured limit (the message says the limit)
├── RateLimited              429  too many attempts; ``retry_after`` seconds
└── Unavailable              503  a backend (database, blob store, queue) is not answering
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field, addressed by a dotted path (``creators.0.name``)."""

    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class MatcloudError(Exception):
    """Base of every error a service raises on purpose."""

    status = 500
    title = "Internal error"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title


class NotFound(MatcloudError):
    status = 404
    title = "Not found"


class NotAuthenticated(MatcloudError):
    status = 401
    title = "Sign-in required"


class PermissionDenied(MatcloudError):
    status = 403
    title = "Forbidden"


class ValidationFailed(MatcloudError):
    status = 400
    title = "Invalid input"

    def __init__(self, detail: str = "", errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.errors = list(errors or [])

    @classmethod
    def listing(
        cls, lead: str, errors: list[FieldError], *, shown: int = 3, total: int | None = None
    ) -> ValidationFailed:
        """The error with a detail that lists the first problems: ``lead: field: message;
        ... (N in all).``"""
        count = len(errors) if total is None else total
        listed = "; ".join(f"{e.field}: {e.message}" for e in errors[:shown])
        more = f" ({count} in all)" if count > shown else ""
        return cls(f"{lead}: {listed}{more}.", errors)


class Conflict(MatcloudError):
    status = 409
    title = "Conflict"


class Gone(MatcloudError):
    status = 410
    title = "Gone"

    def __init__(self, detail: str = "", tombstone: dict[str, object] | None = None) -> None:
        super().__init__(detail)
        self.tombstone = dict(tombstone or {})


class Damaged(MatcloudError):
    """Stored content that cannot be read back as it was written (a corrupt file inside an
    archive): the request was fine, the data is not."""

    status = 422
    title = "Damaged content"


class TooLarge(MatcloudError):
    status = 413
    title = "Too large"


class RateLimited(MatcloudError):
    status = 429
    title = "Too many requests"

    def __init__(self, detail: str = "", retry_after: int = 60) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class Unavailable(MatcloudError):
    status = 503
    title = "Service unavailable"


__all__ = [
    "Conflict",
    "Damaged",
    "FieldError",
    "Gone",
    "MatcloudError",
    "NotAuthenticated",
    "NotFound",
    "PermissionDenied",
    "RateLimited",
    "TooLarge",
    "Unavailable",
    "ValidationFailed",
]
