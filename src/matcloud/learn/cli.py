"""``matcloud learn ...``: add lectures from files on this machine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
def learn() -> None:
    """LEARN: lectures with video and slides in sync."""


@learn.command("add")
@click.option(
    "--video",
    "videos",
    type=FILE,
    multiple=True,
    required=True,
    help="The video: MP4 (H.264) and/or WebM; give both with --video twice.",
)
@click.option("--slides", type=FILE, required=True, help="The slides (PDF).")
@click.option(
    "--timings",
    type=FILE,
    default=None,
    help="A CSV of slide,start (seconds or mm:ss); default: found in the video.",
)
@click.option("--captions", type=FILE, default=None, help="Captions (WebVTT).")
@click.option("--title", required=True)
@click.option(
    "--speaker",
    "speakers",
    multiple=True,
    required=True,
    help='"Name" or "Name; Affiliation"; repeat for several.',
)
@click.option("--date", "held_on", required=True, help="YYYY-MM-DD")
@click.option("--series", default="")
@click.option("--topic", "topics", multiple=True, help="Repeat for several.")
@click.option("--description", default="", help="Markdown.")
@click.option("--licence", default="cc-by-4.0", show_default=True)
@click.option("--as", "email", default=None, help="Act as this admin (default: the first).")
@click.pass_obj
def add_command(
    ctx: Any,
    videos: tuple[Path, ...],
    slides: Path,
    timings: Path | None,
    captions: Path | None,
    title: str,
    speakers: tuple[str, ...],
    held_on: str,
    series: str,
    topics: tuple[str, ...],
    description: str,
    licence: str,
    email: str | None,
) -> None:
    """Add a lecture: its files are checked, its slides rendered and its timings read or
    found, then it is published at /learn/lectures/<date>-<title>."""  # fmt: skip
    from matcloud.core.errors import MatcloudError, ValidationFailed
    from matcloud.core.instance import Instance
    from matcloud.learn.meta import speakers_from_lines
    from matcloud.platform import Platform

    meta = {
        "title": title,
        "speakers": speakers_from_lines(speakers),
        "date": held_on,
        "series": series,
        "topics": list(topics),
        "description": description,
        "licence": licence,
    }
    instance = Instance.open(ctx.settings(job_queue="immediate"))  # the timings, found now
    try:
        platform = Platform.build(instance)
        auth = instance.auth
        identity = auth.get_user(email) if email else auth.first_admin()
        try:
            lecture = platform.learn.add(
                identity,
                meta,
                videos=[(v, v.name) for v in videos],
                slides=(slides, slides.name),
                timings_csv=timings.read_text(encoding="utf-8-sig") if timings else None,
                captions=captions.read_bytes() if captions else None,
            )
        except ValidationFailed as error:
            click.echo(f"error: {error.detail}", err=True)
            for problem in error.errors:
                click.echo(f"  {problem.field}: {problem.message}", err=True)
            raise SystemExit(2) from None
        except MatcloudError as error:
            click.echo(f"error: {error.detail}", err=True)
            raise SystemExit(2) from None
        finally:
            platform.close()
    finally:
        instance.close()
    click.echo(
        f"{lecture['slug']}: {lecture['slide_count']} slides, {len(lecture['timings'])} slide "
        f"changes ({lecture['timings_source']}), {lecture['duration']:.0f} s -> {lecture['url']}"
    )


__all__ = ["learn"]
