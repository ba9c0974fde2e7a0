"""Start aiida-core's own REST API on an archive (``tests/fixtures/aiida_rest_oracle.py``, run by
``.venv-aiida/bin/python``) and give its base URL; skip when that venv is not there.

Import as ``from explore.aiida_oracle import running_oracle`` (``tests`` is on the path).
"""

from __future__ import annotations

import os
import selectors
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AIIDA_PYTHON = ROOT / ".venv-aiida" / "bin" / "python"
ORACLE_SCRIPT = ROOT / "tests" / "fixtures" / "aiida_rest_oracle.py"
READY = "READY "
START_TIMEOUT = 90.0


def _wait_ready(process: subprocess.Popen[str], log: Path) -> str:
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + START_TIMEOUT
    try:
        while time.monotonic() < deadline:
            if not selector.select(timeout=0.5):
                if process.poll() is not None:
                    break
                continue
            line = process.stdout.readline()
            if line.startswith(READY):
                return line[len(READY) :].strip()
            if not line and process.poll() is not None:
                break
    finally:
        selector.close()
    raise RuntimeError(f"the aiida REST oracle did not start:\n{log.read_text()[-3000:]}")


@contextmanager
def running_oracle(archive: Path) -> Iterator[str]:
    """aiida-core's REST API on ``archive``; yields ``http://127.0.0.1:<port>/api/v4``."""
    if not AIIDA_PYTHON.exists():
        pytest.skip("aiida-core's venv is not built: run `make aiida-venv`")
    # TZ=UTC: aiida groups /nodes/statistics by day in the server's local time; ours (and any
    # server's answer one can reproduce) uses UTC, the time zone the archive stores.
    env = {**os.environ, "TZ": "UTC", "PYTHONHASHSEED": "0"}
    with tempfile.NamedTemporaryFile("w+", prefix="aiida-oracle-", suffix=".log") as log:
        process = subprocess.Popen(
            # port 0: the system picks a free one, the READY line says which
            [str(AIIDA_PYTHON), str(ORACLE_SCRIPT), str(archive), "0"],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=env,
        )
        try:
            yield _wait_ready(process, Path(log.name))
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()
