"""The ARCHIVE's services, built once per instance: drafts, files, review, publishing, reading."""

from __future__ import annotations

from dataclasses import dataclass

from matcloud.archive.context import COLLECT_BLOB_JOB, ArchiveContext
from matcloud.archive.datacite import DataCiteClient, DataCiteProvider
from matcloud.archive.drafts import DraftService
from matcloud.archive.files import FileService
from matcloud.archive.oaipmh.formats import FORMATS
from matcloud.archive.oaipmh.provider import OaiPmhProvider
from matcloud.archive.people import (
    LocalDirectory,
    OrcidPublicDirectory,
    PeopleDirectory,
    PeopleService,
)
from matcloud.archive.pids import LocalPidProvider, PidProvider
from matcloud.archive.publishing import Publisher
from matcloud.archive.records import RecordService
from matcloud.archive.registration import Registrar
from matcloud.archive.review import ReviewService
from matcloud.core.instance import Instance
from matcloud.settings import Settings


@dataclass
class ArchiveService:
    ctx: ArchiveContext
    drafts: DraftService
    files: FileService
    publisher: Publisher
    review: ReviewService
    records: RecordService
    people: PeopleService
    oai: OaiPmhProvider
    registrar: Registrar

    @classmethod
    def build(cls, instance: Instance, pids: PidProvider | None = None) -> ArchiveService:
        ctx = ArchiveContext(
            settings=instance.settings,
            db=instance.db,
            blobs=instance.blobs,
            jobs=instance.jobs,
            mail=instance.mail,
            pids=pids or pid_provider(instance.settings),
        )
        files = FileService(ctx)
        instance.jobs.register(COLLECT_BLOB_JOB, files.collect_blob, retries=3, retry_delay=60)
        registrar = Registrar(ctx)
        publisher = Publisher(ctx, registrar)
        directories: list[PeopleDirectory] = [LocalDirectory(ctx)]
        if instance.settings.orcid_api_url:
            directories.append(OrcidPublicDirectory(instance.settings.orcid_api_url))
        return cls(
            ctx=ctx,
            drafts=DraftService(ctx),
            files=files,
            publisher=publisher,
            review=ReviewService(ctx, publisher),
            records=RecordService(ctx),
            people=PeopleService(directories),
            oai=OaiPmhProvider(ctx, FORMATS),
            registrar=registrar,
        )


def pid_provider(settings: Settings) -> PidProvider:
    """The provider the settings name (credentials were checked when they were loaded)."""
    if settings.pid_provider == "datacite":
        assert settings.datacite_username and settings.datacite_password
        client = DataCiteClient(
            settings.datacite_url,
            settings.datacite_username,
            settings.datacite_password.get_secret_value(),
            timeout=settings.datacite_timeout,
        )
        return DataCiteProvider(settings.doi_prefix, client)
    return LocalPidProvider(settings.doi_prefix)


__all__ = ["ArchiveService", "pid_provider"]
