"""Persistent identifiers (DOIs) behind a small provider interface.

A provider mints DOIs and brings a registry up to date with what a DOI should say
(:meth:`PidProvider.sync`). Two implementations: :class:`LocalPidProvider`, whose registry is this
instance's own resolver at ``/doi/<doi>``, and :class:`~matcloud.archive.datacite.DataCiteProvider`,
DataCite's REST API. Providers never touch the database: :mod:`matcloud.archive.registration`
keeps the outbox (one row per DOI), calls :meth:`~PidProvider.sync` from a job, and records the
outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

#: What a DOI should be, as :attr:`Pid.status` says it.
RESERVED, REGISTERED, TOMBSTONE = "reserved", "registered", "tombstone"


@dataclass
class PidSync:
    """One DOI as it should be: the provider's input, and where it notes its progress."""

    doi: str
    status: str  # reserved / registered / tombstone
    url: str
    #: DataCite's state of the DOI as last known ("" when the registry has never heard of it);
    #: the provider updates it after every call that changes it, also when a later call fails.
    remote_state: str = ""
    #: DataCite attributes (the REST API's JSON) and the same metadata as kernel-4.7 XML.
    attributes: dict[str, Any] = field(default_factory=dict)
    xml: str = ""


class PidError(Exception):
    """The registry did not take the change. ``permanent``: retrying will not help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class PidProvider(Protocol):
    name: str

    def mint(self, target_id: str) -> str:
        """The DOI that ``target_id`` (a record or version id) gets."""

    def sync(self, request: PidSync) -> None:
        """Make the registry say what ``request`` says; raise :class:`PidError` if it won't."""


class LocalPidProvider:
    """DOIs minted and resolved by this instance (``/doi/<doi>`` reads the outbox row)."""

    name = "local"
    #: The states DataCite would report, so moderators read one vocabulary for both providers.
    STATES = {RESERVED: "draft", REGISTERED: "findable", TOMBSTONE: "registered"}

    def __init__(self, prefix: str, namespace: str = "matcloud") -> None:
        self.prefix = prefix
        self.namespace = namespace

    def mint(self, target_id: str) -> str:
        return f"{self.prefix}/{self.namespace}.{target_id}"

    def sync(self, request: PidSync) -> None:
        request.remote_state = self.STATES[request.status]


__all__ = [
    "REGISTERED",
    "RESERVED",
    "TOMBSTONE",
    "LocalPidProvider",
    "PidError",
    "PidProvider",
    "PidSync",
]
