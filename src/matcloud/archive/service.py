"""The ARCHIVE's services, built once per instance: drafts, files, review, publishing, reading."""

from __future__ import annotations

from dataclasses import dataclass

from matcloud.archive.context import COLLECT_BLOB_JOB, ArchiveContext
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
from matcloud.archive.review import ReviewService
from matcloud.core.instance import Instance


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

    @classmethod
    def build(cls, instance: Instance, pids: PidProvider | None = None) -> ArchiveService:
        ctx = ArchiveContext(
            settings=instance.settings,
            db=instance.db,
            blobs=instance.blobs,
            jobs=instance.jobs,
            mail=instance.mail,
            pids=pids or LocalPidProvider(instance.settings.doi_prefix),
        )
        files = FileService(ctx)
        instance.jobs.register(COLLECT_BLOB_JOB, files.collect_blob, retries=3, retry_delay=60)
        publisher = Publisher(ctx)
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
        )


__all__ = ["ArchiveService"]
