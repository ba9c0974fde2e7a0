"""Signed, short-lived download links: the "short-lived unique URLs" of the Materials Cloud paper.

A reader who may see a file gets a link that carries, signed, exactly which bytes it opens: the
version, the file key and the blob id (plus the size, so the download route can answer without a
database query). The route serves only what the grant names, so a token cannot be replayed for
another file, and editing any character of it breaks the HMAC. The link expires after
``ttl_seconds``; it is not single-use, because resuming a download (``Range``) and download
managers that open several connections request the same URL many times.

Tokens are itsdangerous ``URLSafeTimedSerializer`` strings under a salt used for nothing else,
so a session cookie or any other value signed with the instance's secret key is never accepted
as a download link (and the reverse).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer

from matcloud.core.errors import NotFound, PermissionDenied

SALT = "matcloud.archive.download"
DEFAULT_TTL_SECONDS = 600

#: Scaled out, the process that issues a link and the one that serves it read different clocks;
#: a link up to this many seconds "from the future" is accepted rather than refused.
CLOCK_SKEW_SECONDS = 60


class DownloadExpired(PermissionDenied):
    """A genuine download link whose lifetime is over (403: ask the page for a fresh link)."""


@dataclass(frozen=True)
class DownloadGrant:
    """What a verified token allows: the bytes of one file of one version, nothing else."""

    version_id: str
    key: str
    blob_id: str
    size: int


class DownloadSigner:
    """Issues and checks download tokens under one secret key.

    ``now`` (seconds since the epoch) stands in for the clock in both methods so tests and
    callers can reason about expiry without sleeping; timestamps have one-second resolution.
    """

    def __init__(self, secret_key: str, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> None:
        if not secret_key:
            raise ValueError("a download signer needs a non-empty secret key")
        if ttl_seconds <= 0:
            raise ValueError("ttl_seconds must be positive")
        self._secret_key = secret_key
        self.ttl_seconds = ttl_seconds

    def __repr__(self) -> str:
        return f"DownloadSigner(ttl_seconds={self.ttl_seconds})"  # never print the key

    def issue(
        self,
        *,
        version_id: str,
        key: str,
        blob_id: str,
        size: int,
        now: float | None = None,
    ) -> str:
        """A URL-safe token granting the download of ``key`` of ``version_id`` until expiry."""
        payload = [version_id, key, blob_id, size]
        return self._serializer(now).dumps(payload)

    def verify(self, token: str, now: float | None = None) -> DownloadGrant:
        """The grant a token carries.

        Raises ``NotFound`` for anything not signed by us (tampered, truncated, signed for
        another purpose): to its holder such a link simply leads nowhere. Raises
        :class:`DownloadExpired` only for an authentic token past its lifetime, since only then
        is "ask for a new link" the right advice.
        """
        try:
            payload, signed_at = self._serializer(now).loads(token, return_timestamp=True)
        except BadData:
            raise NotFound("This download link is invalid.") from None
        grant = _grant(payload)
        if grant is None:
            raise NotFound("This download link is invalid.")
        age = _seconds(now) - int(signed_at.timestamp())
        if age > self.ttl_seconds or age < -CLOCK_SKEW_SECONDS:
            raise DownloadExpired("This download link has expired; ask for a new one.")
        return grant

    def _serializer(self, now: float | None) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(
            self._secret_key,
            salt=SALT,
            signer=_ClockSigner,
            signer_kwargs={"now": now},
        )


class _ClockSigner(TimestampSigner):
    """A TimestampSigner whose clock can be set, so a token can be issued "at" a given time."""

    def __init__(self, *args: Any, now: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._now = now

    def get_timestamp(self) -> int:
        return _seconds(self._now)


def _seconds(now: float | None) -> int:
    """The signing clock: whole seconds, as itsdangerous stamps them."""
    return int(time.time() if now is None else now)


def _grant(payload: Any) -> DownloadGrant | None:
    """Rebuild the grant, refusing any payload not of the shape ``issue`` writes."""
    if not isinstance(payload, list) or len(payload) != 4:
        return None
    version_id, key, blob_id, size = payload
    if not all(isinstance(value, str) for value in (version_id, key, blob_id)):
        return None
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        return None
    return DownloadGrant(version_id=version_id, key=key, blob_id=blob_id, size=size)


__all__ = [
    "CLOCK_SKEW_SECONDS",
    "DEFAULT_TTL_SECONDS",
    "SALT",
    "DownloadExpired",
    "DownloadGrant",
    "DownloadSigner",
]
