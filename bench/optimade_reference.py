"""optimade-python-tools' reference OPTIMADE server over a given set of structures.

    .venv-optimade/bin/python bench/optimade_reference.py DATAFILE PORT

The anchor of ``bench/optimade_vs_reference.py``; it runs in ``.venv-optimade``
(``make optimade-venv``:
``optimade[server]``, whose pins may clash with the project's). DATAFILE holds one structure a
line in the server's own MongoDB document shape (MongoDB extended JSON, as its bundled
``test_structures.json``: ``_id`` ``{"$oid": ...}``, ``last_modified`` ``{"$date": ...}``, the
OPTIMADE property names as they are, ``id`` as the entry id). No aliases are configured, so
database fields are the OPTIMADE fields.

The app is ``optimade.server.main:app`` itself, configured by a config file written next to
DATAFILE (``OPTIMADE_CONFIG_FILE``): the mongomock backend (the in-memory MongoDB the
reference server defaults to), no test data. mongomock lives in this process, so the
documents are inserted here, into the app's own structures collection, before uvicorn starts
listening; then the unique index on ``id`` that the server itself builds when it loads data
(``insert_from_jsonl`` with ``create_default_index``) is created. That is the only index the
reference server ever makes (mongomock answers every query by scanning all the same).

Prints ``READY http://127.0.0.1:PORT`` once listening, then serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

BATCH = 1000
# Python puts this script's folder first on sys.path; keep it off, so that no script of
# bench/ can ever shadow the optimade package.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]


def configure(datafile: Path, port: int) -> None:
    """Write the config file and point the server at it, before ``optimade.server`` loads."""
    for key in [k for k in os.environ if k.upper().startswith("OPTIMADE_")]:
        del os.environ[key]  # the file below is the whole configuration
    config = {
        "database_backend": "mongomock",
        "insert_test_data": False,
        "base_url": f"http://127.0.0.1:{port}",
        "log_level": "warning",
        "log_dir": str(datafile.parent / "optimade-logs"),
    }
    path = datafile.with_name(datafile.name + ".config.json")
    path.write_text(json.dumps(config, indent=2))
    os.environ["OPTIMADE_CONFIG_FILE"] = str(path)


def load(collection: object, datafile: Path) -> int:
    """Insert DATAFILE into the structures collection as the server's JSONL loader does."""
    import bson.json_util

    count, batch = 0, []
    with open(datafile) as handle:
        for line in handle:
            if line.strip():
                batch.append(bson.json_util.loads(line))
            if len(batch) >= BATCH:
                collection.insert(batch)  # type: ignore[attr-defined]
                count, batch = count + len(batch), []
    if batch:
        collection.insert(batch)  # type: ignore[attr-defined]
        count += len(batch)
    collection.create_default_index()  # type: ignore[attr-defined]
    return count


def main() -> None:
    datafile, port = Path(sys.argv[1]).resolve(), int(sys.argv[2])
    configure(datafile, port)

    import uvicorn
    from optimade.server.main import app

    started = time.perf_counter()
    count = load(app.state.entry_collections["structures"], datafile)
    print(f"inserted {count} structures in {time.perf_counter() - started:.1f} s", file=sys.stderr)

    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )

    def announce() -> None:
        while not server.started:
            time.sleep(0.05)
        print(f"READY http://127.0.0.1:{port}", flush=True)

    threading.Thread(target=announce, daemon=True).start()
    server.run()


if __name__ == "__main__":
    main()
