"""Write a large AiiDA archive with real aiida-core, for the EXPLORE benchmark.

Run with the aiida-core interpreter (``make aiida-venv``), never the project's own::

    .venv-aiida/bin/python bench/make_big_aiida_archive.py OUT.aiida [--units 25000]

A temporary ``core.sqlite_dos`` profile is filled through aiida-core's storage API
(``bulk_insert``: the same rows aiida-core's ORM would store, without a Python object per node),
then exported with ``create_archive``, exactly as a researcher's ``verdi archive create`` would.
Each unit is a calculation with provenance: two inputs (a structure-like Dict and an Int),
a CalcFunctionNode, and an output Dict with a few hundred bytes of attributes; every ten units a
WorkChainNode calls them (``call_calc``), takes their inputs (``input_work``) and returns their
outputs (``return``). 25,000 units make 100,000 calculation nodes plus 2,500 workflows.
"""

from __future__ import annotations

import os
import shutil
import tempfile

if __name__ != "__main__":
    raise SystemExit("run this script with the aiida-core interpreter")

HOME = tempfile.mkdtemp(prefix="matcloud-aiida-bench-")
os.environ["AIIDA_PATH"] = HOME
os.mkdir(os.path.join(HOME, ".aiida"))

import argparse  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

from aiida import load_profile, orm  # noqa: E402
from aiida.manage import get_manager  # noqa: E402
from aiida.manage.configuration import create_profile, get_config  # noqa: E402
from aiida.orm.entities import EntityTypes  # noqa: E402
from aiida.tools.archive import create_archive  # noqa: E402

BATCH = 5000
ELEMENTS = ["Si", "Ge", "C", "Al", "Ni", "Na", "Cl", "Mo", "S", "Ga", "As", "O"]


def node(user: int, node_type: str, label: str, attributes: dict, when: datetime, **extra):  # type: ignore[no-untyped-def]
    return {
        "uuid": str(uuid.uuid4()),
        "node_type": node_type,
        "process_type": extra.pop("process_type", None),
        "label": label,
        "description": extra.pop("description", ""),
        "ctime": when,
        "mtime": when,
        "attributes": attributes,
        "extras": extra.pop("extras", {}),
        "repository_metadata": {},
        "dbcomputer_id": None,
        "user_id": user,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--units", type=int, default=25_000)
    args = parser.parse_args()
    config = get_config(create=True)
    profile = create_profile(
        config,
        storage_backend="core.sqlite_dos",
        storage_config={"filepath": str(Path(HOME) / "storage")},
        broker_backend=None,
        name="bench",
        email="bench@matcloud.invalid",
        is_test_profile=True,
    )
    config.set_default_profile(profile.name, overwrite=True)
    config.store()
    load_profile(profile.name, allow_switch=True)
    backend = get_manager().get_profile_storage()
    user = orm.User.collection.get_default().pk
    rng = random.Random(7)
    started = time.perf_counter()
    base = datetime(2024, 1, 1, tzinfo=UTC)

    for first in range(0, args.units, BATCH):
        units = range(first, min(first + BATCH, args.units))
        rows = []
        for n in units:
            when = base + timedelta(seconds=n * 30)
            a, b = rng.sample(ELEMENTS, 2)
            rows.append(
                node(
                    user,
                    "data.core.dict.Dict.",
                    f"structure {a}{b} #{n}",
                    {
                        "cell": [
                            [rng.uniform(3, 6), 0, 0],
                            [0, rng.uniform(3, 6), 0],
                            [0, 0, rng.uniform(3, 6)],
                        ],
                        "symbols": [a, b],
                        "positions": [[0, 0, 0], [0.25, 0.25, 0.25]],
                    },
                    when,
                )
            )
            rows.append(node(user, "data.core.int.Int.", "", {"value": n % 97}, when))
            rows.append(
                node(
                    user,
                    "process.calculation.calcfunction.CalcFunctionNode.",
                    "relax",
                    {
                        "process_state": "finished",
                        "exit_status": 0,
                        "process_label": "relax",
                        "sealed": True,
                        "function_name": "relax",
                    },
                    when,
                    process_type="bench.functions.relax",
                )
            )
            rows.append(
                node(
                    user,
                    "data.core.dict.Dict.",
                    "result",
                    {
                        "energy": rng.uniform(-200, -10),
                        "forces": [[rng.uniform(-1, 1) for _ in range(3)] for _ in range(2)],
                        "converged": True,
                        "iterations": rng.randint(5, 40),
                        "units": "eV",
                    },
                    when + timedelta(seconds=10),
                )
            )
        ids = backend.bulk_insert(EntityTypes.NODE, rows)
        links = []
        workflows = []
        for i, n in enumerate(units):
            structure, number, calc, result = ids[4 * i : 4 * i + 4]
            links += [
                {
                    "input_id": structure,
                    "output_id": calc,
                    "label": "structure",
                    "type": "input_calc",
                },
                {"input_id": number, "output_id": calc, "label": "steps", "type": "input_calc"},
                {"input_id": calc, "output_id": result, "label": "result", "type": "create"},
            ]
            if n % 10 == 0:
                when = base + timedelta(seconds=n * 30)
                workflows.append((n, ids[4 * i : 4 * (i + 10)], when))
        wf_rows = [
            node(
                user,
                "process.workflow.workchain.WorkChainNode.",
                "RelaxWorkChain",
                {
                    "process_state": "finished",
                    "exit_status": 0,
                    "process_label": "RelaxWorkChain",
                    "sealed": True,
                },
                when,
                process_type="bench.workflows:relax",
            )
            for _, _, when in workflows
        ]
        wf_ids = backend.bulk_insert(EntityTypes.NODE, wf_rows)
        for wf, (_, members, _) in zip(wf_ids, workflows, strict=True):
            for j in range(0, len(members), 4):
                structure, _, calc, result = members[j : j + 4]
                k = j // 4
                links += [
                    {"input_id": wf, "output_id": calc, "label": f"CALL_{k}", "type": "call_calc"},
                    {
                        "input_id": structure,
                        "output_id": wf,
                        "label": f"structure_{k}",
                        "type": "input_work",
                    },
                    {"input_id": wf, "output_id": result, "label": f"result_{k}", "type": "return"},
                ]
        backend.bulk_insert(EntityTypes.LINK, links)
        print(
            f"{min(first + BATCH, args.units):,} units stored "
            f"({time.perf_counter() - started:.0f} s)",
            flush=True,
        )

    count = orm.QueryBuilder().append(orm.Node).count()
    print(f"{count:,} nodes in the profile; exporting ...", flush=True)
    exported = time.perf_counter()
    create_archive(None, filename=args.out, overwrite=True)
    print(
        f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB) in "
        f"{time.perf_counter() - exported:.0f} s",
        flush=True,
    )
    get_manager().unload_profile()


try:
    main()
finally:
    shutil.rmtree(HOME, ignore_errors=True)
