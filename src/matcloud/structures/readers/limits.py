"""Size limits shared by the readers (the per-structure limit is ``model.MAX_SITES``)."""

from __future__ import annotations

MAX_FRAMES = 10_000
"""Most structures one file may yield (trajectory frames, CIF data blocks, XSF steps)."""
