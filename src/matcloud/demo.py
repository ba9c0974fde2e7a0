"""Demo content: each installed section contributes a loader; all of it is labelled as demo.

The shell's own loader makes a demo depositor and a demo moderator (with random passwords,
printed once) so that a person can try the deposit and review flows on a fresh instance.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

from matcloud.core.errors import Conflict
from matcloud.core.instance import Instance
from matcloud.core.models import Role

DEMO_ACCOUNTS = [
    ("depositor@demo.matcloud.invalid", "Demo Depositor", Role.USER),
    ("moderator@demo.matcloud.invalid", "Demo Moderator", Role.MODERATOR),
]


def demo_accounts(instance: Instance) -> Iterator[str]:
    for email, name, role in DEMO_ACCOUNTS:
        password = secrets.token_urlsafe(12)
        try:
            instance.auth.create_user(None, email, name, password=password, role=role, is_demo=True)
        except Conflict:
            yield f"demo account {email} exists"
            continue
        yield f"demo account {email} ({role.value}), password (shown once): {password}"


def loaders() -> list[Callable[[Instance], Iterator[str]]]:
    """Demo loaders in order; each installed section adds its own here."""
    return [demo_accounts]


def load_demo(instance: Instance) -> Iterator[str]:
    for loader in loaders():
        yield from loader(instance)
