"""The database layer: SQLite pragmas, units of work, concurrency, UTC datetimes, migrations."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from matcloud.core import migrate
from matcloud.core.db import Database, utcnow
from matcloud.core.models import User


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("SQLite only")
    with db.read() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA busy_timeout")).scalar() == 30000
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_unit_of_work_commits_or_rolls_back_whole(db: Database) -> None:
    with db.unit_of_work() as uow:
        uow.session.add(User(email="a@example.org", name="A"))
    with pytest.raises(RuntimeError), db.unit_of_work() as uow:
        uow.session.add(User(email="b@example.org", name="B"))
        uow.session.flush()
        raise RuntimeError("crash mid-transaction")
    with db.read() as session:
        assert session.scalars(select(User.email)).all() == ["a@example.org"]


def test_after_commit_runs_only_after_a_commit(db: Database) -> None:
    ran: list[str] = []
    with db.unit_of_work() as uow:
        uow.after_commit(lambda: ran.append("committed"))
        assert ran == []
    assert ran == ["committed"]
    with pytest.raises(ValueError), db.unit_of_work() as uow:
        uow.after_commit(lambda: ran.append("never"))
        raise ValueError
    assert ran == ["committed"]


def test_a_failing_after_commit_action_does_not_undo_the_commit(db: Database) -> None:
    def broken() -> None:
        raise OSError("queue down")

    with db.unit_of_work() as uow:
        uow.session.add(User(email="a@example.org", name="A"))
        uow.after_commit(broken)
    with db.read() as session:
        assert session.scalar(select(User.email)) == "a@example.org"


def test_concurrent_writers_all_succeed(db: Database) -> None:
    """Many threads writing at once: none fails with 'database is locked'."""
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(10):
                with db.unit_of_work() as uow:
                    count = len(uow.session.scalars(select(User.id)).all())
                    uow.session.add(User(email=f"u{n}-{i}@example.org", name=str(count)))
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with db.read() as session:
        assert len(session.scalars(select(User.id)).all()) == 60


def test_concurrent_processes_share_the_sqlite_file(db: Database) -> None:
    """Two Database objects on one file (as two processes would be) interleave writes."""
    if not db.is_sqlite:
        pytest.skip("SQLite only")
    other = Database(db.url.render_as_string(hide_password=False))
    try:
        with db.unit_of_work() as uow:
            uow.session.add(User(email="a@example.org", name="A"))
        with other.unit_of_work() as uow:
            uow.session.add(User(email="b@example.org", name="B"))
        with db.read() as session:
            assert len(session.scalars(select(User.id)).all()) == 2
    finally:
        other.dispose()


def test_datetimes_come_back_as_aware_utc(db: Database) -> None:
    zurich = timezone(timedelta(hours=1))
    moment = datetime(2026, 11, 25, 17, 30, 0, tzinfo=zurich)
    with db.unit_of_work() as uow:
        uow.session.add(User(email="a@example.org", name="A", created_at=moment))
    with db.read() as session:
        stored = session.scalar(select(User.created_at))
    assert stored == moment and stored is not None and stored.tzinfo == UTC
    assert stored.hour == 16


def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"), db.unit_of_work() as uow:
        uow.session.add(User(email="a@example.org", name="A", created_at=datetime(2026, 1, 1)))
        uow.session.flush()


def test_migrations_are_idempotent_and_at_head(db: Database) -> None:
    migrate.upgrade(db)
    assert migrate.current_revision(db) == migrate.head_revision()


def test_migrations_go_down_and_up_again(db: Database) -> None:
    migrate.downgrade(db, "base")
    assert migrate.current_revision(db) is None
    migrate.upgrade(db)
    assert migrate.current_revision(db) == migrate.head_revision()


def test_models_match_the_migrations(db: Database) -> None:
    """No table or column is in the models without a migration (autogenerate finds nothing)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        diff = compare_metadata(context, migrate.target_metadata())
    assert [d for d in diff if not migrate.is_backend_specific(d)] == []


def test_utcnow_is_aware() -> None:
    assert utcnow().tzinfo == UTC
