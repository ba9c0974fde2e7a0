"""WORK benchmark: SeeK-path result time for 100-atom cells, next to seekpath alone.

    .venv/bin/python bench/work_seekpath.py [--requests 40]

Two 100-atom inputs (POSCAR text): a 2x2x5 supercell of cubic SrTiO3 (Pm-3m once reduced)
and a random P1 cell (no two atoms closer than 1.6 Å). For each, three timings, p50/p95 of
``--requests`` runs after a warm-up:

- **seekpath alone** (the anchor): ``seekpath.get_explicit_k_path`` on the cell, what any
  script would call;
- **tool, in-process**: ``WorkService.run`` (read the text, seekpath with and without time
  reversal when needed, Brillouin zone, k-point blocks);
- **server time**: ``POST /api/work/seekpath`` to the whole app under uvicorn, timed by the
  client on one keep-alive connection (includes HTTP, JSON of the ~100 kB answer and the
  input's row in the database). Target: p50 < 300 ms.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import httpx
import numpy as np
import seekpath

ROOT = Path(__file__).resolve().parents[1]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT / "tests"))

from livesite import bench_site  # noqa: E402
from matcloud.structures import Species, Structure  # noqa: E402
from matcloud.structures.writers import write_structure  # noqa: E402
from matcloud.work.inputs import ToolInput, read_input  # noqa: E402
from matcloud.work.tools.seekpath_tool import _cell  # noqa: E402


def supercell() -> Structure:
    a = 3.905
    base = [("Sr", (0, 0, 0)), ("Ti", (0.5, 0.5, 0.5)), ("O", (0.5, 0.5, 0)),
            ("O", (0.5, 0, 0.5)), ("O", (0, 0.5, 0.5))]  # fmt: skip
    sites = []
    for i in range(2):
        for j in range(2):
            for k in range(5):
                for symbol, (x, y, z) in base:
                    sites.append((symbol, ((x + i) * a, (y + j) * a, (z + k) * a)))
    return Structure(
        lattice=((2 * a, 0, 0), (0, 2 * a, 0), (0, 0, 5 * a)),
        pbc=(True, True, True),
        species=tuple(Species(s, (s,), (1.0,)) for s in ("Sr", "Ti", "O")),
        sites=tuple(sites),  # type: ignore[arg-type]
    )


def random_p1(atoms: int = 100, seed: int = 3) -> Structure:
    rng = np.random.default_rng(seed)
    lattice = np.array([[10.0, 0.3, 0.0], [0.8, 11.0, 0.0], [0.5, 0.7, 12.0]])
    points: list[np.ndarray] = []
    while len(points) < atoms:
        candidate = rng.random(3) @ lattice
        if all(np.linalg.norm(candidate - p) > 1.6 for p in points):
            points.append(candidate)
    symbols = ["Si" if n % 3 else "O" for n in range(atoms)]
    return Structure(
        lattice=tuple(tuple(v) for v in lattice),  # type: ignore[arg-type]
        pbc=(True, True, True),
        species=(Species("Si", ("Si",), (1.0,)), Species("O", ("O",), (1.0,))),
        sites=tuple((s, tuple(p)) for s, p in zip(symbols, points, strict=True)),  # type: ignore[arg-type]
    )


def timed(function: object, runs: int) -> list[float]:
    call = function  # type: ignore[assignment]
    for _ in range(3):
        call()  # type: ignore[operator]
    found = []
    for _ in range(runs):
        started = time.perf_counter()
        call()  # type: ignore[operator]
        found.append((time.perf_counter() - started) * 1000)
    return found


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    settings, app, server = bench_site("work-bench-")
    service = app.state.work
    print(f"{args.requests} runs each after 3 warm-up runs; ms\n")
    print("| input | seekpath alone p50 / p95 | tool in-process p50 / p95 | "
          "server (HTTP POST) p50 / p95 | answer kB |")  # fmt: skip
    print("|---|---:|---:|---:|---:|")
    with httpx.Client(base_url=settings.base_url, timeout=60) as client:
        for name, structure in [
            ("SrTiO3 2x2x5 supercell (100 atoms, Pm-3m)", supercell()),
            ("random P1 cell (100 atoms)", random_p1()),
        ]:
            text = write_structure(structure, "poscar").encode()
            cell = _cell(read_input(ToolInput(text, "POSCAR")))

            def alone(cell: object = cell) -> None:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    seekpath.get_explicit_k_path(cell, symprec=1e-3)

            library = timed(alone, args.requests)
            tool = timed(
                lambda t=text: service.run("seekpath", ToolInput(t, "POSCAR"), {}), args.requests
            )  # type: ignore[misc]
            size = 0

            def post(t: bytes = text) -> None:
                nonlocal size
                answer = client.post(
                    "/api/work/seekpath?filename=POSCAR",
                    content=t,
                    headers={"Content-Type": "text/plain"},
                )
                assert answer.status_code == 201, answer.text
                size = len(answer.content)

            served = timed(post, args.requests)
            print(
                f"| {name} | {p(library, 0.5):.1f} / {p(library, 0.95):.1f} | "
                f"{p(tool, 0.5):.1f} / {p(tool, 0.95):.1f} | {p(served, 0.5):.1f} / "
                f"{p(served, 0.95):.1f} | {size / 1000:.0f} |"
            )
    server.should_exit = True


if __name__ == "__main__":
    main()
