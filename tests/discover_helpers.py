"""Helpers for DISCOVER tests: published records, the example specs, building sections."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from archive_helpers import bearer, metadata, publish_via_review, upload
from matcloud.core.errors import Conflict
from matcloud.core.models import Role

RICH = Path(__file__).resolve().parent / "fixtures" / "aiida" / "rich.aiida"
#: The phonon visualiser's examples (phonopy's band.yaml of silicon among them).
PHONON_EXAMPLES = Path(__file__).resolve().parents[1] / "src/matcloud/work/data/phonons"
CSV = (
    b"name,Formula,gap,natoms,magnetic,structure\n"
    b"mos2,MoS2,1.8,3,false,Si.vasp\n"
    b"graphene,C2,0,2,no,\n"
    b"cri3,CrI3,1.1,8,true,\n"
    b"hbn,BN,5.9,2,false,\n"
    b"wte2,WTe2,,6,false,\n"
)
SPEC = """
slug: layers
title: Layered materials
description: A *demo* of layers.
authors: [{name: Ada Curator}]
sources: [{record: "RECORD"}]
rows: {table: materials.csv, id: name}
columns:
  - {name: name, type: string}
  - {name: formula, type: string, from: Formula}
  - {name: gap, title: Band gap, type: number, unit: eV, description: PBE gap}
  - {name: natoms, type: integer}
  - {name: magnetic, type: boolean}
  - {name: structure, type: file}
structure: {column: structure}
card: {title: formula}
plot: {x: natoms, y: gap, color: magnetic}
"""


#: Rows naming phonopy band.yaml files of the record.
PHONON_SPEC = """
slug: phonon-files
title: Phonons from files
authors: [{name: Ada Curator}]
sources: [{record: "RECORD"}]
rows: {table: phonons.csv, id: name}
columns:
  - {name: name, type: string}
  - {name: structure, type: file}
  - {name: phonons, type: file}
structure: {column: structure}
phonons: {column: phonons}
"""


AIIDA_SPEC = """
slug: workflows
title: Workflows of the fixture
authors: [{name: Ada Curator}]
sources: [{record: "RECORD"}]
rows: {aiida: {file: workflow.aiida, group: fixtures/workflows}}
columns:
  - {name: label, type: string, from: label}
  - {name: energy, type: number, unit: eV, from: outputs.output_parameters.attributes.energy}
  - {name: walltime, type: number, unit: s,
     from: outputs.output_parameters.attributes.wall_time_seconds}
  - {name: queue, type: string, from: extras.queue}
  - {name: structure, type: node, from: inputs.structure}
structure: {column: structure}
"""


def account(app: FastAPI, email: str, role: Role = Role.USER) -> dict[str, str]:
    """A token of the account, made on first use."""
    try:
        return bearer(app, email, role)
    except Conflict:
        token = app.state.instance.auth.create_token(None, email, "tests").secret
        return {"Authorization": f"Bearer {token}"}


def publish(client: TestClient, app: FastAPI, files: dict[str, bytes]) -> dict[str, Any]:
    ada = account(app, "ada@example.org")
    mod = account(app, "mod@example.org", Role.MODERATOR)
    created = client.post("/api/records", json={"metadata": metadata()}, headers=ada)
    record_id = created.json()["id"]
    for key, data in files.items():
        upload(client, ada, record_id, key, data)
    return publish_via_review(client, ada, mod, record_id)


def add(client: TestClient, headers: dict[str, str], spec: str) -> Any:
    return client.post("/api/discover", content=spec.encode(), headers=headers)
