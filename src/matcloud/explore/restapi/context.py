"""What a request handler works with: the archive, the request, and a cache per archive."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol, TypeVar

from matcloud.explore.restapi import cache
from matcloud.explore.restapi.response import RestRequest

T = TypeVar("T")

#: The aiida-core release whose REST API this one reproduces: reported as ``AiiDA_version`` and
#: written into exported files' headers, as aiida writes its own version there.
AIIDA_VERSION = "2.9.4"


class Source(Protocol):
    """The parts of :class:`matcloud.explore.aiida.index.ArchiveSource` the API uses."""

    info: dict[str, Any]

    @property
    def db_path(self) -> Path: ...

    def connect(self) -> sqlite3.Connection: ...

    def read_object(self, key: str, limit: int | None = None) -> bytes: ...


@dataclass
class Context:
    source: Source
    request: RestRequest

    @cached_property
    def connection(self) -> sqlite3.Connection:
        return self.source.connect()

    def remember(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, computed once per indexed archive and ``key``."""
        return cache.cached((cache.index_key(self.source.db_path), key), compute)

    @property
    def aiida_version(self) -> str:
        return AIIDA_VERSION
