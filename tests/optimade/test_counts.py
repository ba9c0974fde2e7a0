"""The number of public structures kept by the database (``optimade_counts``, migration 0010):
equal to a real count after every kind of write, on SQLite and PostgreSQL, and what the API
reports as ``data_available`` at once (no cache to expire)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, insert, select, text, update

from matcloud.core.db import Database
from matcloud.optimade.models import EntryCount, StructureEntry
from optimade_data import PUBLIC, binaries, insert_structures


def _kept(db: Database) -> int:
    with db.read() as session:
        return int(
            session.scalar(select(EntryCount.visible).where(EntryCount.entry_type == "structures"))
        )


def _counted(db: Database) -> int:
    with db.read() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(StructureEntry).where(StructureEntry.is_public)
            )
        )


def _available(api: TestClient, params: dict[str, Any] | None = None) -> int:
    response = api.get("/optimade/v1/structures", params={"page_limit": 1, **(params or {})})
    assert response.status_code == 200, response.text
    return int(response.json()["meta"]["data_available"])


def test_the_kept_count_follows_every_kind_of_write(db: Database) -> None:
    assert _kept(db) == 0
    rows = binaries(40)
    for n, row in enumerate(rows):
        row["is_public"] = n % 4 != 0  # ten private
    insert_structures(db, rows)  # one statement: PostgreSQL's statement trigger counts 30
    assert _kept(db) == _counted(db) == 30
    ids = [row["id"] for row in rows]
    with db.unit_of_work() as uow:
        # retract eight public, publish five (two private, three retracted), touch others
        # without changing their visibility
        uow.session.execute(
            update(StructureEntry).where(StructureEntry.id.in_(ids[1:11])).values(is_public=False)
        )
        uow.session.execute(
            update(StructureEntry).where(StructureEntry.id.in_(ids[:5])).values(is_public=True)
        )
        uow.session.execute(
            update(StructureEntry).where(StructureEntry.id.in_(ids[20:])).values(nsites=9)
        )
    assert _kept(db) == _counted(db) == 27
    with db.unit_of_work() as uow:
        uow.session.execute(delete(StructureEntry).where(StructureEntry.id.in_(ids[:15])))
    assert _kept(db) == _counted(db)
    with db.unit_of_work() as uow:  # one row at a time, and a rolled back write
        uow.session.execute(insert(StructureEntry), binaries(1, start=100))
    assert _kept(db) == _counted(db)
    with pytest.raises(RuntimeError), db.unit_of_work() as uow:
        uow.session.execute(insert(StructureEntry), binaries(3, start=200))
        raise RuntimeError("the writer dies before committing")
    assert _kept(db) == _counted(db)
    with db.unit_of_work() as uow:
        uow.session.execute(delete(StructureEntry))
    assert _kept(db) == _counted(db) == 0


def test_truncating_the_structures_resets_the_count(db: Database) -> None:
    insert_structures(db, binaries(5))
    assert _kept(db) == 5
    with db.unit_of_work() as uow:
        if db.engine.dialect.name == "postgresql":
            uow.session.execute(text("TRUNCATE optimade_structures CASCADE"))
        else:  # SQLite has no TRUNCATE; its "truncate optimisation" is off with triggers
            uow.session.execute(text("DELETE FROM optimade_structures"))
    assert _kept(db) == 0


def test_data_available_changes_with_the_next_request(api: TestClient, filled: FastAPI) -> None:
    db = filled.state.instance.db
    assert _available(api) == _available(api, {"filter": 'elements HAS "Si"'}) == len(PUBLIC)
    insert_structures(db, binaries(7, start=500))
    assert _available(api) == _available(api, {"filter": "nsites > 0"}) == len(PUBLIC) + 7
    with db.unit_of_work() as uow:
        uow.session.execute(update(StructureEntry).values(is_public=False))
    assert _available(api, {"filter": 'elements HAS "Si"'}) == 0
    body = api.get("/optimade/v1/structures").json()
    assert body["meta"]["data_available"] == body["meta"]["data_returned"] == 0
