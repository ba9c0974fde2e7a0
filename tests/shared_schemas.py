"""The official XSDs in ../shared/schemas (skip cleanly when a clone has no ../shared)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
SCHEMAS = SHARED / "schemas"


def oai_schema() -> Any:
    """An lxml XMLSchema for whole OAI-PMH responses, payloads validated strictly."""
    if not (SCHEMAS / "validate_oai_response.py").exists():
        pytest.skip("../shared/schemas is not here (a user's clone); CI has it")
    sys.path.insert(0, str(SCHEMAS))
    try:
        from validate_oai_response import oai_schema as build  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(SCHEMAS))
    return build()
