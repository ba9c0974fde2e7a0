"""Reading AiiDA archive files: every format aiida-core 2.x writes, and hostile files refused
with a message for the person who uploaded them."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from matcloud.explore.aiida.container import ArchiveError, Limits, Repository, inspect, safe_member
from matcloud.explore.aiida.index import ArchiveSource, build_index

METADATA = {"export_version": "main_0001", "aiida_version": "2.9.4"}


def make_zip(
    path: Path, entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED
) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def test_the_current_format_is_read_from_zip_stored_zip_and_folder(
    rich: Path, tmp_path: Path, manifest: dict[str, Any]
) -> None:
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(rich) as archive:
        archive.extractall(folder)
    for path in (rich, rich.with_name("rich-stored.aiida"), folder):
        info = build_index(path, tmp_path / f"index-{path.name}")
        assert info["statistics"]["nodes"] == manifest["profile_counts"]["nodes"]
        assert info["statistics"]["links"] == manifest["profile_counts"]["links"]
        assert info["export_version"] == "main_0001" and info["aiida_version"] == "2.9.4"
        source = ArchiveSource.open("x", tmp_path / f"index-{path.name}")
        bands = manifest["nodes"]["bands"]
        row = (
            source.connect()
            .execute("SELECT repository_metadata FROM db_dbnode WHERE uuid = ?", (bands["uuid"],))
            .fetchone()
        )
        key = json.loads(row[0])["o"]["bands.npy"]["k"]
        assert source.read_object(key)[:6] == b"\x93NUMPY"
        assert source.object_size(key) == len(source.read_object(key))
        with pytest.raises(FileNotFoundError):
            source.read_object("../../etc/passwd")
        with pytest.raises(FileNotFoundError):
            source.read_object("0" * 64)
        source.close()


def test_the_index_is_read_only(rich: Path, tmp_path: Path) -> None:
    build_index(rich, tmp_path / "index")
    source = ArchiveSource.open("x", tmp_path / "index")
    with pytest.raises(sqlite3.OperationalError):
        source.connect().execute("DELETE FROM db_dbnode")
    source.close()


def test_aiida_core_test_archives_of_the_current_format(shared_aiida: Path, tmp_path: Path) -> None:
    for name in ("export/migrate/export_main_0001_simple.aiida", "calcjob/arithmetic.add.aiida"):
        info = build_index(shared_aiida / name, tmp_path / name.replace("/", "_"))
        assert info["statistics"]["nodes"] > 0
    main_0000 = inspect(shared_aiida / "export/migrate/export_main_0000_simple.aiida")
    assert main_0000.is_current and main_0000.export_version == "main_0000"


def test_legacy_versions_are_recognised(shared_aiida: Path) -> None:
    legacy = inspect(shared_aiida / "export/migrate/export_0.13_simple.aiida")
    assert not legacy.is_current and legacy.export_version == "0.13"
    tarred = inspect(shared_aiida / "export/migrate/export_0.4_simple.tar.gz")
    assert tarred.kind == "tar" and tarred.export_version == "0.4"
    for old in ("export_0.1_simple.aiida", "export_0.3_simple.aiida", "export_0.2_simple.tar.gz"):
        with pytest.raises(ArchiveError, match="cannot migrate.*aiida-core 1.x"):
            inspect(shared_aiida / "export/migrate" / old)
    with pytest.raises(ArchiveError, match="no metadata.json"):
        inspect(shared_aiida / "export/migrate/empty.aiida")
    with pytest.raises(ArchiveError, match="export_version '1.0'"):
        inspect(shared_aiida / "graphs/graph1.aiida")


def test_a_zip_bomb_is_refused(tmp_path: Path) -> None:
    bomb = make_zip(
        tmp_path / "bomb.aiida",
        {"metadata.json": json.dumps(METADATA).encode(), "db.sqlite3": bytes(64 * 1024 * 1024)},
    )
    assert bomb.stat().st_size < 1024 * 1024
    with pytest.raises(ArchiveError, match="zip bomb"):
        inspect(bomb)
    with pytest.raises(ArchiveError, match="would inflate to more than"):
        inspect(bomb, Limits(max_total_bytes=1024 * 1024, max_ratio=10**9))


def test_too_many_entries_are_refused(tmp_path: Path) -> None:
    entries = {f"repo/{n:064x}": b"x" for n in range(50)}
    crowded = make_zip(tmp_path / "crowded.aiida", {"metadata.json": b"{}", **entries})
    with pytest.raises(ArchiveError, match="51 entries, over the limit of 20"):
        inspect(crowded, Limits(max_entries=20))


@pytest.mark.parametrize(
    "name", ["../evil.txt", "repo/../../evil", "/etc/passwd", "C:/windows/evil", "a\\..\\b"]
)
def test_entries_that_escape_are_refused(tmp_path: Path, name: str) -> None:
    hostile = make_zip(
        tmp_path / "hostile.aiida",
        {"metadata.json": json.dumps(METADATA).encode(), "db.sqlite3": b"", name: b"x"},
    )
    with pytest.raises(ArchiveError, match="escapes the archive"):
        inspect(hostile)


def test_safe_member() -> None:
    assert safe_member("repo/abc") == "repo/abc"
    assert safe_member("repo/") == "repo"
    assert safe_member("./metadata.json") == "metadata.json"
    for bad in ("../x", "/x", "a/../../x", "x\x00y", "D:x"):
        assert safe_member(bad) is None


def test_a_tar_with_a_link_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "legacy.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        data = json.dumps({"export_version": "0.9"}).encode()
        info = tarfile.TarInfo("metadata.json")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("data.json")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(link)
    with pytest.raises(ArchiveError, match="is a link"):
        inspect(path)


def test_a_truncated_archive_is_refused(rich: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.aiida"
    cut.write_bytes(rich.read_bytes()[: rich.stat().st_size // 2])
    with pytest.raises(ArchiveError, match="damaged or truncated zip"):
        inspect(cut)


def test_a_corrupted_entry_fails_its_checksum(rich: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.aiida"
    data = bytearray(rich.read_bytes())
    with zipfile.ZipFile(rich) as archive:
        entry = archive.getinfo("db.sqlite3")
    start = entry.header_offset + 30 + len(entry.filename) + len(entry.extra) + 1000
    data[start : start + 64] = bytes(64)
    damaged.write_bytes(bytes(data))
    with pytest.raises(ArchiveError):
        build_index(damaged, tmp_path / "index")
    assert not (tmp_path / "index" / "index.sqlite3").exists()


def test_a_corrupt_database_is_refused(rich: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(rich) as archive:
        metadata, db = archive.read("metadata.json"), bytearray(archive.read("db.sqlite3"))
    not_sqlite = make_zip(
        tmp_path / "a.aiida", {"metadata.json": metadata, "db.sqlite3": b"x" * 5000}
    )
    with pytest.raises(ArchiveError, match="is not a readable"):
        build_index(not_sqlite, tmp_path / "a")
    db[8192:16384] = b"\xff" * 8192  # pages of tables and indexes overwritten
    mangled = make_zip(tmp_path / "b.aiida", {"metadata.json": metadata, "db.sqlite3": bytes(db)})
    with pytest.raises(ArchiveError, match="database"):
        build_index(mangled, tmp_path / "b")
    empty_db = tmp_path / "empty.sqlite3"
    sqlite3.connect(empty_db).close()
    no_tables = make_zip(
        tmp_path / "c.aiida", {"metadata.json": metadata, "db.sqlite3": empty_db.read_bytes()}
    )
    with pytest.raises(ArchiveError, match="no table db_dbnode"):
        build_index(no_tables, tmp_path / "c")


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        (b"not json", "metadata.json is not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b"{}", "names no export_version"),
        (b'{"export_version": "main_9999"}', "which no released aiida-core wrote"),
    ],
)
def test_bad_metadata_is_refused(tmp_path: Path, metadata: bytes, message: str) -> None:
    path = make_zip(tmp_path / "bad.aiida", {"metadata.json": metadata, "db.sqlite3": b""})
    with pytest.raises(ArchiveError, match=message):
        inspect(path)


def test_an_archive_without_its_database_or_not_an_archive(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "nodb.aiida", {"metadata.json": json.dumps(METADATA).encode()})
    with pytest.raises(ArchiveError, match="no db.sqlite3"):
        inspect(path)
    text = tmp_path / "notes.aiida"
    text.write_text("hello")
    with pytest.raises(ArchiveError, match="neither a zip nor a tar"):
        inspect(text)
    with pytest.raises(ArchiveError, match="no such file"):
        inspect(tmp_path / "missing.aiida")


def test_a_folder_archive_never_follows_links_out(rich: Path, tmp_path: Path) -> None:
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(rich) as archive:
        archive.extractall(folder)
    key = next(p.name for p in (folder / "repo").iterdir())
    (folder / "repo" / key).unlink()
    (folder / "repo" / key).symlink_to("/etc/hostname")
    repository = Repository(inspect(folder))
    with pytest.raises(FileNotFoundError):
        repository.read(key)
    shutil.rmtree(folder)
