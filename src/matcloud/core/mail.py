"""Notifications by e-mail through an outbox.

A service adds a message in the same unit of work as the event it reports (so a rolled-back
event sends nothing), and a job delivers it after the commit: over SMTP when ``smtp_url`` is
set, otherwise it is marked "logged" and stays readable by admins (embedded mode).
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from urllib.parse import urlparse

from sqlalchemy import select

from matcloud.core.db import Database, UnitOfWork, utcnow
from matcloud.core.jobs import JobQueue
from matcloud.core.models import OutboxMessage, Role, User
from matcloud.settings import Settings

log = logging.getLogger(__name__)
SEND_JOB = "core.send_mail"


@dataclass(frozen=True)
class OutboxView:
    id: int
    to: str
    subject: str
    body: str
    created_at: datetime
    delivery: str
    sent_at: datetime | None


class Mailer:
    def __init__(self, settings: Settings, db: Database, jobs: JobQueue) -> None:
        self.settings = settings
        self.db = db
        self.jobs = jobs
        jobs.register(SEND_JOB, self._deliver, retries=5, retry_delay=30, backoff=2.0)

    def queue(self, uow: UnitOfWork, to: str, subject: str, body: str) -> None:
        message = OutboxMessage(to_addr=to, subject=subject[:300], body=body)
        uow.session.add(message)
        uow.session.flush()
        self.jobs.enqueue_after_commit(uow, SEND_JOB, message.id)

    def queue_for_role(self, uow: UnitOfWork, role: Role, subject: str, body: str) -> None:
        """One message to every active account holding ``role`` or a higher one."""
        roles = [r for r in Role if r.rank >= role.rank]
        addresses = uow.session.scalars(
            select(User.email).where(User.role.in_(roles), User.is_active.is_(True))
        ).all()
        for address in addresses:
            self.queue(uow, address, subject, body)

    def _deliver(self, message_id: int) -> None:
        with self.db.unit_of_work() as uow:
            message = uow.session.get(OutboxMessage, message_id)
            if message is None or message.sent_at is not None:
                return
            if self.settings.smtp_url:
                self._send_smtp(message)
                message.delivery = "smtp"
            else:
                log.info(
                    "mail (no SMTP configured)",
                    extra={"to": message.to_addr, "subject": message.subject},
                )
                message.delivery = "logged"
            message.sent_at = utcnow()

    def _send_smtp(self, message: OutboxMessage) -> None:
        assert self.settings.smtp_url
        url = urlparse(self.settings.smtp_url)
        email = EmailMessage()
        email["From"] = self.settings.mail_from
        email["To"] = message.to_addr
        email["Subject"] = message.subject
        email.set_content(message.body)
        smtp_class = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
        with smtp_class(url.hostname or "localhost", url.port or 25, timeout=30) as smtp:
            if url.scheme == "smtp+starttls":
                smtp.starttls()
            if url.username:
                smtp.login(url.username, url.password or "")
            smtp.send_message(email)

    def recent(self, limit: int = 100, to: str | None = None) -> list[OutboxView]:
        with self.db.read() as session:
            query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
            if to:
                query = query.where(OutboxMessage.to_addr == to)
            return [
                OutboxView(m.id, m.to_addr, m.subject, m.body, m.created_at, m.delivery, m.sent_at)
                for m in session.scalars(query)
            ]


__all__ = ["Mailer", "OutboxView"]
