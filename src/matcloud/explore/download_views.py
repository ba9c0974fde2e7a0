"""Downloads cut from an archive: the provenance of one node as a new ``.aiida`` file."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from matcloud.core.errors import NotFound
from matcloud.explore.provenance import write_provenance
from matcloud.explore.service import ExploreService

router = APIRouter(tags=["explore"])
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@router.get("/explore/{archive}/nodes/{uuid}/provenance.aiida", name="explore_provenance")
async def provenance_archive(request: Request, archive: str, uuid: str) -> FileResponse:
    """The node and its provenance (aiida-core's export rules) as an archive to import."""
    if not UUID.match(uuid):
        raise NotFound(f"There is no node {uuid!r} in this archive.")
    service: ExploreService = request.app.state.explore
    source = service.source(archive)
    work = service.root / ".downloads"
    work.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix="provenance-", suffix=".aiida", dir=work)
    path = Path(name)
    try:
        os.close(handle)
        summary = await run_in_threadpool(write_provenance, source, uuid, path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return FileResponse(
        path,
        media_type="application/zip",
        filename=f"provenance-{uuid[:8]}.aiida",
        headers={"X-Provenance-Nodes": str(summary["nodes"])},
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


__all__ = ["router"]
