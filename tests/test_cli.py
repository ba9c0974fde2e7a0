"""The ``matcloud`` command, run as a user would (a real process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from learn_helpers import MISSING
from matcloud.core import migrate
from matcloud.core.auth import AuthService
from matcloud.core.db import Database
from matcloud.settings import Settings


def run(settings: Settings, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "MATCLOUD_DATA_DIR": str(settings.data_dir),
        "MATCLOUD_DATABASE_URL": settings.resolved_database_url,
    }
    return subprocess.run(
        [sys.executable, "-m", "matcloud.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
    )


def test_help_lists_the_commands(settings: Settings) -> None:
    out = run(settings, "--help").stdout
    for command in ["init", "serve", "worker", "user", "token", "db", "demo"]:
        assert f"  {command} " in out


def test_init_is_idempotent_and_shows_the_password_once(settings: Settings) -> None:
    first = run(settings, "init").stdout
    assert "Admin account admin@localhost, password: " in first
    password = first.split("password: ")[1].split()[0]
    second = run(settings, "init").stdout
    assert "password" not in second
    assert f"at revision {migrate.head_revision()}" in second
    db = Database(settings.resolved_database_url)
    try:
        new = AuthService(db).sign_in("admin@localhost", password, address="cli")
        assert new.identity.role.value == "admin"
    finally:
        db.dispose()
    assert (settings.data_dir / "secret_key").exists()


def test_user_and_token_create(settings: Settings) -> None:
    run(settings, "init")
    made = run(settings, "user", "create", "mod@example.org", "--role", "moderator").stdout
    assert "Created mod@example.org (moderator)" in made
    assert "Password (shown once): " in made
    token = run(settings, "token", "create", "mod@example.org").stdout.strip().splitlines()[-1]
    db = Database(settings.resolved_database_url)
    try:
        identity = AuthService(db).identity_from_token(token)
        assert identity is not None and identity.email == "mod@example.org"
    finally:
        db.dispose()


def test_cli_errors_are_clear(settings: Settings) -> None:
    run(settings, "init")
    duplicate = run(settings, "user", "create", "admin@localhost", check=False)
    assert duplicate.returncode == 1
    assert "exists already" in duplicate.stderr
    bad = run(settings, "user", "create", "nope", "--password", "short", check=False)
    assert bad.returncode == 1 and "email: is not an e-mail address" in bad.stderr
    missing = run(settings, "token", "create", "ghost@example.org", check=False)
    assert missing.returncode == 1 and "No account for ghost@example.org" in missing.stderr


def test_db_upgrade_and_current(settings: Settings) -> None:
    out = run(settings, "db", "upgrade").stdout
    head = migrate.head_revision()
    assert f"at revision {head}" in out
    current = run(settings, "db", "current").stdout
    assert f"current: {head}" in current and f"head:    {head}" in current


def test_demo_is_idempotent_and_labelled(settings: Settings) -> None:
    run(settings, "init")
    db = Database(settings.resolved_database_url)
    first = run(settings, "demo").stdout
    assert first.count("password (shown once)") == 2
    assert first.count("demo record ") == 6  # the four records, and the two of DISCOVER
    assert "demo section /discover/demo-frameworks (70,000 rows): built" in first
    assert "demo section /discover/demo-idcards (5 rows): built" in first
    second = run(settings, "demo").stdout
    lecture = "demo lecture /learn/lectures/2020-10-20-band-structures-in-60-seconds-demo"
    if not MISSING:
        assert f"{lecture}: 8 slides" in first
        assert f"{lecture} exists" in second
    assert "password" not in second and second.count("exist") == (3 if MISSING else 4)
    assert "demo section /discover/demo-frameworks (70,000 rows): up to date" in second
    assert "demo section /discover/demo-idcards (5 rows): up to date" in second
    from sqlalchemy import select

    from matcloud.archive.models import Record
    from matcloud.explore.models import ExploreArchive

    try:
        with db.read() as session:
            demo = session.scalars(select(Record.is_demo)).all()
            browsable = session.scalars(select(ExploreArchive.status)).all()
        assert demo == [True] * 6
        assert browsable == ["ready"] * 2  # the demo AiiDA archives, indexed on publication
    finally:
        db.dispose()


@pytest.mark.parametrize("command", [["serve", "--help"], ["worker", "--help"]])
def test_long_running_commands_have_help(settings: Settings, command: list[str]) -> None:
    assert "Usage:" in run(settings, *command).stdout


def test_data_dir_option(tmp_path: Path, settings: Settings) -> None:
    target = tmp_path / "other"
    env_settings = settings.model_copy(update={"data_dir": target})
    proc = subprocess.run(
        [sys.executable, "-m", "matcloud.cli", "--data-dir", str(target), "db", "upgrade"],
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("MATCLOUD_")},
    )
    assert proc.returncode == 0, proc.stderr
    assert (env_settings.data_dir / "matcloud.db").exists()


def test_serve_answers_and_stops_cleanly(settings: Settings) -> None:
    """`matcloud serve` as `make run` starts it: the site answers, Ctrl-C stops it."""
    import signal
    import socket
    import time

    import httpx

    run(settings, "init")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "MATCLOUD_DATA_DIR": str(settings.data_dir),
        "MATCLOUD_DATABASE_URL": settings.resolved_database_url,
        "MATCLOUD_LOG_FORMAT": "json",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "matcloud.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        health = None
        while time.monotonic() < deadline and health is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            except httpx.HTTPError:
                time.sleep(0.2)
        assert health is not None and health.json()["status"] == "ok"
        home = httpx.get(f"http://127.0.0.1:{port}/")
        assert home.status_code == 200 and "ARCHIVE" in home.text
    finally:
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    assert '"path": "/healthz"' in stderr  # structured request log lines


def test_discover_add_names_every_mistake_then_builds(settings: Settings, tmp_path: Path) -> None:
    run(settings, "init")
    run(settings, "demo")  # publishes the demo record the spec below reads
    db = Database(settings.resolved_database_url)
    from sqlalchemy import select

    from matcloud.archive.models import Version

    try:
        with db.read() as session:
            version = session.scalars(
                select(Version.record_id).where(Version.metadata_json["title"].as_string()
                                                .startswith("Demo: lattice constants"))
            ).one()  # fmt: skip
    finally:
        db.dispose()
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "slug: lattice\ntitle: Lattice constants\nauthors: [{name: A}]\n"
        f'sources: [{{record: "{version}"}}]\nrows: {{table: lattice_constants.csv}}\n'
        "columns:\n  - {name: material, type: text}\n  - {name: a, type: number, from: Nope}\n"
    )
    failed = run(settings, "discover", "add", str(spec), check=False)
    assert failed.returncode == 2
    assert "columns[0].type:" in failed.stderr and "'number', 'integer'" in failed.stderr
    spec.write_text(
        "slug: lattice\ntitle: Lattice constants\nauthors: [{name: A}]\n"
        f'sources: [{{record: "{version}"}}]\nrows: {{table: lattice_constants.csv}}\n'
        "columns:\n  - {name: material, type: string}\n"
        "  - {name: a, type: number, unit: Å, from: a_angstrom}\n"
    )
    built = run(settings, "discover", "add", str(spec), check=False)
    assert built.returncode == 0, built.stderr
    assert "lattice: built" in built.stdout and "/discover/lattice" in built.stdout
    again = run(settings, "discover", "add", str(spec))
    assert "lattice: unchanged" in again.stdout


@pytest.mark.skipif(bool(MISSING), reason="needs Debian's ffmpeg and poppler-utils")
def test_learn_add(settings: Settings, tmp_path: Path) -> None:
    from matcloud.learn.demo_media import make_demo_lecture

    run(settings, "init")
    made = make_demo_lecture(tmp_path)
    timings = tmp_path / "t.csv"
    timings.write_text("slide,start\n1,0\n2,10\n")
    args = ["learn", "add", "--video", str(made.video), "--slides", str(made.pdf),
            "--title", "A lecture", "--speaker", "Ada; EPFL", "--date", "2026-01-02",
            "--topic", "DFT"]  # fmt: skip
    out = run(settings, *args, "--timings", str(timings)).stdout
    assert "2026-01-02-a-lecture: 8 slides, 2 slide changes (file)" in out
    again = run(settings, *args, check=False)
    assert again.returncode == 2 and "already a lecture" in again.stderr
    wrong = run(settings, *args[:-4], "--date", "2026-13-40", "--slides", str(made.video),
                check=False)  # fmt: skip
    assert wrong.returncode == 2 and "error:" in wrong.stderr
