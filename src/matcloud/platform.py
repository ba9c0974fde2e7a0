"""The installed sections of one instance, built once and shared by the web app, the worker
and the command line (so that every process registers the same background jobs)."""

from __future__ import annotations

from dataclasses import dataclass

from matcloud.archive.service import ArchiveService
from matcloud.core.instance import Instance
from matcloud.discover.service import DiscoverService
from matcloud.explore.service import ExploreService
from matcloud.learn.service import LearnService
from matcloud.optimade.indexing import StructureIndexer
from matcloud.work.service import WorkService
from matcloud.work.sources import Sources


@dataclass
class Platform:
    instance: Instance
    archive: ArchiveService
    explore: ExploreService
    structures: StructureIndexer
    work: WorkService
    discover: DiscoverService
    learn: LearnService

    @classmethod
    def build(cls, instance: Instance) -> Platform:
        archive = ArchiveService.build(instance)
        explore = ExploreService(instance.settings, instance.db, instance.blobs, instance.jobs)
        structures = StructureIndexer(instance.db, instance.blobs, instance.jobs, explore)
        publisher = archive.publisher
        publisher.published_hooks += [explore.on_published, structures.on_published]
        publisher.retracted_hooks.append(structures.on_retracted)
        explore.indexed_hooks.append(structures.on_archive_indexed)
        work = WorkService(instance.settings, instance.db, Sources(archive, explore))
        discover = DiscoverService(instance.db, archive, explore)
        archive.oai.set_sources.append(discover)  # one OAI-PMH set per section
        learn = LearnService(
            instance.db, instance.blobs, instance.jobs, instance.settings.data_dir / "tmp" / "learn"
        )
        return cls(
            instance=instance,
            discover=discover,
            learn=learn,
            archive=archive,
            explore=explore,
            structures=structures,
            work=work,
        )

    def close(self) -> None:
        self.explore.close()


__all__ = ["Platform"]
