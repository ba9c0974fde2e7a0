"""``matcloud export-static DIR``: landing pages that outlive the platform.

A self-contained static site — an index, one page per published record version (and per
record, for its latest version), tombstones for removed versions — with the metadata, the
citation, the JSON-LD and the meta tags, and links to the files on a configurable file host.
Any web server (or a DOI pointed at a mirror) serves it without the application.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from sqlalchemy import select

from matcloud.archive.exports import json_ld_script
from matcloud.archive.markdown import render_markdown
from matcloud.archive.models import Version, VersionState
from matcloud.archive.serializers import bibtex, citation, dublincore
from matcloud.archive.service import ArchiveService
from matcloud.core.auth import ANONYMOUS
from matcloud.core.errors import Gone

TEMPLATES = Path(__file__).parent / "templates" / "archive" / "static"
CSS = Path(__file__).parents[1] / "web" / "static" / "css" / "matcloud.css"


@dataclass(frozen=True)
class ExportReport:
    directory: str
    pages: int
    tombstones: int


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def export_static(
    archive: ArchiveService, out_dir: Path, files_url: str | None = None
) -> ExportReport:
    """Write the site into ``out_dir`` (pages are replaced atomically, one by one)."""
    env = _environment()
    site = archive.ctx.settings.site_name
    files_base = (files_url or archive.ctx.url("/api/records")).rstrip("/")
    with archive.ctx.db.read() as session:
        ids = session.scalars(
            select(Version.id)
            .where(Version.state.in_([VersionState.PUBLISHED, VersionState.RETRACTED]))
            .order_by(Version.record_id, Version.index)
        ).all()
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(CSS, out_dir / "matcloud.css")
    landing = env.get_template("landing.html")
    tombstone = env.get_template("tombstone.html")
    listed: list[dict[str, Any]] = []
    pages = tombstones = 0
    for version_id in ids:
        try:
            record = archive.records.get(ANONYMOUS, version_id)
        except Gone as gone:
            _write(
                out_dir / "records" / version_id / "index.html",
                tombstone.render(site=site, stone=gone.tombstone, root="../../"),
            )
            tombstones += 1
            continue
        files = [
            {
                "key": f["key"],
                "size": f["size"],
                "sha256": f["sha256"],
                "url": f"{files_base}/{record['id']}/files/{quote(f['key'])}/content",
            }
            for f in record["files"]["entries"]
        ]
        text = landing.render(
            site=site,
            record=record,
            meta=record["metadata"],
            files=files,
            description=render_markdown(record["metadata"].get("description", "")),
            citation=citation.serialize(record),
            bibtex=bibtex.serialize(record),
            dc_meta=dublincore.meta_tags(record),
            json_ld=json_ld_script(record),
            live_url=record["links"]["self_html"],
            root="../../",
        )
        _write(out_dir / "records" / version_id / "index.html", text)
        pages += 1
        if record["versions"]["is_latest"]:
            concept = record["parent"]["id"]
            _write(out_dir / "records" / concept / "index.html", text)
            pages += 1
            listed.append(
                {
                    "id": concept,
                    "title": record["metadata"].get("title", concept),
                    "doi": record["pids"].get("doi", {}).get("identifier"),
                    "date": record["metadata"].get("publication_date", ""),
                }
            )
    _write(
        out_dir / "index.html",
        env.get_template("index.html").render(site=site, records=listed, root=""),
    )
    _write(out_dir / "records.json", json.dumps(listed, indent=1))
    return ExportReport(str(out_dir), pages, tombstones)


__all__ = ["ExportReport", "export_static"]
