"""What a browser test gets: the address of a running site and an account on it."""

from __future__ import annotations

from dataclasses import dataclass

from matcloud.settings import Settings


@dataclass
class LiveSite:
    url: str
    settings: Settings
    user_email: str
    password: str
