"""The anchor of the EXPLORE indexing benchmark: aiida-core importing the same archive.

Run with the aiida-core interpreter::

    .venv-aiida/bin/python bench/aiida_import_time.py ARCHIVE

Makes a fresh ``core.sqlite_dos`` profile (not timed), then times ``import_archive`` (what
``verdi archive import`` runs) and prints ``{"seconds": ..., "nodes": ...}`` as JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time

if __name__ != "__main__":
    raise SystemExit("run this script with the aiida-core interpreter")

HOME = tempfile.mkdtemp(prefix="matcloud-aiida-import-")
os.environ["AIIDA_PATH"] = HOME
os.mkdir(os.path.join(HOME, ".aiida"))

from pathlib import Path  # noqa: E402

from aiida import load_profile, orm  # noqa: E402
from aiida.manage import get_manager  # noqa: E402
from aiida.manage.configuration import create_profile, get_config  # noqa: E402
from aiida.tools.archive import import_archive  # noqa: E402


def main() -> None:
    config = get_config(create=True)
    profile = create_profile(
        config,
        storage_backend="core.sqlite_dos",
        storage_config={"filepath": str(Path(HOME) / "storage")},
        broker_backend=None,
        name="import",
        email="bench@matcloud.invalid",
        is_test_profile=True,
    )
    config.store()
    load_profile(profile.name, allow_switch=True)
    started = time.perf_counter()
    import_archive(Path(sys.argv[1]))
    seconds = time.perf_counter() - started
    nodes = orm.QueryBuilder().append(orm.Node).count()
    get_manager().unload_profile()
    print(json.dumps({"seconds": seconds, "nodes": nodes}))


try:
    main()
finally:
    shutil.rmtree(HOME, ignore_errors=True)
