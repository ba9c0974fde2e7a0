"""The installed sections of one instance, built once and shared by the web app, the worker
and the command line (so that every process registers the same background jobs)."""

from __future__ import annotations

from dataclasses import dataclass

from matcloud.archive.service import ArchiveService
from matcloud.core.instance import Instance


@dataclass
class Platform:
    instance: Instance
    archive: ArchiveService

    @classmethod
    def build(cls, instance: Instance) -> Platform:
        return cls(instance=instance, archive=ArchiveService.build(instance))


__all__ = ["Platform"]
