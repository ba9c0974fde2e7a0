"""``matcloud discover ...``: build DISCOVER sections from their specs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


@click.group()
def discover() -> None:
    """DISCOVER: curated sections declared in YAML."""


@discover.command("add")
@click.argument("spec", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "email", default=None, help="Act as this admin (default: the first).")
@click.pass_obj
def add_command(ctx: Any, spec: Path, email: str | None) -> None:
    """Check SPEC, build its section from the published records it names, and publish it
    (again: only what changed is rebuilt)."""
    from matcloud.core.errors import ValidationFailed
    from matcloud.core.instance import Instance
    from matcloud.platform import Platform

    instance = Instance.open(ctx.settings(job_queue="immediate"))
    try:
        platform = Platform.build(instance)
        auth = instance.auth
        identity = auth.get_user(email) if email else auth.first_admin()
        try:
            result = platform.discover.add(identity, spec.read_bytes())
        except ValidationFailed as error:
            click.echo(f"error: {error.detail}", err=True)
            for problem in error.errors:
                click.echo(f"  {problem.field}: {problem.message}", err=True)
            raise SystemExit(2) from None
        finally:
            platform.close()
    finally:
        instance.close()
    state = "built" if result["changed"] else "unchanged"
    click.echo(f"{result['slug']}: {state}, {result['rows']:,} rows -> {result['url']}")


__all__ = ["discover"]
