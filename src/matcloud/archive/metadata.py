"""Record metadata in InvenioRDM's JSON shape, validated with field paths in every message.

Two levels: :func:`parse_metadata` checks structure and formats whenever a draft is saved (a
wrong type or a malformed ORCID iD is refused at once), and :func:`completeness_errors` lists
what is still missing before a draft may be submitted or published (a draft may be saved
half-done, as on Zenodo).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from matcloud.archive.licences import LICENCES
from matcloud.core.errors import FieldError, ValidationFailed

DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")
ROR_RE = re.compile(r"^0[a-hj-km-np-tv-z0-9]{6}[0-9]{2}$")
ARXIV_RE = re.compile(r"^(arXiv:)?(\d{4}\.\d{4,5}|[a-z\-]+(\.[A-Z]{2})?/\d{7})(v\d+)?$")
DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")

RESOURCE_TYPES = ["dataset", "software", "publication", "image", "video", "workflow", "other"]
RELATION_TYPES = [
    "issupplementto",
    "isdocumentedby",
    "isreferencedby",
    "references",
    "cites",
    "iscitedby",
    "isderivedfrom",
    "issourceof",
    "isdescribedby",
    "describes",
    "isnewversionof",
    "ispreviousversionof",
    "ispartof",
    "haspart",
    "iscompiledby",
    "compiles",
    "isidenticalto",
    "requires",
    "isrequiredby",
]
RELATED_SCHEMES = ["doi", "arxiv", "url", "isbn", "handle", "urn", "ads", "pmid"]
#: The relations that say "this data supports that paper" (one is needed at submission).
PAPER_RELATIONS = {"issupplementto", "isdocumentedby", "isreferencedby", "isdescribedby"}

Text = Annotated[str, Field(max_length=1000)]


def orcid_checksum_ok(orcid: str) -> bool:
    """ISO 7064 mod 11-2, as ORCID computes its last character."""
    digits = orcid.replace("-", "")
    if not re.fullmatch(r"\d{15}[\dX]", digits):
        return False
    total = 0
    for char in digits[:-1]:
        total = (total + int(char)) * 2
    check = (12 - total % 11) % 11
    return digits[-1] == ("X" if check == 10 else str(check))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Id(_Strict):
    id: str = Field(max_length=100)


class Identifier(_Strict):
    scheme: Literal["orcid", "ror", "isni", "gnd"]
    identifier: str = Field(max_length=100)

    @model_validator(mode="after")
    def _format(self) -> Identifier:
        if self.scheme == "orcid":
            value = self.identifier.removeprefix("https://orcid.org/")
            if not re.fullmatch(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]", value):
                raise ValueError("an ORCID iD looks like 0000-0002-1825-0097")
            if not orcid_checksum_ok(value):
                raise ValueError(f"{value} is not a valid ORCID iD (its check digit is wrong)")
            self.identifier = value
        if self.scheme == "ror":
            value = self.identifier.removeprefix("https://ror.org/")
            if not ROR_RE.fullmatch(value):
                raise ValueError("a ROR id looks like 02s376052")
            self.identifier = value
        return self


class PersonOrOrg(_Strict):
    type: Literal["personal", "organizational"]
    given_name: str | None = Field(None, max_length=200)
    family_name: str | None = Field(None, max_length=200)
    name: str | None = Field(None, max_length=400)
    identifiers: list[Identifier] = Field(default_factory=list, max_length=5)

    @model_validator(mode="after")
    def _names(self) -> PersonOrOrg:
        if self.type == "personal":
            if not self.family_name:
                raise ValueError("a person needs a family_name")
            self.name = (
                f"{self.family_name}, {self.given_name}" if self.given_name else self.family_name
            )
        elif not self.name:
            raise ValueError("an organisation needs a name")
        return self


class Affiliation(_Strict):
    id: str | None = Field(None, max_length=100)
    name: str | None = Field(None, max_length=400)

    @model_validator(mode="after")
    def _either(self) -> Affiliation:
        if not self.id and not self.name:
            raise ValueError("an affiliation needs a ROR id or a name")
        if self.id:
            self.id = self.id.removeprefix("https://ror.org/")
            if not ROR_RE.fullmatch(self.id):
                raise ValueError("a ROR id looks like 02s376052")
        return self


class Creator(_Strict):
    person_or_org: PersonOrOrg
    affiliations: list[Affiliation] = Field(default_factory=list, max_length=20)
    role: Id | None = None


class Right(_Strict):
    id: str = Field(max_length=100)

    @field_validator("id")
    @classmethod
    def _known(cls, value: str) -> str:
        value = value.lower()
        if value not in LICENCES:
            raise ValueError(
                f"'{value}' is not a licence this archive knows (SPDX id, e.g. cc-by-4.0)"
            )
        return value


class Subject(_Strict):
    subject: str = Field(min_length=1, max_length=200)


class RelatedIdentifier(_Strict):
    identifier: str = Field(min_length=1, max_length=1000)
    scheme: Literal["doi", "arxiv", "url", "isbn", "handle", "urn", "ads", "pmid"]
    relation_type: Id
    resource_type: Id | None = None

    @model_validator(mode="after")
    def _format(self) -> RelatedIdentifier:
        if self.relation_type.id not in RELATION_TYPES:
            raise ValueError(
                f"relation_type '{self.relation_type.id}' is not one of {RELATION_TYPES}"
            )
        if self.scheme == "doi":
            value = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:)", "", self.identifier, flags=re.I)
            if not DOI_RE.fullmatch(value):
                raise ValueError("a DOI looks like 10.1038/s41597-020-00637-5")
            self.identifier = value
        if self.scheme == "arxiv" and not ARXIV_RE.fullmatch(self.identifier):
            raise ValueError("an arXiv id looks like 2003.12510 or arXiv:2003.12510v2")
        if self.scheme == "url" and not re.fullmatch(r"https?://\S+", self.identifier):
            raise ValueError("a URL starts with http:// or https://")
        return self


class Funder(_Strict):
    id: str | None = Field(None, max_length=100)
    name: str | None = Field(None, max_length=400)


class Award(_Strict):
    number: str | None = Field(None, max_length=100)
    title: dict[str, str] | None = None


class Funding(_Strict):
    funder: Funder
    award: Award | None = None


class Metadata(_Strict):
    resource_type: Id = Field(default_factory=lambda: Id(id="dataset"))
    title: str = Field("", max_length=500)
    publication_date: str | None = None
    creators: list[Creator] = Field(default_factory=list, max_length=500)
    description: str = Field("", max_length=100_000)
    rights: list[Right] = Field(default_factory=lambda: [Right(id="cc-by-4.0")], max_length=10)
    subjects: list[Subject] = Field(default_factory=list, max_length=50)
    related_identifiers: list[RelatedIdentifier] = Field(default_factory=list, max_length=200)
    funding: list[Funding] = Field(default_factory=list, max_length=50)
    version: str | None = Field(None, max_length=50)
    publisher: str | None = Field(None, max_length=200)

    @field_validator("resource_type")
    @classmethod
    def _resource_type(cls, value: Id) -> Id:
        if value.id not in RESOURCE_TYPES:
            raise ValueError(f"resource_type must be one of {RESOURCE_TYPES}")
        return value

    @field_validator("publication_date")
    @classmethod
    def _date(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        assert value is not None
        if not DATE_RE.fullmatch(value):
            raise ValueError("use YYYY-MM-DD (or YYYY-MM, YYYY)")
        parts = [int(p) for p in value.split("-")] + [1, 1]
        try:
            date(parts[0], parts[1], parts[2])
        except ValueError as error:
            raise ValueError(f"{value} is not a date: {error}") from None
        return value


def _path(loc: tuple[int | str, ...]) -> str:
    return ".".join(["metadata", *(str(p) for p in loc)])


def parse_metadata(data: Any) -> dict[str, Any]:
    """Validate structure and formats; return the normalised JSON (ORCID prefixes stripped...)."""
    if not isinstance(data, dict):
        raise ValidationFailed(
            "The metadata is not valid.", [FieldError("metadata", "must be a JSON object")]
        )
    try:
        model = Metadata.model_validate(data)
    except ValidationError as error:
        errors = []
        for item in error.errors():
            message = str(item["msg"]).removeprefix("Value error, ")
            if item["type"] == "extra_forbidden":
                message = "is not a known field"
            errors.append(FieldError(_path(tuple(item["loc"])), message))
        raise ValidationFailed("The metadata is not valid.", errors) from None
    return model.model_dump(mode="json", exclude_none=True)


def completeness_errors(metadata: dict[str, Any]) -> list[FieldError]:
    """What a draft still lacks before it can be submitted for review or published."""
    errors = []
    if not metadata.get("title", "").strip():
        errors.append(FieldError("metadata.title", "is required"))
    if not metadata.get("creators"):
        errors.append(FieldError("metadata.creators", "needs at least one creator"))
    if len(metadata.get("description", "").strip()) < 20:
        errors.append(
            FieldError("metadata.description", "must describe the data (20 characters or more)")
        )
    if not metadata.get("rights"):
        errors.append(FieldError("metadata.rights", "needs a licence"))
    related = metadata.get("related_identifiers", [])
    if not any(r.get("relation_type", {}).get("id") in PAPER_RELATIONS for r in related):
        errors.append(
            FieldError(
                "metadata.related_identifiers",
                "needs the paper or preprint the data supports (a DOI, arXiv id or URL with "
                "relation 'issupplementto', 'isdocumentedby', 'isreferencedby' or "
                "'isdescribedby')",
            )
        )
    return errors


#: Fields that a correction of published metadata may change (no new DOI).
CORRECTABLE = {"title", "description", "subjects", "related_identifiers"}


def correction_errors(published: dict[str, Any], corrected: dict[str, Any]) -> list[FieldError]:
    keys = set(published) | set(corrected)
    return [
        FieldError(
            f"metadata.{key}",
            "cannot be corrected without a new version (only the title, description, "
            "keywords and references can)",
        )
        for key in sorted(keys - CORRECTABLE)
        if published.get(key) != corrected.get(key)
    ]


__all__ = [
    "CORRECTABLE",
    "Metadata",
    "completeness_errors",
    "correction_errors",
    "orcid_checksum_ok",
    "parse_metadata",
]
