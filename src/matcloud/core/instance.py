"""One matcloud instance: its settings and the backends built from them.

The web app, the command line and the worker all open an :class:`Instance`; nothing is a
module-level global, so tests can run two instances side by side.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from matcloud.core import migrate
from matcloud.core.auth import AuthService
from matcloud.core.db import Database
from matcloud.core.errors import Conflict
from matcloud.core.jobs import JobQueue
from matcloud.core.mail import Mailer
from matcloud.core.models import Role
from matcloud.core.storage import BlobStore, open_blob_store
from matcloud.settings import Settings


@dataclass
class Instance:
    settings: Settings
    db: Database
    blobs: BlobStore
    jobs: JobQueue
    auth: AuthService
    mail: Mailer
    secret_key: str = field(repr=False)

    @classmethod
    def open(cls, settings: Settings) -> Instance:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db = Database(settings.resolved_database_url)
        jobs = JobQueue(settings, db)
        return cls(
            settings=settings,
            db=db,
            blobs=open_blob_store(settings),
            jobs=jobs,
            mail=Mailer(settings, db, jobs),
            auth=AuthService(
                db,
                session_days=settings.session_days,
                max_failures=settings.login_max_failures,
                max_failures_per_address=settings.login_max_failures_per_address,
                window_seconds=settings.login_window_seconds,
            ),
            secret_key=settings.load_secret_key(),
        )

    def close(self) -> None:
        self.jobs.close()
        self.db.dispose()


@dataclass(frozen=True)
class InitReport:
    data_dir: str
    database: str
    revision: str | None
    admin_email: str | None
    admin_password: str | None  # shown once, only when the admin was made now


def init_instance(settings: Settings, admin_email: str = "admin@localhost") -> InitReport:
    """Create the data dir, secret key, database schema and first admin; safe to run again."""
    instance = Instance.open(settings)
    try:
        migrate.upgrade(instance.db)
        password: str | None = None
        email: str | None = None
        if instance.auth.count_users() == 0:
            password = secrets.token_urlsafe(12)
            try:
                instance.auth.create_user(
                    None, admin_email, "Administrator", password=password, role=Role.ADMIN
                )
                email = admin_email
            except Conflict:  # another process won the race
                password = None
        return InitReport(
            data_dir=str(settings.data_dir),
            database=instance.db.url.render_as_string(hide_password=True),
            revision=migrate.current_revision(instance.db),
            admin_email=email,
            admin_password=password,
        )
    finally:
        instance.close()


__all__ = ["InitReport", "Instance", "init_instance"]
