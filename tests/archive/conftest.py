"""ARCHIVE tests run jobs at once (DOI registration, blob collection) instead of in a worker."""

from __future__ import annotations

import pytest

from matcloud.settings import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"job_queue": "immediate"})
