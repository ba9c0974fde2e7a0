"""A small in-process cache of query results per indexed archive.

An index never changes once built (it is opened ``immutable``), so whole-archive answers
(statistics, the full-types tree, the total of a listing) can be kept: the first request pays
the scan, the following ones do not. Entries are keyed by the index file (path, inode, size,
mtime): an archive indexed again gets fresh entries. Bounded, least-recently-used first out.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

MAX_ENTRIES = 4096

_lock = threading.Lock()
_entries: OrderedDict[Hashable, object] = OrderedDict()


def index_key(db_path: Path) -> Hashable:
    stat = os.stat(db_path)
    return (str(db_path), stat.st_ino, stat.st_size, stat.st_mtime_ns)


def cached(key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, remembered under ``key`` (computed outside the lock: two threads may
    both compute a missing entry once; the answers are the same)."""
    with _lock:
        if key in _entries:
            _entries.move_to_end(key)
            return _entries[key]  # type: ignore[return-value]
    value = compute()
    with _lock:
        _entries[key] = value
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return value


def clear() -> None:
    with _lock:
        _entries.clear()
