"""The ``matcloud`` command. Each section adds its own sub-commands to this group."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from matcloud import __version__
from matcloud.archive.cli import archive
from matcloud.core.errors import MatcloudError
from matcloud.core.models import Role
from matcloud.discover.cli import discover
from matcloud.explore.cli import explore
from matcloud.learn.cli import learn
from matcloud.optimade.cli import optimade
from matcloud.settings import Settings


class Context:
    """Settings for the commands, built lazily so that ``--help`` works anywhere."""

    def __init__(self, data_dir: Path | None) -> None:
        self.data_dir = data_dir

    def settings(self, **overrides: Any) -> Settings:
        if self.data_dir is not None:
            overrides.setdefault("data_dir", self.data_dir)
        return Settings(**overrides)


pass_context = click.make_pass_decorator(Context)


def fail(error: MatcloudError) -> None:
    message = error.detail
    errors = getattr(error, "errors", [])
    for e in errors:
        message += f"\n  {e.field}: {e.message}"
    raise click.ClickException(message)


@click.group()
@click.version_option(__version__, prog_name="matcloud")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Instance directory (default: $MATCLOUD_DATA_DIR or ./instance).",
)
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None) -> None:
    """matcloud: an open-science platform for computational materials science."""
    ctx.obj = Context(data_dir)


@main.command()
@click.option("--admin-email", default="admin@localhost", show_default=True)
@pass_context
def init(ctx: Context, admin_email: str) -> None:
    """Create the data dir, secret key, database and first admin (idempotent)."""
    from matcloud.core.instance import init_instance

    report = init_instance(ctx.settings(), admin_email=admin_email)
    click.echo(f"Instance in {report.data_dir}")
    click.echo(f"Database {report.database} at revision {report.revision}")
    if report.admin_password:
        click.secho(
            f"Admin account {report.admin_email}, password: {report.admin_password}\n"
            "  (shown only this once: write it down, or set another with "
            "`matcloud user password`)",
            fg="yellow",
        )


@main.command()
@click.option(
    "--host", default=lambda: os.environ.get("MATCLOUD_HOST", "127.0.0.1"), show_default="127.0.0.1"
)
@click.option(
    "--port",
    type=int,
    default=lambda: int(os.environ.get("MATCLOUD_PORT", "8000")),
    show_default="8000",
)
@click.option(
    "--workers/--no-workers",
    "run_worker",
    default=True,
    help="Run the job worker inside the server (default) or not.",
)
@pass_context
def serve(ctx: Context, host: str, port: int, run_worker: bool) -> None:
    """Serve the site and the API, with an in-process job worker."""
    import uvicorn

    from matcloud.app import create_app
    from matcloud.core.logs import configure_logging

    settings = ctx.settings()
    configure_logging(settings.log_format, settings.log_level)
    app = create_app(settings, run_worker=run_worker)
    click.echo(f"Serving {settings.site_name} at http://{host}:{port}", err=True)
    uvicorn.run(app, host=host, port=port, log_config=None, proxy_headers=True)


@main.command()
@click.option("--threads", type=int, default=None, help="Worker threads (default: settings).")
@pass_context
def worker(ctx: Context, threads: int | None) -> None:
    """Run a job worker in the foreground (scaled-out mode)."""
    from matcloud.core.instance import Instance
    from matcloud.core.logs import configure_logging

    settings = ctx.settings()
    configure_logging(settings.log_format, settings.log_level)
    from matcloud.platform import Platform

    instance = Instance.open(settings)
    Platform.build(instance)  # registers every section's jobs
    try:
        instance.jobs.run_worker(threads or settings.worker_threads)
    finally:
        instance.close()


@main.command()
@pass_context
def demo(ctx: Context) -> None:
    """Load the demo content of every installed section (idempotent, labelled as demo)."""
    from matcloud.core.instance import Instance
    from matcloud.demo import load_demo
    from matcloud.platform import Platform

    instance = Instance.open(ctx.settings(job_queue="immediate"))
    try:
        for line in load_demo(Platform.build(instance)):
            click.echo(line)
    finally:
        instance.close()


@main.command("export-static")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--files-url",
    default=None,
    help="Where the files are served from (default: this instance's API).",
)
@pass_context
def export_static_command(ctx: Context, directory: Path, files_url: str | None) -> None:
    """Write the static landing-page site (index, landing pages, tombstones) into DIRECTORY."""
    from matcloud.archive.static_site import export_static
    from matcloud.core.instance import Instance
    from matcloud.platform import Platform

    instance = Instance.open(ctx.settings())
    try:
        report = export_static(Platform.build(instance).archive, directory, files_url)
    finally:
        instance.close()
    click.echo(
        f"Wrote {report.pages} landing pages and {report.tombstones} tombstones to "
        f"{report.directory}"
    )


@main.group()
def user() -> None:
    """Manage accounts."""


@user.command("create")
@click.argument("email")
@click.option("--name", default=None, help="Display name (default: the e-mail's local part).")
@click.option(
    "--role", type=click.Choice([r.value for r in Role]), default="user", show_default=True
)
@click.option("--password", default=None, help="Default: a random one, printed once.")
@click.option("--orcid", default=None, help="ORCID iD, e.g. 0000-0002-1825-0097.")
@pass_context
def user_create(
    ctx: Context,
    email: str,
    name: str | None,
    role: str,
    password: str | None,
    orcid: str | None,
) -> None:
    """Make an account."""
    import secrets

    from matcloud.core.instance import Instance

    generated = password is None
    password = password or secrets.token_urlsafe(12)
    instance = Instance.open(ctx.settings())
    try:
        made = instance.auth.create_user(
            None,
            email,
            name or email.split("@")[0],
            password=password,
            role=Role(role),
            orcid=orcid,
        )
    except MatcloudError as error:
        fail(error)
    finally:
        instance.close()
    click.echo(f"Created {made.email} ({made.role.value})")
    if generated:
        click.echo(f"Password (shown once): {password}")


@user.command("password")
@click.argument("email")
@click.password_option()
@pass_context
def user_password(ctx: Context, email: str, password: str) -> None:
    """Set an account's password (signs it out everywhere)."""
    from matcloud.core.instance import Instance

    instance = Instance.open(ctx.settings())
    try:
        instance.auth.set_password(email, password)
    except MatcloudError as error:
        fail(error)
    finally:
        instance.close()
    click.echo(f"Password of {email} changed.")


