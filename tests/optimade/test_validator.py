"""``optimade-validator`` against a live server: the database (every test, optional ones
included) and the index meta-database, versioned and unversioned base URLs alike.

The server is uvicorn in a thread on a free port (as the browser tests run theirs), with the
fixed structures, generated ones for paging, and published records for the references.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from optimade.validator import ImplementationValidator
from pydantic.warnings import PydanticDeprecatedSince211

from livesite import free_port
from matcloud.app import create_app
from matcloud.core.instance import init_instance
from matcloud.settings import Settings
from optimade_data import FIXED, binaries, insert_structures, publish_records


@pytest.fixture
def live_url(settings: Settings) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = settings.model_copy(update={"base_url": url})
    init_instance(settings)
    app = create_app(settings)
    db = app.state.instance.db
    rows = insert_structures(db, [*FIXED, *binaries(25)])
    publish_records(db, sorted({row["version_id"] for row in rows}))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    else:
        raise RuntimeError("the test server did not start")
    yield url
    server.should_exit = True
    thread.join(timeout=10)


def validate(base_url: str, *, index: bool = False) -> ImplementationValidator:
    validator = ImplementationValidator(
        base_url=base_url, verbosity=0, run_optional_tests=True, fail_fast=False, index=index
    )
    with warnings.catch_warnings():
        # the optimade models read model_fields off instances, which pydantic 2.11 deprecates;
        # this suite turns warnings into errors, which the validator would count as failures
        warnings.simplefilter("ignore", PydanticDeprecatedSince211)
        validator.validate_implementation()
    return validator


def report(validator: ImplementationValidator) -> str:
    results = validator.results
    lines = [
        f"passed {results.success_count}, failed {results.failure_count}, "
        f"internal {results.internal_failure_count}; optional passed "
        f"{results.optional_success_count}, failed {results.optional_failure_count}"
    ]
    for kind, messages in (
        ("FAILURE", results.failure_messages),
        ("OPTIONAL", results.optional_failure_messages),
        ("INTERNAL", results.internal_failure_messages),
    ):
        lines += [f"{kind}: {summary}\n{detail}" for summary, detail in messages]
    return "\n".join(lines)


def assert_clean(validator: ImplementationValidator) -> None:
    results = validator.results
    assert validator.valid, report(validator)
    assert results.failure_count == 0, report(validator)
    assert results.internal_failure_count == 0, report(validator)
    assert results.optional_failure_count == 0, report(validator)
    assert results.success_count > 0, report(validator)


@pytest.mark.parametrize("base", ["/optimade/v1", "/optimade"])
def test_database_passes_the_validator(live_url: str, base: str) -> None:
    validator = validate(live_url + base)
    assert_clean(validator)
    assert validator.results.optional_success_count > 0


@pytest.mark.parametrize("base", ["/optimade/index/v1", "/optimade/index"])
def test_index_meta_database_passes_the_validator(live_url: str, base: str) -> None:
    assert_clean(validate(live_url + base, index=True))
