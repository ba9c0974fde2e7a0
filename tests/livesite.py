"""What a browser test gets: the address of a running site and an account on it."""

from __future__ import annotations

import socket
from dataclasses import dataclass

from matcloud.settings import Settings


@dataclass
class LiveSite:
    url: str
    settings: Settings
    user_email: str
    password: str


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
