"""What the API derives from the database: references follow publications and the index, the
chemical-system column is filled whoever inserts rows, and migration 0007 fills it for rows
indexed before it existed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, Table, insert, select, text, update

from matcloud.archive.models import Version, VersionState
from matcloud.core import migrate
from matcloud.core.db import Database, utcnow
from matcloud.optimade.models import StructureEntry, StructureValue
from matcloud.optimade.planning import PlannerStatistics
from optimade_data import FIXED, SI, binaries, ids, insert_structures, publish_records, values_of


def reference_ids(api: TestClient) -> set[str]:
    response = api.get("/optimade/v1/references", params={"page_limit": 100})
    assert response.status_code == 200, response.text
    return set(ids(response.json()))


def test_references_follow_publications_and_the_index(api: TestClient, filled: FastAPI) -> None:
    db = filled.state.instance.db
    before = reference_ids(api)
    assert "2025.7v1" not in before
    publish_records(db, ["2025.7v1"])  # a record without indexed structures: not cited
    assert reference_ids(api) == before
    # the indexing job stamps what it writes with the time (the store notices by that)
    new = [{**row, "last_modified": utcnow()} for row in binaries(2, start=900, record="2025.7")]
    insert_structures(db, new)
    assert reference_ids(api) == before | {"2025.7v1"}
    with db.unit_of_work() as uow:  # retracted: its references go
        uow.session.execute(
            update(Version)
            .where(Version.id == "2025.7v1")
            .values(state=VersionState.RETRACTED, updated_at=utcnow() + timedelta(seconds=1))
        )
    assert reference_ids(api) == before


def test_chemical_system_is_filled_on_insert(filled: FastAPI) -> None:
    with filled.state.instance.db.read() as session:
        rows = session.execute(select(StructureEntry.id, StructureEntry.chemical_system))
        systems = {entry_id: system for entry_id, system in rows}
    assert systems[SI["id"]] == "Si"
    assert {systems[row["id"]] for row in FIXED} >= {"Mo-S", "H-O", "Br-Cs-Pb", "Fe-Ni", "Cl-Na"}


def test_migration_0007_fills_the_chemical_system_of_indexed_rows(db: Database) -> None:
    migrate.downgrade(db, "0006_optimade")
    row = {k: v for k, v in SI.items() if k != "chemical_system"}
    with db.engine.begin() as connection:  # the table as revision 0006 made it
        table = Table("optimade_structures", MetaData(), autoload_with=connection)
        assert "chemical_system" not in table.c
        connection.execute(insert(table).values(**row))
        connection.execute(insert(StructureValue.__table__), values_of(row))
    migrate.upgrade(db)
    with db.engine.connect() as connection:
        found = connection.execute(text("SELECT chemical_system FROM optimade_structures"))
        assert found.scalar_one() == "Si"


def test_sqlite_planner_statistics_are_kept_current(
    api: TestClient, filled: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = filled.state.instance.db
    if not db.is_sqlite:
        pytest.skip("PostgreSQL keeps its own statistics")
    monkeypatch.setattr(PlannerStatistics, "MIN_ROWS", 5)

    def analyzed() -> set[str]:
        with db.engine.connect() as connection:
            rows = connection.execute(text("SELECT DISTINCT tbl FROM sqlite_stat1"))
            return {table for (table,) in rows}

    assert api.get("/optimade/v1/structures").status_code == 200
    statistics = filled.state.optimade.statistics
    assert {"optimade_structures", "optimade_structure_values"} <= analyzed()
    assert statistics.generation == 1
    statistics._checked = -1e9  # due for a check: nothing changed, nothing to do
    assert api.get("/optimade/v1/structures").status_code == 200
    assert statistics.generation == 1
    insert_structures(db, binaries(30, start=700))  # grew more than twofold
    statistics._checked = -1e9
    assert api.get("/optimade/v1/structures", params={"filter": "nelements=2"}).status_code == 200
    assert statistics.generation == 2
