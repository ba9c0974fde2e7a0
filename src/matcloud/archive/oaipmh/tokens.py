"""Stateless resumption tokens.

A token carries everything needed to continue the list: the request's arguments, the position
after the last item sent (its datestamp and id: keyset pagination, so nothing shifts when records
arrive), the cursor, and the ``until`` bound fixed when the harvest started (records added or
changed after that belong to the next incremental harvest, so none is skipped or repeated here).
It is signed, so a harvester cannot forge positions, and it needs no server state: it survives a
restart and works against any of several servers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer

TOKEN_LIFETIME = timedelta(days=7)


class BadToken(ValueError):
    """The token is malformed, forged or expired."""


@dataclass(frozen=True)
class Position:
    verb: str
    prefix: str
    set_spec: str | None
    from_: str | None  # ISO datetimes, UTC
    until: str
    after_stamp: str | None  # the last item sent: its datestamp and id
    after_id: str | None
    cursor: int
    total: int | None = None  # completeListSize, counted once when the harvest started


class TokenCodec:
    def __init__(self, secret_key: str) -> None:
        self.serializer = URLSafeTimedSerializer(secret_key, salt="matcloud.oai.resumption")

    def encode(self, position: Position) -> str:
        return self.serializer.dumps(asdict(position))

    def decode(self, token: str, verb: str) -> Position:
        try:
            data = self.serializer.loads(token, max_age=int(TOKEN_LIFETIME.total_seconds()))
            position = Position(**data)
        except (BadSignature, TypeError, ValueError) as error:
            raise BadToken("The resumptionToken is invalid or has expired.") from error
        if position.verb != verb:
            raise BadToken(f"This resumptionToken belongs to {position.verb}, not {verb}.")
        return position

    @staticmethod
    def expiry() -> datetime:
        return (datetime.now(UTC) + TOKEN_LIFETIME).replace(microsecond=0)


__all__ = ["BadToken", "Position", "TokenCodec"]
