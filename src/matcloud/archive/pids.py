"""Persistent identifiers (DOIs) behind a small provider interface.

The embedded :class:`LocalPidProvider` mints DOIs under the configured prefix and resolves them
itself at ``/doi/<doi>``; a DataCite provider implements the same three calls against DataCite's
REST API. Reservation happens inside the publishing transaction; registration (which talks to
the outside world for DataCite) runs as a job after the commit, with retries.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from matcloud.archive.models import Pid
from matcloud.core.db import utcnow
from matcloud.core.errors import Conflict


class PidProvider(Protocol):
    name: str

    def mint(self, target_id: str) -> str:
        """The DOI that ``target_id`` (a record or version id) gets."""

    def reserve(self, session: Session, doi: str, kind: str, target_id: str) -> None: ...

    def register(self, session: Session, doi: str, url: str) -> None:
        """Make the DOI resolve to ``url`` (also used to move a concept DOI to a new version)."""

    def tombstone(self, session: Session, doi: str, url: str) -> None:
        """The DOI keeps resolving, to the tombstone page."""


class LocalPidProvider:
    """DOIs minted and resolved by this instance (``/doi/<doi>``)."""

    name = "local"

    def __init__(self, prefix: str, namespace: str = "matcloud") -> None:
        self.prefix = prefix
        self.namespace = namespace

    def mint(self, target_id: str) -> str:
        return f"{self.prefix}/{self.namespace}.{target_id}"

    def reserve(self, session: Session, doi: str, kind: str, target_id: str) -> None:
        existing = session.get(Pid, doi)
        if existing is not None and existing.target_id != target_id:
            raise Conflict(f"DOI {doi} belongs to {existing.target_id} already.")
        if existing is None:
            session.add(Pid(doi=doi, kind=kind, target_id=target_id, status="reserved"))

    def register(self, session: Session, doi: str, url: str) -> None:
        pid = session.get(Pid, doi)
        if pid is None:
            raise Conflict(f"DOI {doi} was never reserved.")
        pid.status, pid.url, pid.updated_at = "registered", url, utcnow()

    def tombstone(self, session: Session, doi: str, url: str) -> None:
        pid = session.get(Pid, doi)
        if pid is not None:
            pid.status, pid.url, pid.updated_at = "tombstone", url, utcnow()


def resolve(session: Session, doi: str) -> Pid | None:
    return session.get(Pid, doi)


__all__ = ["LocalPidProvider", "PidProvider", "resolve"]
