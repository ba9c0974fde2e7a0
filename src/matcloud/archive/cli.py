"""``matcloud archive ...``: deposit, publish and fetch files over the REST API of any instance.

These commands talk HTTP only (never the database), so the same commands work against a laptop
instance and a national centre's. Transfers are resumable: when an upload or a download breaks,
running the same command again continues where it stopped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from matcloud.archive.client import ArchiveClient, ClientError, MiB

SIZE = re.compile(r"(\d+)\s*([kmg]?)(?:i?b)?", re.IGNORECASE)
UNITS = {"": 1, "k": 1024, "m": MiB, "g": 1024 * MiB}


def parse_size(text: str) -> int:
    """``64MiB``, ``4M``, ``65536``: a byte count as people write it (binary units)."""
    match = SIZE.fullmatch(text.strip())
    if match is None or int(match[1]) < 1:
        raise click.BadParameter(f"{text!r} is not a size (say 64MiB, 4M or 65536)")
    return int(match[1]) * UNITS[match[2].lower()]


def connection(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--url`` and ``--token`` (or ``MATCLOUD_URL`` / ``MATCLOUD_TOKEN``) on every command."""
    func = click.option(
        "--token",
        envvar="MATCLOUD_TOKEN",
        default=None,
        help="Personal API token (`matcloud token create EMAIL`); or $MATCLOUD_TOKEN.",
    )(func)
    return click.option(
        "--url",
        envvar="MATCLOUD_URL",
        default="http://127.0.0.1:8000",
        show_default=True,
        help="Base URL of the matcloud instance; or $MATCLOUD_URL.",
    )(func)


@contextmanager
def session(url: str, token: str | None, *, signed_in: bool = True) -> Iterator[ArchiveClient]:
    """A client whose refusals end the command with the server's own words and exit code 1."""
    if signed_in and not token:
        raise click.UsageError("Give an API token with --token or $MATCLOUD_TOKEN.")
    try:
        with ArchiveClient(url, token) as client:
            yield client
    except ClientError as error:
        raise click.ClickException(str(error)) from None


@contextmanager
def bars() -> Iterator[Callable[[str, int], Callable[[int, int], None]]]:
    """Rich progress bars on stderr; ``track(name, total)`` returns a client progress callback."""
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(binary_units=True),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    )

    def track(name: str, total: int) -> Callable[[int, int], None]:
        task = progress.add_task(name, total=total)
        return lambda done, size: progress.update(task, completed=done, total=size)

    with progress:
        yield track


@click.group()
def archive() -> None:
    """ARCHIVE: upload, publish and download records over the REST API."""


@archive.command()
@connection
@click.option("--record", "record_id", default=None, help="Upload into this draft (e.g. 2026.7v1).")
@click.option("--new", is_flag=True, help="Create a new draft (needs --metadata).")
@click.option(
    "--metadata",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="JSON file with the new draft's metadata (InvenioRDM shape).",
)
@click.option("--part-size", default="64MiB", show_default=True, help="Multipart part size.")
@click.option("--parallel", type=click.IntRange(1, 32), default=4, show_default=True)
@click.option("--replace", is_flag=True, help="Replace committed files that differ.")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def upload(
    url: str,
    token: str | None,
    record_id: str | None,
    new: bool,
    metadata: Path | None,
    part_size: str,
    parallel: int,
    replace: bool,
    files: tuple[Path, ...],
) -> None:
    """Upload FILES into a draft and print its id; run it again to resume a broken upload."""
    if new == (record_id is not None):
        raise click.UsageError("Say either --record ID or --new --metadata FILE.json.")
    if new and metadata is None:
        raise click.UsageError("--new needs --metadata FILE.json.")
    if record_id is not None and metadata is not None:
        raise click.UsageError("--metadata goes with --new; edit an existing draft on the site.")
    size = parse_size(part_size)
    keys = [f.name for f in files]
    if len(set(keys)) != len(keys):
        raise click.UsageError("Two of the FILES have the same name.")
    with session(url, token) as client:
        if record_id is None:
            assert metadata is not None
            try:
                body = json.loads(metadata.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError) as error:
                raise click.ClickException(f"{metadata} is not JSON: {error}") from None
            if not isinstance(body, dict):
                raise click.ClickException(f"{metadata} must hold a JSON object.")
            record_id = str(client.create_draft(body)["id"])
            click.echo(f"Created draft {record_id}", err=True)
        else:
            client.get_draft(record_id)  # a wrong id or token fails here, before any transfer
        click.echo(record_id)
        with bars() as track:
            for path in files:
                try:
                    client.upload(
                        record_id,
                        path,
                        part_size=size,
                        parallel=parallel,
                        replace=replace,
                        progress=track(path.name, path.stat().st_size),
                    )
                except ClientError as error:
                    broken = error.network or (error.status or 0) >= 500
                    hint = f"\n(run again with --record {record_id} to resume)" if broken else ""
                    raise click.ClickException(f"{path.name}: {error}{hint}") from None
        click.echo(f"Uploaded {len(files)} file(s) to {record_id}.", err=True)


@archive.command()
@connection
@click.argument("record_id", metavar="ID")
@click.option(
    "--confirm-criteria", is_flag=True, help="Confirm the moderation criteria and submit."
)
@click.option("--direct", is_flag=True, help="Publish at once (moderators only).")
@click.option("--comment", default="", help="A note for the moderators.")
def publish(
    url: str, token: str | None, record_id: str, confirm_criteria: bool, direct: bool, comment: str
) -> None:
    """Submit draft ID for review (or, as a moderator, publish it with --direct)."""
    if confirm_criteria and direct:
        raise click.UsageError("Say either --confirm-criteria or --direct, not both.")
    with session(url, token) as client:
        if direct:
            record = client.publish(record_id)
            doi = (record.get("pids") or {}).get("doi", {}).get("identifier")
            click.echo(f"Published {record['id']}" + (f", DOI {doi}" if doi else ""))
            return
        criteria = client.criteria(record_id)
        if not confirm_criteria:
            click.echo("The moderators check that:", err=True)
            for item in criteria:
                click.echo(f"  [{item['id']}] {item['text']}", err=True)
            raise click.ClickException(
                "Not submitted: confirm that the record meets these criteria with "
                "--confirm-criteria (or publish with --direct as a moderator)."
            )
        request = client.submit_review(record_id, {c["id"]: True for c in criteria}, comment)
        click.echo(f"Submitted {record_id} for review (request {request['id']}).")


@archive.command()
@connection
@click.argument("record_id", metavar="ID")
@click.argument("keys", nargs=-1, metavar="[KEY]...")
@click.option(
    "--dest",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Directory to write the files into (made if missing).",
)
def download(
    url: str, token: str | None, record_id: str, keys: tuple[str, ...], dest: Path
) -> None:
    """Download files of record ID (all of them without KEYs), checking each sha256.

    Published records need no token; a broken download resumes when run again."""
    dest.mkdir(parents=True, exist_ok=True)
    with session(url, token, signed_in=False) as client:
        entries = client.get_record(record_id)["files"]["entries"]
        sizes = {e["key"]: int(e["size"] or 0) for e in entries}
        unknown = [k for k in keys if k not in sizes]
        if unknown:
            raise click.ClickException(f"{record_id} has no file(s) {', '.join(unknown)}.")
        with bars() as track:
            for key in keys or tuple(sizes):
                path = client.download(record_id, key, dest, progress=track(key, sizes[key]))
                click.echo(str(path))


__all__ = ["archive", "parse_size"]