@main.group()
def token() -> None:
    """Manage personal API tokens."""


@token.command("create")
@click.argument("email")
@click.option("--name", default="cli", show_default=True)
@pass_context
def token_create(ctx: Context, email: str, name: str) -> None:
    """Print a new API token for EMAIL (the last line of output is the token)."""
    from matcloud.core.instance import Instance

    instance = Instance.open(ctx.settings())
    try:
        new = instance.auth.create_token(None, email, name)
    except MatcloudError as error:
        fail(error)
    finally:
        instance.close()
    click.echo(f"Token '{new.name}' for {email} (shown once, stored hashed):", err=True)
    click.echo(new.secret)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@pass_context
def db_upgrade(ctx: Context, revision: str) -> None:
    """Apply migrations."""
    from matcloud.core import migrate
    from matcloud.core.db import Database

    settings = ctx.settings()
    database = Database(settings.resolved_database_url)
    try:
        migrate.upgrade(database, revision)
        click.echo(f"Database at revision {migrate.current_revision(database)}")
    finally:
        database.dispose()


@db.command("current")
@pass_context
def db_current(ctx: Context) -> None:
    """Show the database's revision and the newest one."""
    from matcloud.core import migrate
    from matcloud.core.db import Database

    database = Database(ctx.settings().resolved_database_url)
    try:
        click.echo(f"current: {migrate.current_revision(database)}")
        click.echo(f"head:    {migrate.head_revision()}")
    finally:
        database.dispose()


main.add_command(archive)
main.add_command(explore)
main.add_command(optimade)
main.add_command(discover)
main.add_command(learn)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
