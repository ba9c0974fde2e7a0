"""Legacy AiiDA exports (0.4 to 0.13: ``data.json`` + ``nodes/``), migrated by aiida-core.

aiida-core's pins (SQLAlchemy, pydantic, click...) clash with ours, so it is never imported
here: it lives in its own interpreter (``make aiida-venv`` makes ``.venv-aiida``), named by the
``explore_aiida_python`` setting, and runs in a subprocess with a throw-away ``AIIDA_PATH``, a
time limit, and no network. Without it, a legacy archive is "not browsable" with a message that
says what to install.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from matcloud.explore.aiida.container import ArchiveError, ArchiveInfo

#: Run by the aiida-core interpreter: migrate argv[1] to the newest format at argv[2].
MIGRATE = """
import sys
from aiida.tools.archive.abstract import get_format
archive_format = get_format()
archive_format.migrate(sys.argv[1], sys.argv[2], archive_format.latest_version, force=True)
"""
INSTALL_HINT = (
    "Browsing it needs aiida-core to migrate it: run `make aiida-venv` and set "
    "explore_aiida_python = '.venv-aiida/bin/python' (or MATCLOUD_EXPLORE_AIIDA_PYTHON)."
)
MAX_ERROR_CHARS = 600


def migrate(
    info: ArchiveInfo, destination: Path, aiida_python: Path | None, timeout: float = 3600
) -> Path:
    """Write ``info``'s archive, migrated to the current format, at ``destination``."""
    name = info.path.name
    if aiida_python is None or not aiida_python.exists():
        raise ArchiveError(
            f"{name} is a legacy AiiDA export (version {info.export_version}). {INSTALL_HINT}"
        )
    aiida_python = aiida_python.absolute()  # the subprocess runs in a temporary folder
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="matcloud-aiida-") as home:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "AIIDA_PATH": home,
            "HOME": home,
            "LC_ALL": "C.UTF-8",
        }
        try:
            done = subprocess.run(
                [str(aiida_python), "-c", MIGRATE, str(info.path), str(partial)],
                env=env,
                cwd=home,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            partial.unlink(missing_ok=True)
            raise ArchiveError(f"{name}: migrating it took over {timeout:.0f} s.") from exc
        except OSError as exc:
            raise ArchiveError(f"{name}: aiida-core could not be started ({exc}).") from exc
    if done.returncode != 0 or not partial.is_file():
        partial.unlink(missing_ok=True)
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit status {done.returncode}"
        raise ArchiveError(
            f"{name}: aiida-core could not migrate this version {info.export_version} export: "
            f"{reason[:MAX_ERROR_CHARS]}"
        )
    os.replace(partial, destination)
    return destination


__all__ = ["INSTALL_HINT", "migrate"]
