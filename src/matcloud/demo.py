"""Demo content: each installed section contributes a loader; all of it is labelled as demo.

The shell's own loader makes a demo depositor and a demo moderator (with random passwords,
printed once) so that a person can try the deposit and review flows on a fresh instance; the
ARCHIVE's loader publishes a few small demo records in their name.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

from matcloud.core.auth import Identity
from matcloud.core.errors import Conflict
from matcloud.core.models import Role
from matcloud.platform import Platform

DEPOSITOR = "depositor@demo.matcloud.invalid"
MODERATOR = "moderator@demo.matcloud.invalid"
DEMO_ACCOUNTS = [
    (DEPOSITOR, "Demo Depositor", Role.USER),
    (MODERATOR, "Demo Moderator", Role.MODERATOR),
]


def demo_accounts(platform: Platform) -> Iterator[str]:
    auth = platform.instance.auth
    for email, name, role in DEMO_ACCOUNTS:
        password = secrets.token_urlsafe(12)
        try:
            auth.create_user(None, email, name, password=password, role=role, is_demo=True)
        except Conflict:
            yield f"demo account {email} exists"
            continue
        yield f"demo account {email} ({role.value}), password (shown once): {password}"


def _acting(platform: Platform, email: str) -> Identity:
    found = platform.instance.auth.get_user(email)
    return Identity(found.user_id, found.email, found.name, found.role, "cli")


def demo_records(platform: Platform) -> Iterator[str]:
    from matcloud.archive.demo import load_demo_records

    yield from load_demo_records(
        platform.archive, _acting(platform, DEPOSITOR), _acting(platform, MODERATOR)
    )


def demo_sections(platform: Platform) -> Iterator[str]:
    from matcloud.discover.demo import load_demo_sections

    yield from load_demo_sections(
        platform.archive,
        platform.discover,
        _acting(platform, DEPOSITOR),
        _acting(platform, MODERATOR),
        platform.instance.auth.first_admin(),
    )


def demo_lectures(platform: Platform) -> Iterator[str]:
    from matcloud.learn.demo import load_demo_lecture

    yield from load_demo_lecture(platform.learn, platform.instance.auth.first_admin())


def loaders() -> list[Callable[[Platform], Iterator[str]]]:
    """Demo loaders in order; each installed section adds its own here."""
    return [demo_accounts, demo_records, demo_sections, demo_lectures]


def load_demo(platform: Platform) -> Iterator[str]:
    for loader in loaders():
        yield from loader(platform)
