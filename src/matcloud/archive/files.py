"""Draft files: init, streamed content, multipart parts, commit; limits checked before storing.

Bytes never pass through a database transaction: a request checks what it may do in a short
read, streams the body into the blob store (which stops at the limit and leaves nothing visible
if the process dies), then records the result in a short write that checks again. A killed
upload therefore leaves the file "pending" with whatever parts were complete: the client lists
the file, sees which parts arrived, and sends the rest.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from collections.abc import Iterable
from typing import Any, BinaryIO

from sqlalchemy.orm import Session

from matcloud.archive.context import (
    COLLECT_BLOB_JOB,
    COLLECT_DELAY_SECONDS,
    ArchiveContext,
    blob_in_use,
    limit_bytes,
    limit_files,
    owned_draft,
    version_bytes,
)
from matcloud.archive.models import File, FileStatus, UploadPart, Version
from matcloud.archive.serialize import file_json
from matcloud.core.auth import Identity
from matcloud.core.db import UnitOfWork, utcnow
from matcloud.core.errors import Conflict, FieldError, NotFound, TooLarge, ValidationFailed
from matcloud.core.storage import BlobInfo, format_size

MAX_PARTS = 10_000
CHECKSUM_RE = re.compile(r"^(md5:[0-9a-f]{32}|sha256:[0-9a-f]{64})$")
Body = BinaryIO | Iterable[bytes]


def check_key(key: str) -> str:
    """A file name as it will appear in the record: one path segment, printable, < 256 bytes."""
    if not isinstance(key, str) or not key.strip():
        raise ValidationFailed("Bad file name.", [FieldError("key", "must not be empty")])
    key = unicodedata.normalize("NFC", key.strip())
    problems = []
    if "/" in key or "\\" in key:
        problems.append("must not contain / or \\ (folders: upload a zip or tar)")
    if key in (".", "..") or key.startswith("."):
        problems.append("must not start with a dot")
    if any(unicodedata.category(c).startswith("C") for c in key):
        problems.append("must not contain control characters")
    if len(key.encode()) > 255:
        problems.append("must be at most 255 bytes long")
    if problems:
        raise ValidationFailed("Bad file name.", [FieldError("key", p) for p in problems])
    return key


class FileService:
    def __init__(self, ctx: ArchiveContext) -> None:
        self.ctx = ctx

    # -- limits -----------------------------------------------------------------------------

    def limit_bytes(self, version: Version, extra_keys: Iterable[str] = ()) -> int:
        return limit_bytes(self.ctx.settings, version, tuple(extra_keys))

    def limit_files(self, version: Version) -> int:
        return limit_files(self.ctx.settings, version)

    def _too_large(self, version: Version, limit: int) -> TooLarge:
        aiida = limit == self.ctx.settings.max_aiida_record_bytes
        what = "a record with an AiiDA archive" if aiida else "a record"
        return TooLarge(
            f"The files of {what} may take at most {format_size(limit)}"
            + ("" if version.record.quota_bytes else "; a moderator can grant more.")
        )

    # -- init -------------------------------------------------------------------------------

    def init(
        self, identity: Identity, version_id: str, entries: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        if not isinstance(entries, list) or not entries:
            raise ValidationFailed("Send a list of files.", [FieldError("", "must be a list")])
        with self.ctx.db.unit_of_work() as uow:
            version = owned_draft(uow.session, identity, version_id)
            parsed = [self._parse_entry(i, e) for i, e in enumerate(entries)]
            keys = [p["key"] for p in parsed]
            existing = {f.key for f in version.files}
            clashes = [k for k in keys if k in existing] + [
                k for i, k in enumerate(keys) if k in keys[:i]
            ]
            if clashes:
                raise Conflict(f"A file named {clashes[0]!r} exists already in {version_id}.")
            if len(version.files) + len(parsed) > self.limit_files(version):
                raise TooLarge(
                    f"A record may hold at most {self.limit_files(version)} files; "
                    "put many small files in a zip or tar archive."
                )
            limit = self.limit_bytes(version, keys)
            announced = version_bytes(version) + sum(p["size"] or 0 for p in parsed)
            if announced > limit:
                raise self._too_large(version, limit)
            made = []
            for p in parsed:
                file = File(
                    key=p["key"],
                    declared_size=p["size"],
                    declared_checksum=p["checksum"],
                    mimetype=mimetypes.guess_type(p["key"])[0] or "application/octet-stream",
                    parts=p["parts"],
                    part_size=p["part_size"],
                )
                version.files.append(file)
                made.append(file)
            version.updated_at = utcnow()
            uow.session.flush()
            return [file_json(self.ctx, version, f) for f in made]

    def _parse_entry(self, index: int, entry: Any) -> dict[str, Any]:
        where = f"{index}"
        if not isinstance(entry, dict):
            raise ValidationFailed("Bad file entry.", [FieldError(where, "must be an object")])
        unknown = set(entry) - {"key", "size", "checksum", "transfer", "metadata"}
        if unknown:
            raise ValidationFailed(
                "Bad file entry.", [FieldError(f"{where}.{k}", "is not known") for k in unknown]
            )
        key = check_key(entry.get("key", ""))
        size = entry.get("size")
        errors = []
        if size is not None and (not isinstance(size, int) or size < 0):
            errors.append(FieldError(f"{where}.size", "must be a whole number of bytes"))
        checksum = entry.get("checksum")
        if checksum is not None and not (isinstance(checksum, str) and CHECKSUM_RE.match(checksum)):
            errors.append(FieldError(f"{where}.checksum", "must be md5:<hex> or sha256:<hex>"))
        parts = part_size = None
        transfer = entry.get("transfer") or {}
        if transfer.get("type") in ("M", "multipart"):
            parts, part_size = transfer.get("parts"), transfer.get("part_size")
            if not isinstance(size, int):
                errors.append(FieldError(f"{where}.size", "is required for a multipart upload"))
            elif not isinstance(parts, int) or not 1 <= parts <= MAX_PARTS:
                errors.append(FieldError(f"{where}.transfer.parts", f"must be 1 to {MAX_PARTS}"))
            else:
                if part_size is None:
                    part_size = max(1, -(-size // parts))
                if not isinstance(part_size, int) or part_size < 1:
                    errors.append(FieldError(f"{where}.transfer.part_size", "must be positive"))
                elif not (parts - 1) * part_size < max(size, 1) <= parts * part_size:
                    errors.append(
                        FieldError(
                            f"{where}.transfer",
                            f"{parts} parts of {part_size} bytes do not make {size} bytes",
                        )
                    )
        elif transfer.get("type") not in (None, "L", "local"):
            errors.append(FieldError(f"{where}.transfer.type", "must be L (local) or M"))
        if errors:
            raise ValidationFailed("Bad file entry.", errors)
        return {
            "key": key,
            "size": size,
            "checksum": checksum,
            "parts": parts,
            "part_size": part_size,
        }

    # -- content ----------------------------------------------------------------------------

    def _pending(self, session: Session, identity: Identity, version_id: str, key: str) -> File:
        version = owned_draft(session, identity, version_id)
        file = next((f for f in version.files if f.key == key), None)
        if file is None:
            raise NotFound(f"{version_id} has no file {key!r}; start with POST .../draft/files.")
        if file.status == FileStatus.COMPLETED:
            raise Conflict(f"{key!r} is committed; delete it to upload it again.")
        return file

    def _room(self, file: File) -> tuple[int, TooLarge]:
        """Bytes this file may still take, and the error that says the limit."""
        version = file.version
        limit = self.limit_bytes(version)
        room = limit - version_bytes(version, excluding=file)
        error = self._too_large(version, limit)
        if room <= 0:
            raise error
        return room, error

    def _discard(self, blob_id: str) -> None:
        """A blob stored for a request that then failed: collect it later if unused."""
        self.ctx.jobs.enqueue(COLLECT_BLOB_JOB, blob_id, delay=COLLECT_DELAY_SECONDS)

    def put_content(
        self,
        identity: Identity,
        version_id: str,
        key: str,
        body: Body,
        content_length: int | None,
    ) -> dict[str, Any]:
        with self.ctx.db.read() as session:
            file = self._pending(session, identity, version_id, key)
            if file.is_multipart:
                raise Conflict(f"{key!r} is a multipart upload: PUT its parts to .../content/N.")
            room, too_large = self._room(file)
            expected = file.declared_size
        if expected is not None and content_length is not None and content_length > expected:
            raise ValidationFailed(
                f"{key!r} was announced with {expected} bytes; the body has {content_length}."
            )
        if content_length is not None and content_length > room:
            raise too_large  # refused before a byte is stored
        info = self.ctx.blobs.put(body, max_bytes=min(room, expected or room))
        try:
            with self.ctx.db.unit_of_work() as uow:
                file = self._pending(uow.session, identity, version_id, key)
                room, too_large = self._room(file)
                if info.size > room:  # another upload took the room meanwhile
                    raise too_large
                if file.blob_id and file.blob_id != info.id:
                    self._collect(uow, file.blob_id)
                file.blob_id, file.size = info.id, info.size
                file.md5, file.sha256 = info.md5, info.sha256
                file.updated_at = utcnow()
                uow.session.flush()
                return file_json(self.ctx, file.version, file)
        except Exception:
            self._discard(info.id)
            raise

    def put_part(
        self,
        identity: Identity,
        version_id: str,
        key: str,
        number: int,
        body: Body,
        content_length: int | None,
    ) -> dict[str, Any]:
        """Write part ``number`` in place in the upload's staged file; a part re-sent replaces
        the bytes it sent before. A short or long part is refused and recorded as missing."""
        with self.ctx.db.read() as session:
            file = self._pending(session, identity, version_id, key)
            if not file.is_multipart:
                raise Conflict(f"{key!r} is not a multipart upload: PUT its content directly.")
            assert file.parts is not None and file.part_size is not None
            assert file.declared_size is not None
            if not 1 <= number <= file.parts:
                raise NotFound(f"{key!r} has parts 1 to {file.parts}; there is no part {number}.")
            expected = (
                file.part_size
                if number < file.parts
                else file.declared_size - (file.parts - 1) * file.part_size
            )
            offset, stage_id = (number - 1) * file.part_size, file.stage_id
        if content_length is not None and content_length != expected:
            raise ValidationFailed(
                f"Part {number} of {key!r} must have {expected} bytes; the request says "
                f"{content_length}."
            )
        try:
            written = self.ctx.blobs.stage_write(stage_id, offset, body, length=expected)
        except TooLarge:
            written = expected + 1
        if written != expected:
            raise ValidationFailed(
                f"Part {number} of {key!r} must have {expected} bytes; "
                f"{'more' if written > expected else written} arrived. Send the part again."
            )
        with self.ctx.db.unit_of_work() as uow:
            file = self._pending(uow.session, identity, version_id, key)
            if not any(p.number == number for p in file.uploaded_parts):
                file.uploaded_parts.append(UploadPart(number=number, size=written))
            file.updated_at = utcnow()
            uow.session.flush()
            return {"part": number, "size": written}

    # -- commit -----------------------------------------------------------------------------

    def commit(
        self, identity: Identity, version_id: str, key: str, checksum: str | None = None
    ) -> dict[str, Any]:
        if checksum is not None and not CHECKSUM_RE.match(checksum):
            raise ValidationFailed(
                "Bad checksum.", [FieldError("checksum", "must be md5:<hex> or sha256:<hex>")]
            )
        with self.ctx.db.read() as session:
            file = self._pending(session, identity, version_id, key)
            checksum = checksum or file.declared_checksum
            received = [p.number for p in file.uploaded_parts]
            multipart, count, declared = file.is_multipart, file.parts, file.declared_size
            stage_id = file.stage_id
        assembled = None
        if multipart:
            assert count is not None and declared is not None
            missing = sorted(set(range(1, count + 1)) - set(received))
            if missing:
                shown = ", ".join(map(str, missing[:20])) + ("..." if len(missing) > 20 else "")
                raise ValidationFailed(f"{key!r} is missing part(s) {shown}; send them first.")
            try:
                assembled = self.ctx.blobs.stage_commit(stage_id, size=declared)
            except NotFound:
                self._forget_parts(identity, version_id, key)
                raise ValidationFailed(
                    f"The parts of {key!r} were lost on the server; send all parts again."
                ) from None
        try:
            return self._finish(identity, version_id, key, checksum, assembled)
        except Exception:
            if assembled is not None:
                self._discard(assembled.id)
                self._forget_parts(identity, version_id, key)  # the staged bytes are consumed
            raise

    def _forget_parts(self, identity: Identity, version_id: str, key: str) -> None:
        with self.ctx.db.unit_of_work() as uow:
            file = self._pending(uow.session, identity, version_id, key)
            file.uploaded_parts.clear()

    def _finish(
        self,
        identity: Identity,
        version_id: str,
        key: str,
        checksum: str | None,
        assembled: BlobInfo | None,
    ) -> dict[str, Any]:
        with self.ctx.db.unit_of_work() as uow:
            file = self._pending(uow.session, identity, version_id, key)
            if assembled is not None:
                file.blob_id, file.size = assembled.id, assembled.size
                file.md5, file.sha256 = assembled.md5, assembled.sha256
            if file.blob_id is None:
                raise ValidationFailed(f"{key!r} has no content yet; PUT it first.")
            if file.declared_size is not None and file.size != file.declared_size:
                raise ValidationFailed(
                    f"{key!r} was announced with {file.declared_size} bytes but has {file.size}."
                )
            if checksum is not None:
                algorithm, _, value = checksum.partition(":")
                actual = file.md5 if algorithm == "md5" else file.sha256
                if value != actual:
                    raise ValidationFailed(
                        f"The {algorithm} of {key!r} is {actual}, not {value}: the upload is "
                        "corrupt. Upload it again."
                    )
            file.uploaded_parts.clear()
            file.status = FileStatus.COMPLETED
            file.updated_at = utcnow()
            uow.session.flush()
            if file.is_multipart:
                stage_id = file.stage_id
                uow.after_commit(lambda: self.ctx.blobs.stage_delete(stage_id))
            return file_json(self.ctx, file.version, file)

    # -- the rest ---------------------------------------------------------------------------

    def delete(self, identity: Identity, version_id: str, key: str) -> None:
        with self.ctx.db.unit_of_work() as uow:
            version = owned_draft(uow.session, identity, version_id)
            file = next((f for f in version.files if f.key == key), None)
            if file is None:
                raise NotFound(f"{version_id} has no file {key!r}.")
            if file.blob_id is not None:
                self._collect(uow, file.blob_id)
            if file.is_multipart:
                stage_id = file.stage_id
                uow.after_commit(lambda: self.ctx.blobs.stage_delete(stage_id))
            version.files.remove(file)
            version.updated_at = utcnow()

    def _collect(self, uow: UnitOfWork, blob_id: str) -> None:
        self.ctx.jobs.enqueue_after_commit(
            uow, COLLECT_BLOB_JOB, blob_id, delay=COLLECT_DELAY_SECONDS
        )

    def collect_blob(self, blob_id: str) -> None:
        """The job: delete a blob that no file and no upload part references any more."""
        with self.ctx.db.read() as session:
            if blob_in_use(session, blob_id):
                return
        self.ctx.blobs.delete(blob_id)


__all__ = ["FileService", "check_key"]
