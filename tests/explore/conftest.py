"""EXPLORE tests: real AiiDA archives made by aiida-core (``make aiida-fixtures``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from matcloud.settings import Settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "aiida"
SHARED_AIIDA = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "aiida-core-static"
AIIDA_PYTHON = Path(__file__).resolve().parents[2] / ".venv-aiida" / "bin" / "python"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"job_queue": "immediate"})


@pytest.fixture(scope="session")
def manifest() -> dict[str, Any]:
    path = FIXTURES / "manifest.json"
    if not path.exists():
        pytest.skip("AiiDA fixtures not built: run `make aiida-fixtures`")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


@pytest.fixture
def rich(manifest: dict[str, Any]) -> Path:
    return FIXTURES / "rich.aiida"


@pytest.fixture
def shared_aiida() -> Path:
    if not SHARED_AIIDA.exists():
        pytest.skip("../shared/fixtures is not here (a user's clone); CI has it")
    return SHARED_AIIDA
