"""The OAI-PMH 2.0 data provider: the six verbs, their arguments and every error code.

Items are record versions: published ones, and removed ones reported as deleted (``persistent``).
Their datestamp is the version's last change (publication, correction, removal).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from lxml import etree
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from matcloud.archive.context import ArchiveContext
from matcloud.archive.models import File, Version, VersionState
from matcloud.archive.oaipmh.tokens import BadToken, Position, TokenCodec
from matcloud.archive.serialize import version_json

OAI = "http://www.openarchives.org/OAI/2.0/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
OAI_ID = "http://www.openarchives.org/OAI/2.0/oai-identifier"
OAI_DATACITE = "http://schema.datacite.org/oai/oai-1.1/"
PAGE_SIZE = 100  # items per list response (the provider's page_size)
VERBS = {
    "Identify": (set(), set()),
    "ListMetadataFormats": (set(), {"identifier"}),
    "ListSets": (set(), {"resumptionToken"}),
    "GetRecord": ({"identifier", "metadataPrefix"}, set()),
    "ListIdentifiers": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
    "ListRecords": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
}
SETS = {
    "published": ("All published records", "Every record version published in the archive."),
    "aiida": (
        "Records with AiiDA archives",
        "Record versions that hold an AiiDA archive (.aiida), browsable in EXPLORE.",
    ),
}
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SECOND = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
EMAIL = re.compile(r"^\S+@(\S+\.)+\S+$")
DOMAIN = re.compile(r"^[a-zA-Z][a-zA-Z0-9\-]*(\.[a-zA-Z][a-zA-Z0-9\-]*)+$")


class OaiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_stamp(value: str, name: str, *, upper: bool) -> tuple[datetime, str]:
    """A from/until argument: its moment (inclusive bound) and its granularity."""
    if DAY.match(value):
        granularity, fmt = "day", "%Y-%m-%d"
    elif SECOND.match(value):
        granularity, fmt = "second", "%Y-%m-%dT%H:%M:%SZ"
    else:
        raise OaiError(
            "badArgument", f"{name}={value!r} is not YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ."
        )
    try:
        moment = datetime.strptime(value, fmt).replace(tzinfo=UTC)
    except ValueError:
        raise OaiError("badArgument", f"{name}={value!r} is not a valid date.") from None
    if upper:  # inclusive upper bound -> exclusive: the whole day or second
        moment += timedelta(days=1) if granularity == "day" else timedelta(seconds=1)
    return moment, granularity


class SetSource(Protocol):
    """More sets, from another section (DISCOVER: one per curated section, holding its source
    records). Set specs are ``<section>:<name>`` under a parent set ``<section>``."""

    def oai_sets(self) -> list[tuple[str, str, str]]:
        """(setSpec, setName, description) of every set, parent sets included."""
        ...

    def oai_members(self, spec: str) -> list[str] | None:
        """The version ids in set ``spec`` (None: not a set of this source)."""
        ...

    def oai_sets_of(self, version_id: str) -> list[str]:
        """The setSpecs a version is in."""
        ...


class OaiPmhProvider:
    def __init__(
        self,
        ctx: ArchiveContext,
        formats: Mapping[str, tuple[str, str, Callable[[dict[str, Any]], etree._Element]]],
    ) -> None:
        """``formats``: metadataPrefix -> (schema URL, namespace, record JSON -> element)."""
        self.ctx = ctx
        self.formats = dict(formats)
        self.page_size = PAGE_SIZE
        self.tokens = TokenCodec(ctx.settings.load_secret_key())
        host = urlsplit(ctx.settings.base_url).hostname or ""
        self.repository_id = host if DOMAIN.match(host) else "matcloud.local"
        self.set_sources: list[SetSource] = []

    # -- entry point ------------------------------------------------------------------------

    def handle(self, args: Mapping[str, Sequence[str]]) -> bytes:
        now = datetime.now(UTC).replace(microsecond=0)
        root = etree.Element(f"{{{OAI}}}OAI-PMH", nsmap={None: OAI, "xsi": XSI})
        root.set(
            f"{{{XSI}}}schemaLocation",
            f"{OAI} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd",
        )
        etree.SubElement(root, f"{{{OAI}}}responseDate").text = stamp(now)
        request = etree.SubElement(root, f"{{{OAI}}}request")
        request.text = self.ctx.url("/oai2d")
        try:
            verb, params = self._check(args)
            for key, value in params.items():
                request.set(key, value)
            request.set("verb", verb)
            getattr(self, f"_{verb}")(root, params, now)
        except OaiError as error:
            if error.code in ("badVerb", "badArgument"):
                request.attrib.clear()  # the protocol echoes only valid arguments
            for child in list(root)[2:]:
                root.remove(child)
            element = etree.SubElement(root, f"{{{OAI}}}error", code=error.code)
            element.text = error.message
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    def _check(self, args: Mapping[str, Sequence[str]]) -> tuple[str, dict[str, str]]:
        verbs = list(args.get("verb", []))
        if len(verbs) != 1 or verbs[0] not in VERBS:
            shown = verbs[0] if verbs else "(none)"
            raise OaiError("badVerb", f"The verb {shown!r} is not one of {sorted(VERBS)}.")
        verb = verbs[0]
        required, optional = VERBS[verb]
        params: dict[str, str] = {}
        for key, values in args.items():
            if key == "verb":
                continue
            if key not in required | optional:
                raise OaiError("badArgument", f"{verb} takes no argument {key!r}.")
            if len(values) != 1:
                raise OaiError("badArgument", f"The argument {key!r} is repeated.")
            params[key] = values[0]
        if "resumptionToken" in params:
            if len(params) > 1:
                raise OaiError("badArgument", "resumptionToken is an exclusive argument.")
        else:
            missing = required - set(params)
            if missing:
                raise OaiError("badArgument", f"{verb} needs {', '.join(sorted(missing))}.")
        return verb, params

    # -- verbs ------------------------------------------------------------------------------

    def _Identify(self, root: etree._Element, params: dict[str, str], now: datetime) -> None:
        with self.ctx.db.read() as session:
            earliest = session.scalar(
                select(func.min(Version.updated_at)).where(
                    Version.state.in_([VersionState.PUBLISHED, VersionState.RETRACTED])
                )
            )
        node = etree.SubElement(root, f"{{{OAI}}}Identify")
        for tag, text in [
            ("repositoryName", self.ctx.settings.site_name),
            ("baseURL", self.ctx.url("/oai2d")),
            ("protocolVersion", "2.0"),
            ("adminEmail", self.admin_email()),
            ("earliestDatestamp", stamp(earliest or datetime(1970, 1, 1, tzinfo=UTC))),
            ("deletedRecord", "persistent"),
            ("granularity", "YYYY-MM-DDThh:mm:ssZ"),
        ]:
            etree.SubElement(node, f"{{{OAI}}}{tag}").text = text
        description = etree.SubElement(node, f"{{{OAI}}}description")
        identifier = etree.SubElement(
            description, f"{{{OAI_ID}}}oai-identifier", nsmap={None: OAI_ID}
        )
        identifier.set(
            f"{{{XSI}}}schemaLocation",
            f"{OAI_ID} http://www.openarchives.org/OAI/2.0/oai-identifier.xsd",
        )
        for tag, text in [
            ("scheme", "oai"),
            ("repositoryIdentifier", self.repository_id),
            ("delimiter", ":"),
            ("sampleIdentifier", self.oai_id("2026.17v1")),
        ]:
            etree.SubElement(identifier, f"{{{OAI_ID}}}{tag}").text = text

    def _ListMetadataFormats(
        self, root: etree._Element, params: dict[str, str], now: datetime
    ) -> None:
        if "identifier" in params:
            with self.ctx.db.read() as session:
                self._version(session, params["identifier"])
        node = etree.SubElement(root, f"{{{OAI}}}ListMetadataFormats")
        for prefix, (schema, namespace, _) in self.formats.items():
            fmt = etree.SubElement(node, f"{{{OAI}}}metadataFormat")
            etree.SubElement(fmt, f"{{{OAI}}}metadataPrefix").text = prefix
            etree.SubElement(fmt, f"{{{OAI}}}schema").text = schema
            etree.SubElement(fmt, f"{{{OAI}}}metadataNamespace").text = namespace

    def _ListSets(self, root: etree._Element, params: dict[str, str], now: datetime) -> None:
        if "resumptionToken" in params:
            raise OaiError("badResumptionToken", "The list of sets is complete in one response.")
        node = etree.SubElement(root, f"{{{OAI}}}ListSets")
        listed = [(spec, name) for spec, (name, _) in SETS.items()]
        listed += [
            (spec, name) for source in self.set_sources for spec, name, _ in source.oai_sets()
        ]
        for spec, name in listed:
            item = etree.SubElement(node, f"{{{OAI}}}set")
            etree.SubElement(item, f"{{{OAI}}}setSpec").text = spec
            etree.SubElement(item, f"{{{OAI}}}setName").text = name

    def _GetRecord(self, root: etree._Element, params: dict[str, str], now: datetime) -> None:
        prefix = self._prefix(params["metadataPrefix"])
        with self.ctx.db.read() as session:
            version = self._version(session, params["identifier"])
            node = etree.SubElement(root, f"{{{OAI}}}GetRecord")
            self._record(node, version, prefix, with_metadata=True)

    def _ListIdentifiers(self, root: etree._Element, params: dict[str, str], now: datetime) -> None:
        self._list(root, params, now, "ListIdentifiers")

    def _ListRecords(self, root: etree._Element, params: dict[str, str], now: datetime) -> None:
        self._list(root, params, now, "ListRecords")

    # -- lists ------------------------------------------------------------------------------

    def _list(self, root: etree._Element, params: dict[str, str], now: datetime, verb: str) -> None:
        if "resumptionToken" in params:
            try:
                position = self.tokens.decode(params["resumptionToken"], verb)
            except BadToken as error:
                raise OaiError("badResumptionToken", str(error)) from None
        else:
            position = self._start(verb, params, now)
        self._prefix(position.prefix)
        with self.ctx.db.read() as session:
            query = self._filtered(position)
            total = position.total
            if total is None:  # the first page counts; the tokens carry the figure on
                total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            if position.after_stamp is not None:
                after = datetime.fromisoformat(position.after_stamp)
                query = query.where(
                    or_(
                        Version.updated_at > after,
                        and_(Version.updated_at == after, Version.id > position.after_id),
                    )
                )
            rows = session.scalars(
                query.options(selectinload(Version.files), selectinload(Version.record))
                .order_by(Version.updated_at, Version.id)
                .limit(self.page_size + 1)
            ).all()
            if not rows and position.cursor == 0:
                raise OaiError("noRecordsMatch", "No record matches these arguments.")
            node = etree.SubElement(root, f"{{{OAI}}}{verb}")
            page = rows[: self.page_size]
            for version in page:
                if verb == "ListRecords":
                    self._record(node, version, position.prefix, with_metadata=True)
                else:
                    self._header(node, version)
        more = len(rows) > self.page_size
        if more or position.after_stamp is not None:
            token = etree.SubElement(node, f"{{{OAI}}}resumptionToken")
            token.set("completeListSize", str(total))
            token.set("cursor", str(position.cursor))
            if more:
                last = page[-1]
                token.set("expirationDate", stamp(self.tokens.expiry()))
                token.text = self.tokens.encode(
                    Position(
                        verb,
                        position.prefix,
                        position.set_spec,
                        position.from_,
                        position.until,
                        last.updated_at.isoformat(),
                        last.id,
                        position.cursor + len(page),
                        total,
                    )
                )

    def _start(self, verb: str, params: dict[str, str], now: datetime) -> Position:
        start = end = None
        granularities = []
        if "from" in params:
            start, granularity = parse_stamp(params["from"], "from", upper=False)
            granularities.append(granularity)
        if "until" in params:
            end, granularity = parse_stamp(params["until"], "until", upper=True)
            granularities.append(granularity)
        if len(set(granularities)) > 1:
            raise OaiError("badArgument", "from and until must have the same granularity.")
        if start is not None and end is not None and start >= end:
            raise OaiError("badArgument", "from is later than until.")
        set_spec = params.get("set")
        if set_spec is not None and set_spec not in SETS and self._members(set_spec) is None:
            raise OaiError("badArgument", f"There is no set {set_spec!r}; see ListSets.")
        # The harvest's upper bound is fixed now: what changes later is for the next harvest
        # (which starts from this response's date), so nothing is skipped or sent twice.
        started = datetime.now(UTC)
        fixed = min(end, started) if end is not None else started
        return Position(
            verb,
            params["metadataPrefix"],
            set_spec,
            start.isoformat() if start else None,
            fixed.isoformat(),
            None,
            None,
            0,
        )

    def _filtered(self, position: Position) -> Any:
        query = select(Version).where(
            Version.state.in_([VersionState.PUBLISHED, VersionState.RETRACTED]),
            Version.updated_at < datetime.fromisoformat(position.until),
        )
        if position.from_:
            query = query.where(Version.updated_at >= datetime.fromisoformat(position.from_))
        if position.set_spec == "aiida":
            query = query.where(
                exists().where(File.version_id == Version.id, File.key.ilike("%.aiida"))
            )
        elif position.set_spec is not None and position.set_spec not in SETS:
            query = query.where(Version.id.in_(self._members(position.set_spec) or []))
        return query

    def _members(self, spec: str) -> list[str] | None:
        for source in self.set_sources:
            members = source.oai_members(spec)
            if members is not None:
                return members
        return None

    # -- items ------------------------------------------------------------------------------

    def admin_email(self) -> str:
        """The operators' address (OAI-PMH wants one with a dotted domain)."""
        for candidate in (self.ctx.settings.admin_email, self.ctx.settings.mail_from):
            if candidate and EMAIL.match(candidate):
                return candidate
        return f"admin@{self.repository_id}"

    def oai_id(self, version_id: str) -> str:
        return f"oai:{self.repository_id}:{version_id}"

    def _version(self, session: Session, identifier: str) -> Version:
        prefix = f"oai:{self.repository_id}:"
        version = (
            session.get(Version, identifier.removeprefix(prefix))
            if identifier.startswith(prefix)
            else None
        )
        if version is None or version.state not in (VersionState.PUBLISHED, VersionState.RETRACTED):
            raise OaiError("idDoesNotExist", f"There is no item {identifier!r}.")
        return version

    def _prefix(self, prefix: str) -> str:
        if prefix not in self.formats:
            raise OaiError(
                "cannotDisseminateFormat",
                f"metadataPrefix {prefix!r} is not one of {sorted(self.formats)}.",
            )
        return prefix

    def _header(self, parent: etree._Element, version: Version) -> etree._Element:
        header = etree.SubElement(parent, f"{{{OAI}}}header")
        if version.state == VersionState.RETRACTED:
            header.set("status", "deleted")
        etree.SubElement(header, f"{{{OAI}}}identifier").text = self.oai_id(version.id)
        etree.SubElement(header, f"{{{OAI}}}datestamp").text = stamp(version.updated_at)
        etree.SubElement(header, f"{{{OAI}}}setSpec").text = "published"
        if any(f.key.lower().endswith(".aiida") for f in version.files):
            etree.SubElement(header, f"{{{OAI}}}setSpec").text = "aiida"
        for source in self.set_sources:
            for spec in source.oai_sets_of(version.id):
                etree.SubElement(header, f"{{{OAI}}}setSpec").text = spec
        return header

    def _record(
        self, parent: etree._Element, version: Version, prefix: str, *, with_metadata: bool
    ) -> None:
        record = etree.SubElement(parent, f"{{{OAI}}}record")
        self._header(record, version)
        if with_metadata and version.state == VersionState.PUBLISHED:
            metadata = etree.SubElement(record, f"{{{OAI}}}metadata")
            metadata.append(self.formats[prefix][2](version_json(self.ctx, version)))


__all__ = ["OaiError", "OaiPmhProvider"]
