"""An AiiDA archive file, checked before anything in it is trusted.

An archive of the current format (aiida-core 2.x, ``export_version`` ``main_0000``/``main_0001``)
is a zip (or an unzipped folder) of three things: ``metadata.json``, ``db.sqlite3`` (the AiiDA
tables) and ``repo/<sha256>`` (file contents, addressed from each node's
``repository_metadata``). Legacy exports (0.x) hold ``metadata.json``, ``data.json`` and a
``nodes/`` tree, in a zip or a tar.gz.

:func:`inspect` reads only the directory of the container and ``metadata.json``, and refuses
whatever could hurt the server: too many entries, too many bytes once inflated, an entry that
inflates too much (a zip bomb), names that escape (``../``, absolute paths), duplicates, a
``metadata.json`` that is not JSON. Every refusal is an :class:`ArchiveError` whose message is
meant for the person who uploaded the file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tarfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from matcloud.core.errors import Damaged

CURRENT_VERSIONS = ("main_0000", "main_0001")
#: Legacy export versions aiida-core 2.x migrates; 0.1-0.3 it refuses.
LEGACY_VERSIONS = tuple(f"0.{n}" for n in range(4, 14))
UNMIGRATABLE_VERSIONS = ("0.1", "0.2", "0.3")
OBJECT_KEY = re.compile(r"^[0-9a-f]{64}$")
METADATA_MAX_BYTES = 16 * 1024 * 1024
COPY_CHUNK = 1024 * 1024


class ArchiveError(Exception):
    """The file is not a browsable AiiDA archive; the message says why, for its uploader."""


@dataclass(frozen=True)
class Limits:
    max_entries: int = 5_000_000
    max_total_bytes: int = 500 * 1024**3
    #: An entry may inflate this many times its compressed size (zip bombs go far beyond).
    max_ratio: float = 200.0
    #: Entries smaller than this are not held to ``max_ratio`` (tiny files compress oddly).
    ratio_floor_bytes: int = 1024 * 1024
    max_db_bytes: int = 100 * 1024**3


@dataclass
class ArchiveInfo:
    path: Path
    kind: str  # "zip", "folder" or "tar"
    export_version: str
    metadata: dict[str, Any]
    entries: int
    total_bytes: int
    compressed_bytes: int
    db_bytes: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def is_current(self) -> bool:
        return self.export_version in CURRENT_VERSIONS

    @property
    def aiida_version(self) -> str:
        return str(self.metadata.get("aiida_version") or "")


def safe_member(name: str) -> str | None:
    """The normalised name of a container entry, or ``None`` if it would escape."""
    if "\\" in name or "\x00" in name:
        return None
    path = PurePosixPath(name)
    if path.is_absolute() or any(part == ".." for part in path.parts):
        return None
    if re.match(r"^[A-Za-z]:", name):
        return None
    return str(path).removesuffix("/") if str(path) != "." else ""


def _ignored(name: str) -> bool:
    return name.startswith("__MACOSX/") or name.endswith("/.DS_Store")


def inspect(path: Path, limits: Limits | None = None) -> ArchiveInfo:
    """What ``path`` holds, after the checks; raises :class:`ArchiveError`."""
    limits = limits or Limits()
    if path.is_dir():
        return _inspect_folder(path, limits)
    if not path.is_file():
        raise ArchiveError(f"{path.name}: no such file.")
    if zipfile.is_zipfile(path):
        return _inspect_zip(path, limits)
    if tarfile.is_tarfile(path):
        return _inspect_tar(path, limits)
    with path.open("rb") as handle:
        if handle.read(4) == b"PK\x03\x04":
            raise ArchiveError(
                f"{path.name} is a damaged or truncated zip file (its directory is missing): "
                "upload it again."
            )
    raise ArchiveError(
        f"{path.name} is neither a zip nor a tar archive: not an AiiDA archive "
        "(export one with `verdi archive create`)."
    )


def _version(metadata: dict[str, Any], name: str) -> str:
    version = metadata.get("export_version")
    if not isinstance(version, str) or not version:
        raise ArchiveError(f"{name}: metadata.json names no export_version.")
    if version in UNMIGRATABLE_VERSIONS:
        raise ArchiveError(
            f"{name} is an AiiDA export of version {version}, which aiida-core 2.x cannot "
            "migrate (it reads 0.4 and later). Migrate it with aiida-core 1.x first."
        )
    if version not in CURRENT_VERSIONS + LEGACY_VERSIONS:
        raise ArchiveError(
            f"{name} has export_version {version!r}, which no released aiida-core wrote."
        )
    return version


def _metadata(raw: bytes, name: str) -> dict[str, Any]:
    try:
        metadata = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ArchiveError(f"{name}: metadata.json is not JSON ({exc}).") from exc
    if not isinstance(metadata, dict):
        raise ArchiveError(f"{name}: metadata.json is not a JSON object.")
    return metadata


def _inspect_zip(path: Path, limits: Limits) -> ArchiveInfo:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > limits.max_entries:
                raise ArchiveError(
                    f"{path.name} has {len(infos):,} entries, over the limit of "
                    f"{limits.max_entries:,}."
                )
            seen: set[str] = set()
            total = compressed = db_bytes = 0
            names = {}
            for info in infos:
                if _ignored(info.filename):
                    continue
                name = safe_member(info.filename)
                if name is None:
                    raise ArchiveError(
                        f"{path.name} holds an entry that escapes the archive: "
                        f"{info.filename!r}. It is refused."
                    )
                if info.is_dir():
                    continue
                if name in seen:
                    raise ArchiveError(f"{path.name} holds {name!r} twice.")
                seen.add(name)
                names[name] = info
                total += info.file_size
                compressed += info.compress_size
                if total > limits.max_total_bytes:
                    raise ArchiveError(
                        f"{path.name} would inflate to more than {limits.max_total_bytes:,} bytes."
                    )
                if (
                    info.file_size > limits.ratio_floor_bytes
                    and info.file_size > limits.max_ratio * max(info.compress_size, 1)
                ):
                    ratio = info.file_size / max(info.compress_size, 1)
                    raise ArchiveError(
                        f"{path.name}: {name} inflates {ratio:,.0f} times (limit "
                        f"{limits.max_ratio:,.0f}): refused as a zip bomb."
                    )
                if name == "db.sqlite3":
                    db_bytes = info.file_size
            if "metadata.json" not in names:
                raise ArchiveError(f"{path.name} has no metadata.json: not an AiiDA archive.")
            if names["metadata.json"].file_size > METADATA_MAX_BYTES:
                raise ArchiveError(f"{path.name}: metadata.json is too large.")
            metadata = _metadata(archive.read(names["metadata.json"]), path.name)
    except zipfile.BadZipFile as exc:
        raise ArchiveError(f"{path.name} is a damaged zip file ({exc}).") from exc
    except (zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as exc:
        raise ArchiveError(f"{path.name} cannot be read as a zip file ({exc}).") from exc
    version = _version(metadata, path.name)
    found = ArchiveInfo(path, "zip", version, metadata, len(names), total, compressed, db_bytes)
    _check_layout(found, set(names), limits)
    return found


def _inspect_folder(path: Path, limits: Limits) -> ArchiveInfo:
    metadata_path = path / "metadata.json"
    if not metadata_path.is_file():
        raise ArchiveError(f"{path.name}/ has no metadata.json: not an AiiDA archive folder.")
    if metadata_path.stat().st_size > METADATA_MAX_BYTES:
        raise ArchiveError(f"{path.name}: metadata.json is too large.")
    metadata = _metadata(metadata_path.read_bytes(), path.name)
    version = _version(metadata, path.name)
    names = {"metadata.json"}
    db = path / "db.sqlite3"
    db_bytes = 0
    if db.is_file() and not db.is_symlink():
        names.add("db.sqlite3")
        db_bytes = db.stat().st_size
    if (path / "data.json").is_file():
        names.add("data.json")
    info = ArchiveInfo(path, "folder", version, metadata, len(names), db_bytes, db_bytes, db_bytes)
    _check_layout(info, names, limits)
    return info


def _inspect_tar(path: Path, limits: Limits) -> ArchiveInfo:
    try:
        with tarfile.open(path) as archive:
            names: dict[str, tarfile.TarInfo] = {}
            total = 0
            for count, member in enumerate(archive, start=1):
                if count > limits.max_entries:
                    raise ArchiveError(f"{path.name} has over {limits.max_entries:,} entries.")
                name = safe_member(member.name)
                if name is None or member.issym() or member.islnk() or member.isdev():
                    raise ArchiveError(
                        f"{path.name} holds an entry that escapes the archive or is a link: "
                        f"{member.name!r}. It is refused."
                    )
                if member.isfile():
                    total += member.size
                    names[name] = member
                if total > limits.max_total_bytes:
                    raise ArchiveError(f"{path.name} would unpack to too many bytes.")
            meta_member = names.get("metadata.json")
            if meta_member is None:
                raise ArchiveError(f"{path.name} has no metadata.json: not an AiiDA archive.")
            if meta_member.size > METADATA_MAX_BYTES:
                raise ArchiveError(f"{path.name}: metadata.json is too large.")
            handle = archive.extractfile(meta_member)
            assert handle is not None
            metadata = _metadata(handle.read(), path.name)
    except tarfile.TarError as exc:
        raise ArchiveError(f"{path.name} is a damaged tar file ({exc}).") from exc
    except (EOFError, OSError) as exc:
        raise ArchiveError(f"{path.name} cannot be read as a tar file ({exc}).") from exc
    version = _version(metadata, path.name)
    info = ArchiveInfo(path, "tar", version, metadata, len(names), total, path.stat().st_size)
    _check_layout(info, set(names), limits)
    return info


def _check_layout(info: ArchiveInfo, names: set[str], limits: Limits) -> None:
    name = info.path.name
    if info.is_current:
        if info.kind == "tar":
            raise ArchiveError(f"{name}: a {info.export_version} archive must be a zip.")
        if "db.sqlite3" not in names:
            raise ArchiveError(f"{name} has no db.sqlite3: the archive is incomplete.")
        if info.db_bytes > limits.max_db_bytes:
            raise ArchiveError(f"{name}: its database is over {limits.max_db_bytes:,} bytes.")
        for entry in names:
            if entry.startswith("repo/") and not OBJECT_KEY.match(entry[5:]):
                info.warnings.append(f"unexpected repository entry {entry!r} ignored")
    elif "data.json" not in names:
        raise ArchiveError(f"{name} has no data.json: the legacy export is incomplete.")


def extract_db(info: ArchiveInfo, destination: Path) -> Path:
    """Copy the archive's ``db.sqlite3`` to ``destination`` (atomically, size-checked)."""
    partial = destination.with_name(destination.name + ".partial")
    try:
        with partial.open("wb") as out:
            if info.kind == "folder":
                with (info.path / "db.sqlite3").open("rb") as source:
                    _copy(source, out, info.db_bytes, info.path.name)
            else:
                with zipfile.ZipFile(info.path) as archive, archive.open("db.sqlite3") as source:
                    _copy(source, out, info.db_bytes, info.path.name)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, destination)
    except (zipfile.BadZipFile, zlib.error) as exc:
        raise ArchiveError(
            f"{info.path.name}: its database is damaged in the zip ({exc})."
        ) from exc
    except EOFError as exc:
        raise ArchiveError(f"{info.path.name} is truncated: {exc}.") from exc
    finally:
        partial.unlink(missing_ok=True)
    return destination


