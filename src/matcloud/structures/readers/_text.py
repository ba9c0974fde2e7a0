"""Bytes of an upload -> text a parser may see, refusing what is clearly not a structure file.

Every reader works on an in-memory string, never on a path, so a hostile upload cannot make a
parser open files next to it (ASE's POSCAR reader looks for a POTCAR beside a named file). The
checks here are cheap and come first: size, emptiness, binary content.
"""

from __future__ import annotations

from matcloud.structures.model import StructureError

MAX_FILE_BYTES = 50 * 1024 * 1024
"""Structure files larger than this are refused before parsing (50 MiB)."""

_CONTROL_CHARACTERS = frozenset(range(32)) - {9, 10, 11, 12, 13}
_MAX_CONTROL_FRACTION = 0.01


def decode(data: bytes, filename: str) -> str:
    """The file's text (UTF-8, else Latin-1, newlines normalised) or a StructureError."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise StructureError("structure data must be bytes")
    data = bytes(data)
    if len(data) > MAX_FILE_BYTES:
        raise StructureError(
            f"{filename} is {len(data) / 1024 / 1024:.0f} MiB; structure files over "
            f"{MAX_FILE_BYTES // 1024 // 1024} MiB are not read"
        )
    if not data.strip():
        raise StructureError(f"{filename} is empty")
    if b"\x00" in data or _control_fraction(data) > _MAX_CONTROL_FRACTION:
        raise StructureError(f"{filename} is a binary file, not a text structure file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # old CIFs; every byte decodes
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _control_fraction(data: bytes) -> float:
    sample = data[:65536]
    controls = sum(1 for byte in sample if byte in _CONTROL_CHARACTERS)
    return controls / len(sample)
