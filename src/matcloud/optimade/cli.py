"""``matcloud optimade ...``: maintain the structure index behind the OPTIMADE API."""

from __future__ import annotations

from typing import Any

import click


@click.group()
def optimade() -> None:
    """OPTIMADE: the structure index."""


@optimade.command("reindex")
@click.pass_obj
def reindex_command(ctx: Any) -> None:
    """Rebuild the structure index from every published record."""
    from matcloud.core.instance import Instance
    from matcloud.platform import Platform

    instance = Instance.open(ctx.settings(job_queue="immediate"))
    try:
        platform = Platform.build(instance)
        try:
            done = platform.structures.reindex()
        finally:
            platform.close()
    finally:
        instance.close()
    click.echo(f"{done['structures']:,} structures from {done['versions']:,} published versions")


__all__ = ["optimade"]