def _copy(source: IO[bytes], out: IO[bytes], declared: int, name: str) -> None:
    copied = 0
    while chunk := source.read(COPY_CHUNK):
        copied += len(chunk)
        if copied > declared:
            raise ArchiveError(f"{name}: db.sqlite3 is larger than its zip entry says.")
        out.write(chunk)
    if copied != declared:
        raise ArchiveError(f"{name}: db.sqlite3 is shorter than its zip entry says.")


class Repository:
    """The file contents of an archive (``repo/<sha256>``), read on demand, never extracted."""

    def __init__(self, info: ArchiveInfo) -> None:
        self.info = info
        self._zip = zipfile.ZipFile(info.path) if info.kind == "zip" else None

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def size(self, key: str) -> int:
        self._check(key)
        if self._zip is not None:
            try:
                return self._zip.getinfo(f"repo/{key}").file_size
            except KeyError as exc:
                raise FileNotFoundError(key) from exc
        return (self.info.path / "repo" / key).stat().st_size

    def open(self, key: str) -> IO[bytes]:
        self._check(key)
        if self._zip is not None:
            try:
                return self._zip.open(f"repo/{key}")
            except KeyError as exc:
                raise FileNotFoundError(key) from exc
        path = self.info.path / "repo" / key
        if path.is_symlink():
            raise FileNotFoundError(key)
        return path.open("rb")

    def read(self, key: str, limit: int | None = None) -> bytes:
        """The object's bytes (the first ``limit``); :class:`Damaged` when its compressed data
        or checksum in the zip is corrupt."""
        try:
            with self.open(key) as handle:
                return handle.read() if limit is None else handle.read(limit)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise Damaged(
                f"The file {key[:12]}… is damaged inside the archive ({exc}); the rest of the "
                "archive can still be browsed."
            ) from None

    @staticmethod
    def _check(key: str) -> None:
        if not OBJECT_KEY.match(key):
            raise FileNotFoundError(f"not an object key: {key!r}")


def copy_file(source: Path, destination: Path) -> None:
    partial = destination.with_name(destination.name + ".partial")
    shutil.copyfile(source, partial)
    os.replace(partial, destination)


__all__ = [
    "CURRENT_VERSIONS",
    "LEGACY_VERSIONS",
    "ArchiveError",
    "ArchiveInfo",
    "Limits",
    "Repository",
    "extract_db",
    "inspect",
    "safe_member",
]
