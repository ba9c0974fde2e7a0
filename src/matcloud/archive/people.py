"""Who is behind an ORCID iD: the deposit form fills a creator's name and affiliation from it.

Two directories behind one small interface: the people this instance knows (accounts with an
ORCID iD, creators of published records) and, when ``orcid_api_url`` is configured, ORCID's
public API. The local directory answers first, so an offline instance still helps.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import httpx
from sqlalchemy import String, cast, select

from matcloud.archive.context import ArchiveContext
from matcloud.archive.metadata import orcid_checksum_ok
from matcloud.archive.models import Version, VersionState
from matcloud.core.errors import FieldError, NotFound, ValidationFailed
from matcloud.core.models import User

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Person:
    orcid: str
    given_name: str = ""
    family_name: str = ""
    affiliations: list[dict[str, str]] = field(default_factory=list)
    source: str = "local"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class PeopleDirectory(Protocol):
    def lookup(self, orcid: str) -> Person | None: ...


class LocalDirectory:
    """People this instance knows: creators of published records, then accounts."""

    def __init__(self, ctx: ArchiveContext) -> None:
        self.ctx = ctx

    def lookup(self, orcid: str) -> Person | None:
        with self.ctx.db.read() as session:
            versions = session.scalars(
                select(Version)
                .where(
                    Version.state == VersionState.PUBLISHED,
                    cast(Version.metadata_json, String).contains(orcid),
                )
                .order_by(Version.published_at.desc())
                .limit(20)
            ).all()
            for version in versions:
                for creator in version.metadata_json.get("creators", []):
                    person = creator.get("person_or_org", {})
                    ids = {i.get("identifier") for i in person.get("identifiers", [])}
                    if orcid in ids:
                        return Person(
                            orcid,
                            person.get("given_name", ""),
                            person.get("family_name", ""),
                            [
                                {k: v for k, v in a.items() if k in ("id", "name")}
                                for a in creator.get("affiliations", [])
                            ],
                            "record",
                        )
            user = session.scalar(select(User).where(User.orcid == orcid))
        if user is None:
            return None
        given, _, family = user.name.rpartition(" ")
        return Person(orcid, given, family or user.name, [], "account")


class OrcidPublicDirectory:
    """ORCID's public API (``GET {api}/{orcid}/person``); unreachable or slow means 'unknown'."""

    def __init__(self, api_url: str, transport: httpx.BaseTransport | None = None) -> None:
        self.client = httpx.Client(
            base_url=api_url.rstrip("/"),
            headers={"Accept": "application/json"},
            timeout=5.0,
            transport=transport,
        )

    def lookup(self, orcid: str) -> Person | None:
        try:
            response = self.client.get(f"/{orcid}/person")
        except httpx.HTTPError as error:
            log.warning("ORCID lookup failed", extra={"orcid": orcid, "error": str(error)})
            return None
        if response.status_code != 200:
            return None
        name = (response.json() or {}).get("name") or {}
        given = ((name.get("given-names") or {}).get("value")) or ""
        family = ((name.get("family-name") or {}).get("value")) or ""
        if not (given or family):
            return None
        return Person(orcid, given, family, [], "orcid.org")


class PeopleService:
    def __init__(self, directories: list[PeopleDirectory]) -> None:
        self.directories = directories

    def by_orcid(self, orcid: str) -> dict[str, Any]:
        orcid = orcid.strip().removeprefix("https://orcid.org/")
        if not orcid_checksum_ok(orcid):
            raise ValidationFailed(
                "Not an ORCID iD.", [FieldError("orcid", "must look like 0000-0002-1825-0097")]
            )
        for directory in self.directories:
            person = directory.lookup(orcid)
            if person is not None:
                return person.as_dict()
        raise NotFound(f"Nobody with the ORCID iD {orcid} is known here.")


__all__ = ["LocalDirectory", "OrcidPublicDirectory", "PeopleDirectory", "PeopleService", "Person"]
