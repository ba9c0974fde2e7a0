"""Shared helpers for the structure tests: the data files and the OPTIMADE validator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from optimade.models import StructureResourceAttributes  # type: ignore[import-untyped]

DATA = Path(__file__).resolve().parent / "data"

Validate = Callable[[dict[str, Any]], StructureResourceAttributes]


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def validate_optimade() -> Validate:
    """Validate properties with optimade-python-tools' own model (formula rules included).

    The model needs ``last_modified``; ``volume`` is our extra and is left to ``extra=allow``.
    filterwarnings=error turns the model's MissingExpectedField warnings into failures too.
    """

    def validate(properties: dict[str, Any]) -> StructureResourceAttributes:
        return StructureResourceAttributes(
            **properties, last_modified="2025-01-01T00:00:00Z", immutable_id="test"
        )

    return validate
