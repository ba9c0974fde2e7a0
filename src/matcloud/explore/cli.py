"""``matcloud explore ...``: index AiiDA archives on this machine and list what is browsable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


@click.group()
def explore() -> None:
    """EXPLORE: the provenance graphs of AiiDA archives."""


@explore.command("index")
@click.argument("archive", type=click.Path(exists=True, path_type=Path))
@click.pass_obj
def index_command(ctx: Any, archive: Path) -> None:
    """Index ARCHIVE (an .aiida file, or an unzipped archive folder) and print its URL."""
    from matcloud.core.errors import MatcloudError
    from matcloud.core.instance import Instance
    from matcloud.explore.service import ExploreService

    settings = ctx.settings(job_queue="immediate")
    instance = Instance.open(settings)
    try:
        service = ExploreService(settings, instance.db, instance.blobs, instance.jobs)
        try:
            body = service.index_local(archive)
        except MatcloudError as error:
            raise click.ClickException(error.detail) from error
        finally:
            service.close()
    finally:
        instance.close()
    if body["status"] != "ready":
        raise click.ClickException(f"{archive.name} is not browsable: {body['error']}")
    stats = body["statistics"]
    click.echo(
        f"{archive.name}: {stats['nodes']:,} nodes, {stats['links']:,} links, "
        f"{stats['groups']:,} groups (AiiDA {body['aiida_version']}, "
        f"export {body['export_version']}) indexed in {body['index_seconds']:.2f} s"
    )
    click.echo(settings.base_url.rstrip("/") + body["links"]["self_html"])


__all__ = ["explore"]
