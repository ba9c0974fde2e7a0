"""Versions and files as InvenioRDM-shaped JSON (what the API returns and the pages show)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from matcloud.archive.context import (
    ArchiveContext,
    limit_bytes,
    limit_files,
    publishable_errors,
)
from matcloud.archive.models import File, FileStatus, ReviewRequest, Version, VersionState


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def file_json(ctx: ArchiveContext, version: Version, file: File) -> dict[str, Any]:
    published = version.state == VersionState.PUBLISHED
    base = f"/api/records/{version.id}/{'files' if published else 'draft/files'}/{quote(file.key)}"
    entry: dict[str, Any] = {
        "key": file.key,
        "status": file.status.value,
        "size": file.size if file.status == FileStatus.COMPLETED else file.declared_size,
        "mimetype": file.mimetype,
        "checksum": f"md5:{file.md5}" if file.md5 and file.status == FileStatus.COMPLETED else None,
        "sha256": file.sha256 if file.status == FileStatus.COMPLETED else None,
        "created": _iso(file.created_at),
        "updated": _iso(file.updated_at),
        "links": {"self": ctx.url(base), "content": ctx.url(base + "/content")},
    }
    if not published:
        entry["links"]["commit"] = ctx.url(base + "/commit")
    if file.is_multipart:
        entry["transfer"] = {
            "type": "M",
            "parts": file.parts,
            "part_size": file.part_size,
            "received": [p.number for p in file.uploaded_parts],
        }
        if file.status == FileStatus.PENDING:
            entry["links"]["parts"] = [
                {"part": n, "url": ctx.url(f"{base}/content/{n}")}
                for n in range(1, (file.parts or 0) + 1)
            ]
    return entry


def files_json(ctx: ArchiveContext, version: Version) -> dict[str, Any]:
    entries = [file_json(ctx, version, f) for f in version.files]
    return {
        "enabled": True,
        "count": len(entries),
        "total_bytes": sum(e["size"] or 0 for e in entries),
        "entries": entries,
        "links": {"archive": ctx.url(f"/api/records/{version.id}/files-archive")},
        "limits": {
            "bytes": limit_bytes(ctx.settings, version),
            "files": limit_files(ctx.settings, version),
        },
    }


def version_json(
    ctx: ArchiveContext,
    version: Version,
    *,
    request: ReviewRequest | None = None,
    include_errors: bool = False,
) -> dict[str, Any]:
    record = version.record
    published = version.state == VersionState.PUBLISHED
    api = ctx.url(f"/api/records/{version.id}")
    links: dict[str, Any] = {
        "self": api if published else api + "/draft",
        "self_html": ctx.url(f"/records/{version.id}" if published else f"/uploads/{version.id}"),
        "record": api,
        "draft": api + "/draft",
        "files": api + ("/files" if published else "/draft/files"),
        "versions": ctx.url(f"/api/records/{record.id}/versions"),
        "latest": ctx.url(f"/api/records/{record.id}"),
        "latest_html": ctx.url(f"/records/{record.id}"),
    }
    if not published:
        links["publish"] = api + "/draft/actions/publish"
        links["submit-review"] = api + "/draft/actions/submit-review"
    if version.doi:
        links["doi"] = ctx.url(f"/doi/{version.doi}")
    body: dict[str, Any] = {
        "id": version.id,
        "recid": version.id,
        "parent": {
            "id": record.id,
            "pids": {"doi": {"identifier": record.concept_doi, "provider": ctx.pids.name}}
            if record.concept_doi
            else {},
            "access": {"owned_by": {"user": record.owner_id}},
        },
        "pids": {"doi": {"identifier": version.doi, "provider": ctx.pids.name}}
        if version.doi
        else {},
        "metadata": version.metadata_json,
        "files": files_json(ctx, version),
        "access": {"record": "public", "files": "public"},
        "status": version.state.value,
        "is_draft": not published,
        "is_published": published,
        "is_demo": record.is_demo,
        "versions": {"index": version.index, "is_latest": record.latest_version_id == version.id},
        "revision_id": version.revision,
        "created": _iso(version.created_at),
        "updated": _iso(version.updated_at),
        "publication_date": _iso(version.published_at),
        "links": links,
    }
    if version.pending_metadata is not None:
        body["pending_correction"] = version.pending_metadata
    if request is not None:
        body["review"] = {
            "id": request.id,
            "type": request.type.value,
            "status": request.status.value,
            "links": {"self": ctx.url(f"/api/requests/{request.id}")},
        }
    if include_errors and not published:
        body["errors"] = [
            {"field": e.field, "messages": [e.message]} for e in publishable_errors(version)
        ]
    return body


__all__ = ["file_json", "files_json", "version_json"]
