"""Staged (multipart) writes: parts in place, in any order, committed with one hashing pass."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from matcloud.core.errors import NotFound, TooLarge, ValidationFailed
from matcloud.core.storage.local import LocalBlobStore


def test_parts_in_any_order_become_one_blob(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    data = os.urandom(3 * 1000 + 17)
    parts = [(i * 1000, data[i * 1000 : (i + 1) * 1000]) for i in range(4)]
    threads = [
        threading.Thread(
            target=store.stage_write, args=("up-1", off, [chunk]), kwargs={"length": len(chunk)}
        )
        for off, chunk in reversed(parts)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    info = store.stage_commit("up-1", size=len(data))
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.md5 == hashlib.md5(data).hexdigest()
    with store.open(info.id) as reader:
        assert reader.read() == data
    assert list((tmp_path / "tmp").iterdir()) == []  # the stage was consumed


def test_a_resent_part_replaces_its_bytes(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    store.stage_write("up-2", 0, [b"XXXX"], length=4)
    store.stage_write("up-2", 4, [b"5678"], length=4)
    store.stage_write("up-2", 0, [b"1234"], length=4)
    info = store.stage_commit("up-2", size=8)
    with store.open(info.id) as reader:
        assert reader.read() == b"12345678"


def test_an_oversized_part_is_refused(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    with pytest.raises(TooLarge):
        store.stage_write("up-3", 0, [b"123456"], length=4)
    assert store.stage_write("up-3", 0, [b"12"], length=4) == 2  # short: the caller refuses it


def test_commit_checks_the_size_and_the_stage(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    store.stage_write("up-4", 0, [b"1234"], length=4)
    with pytest.raises(ValidationFailed, match="has 4 bytes, not 8"):
        store.stage_commit("up-4", size=8)
    assert not any((tmp_path / "objects").rglob("*")) if (tmp_path / "objects").exists() else True
    with pytest.raises(NotFound):
        store.stage_commit("never", size=1)
    with pytest.raises(ValidationFailed):
        store.stage_write("../escape", 0, [b"x"], length=1)


def test_delete_drops_an_abandoned_stage(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    store.stage_write("up-5", 0, [b"abc"], length=3)
    assert store.stage_delete("up-5") is True
    assert store.stage_delete("up-5") is False
