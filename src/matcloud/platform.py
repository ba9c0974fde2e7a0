"""The installed sections of one instance, built once and shared by the web app, the worker
and the command line (so that every process registers the same background jobs)."""

from __future__ import annotations

from dataclasses import dataclass

from matcloud.archive.service import ArchiveService
from matcloud.core.instance import Instance
from matcloud.explore.service import ExploreService


@dataclass
class Platform:
    instance: Instance
    archive: ArchiveService
    explore: ExploreService

    @classmethod
    def build(cls, instance: Instance) -> Platform:
        archive = ArchiveService.build(instance)
        explore = ExploreService(instance.settings, instance.db, instance.blobs, instance.jobs)
        archive.publisher.published_hooks.append(explore.on_published)
        return cls(instance=instance, archive=archive, explore=explore)

    def close(self) -> None:
        self.explore.close()


__all__ = ["Platform"]
